"""Reading, importing and exporting master-data files.

An import runs the kind's resource over the whole file in ONE transaction: a
dry run is always rolled back; a real run is rolled back as soon as any row or
the file itself has an error, so a bad file changes nothing. Rows are written
by the apps' services (see resources.py), which validate and audit them.
"""

from __future__ import annotations

import re
from datetime import timedelta

import tablib
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.translation import gettext as _
from import_export.formats import base_formats
from import_export.results import Result
from import_export.tmp_storages import MediaStorage

from mes.errors import InvalidInput

from .kinds import DataKind
from .widgets import cell_text

# "utf-8-sig" reads UTF-8 with or without the byte-order mark Excel writes.
FORMATS: dict[str, base_formats.Format] = {
    "csv": base_formats.CSV(encoding="utf-8-sig"),
    "xlsx": base_formats.XLSX(),
}
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000


def format_of(file_name: str) -> str | None:
    """The format key for a file name's extension, or None when it is not one we read."""
    extension = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    return extension if extension in FORMATS else None


def _tidy(dataset: tablib.Dataset) -> tablib.Dataset:
    """Drop what spreadsheets leave around data: blank rows at the end, empty unnamed columns."""
    rows = [list(row) for row in dataset]
    while rows and all(cell_text(value) == "" for value in rows[-1]):
        rows.pop()
    headers = list(dataset.headers or [])
    keep = [
        i
        for i, header in enumerate(headers)
        if cell_text(header) or any(cell_text(row[i]) for row in rows)
    ]
    tidy = tablib.Dataset(headers=[headers[i] for i in keep])
    for row in rows:
        tidy.append([row[i] for i in keep])
    return tidy


def load_dataset(content: bytes, file_format: str) -> tablib.Dataset:
    """The file's first sheet as a dataset; InvalidInput (field ``file``) when it cannot be read."""
    try:
        dataset = FORMATS[file_format].create_dataset(content)
    except UnicodeDecodeError:
        raise InvalidInput(
            _("The CSV file is not UTF-8 text. In Excel, save it as “CSV UTF-8”."),
            field="file",
        ) from None
    except tablib.InvalidDimensions:
        raise InvalidInput(
            _("Some lines of the CSV file have more or fewer cells than the header line."),
            field="file",
        ) from None
    except Exception:  # openpyxl and csv fail in many ways on a damaged file
        raise InvalidInput(
            _("The file could not be read as %(format)s.") % {"format": file_format.upper()},
            field="file",
        ) from None
    dataset = _tidy(dataset)
    if len(dataset) > MAX_ROWS:
        raise InvalidInput(
            _("The file has %(rows)s rows; at most %(max)s can be imported at once.")
            % {"rows": len(dataset), "max": MAX_ROWS},
            field="file",
        )
    return dataset


def import_dataset(kind: DataKind, dataset: tablib.Dataset, *, actor, dry_run: bool) -> Result:
    """Import every row or none: the transaction is rolled back on any error, and on a dry run."""
    resource = kind.resource(actor=actor)
    return resource.import_data(
        dataset,
        dry_run=dry_run,
        use_transactions=True,
        rollback_on_validation_errors=True,
    )


def result_has_problems(result: Result) -> bool:
    return result.has_errors() or result.has_validation_errors()


def export_file(kind: DataKind, file_format: str) -> bytes:
    """Every record of the kind in its import layout, so the file imports back unchanged."""
    dataset = kind.resource().export(force_native_type=file_format == "xlsx")
    data = FORMATS[file_format].export_data(dataset)
    if isinstance(data, str):
        return ("\ufeff" + data).encode()  # the BOM makes Excel read the CSV as UTF-8 (Korean)
    return data


# --- uploads kept between the preview and the confirmation ------------------

_UPLOAD_NAME = re.compile(r"^[0-9a-f]{32}$")


def store_upload(content: bytes) -> str:
    """Keep an uploaded file until it is confirmed; returns its random name."""
    storage = MediaStorage()
    storage.save(content)
    return storage.name


def read_upload(name: str) -> bytes:
    if not _UPLOAD_NAME.match(name):
        raise ValueError(name)
    return MediaStorage(name=name).read()


def discard_upload(name: str) -> None:
    if _UPLOAD_NAME.match(name):
        MediaStorage(name=name).remove()


def purge_stale_uploads(*, older_than: timedelta = timedelta(days=1)) -> int:
    """Delete uploads that were previewed but never confirmed; returns how many."""
    folder = MediaStorage().MEDIA_FOLDER
    storage = default_storage
    if not storage.exists(folder):
        return 0
    cutoff = timezone.now() - older_than
    _dirs, files = storage.listdir(folder)
    stale = [
        name
        for name in files
        if _UPLOAD_NAME.match(name) and storage.get_modified_time(f"{folder}/{name}") < cutoff
    ]
    for name in stale:
        storage.delete(f"{folder}/{name}")
    return len(stale)
