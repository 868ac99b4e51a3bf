"""Resources: how each kind of master data maps to spreadsheet rows.

Two shapes:

- ``ServiceResource``: one row per coded record (items, work centers, machines,
  customers). django-import-export finds the record by ``code``, fills it,
  validates it with ``full_clean`` and, instead of ``save()``, calls the app's
  upsert service with the row's values.
- ``GroupedResource``: one row per component or operation (BOMs, routings).
  Rows are parsed and checked one by one, then grouped by their parent item and
  each group is written by one service call (``replace_bom`` / ``replace_routing``,
  which make a new version only when the rows differ from the active one).

A domain error from a service becomes the row's validation error, so the
preview shows it next to the row and the import is rolled back.
"""

from __future__ import annotations

import re
from collections import defaultdict
from types import SimpleNamespace
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from import_export import resources
from import_export.fields import Field
from import_export.instance_loaders import BaseInstanceLoader
from import_export.results import Result, RowResult

from mes.errors import DomainError

from .widgets import TextWidget, cell_text


class FileLayoutError(Exception):
    """The file's columns do not match the layout; reported once, above the rows."""


def domain_error_to_validation(exc: DomainError) -> ValidationError:
    return ValidationError(exc.errors or {NON_FIELD_ERRORS: [exc.message]})


class LayoutMixin:
    """Headers are matched case-insensitively; unknown or missing columns stop the import."""

    #: Columns a file may leave out (the record keeps its value, or the default).
    optional_columns: tuple[str, ...] = ()

    @classmethod
    def columns(cls) -> list[str]:
        return [field.column_name for field in cls.fields.values()]

    def check_layout(self, dataset) -> None:
        headers = [cell_text(header).lower() for header in dataset.headers or []]
        dataset.headers = headers
        expected = self.columns()
        missing = [c for c in expected if c not in headers and c not in self.optional_columns]
        unknown = [h or _("(empty)") for h in headers if h not in expected]
        duplicated = sorted({h for h in headers if h and headers.count(h) > 1})
        problems = []
        if missing:
            problems.append(_("missing columns: %(columns)s") % {"columns": ", ".join(missing)})
        if unknown:
            problems.append(_("unknown columns: %(columns)s") % {"columns": ", ".join(unknown)})
        if duplicated:
            problems.append(
                _("columns given twice: %(columns)s") % {"columns": ", ".join(duplicated)}
            )
        if problems:
            raise FileLayoutError(
                _("The file does not have the expected columns (%(expected)s): %(problems)s.")
                % {"expected": ", ".join(expected), "problems": "; ".join(problems)}
            )


class ServiceResource(LayoutMixin, resources.ModelResource):
    """One row per coded record, written by ``save_through_service``."""

    code = Field(attribute="code", column_name="code", widget=TextWidget())

    class Meta:
        import_id_fields = ("code",)
        clean_model_instances = True  # every field error of a row at once, before the service
        skip_unchanged = True
        report_skipped = True
        store_row_values = True
        use_transactions = True

    def __init__(self, *, actor=None, **kwargs):
        super().__init__(**kwargs)
        self.actor = actor
        self._rows_by_code: dict[str, int] = {}

    def save_through_service(self, instance) -> Any:
        """Call the app's upsert service with the instance's values; return the saved record."""
        raise NotImplementedError

    def before_import(self, dataset, **kwargs):
        self.check_layout(dataset)

    def import_instance(self, instance, row, **kwargs):
        errors: dict = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        code = cell_text(row.get("code"))
        first_row = self._rows_by_code.setdefault(code, kwargs["row_number"])
        if code and first_row != kwargs["row_number"]:
            errors.setdefault("code", []).append(
                ValidationError(
                    _("Code '%(code)s' is already on line %(line)s of this file.")
                    % {"code": code, "line": first_row + 1}
                )
            )
        if errors:
            raise ValidationError(errors)

    def after_import(self, dataset, result, **kwargs):
        """Nothing: ModelResource would reset the id sequence, which races with other writers."""

    def do_instance_save(self, instance, is_create):
        try:
            saved = self.save_through_service(instance)
        except DomainError as exc:
            raise domain_error_to_validation(exc) from exc
        instance.pk = saved.pk


