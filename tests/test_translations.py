"""Korean is complete: every marked string of the code has a translation in locale/ko."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "locale" / "ko" / "LC_MESSAGES" / "django.po"


def _messages(path: Path) -> dict[str, object]:
    with path.open("rb") as handle:
        catalog = read_po(handle)
    return {
        message.id if isinstance(message.id, str) else message.id[0]: message
        for message in catalog
        if message.id
    }


def test_every_catalog_entry_is_translated_and_not_fuzzy():
    untranslated = [
        message_id
        for message_id, message in _messages(CATALOG).items()
        if message.fuzzy
        or not (message.string if isinstance(message.string, str) else all(message.string))
    ]
    assert untranslated == []


@pytest.mark.skipif(
    shutil.which("xgettext") is None,
    reason="extracting strings needs GNU gettext's xgettext (apt-get install gettext)",
)
def test_catalog_holds_every_marked_string(tmp_path):
    # makemessages writes into the tree it runs in (the project's locale/): run it in a
    # copy of the sources, so the real catalog is only read.
    copy = tmp_path / "src"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(
            ".git", ".venv*", "staticfiles", "node_modules", "bench", "__pycache__", "*.mo"
        ),
    )
    script = (
        "import django, os; "
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'mes.settings'); django.setup(); "
        "from django.core.management import call_command; "
        "call_command('makemessages', locale=['ko'], verbosity=0, no_obsolete=True)"
    )
    subprocess.run([sys.executable, "-c", script], cwd=copy, check=True)
    extracted = set(_messages(copy / "locale" / "ko" / "LC_MESSAGES" / "django.po"))
    missing = sorted(extracted - set(_messages(CATALOG)))
    assert missing == [], "run manage.py makemessages -l ko and translate these"
