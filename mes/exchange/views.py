"""The admin's "Import / export" page: export files, upload → dry-run preview → confirm.

Thin views: the work is in services.py (files, transactions) and the resources
(rows, through the apps' services). The previewed file is kept in media
storage under a random name held in the user's session until it is confirmed.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from import_export.results import Result, RowResult

from mes.errors import DomainError

from . import services
from .forms import ConfirmForm, UploadForm
from .kinds import KINDS, DataKind
from .widgets import cell_text

SESSION_KEY = "exchange_uploads"

STATUS_LABELS = {
    RowResult.IMPORT_TYPE_NEW: gettext_lazy("new"),
    RowResult.IMPORT_TYPE_UPDATE: gettext_lazy("update"),
    RowResult.IMPORT_TYPE_SKIP: gettext_lazy("unchanged"),
    RowResult.IMPORT_TYPE_INVALID: gettext_lazy("error"),
    RowResult.IMPORT_TYPE_ERROR: gettext_lazy("error"),
}


def _kind_or_404(key: str) -> DataKind:
    try:
        return KINDS[key]
    except KeyError:
        raise Http404(_("Unknown kind of data.")) from None


def _context(request, **extra) -> dict:
    return {**admin.site.each_context(request), **extra}


@require_GET
def index(request):
    kinds = [
        {
            "kind": kind,
            "can_import": kind.can_import(request.user),
            "can_export": kind.can_export(request.user),
        }
        for kind in KINDS.values()
    ]
    if not any(k["can_import"] or k["can_export"] for k in kinds):
        raise PermissionDenied
    return TemplateResponse(
        request,
        "admin/exchange/index.html",
        _context(request, title=_("Import / export"), kinds=kinds, formats=list(services.FORMATS)),
    )


@require_GET
def export(request, kind: str, file_format: str):
    data_kind = _kind_or_404(kind)
    if file_format not in services.FORMATS:
        raise Http404(_("Unknown file format."))
    if not data_kind.can_export(request.user):
        raise PermissionDenied
    content = services.export_file(data_kind, file_format)
    response = HttpResponse(content, content_type=services.FORMATS[file_format].get_content_type())
    file_name = f"{data_kind.key}-{timezone.localdate():%Y%m%d}.{file_format}"
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response


def _error_messages(row_result: RowResult) -> list[tuple[str, str]]:
    """(column, message) pairs; column is empty for errors about the whole row."""
    pairs: list[tuple[str, str]] = []
    error = row_result.validation_error
    if error is not None:
        if hasattr(error, "error_dict"):
            for field, field_messages in error.message_dict.items():
                column = "" if field in ("__all__", "non_field_errors") else field
                pairs.extend((column, message) for message in field_messages)
        else:
            pairs.extend(("", message) for message in error.messages)
    pairs.extend(("", str(e.error)) for e in row_result.errors)
    return pairs


def _preview_rows(data_kind: DataKind, result: Result) -> list[dict]:
    rows = []
    # Every row is reported (report_skipped), so the n-th result is the file's n-th data row.
    for number, row_result in enumerate(result.rows, start=1):
        values = row_result.row_values or {}
        show_diff = row_result.is_update() and row_result.diff
        rows.append(
            {
                "line": number + 1,  # the header is line 1, as a spreadsheet numbers it
                "status": row_result.import_type,
                "status_label": STATUS_LABELS.get(row_result.import_type, row_result.import_type),
                "cells": row_result.diff
                if show_diff
                else [cell_text(values.get(column)) for column in data_kind.columns],
                "errors": _error_messages(row_result),
            }
        )
    return rows


def _render_result(
    request, data_kind: DataKind, result: Result, *, file_name: str, upload: str | None, done: bool
):
    has_problems = services.result_has_problems(result)
    totals = result.totals
    errors = totals[RowResult.IMPORT_TYPE_INVALID] + totals[RowResult.IMPORT_TYPE_ERROR]
    return TemplateResponse(
        request,
        "admin/exchange/import.html",
        _context(
            request,
            title=_("Import %(kind)s") % {"kind": data_kind.label},
            data_kind=data_kind,
            file_name=file_name,
            done=done and not has_problems,
            has_problems=has_problems,
            file_errors=[str(error.error) for error in result.base_errors],
            rows=_preview_rows(data_kind, result),
            totals={
                "new": totals[RowResult.IMPORT_TYPE_NEW],
                "update": totals[RowResult.IMPORT_TYPE_UPDATE],
                "unchanged": totals[RowResult.IMPORT_TYPE_SKIP],
                "error": errors,
            },
            confirm_form=ConfirmForm(initial={"upload": upload}) if upload else None,
            can_confirm=bool(upload) and not has_problems and bool(result.rows),
        ),
    )


def _pending(request) -> dict:
    return request.session.get(SESSION_KEY, {})


def _forget_pending(request, data_kind: DataKind) -> None:
    pending = _pending(request)
    previous = pending.pop(data_kind.key, None)
    if previous:
        services.discard_upload(previous["name"])
        request.session[SESSION_KEY] = pending


@require_http_methods(["GET", "POST"])
def import_file(request, kind: str):
    """Upload a file and preview what importing it would do (a dry run, always rolled back)."""
    data_kind = _kind_or_404(kind)
    if not data_kind.can_import(request.user):
        raise PermissionDenied
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        file_format = services.format_of(upload.name)
        content = upload.read()
        try:
            dataset = services.load_dataset(content, file_format)
        except DomainError as exc:
            form.add_error("file", exc.message)
        else:
            _forget_pending(request, data_kind)
            name = services.store_upload(content)
            request.session[SESSION_KEY] = {
                **_pending(request),
                data_kind.key: {"name": name, "format": file_format, "file_name": upload.name},
            }
            result = services.import_dataset(data_kind, dataset, actor=request.user, dry_run=True)
            return _render_result(
                request, data_kind, result, file_name=upload.name, upload=name, done=False
            )
    return TemplateResponse(
        request,
        "admin/exchange/import.html",
        _context(
            request,
            title=_("Import %(kind)s") % {"kind": data_kind.label},
            data_kind=data_kind,
            form=form,
        ),
    )


@require_POST
def confirm_import(request, kind: str):
    """Import the previewed file for real, all rows in one transaction or none."""
    data_kind = _kind_or_404(kind)
    if not data_kind.can_import(request.user):
        raise PermissionDenied
    form = ConfirmForm(request.POST)
    pending = _pending(request).get(data_kind.key)
    if not form.is_valid() or not pending or pending["name"] != form.cleaned_data["upload"]:
        messages.error(request, _("This preview is out of date; upload the file again."))
        return redirect("exchange:import", kind=data_kind.key)
    try:
        content = services.read_upload(pending["name"])
    except FileNotFoundError:
        _forget_pending(request, data_kind)
        messages.error(request, _("The uploaded file has expired; upload it again."))
        return redirect("exchange:import", kind=data_kind.key)
    dataset = services.load_dataset(content, pending["format"])
    result = services.import_dataset(data_kind, dataset, actor=request.user, dry_run=False)
    _forget_pending(request, data_kind)
    if services.result_has_problems(result):
        # The data changed since the preview; nothing was written. Show why.
        messages.error(request, _("Nothing was imported: the file has errors now."))
        return _render_result(
            request, data_kind, result, file_name=pending["file_name"], upload=None, done=False
        )
    messages.success(
        request,
        _("%(file)s imported: %(new)s new, %(update)s updated, %(skip)s unchanged.")
        % {
            "file": pending["file_name"],
            "new": result.totals[RowResult.IMPORT_TYPE_NEW],
            "update": result.totals[RowResult.IMPORT_TYPE_UPDATE],
            "skip": result.totals[RowResult.IMPORT_TYPE_SKIP],
        },
    )
    return _render_result(
        request, data_kind, result, file_name=pending["file_name"], upload=None, done=True
    )