class GroupedResource(LayoutMixin, resources.Resource):
    """Rows grouped by ``group_column``; each group is one service call after all rows are read.

    Subclasses declare their fields (import widgets parse and resolve codes) and
    implement ``has_active`` and ``write_group``; the service itself says
    whether the group changed anything.
    """

    group_column: str
    #: Service errors name entries as ``<list>.<index>.<field>``; this maps them to rows.
    indexed_error = re.compile(r"^\w+\.(\d+)\.(\w+)$")
    #: The service's name of an entry's field → the file's column, where they differ.
    column_of_service_field: dict[str, str] = {}

    class Meta:
        instance_loader_class = BaseInstanceLoader  # never asked: every row starts afresh
        force_init_instance = True
        clean_model_instances = False
        skip_diff = True
        report_skipped = True
        store_row_values = True
        store_instance = True
        use_transactions = True

    def __init__(self, *, actor=None, **kwargs):
        super().__init__(**kwargs)
        self.actor = actor

    def has_active(self, parent) -> bool:
        """Whether the parent already has an active BOM / routing (then a change is an update)."""
        raise NotImplementedError

    def write_group(self, parent, rows: list) -> bool:
        """Call the service with the group's parsed rows; False when nothing changed."""
        raise NotImplementedError

    def init_instance(self, row=None):
        # Every attribute exists, so a column left out of the file reads as blank.
        return SimpleNamespace(**dict.fromkeys(f.attribute for f in self.fields.values()))

    def before_import(self, dataset, **kwargs):
        self.check_layout(dataset)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        for name, field in self.fields.items():
            if name in self.optional_columns or name in errors:
                continue
            if getattr(instance, field.attribute, None) in (None, ""):
                errors[name] = [_("This field is required.")]
        if errors:
            raise ValidationError(errors)

    def save_instance(self, instance, is_create, row, **kwargs):
        """Nothing yet: the whole group is written in ``after_import``."""

    def after_import(self, dataset, result: Result, **kwargs):
        if result.base_errors:
            return
        groups: dict[str, list[int]] = defaultdict(list)
        for index, row_result in enumerate(result.rows):
            groups[cell_text(row_result.row_values.get(self.group_column))].append(index)
        for indexes in groups.values():
            rows = [result.rows[i] for i in indexes]
            if not all(r.is_valid() for r in rows):
                continue  # the file is refused anyway; its own errors say why
            parent = getattr(rows[0].instance, self.group_column)
            had_active = self.has_active(parent)
            try:
                with transaction.atomic():
                    changed = self.write_group(parent, [r.instance for r in rows])
            except DomainError as exc:
                self._attach_group_error(result, indexes, exc)
                continue
            if not changed:
                import_type = RowResult.IMPORT_TYPE_SKIP
            elif had_active:
                import_type = RowResult.IMPORT_TYPE_UPDATE
            else:
                import_type = RowResult.IMPORT_TYPE_NEW
            for r in rows:
                r.import_type = import_type
                r.add_instance_info(parent)
        result.totals.update(dict.fromkeys(result.totals, 0))
        for row_result in result.rows:
            result.increment_row_result_total(row_result)

    def _attach_group_error(self, result: Result, indexes: list[int], exc: DomainError) -> None:
        errors_by_row: dict[int, dict[str, list[str]]] = defaultdict(dict)
        for key, messages in (exc.errors or {NON_FIELD_ERRORS: [exc.message]}).items():
            match = self.indexed_error.match(key)
            if match and int(match[1]) < len(indexes):
                column = self.column_of_service_field.get(match[2], match[2])
                errors_by_row[indexes[int(match[1])]][column] = messages
            else:  # about the group as a whole (e.g. a BOM cycle): shown on each of its rows
                column = key if key in self.columns() else NON_FIELD_ERRORS
                for index in indexes:
                    errors_by_row[index].setdefault(column, []).extend(messages)
        for index in indexes:
            row_result = result.rows[index]
            if index not in errors_by_row:
                continue
            row_result.import_type = RowResult.IMPORT_TYPE_INVALID
            row_result.validation_error = ValidationError(errors_by_row[index])
            result.append_invalid_row(index + 1, row_result.row_values, row_result.validation_error)
