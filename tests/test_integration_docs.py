"""docs/integration.md's curl examples, run in order against a live server."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from mes.services import create_api_key

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "integration.md"
BLOCK = re.compile(r"(?:<!-- expect: (?P<expect>.+?) -->\n)?```bash\n(?P<script>.*?)```", re.S)


def examples() -> list[tuple[str, str | None]]:
    return [(m["script"], m["expect"]) for m in BLOCK.finditer(GUIDE.read_text())]


def test_the_guide_has_examples_and_each_says_what_it_prints():
    assert len(examples()) >= 8
    assert all(expect for _script, expect in examples())


@pytest.mark.django_db(transaction=True)
def test_the_curl_examples_do_what_the_guide_says(live_server):
    _key, token = create_api_key(actor=None, name="guide", role="erp")
    env = {**os.environ, "MES": live_server.url, "TOKEN": token}
    for script, expect in examples():
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, f"{script}\n{done.stdout}{done.stderr}"
        assert expect in done.stdout, f"{script}\nexpected {expect!r} in:\n{done.stdout}"
