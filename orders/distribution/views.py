"""Printable documents of a shipment: the delivery note and the pick list (HTML for A4)."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone, translation

from production.models import Site

from ..models import Allocation, Shipment

LANGUAGES = {code for code, _name in settings.LANGUAGES}


def _language(request: HttpRequest) -> str:
    wanted = request.GET.get("lang", "")
    return wanted if wanted in LANGUAGES else translation.get_language() or "en"


def _document(request: HttpRequest, shipment: Shipment, template: str) -> HttpResponse:
    lines = Allocation.objects.select_related("sales_order_line", "item__uom", "lot", "location")
    shipment = (
        Shipment.objects.select_related("sales_order__customer", "dock")
        .prefetch_related(Prefetch("lines", queryset=lines.exclude(status="cancelled")))
        .get(pk=shipment.pk)
    )
    rows = sorted(
        shipment.lines.all(),
        key=lambda a: (
            (a.location.code, a.item.code, a.lot.code if a.lot else "")
            if template.endswith("pick_list.html")
            else (a.sales_order_line.line, a.item.code, a.lot.code if a.lot else "")
        ),
    )
    totals: dict[str, object] = {}
    for row in rows:
        totals[row.item.uom.code] = totals.get(row.item.uom.code, 0) + row.qty
    language = _language(request)
    with translation.override(language):
        html = render_to_string(
            template,
            {
                "shipment": shipment,
                "rows": rows,
                "totals": sorted(totals.items()),
                "site": Site.objects.order_by("id").first(),
                "printed_at": timezone.localtime(),
                "language": language,
            },
            request=request,
        )
    return HttpResponse(html, content_type="text/html; charset=utf-8")


def delivery_note_response(request: HttpRequest, shipment: Shipment) -> HttpResponse:
    return _document(request, shipment, "orders/delivery_note.html")


def pick_list_response(request: HttpRequest, shipment: Shipment) -> HttpResponse:
    return _document(request, shipment, "orders/pick_list.html")
