"""Admin pages beyond one model: a lot's genealogy as a tree, and the stock overview.

The stock overview lists on hand per item, lot and location with what is reserved,
what is available (at stock locations: on hand − reserved, nothing for a held lot;
elsewhere — WIP, quarantine, the shipping dock — nothing is available to allocate)
and the holds, with filters and a CSV export of exactly the filtered rows.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from decimal import Decimal

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q, Sum
from django.http import HttpResponse, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from inventory.models import Location, Lot, StockBalance
from quality.holds.selectors import list_active_holds

from .distribution.selectors import reserved_by_stock
from .trace import get_full_trace

PAGE_SIZE = 100
ZERO = Decimal(0)


# --- trace tree --------------------------------------------------------------------


class TraceForm(forms.Form):
    item = forms.CharField(label=_("item"), max_length=64)
    lot = forms.CharField(label=_("lot / serial number"), max_length=64)


def _tree(nodes: list[dict], root_key: tuple[str, str], inspections: dict[int, dict]) -> list[dict]:
    """Nested {node, children} from the trace's flat nodes (each names its parent)."""
    children: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for node in nodes:
        children[(node["parent"]["item"], node["parent"]["lot"])].append(node)

    def build(key: tuple[str, str], seen: frozenset) -> list[dict]:
        branch = []
        for node in children.get(key, []):
            own = (node["item"], node["lot"])
            branch.append(
                {
                    "node": node,
                    "inspections": [inspections[i] for i in node.get("inspections", [])],
                    "children": [] if own in seen else build(own, seen | {own}),
                }
            )
        return branch

    return build(root_key, frozenset({root_key}))


def trace_view(request):
    if not request.user.has_perm("production.view_lotgenealogy"):
        raise PermissionDenied
    form = TraceForm(request.GET or None)
    context = {**admin.site.each_context(request), "title": gettext("Lot trace"), "form": form}
    if form.is_valid():
        lot = (
            Lot.objects.select_related("item")
            .filter(item__code=form.cleaned_data["item"], code=form.cleaned_data["lot"])
            .first()
        )
        if lot is None:
            context["message"] = gettext("No such lot.")
        else:
            trace = get_full_trace(lot)
            inspections = {i["id"]: i for i in trace["inspections"]}
            root = (lot.item.code, lot.code)
            shipments = defaultdict(list)
            for shipment in trace["shipments"]:
                shipments[(shipment["item"], shipment["lot"])].append(shipment)
            context.update(
                lot=lot,
                trace=trace,
                backward=_tree(trace["backward"], root, inspections),
                forward=_tree(trace["forward"], root, inspections),
                root_inspections=[inspections[i] for i in trace["inspections_of_lot"]],
                shipments_by_lot=dict(shipments),
            )
    return TemplateResponse(request, "orders/trace_tree.html", context)


# --- stock overview ----------------------------------------------------------------


class StockFilterForm(forms.Form):
    item = forms.CharField(label=_("item"), required=False)
    lot = forms.CharField(label=_("lot"), required=False)
    location = forms.ModelChoiceField(
        label=_("location"), queryset=Location.objects.all(), required=False
    )
    kind = forms.ChoiceField(
        label=_("location kind"), choices=[("", "—"), *Location.Kind.choices], required=False
    )
    on_hold = forms.BooleanField(label=_("on hold only"), required=False)


def _balances(form: StockFilterForm):
    balances = (
        StockBalance.objects.exclude(qty=0)
        .select_related("item__uom", "lot", "location")
        .order_by("item__code", "lot__code", "location__code")
    )
    if not form.is_valid():
        return balances
    data = form.cleaned_data
    if data["item"]:
        balances = balances.filter(
            Q(item__code__icontains=data["item"]) | Q(item__name__icontains=data["item"])
        )
    if data["lot"]:
        balances = balances.filter(lot__code__icontains=data["lot"])
    if data["location"]:
        balances = balances.filter(location=data["location"])
    if data["kind"]:
        balances = balances.filter(location__kind=data["kind"])
    if data["on_hold"]:
        balances = balances.filter(
            lot__holds__released_at__isnull=True, lot__holds__isnull=False
        ).distinct()
    return balances


def _rows(balances) -> list[dict]:
    """On hand, reserved, available and holds of these balances (three queries)."""
    balances = list(balances)
    reserved = reserved_by_stock({b.item_id for b in balances})
    holds: dict[int, list[str]] = defaultdict(list)
    for hold in list_active_holds({b.lot_id for b in balances if b.lot_id}):
        holds[hold.lot_id].append(hold.reason)
    rows = []
    for b in balances:
        held = bool(b.lot_id and holds.get(b.lot_id))
        taken = reserved.get((b.item_id, b.lot_id, b.location_id), ZERO)
        free = b.qty - taken if b.location.kind == Location.Kind.STOCK and not held else ZERO
        rows.append(
            {
                "balance": b,
                "reserved": taken,
                "available": max(free, ZERO),
                "on_hold": held,
                "hold_reasons": holds.get(b.lot_id, []),
            }
        )
    return rows


HEADER = (
    _("item"),
    _("name"),
    _("lot"),
    _("expires on"),
    _("location"),
    _("location kind"),
    _("on hand"),
    _("reserved"),
    _("available"),
    _("unit"),
    _("on hold"),
    _("hold reasons"),
)


def _csv(balances) -> StreamingHttpResponse:
    class Echo:
        def write(self, value):
            return value

    writer = csv.writer(Echo())

    def lines():
        yield "\ufeff"  # so that Excel reads the file as UTF-8 (Korean names)
        yield writer.writerow([str(h) for h in HEADER])
        for start in range(0, balances.count(), 2000):
            for row in _rows(balances[start : start + 2000]):
                b = row["balance"]
                yield writer.writerow(
                    [
                        b.item.code,
                        b.item.name,
                        b.lot.code if b.lot_id else "",
                        b.lot.expires_on.isoformat() if b.lot_id and b.lot.expires_on else "",
                        b.location.code,
                        b.location.get_kind_display(),
                        f"{b.qty.normalize():f}",
                        f"{row['reserved'].normalize():f}",
                        f"{row['available'].normalize():f}",
                        b.item.uom.code,
                        gettext("yes") if row["on_hold"] else "",
                        " | ".join(row["hold_reasons"]),
                    ]
                )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="stock.csv"'
    return response


def stock_overview_view(request) -> HttpResponse:
    if not request.user.has_perm("inventory.view_stockbalance"):
        raise PermissionDenied
    form = StockFilterForm(request.GET or None)
    balances = _balances(form)
    if request.GET.get("format") == "csv":
        return _csv(balances)
    page = Paginator(balances, PAGE_SIZE).get_page(request.GET.get("page"))
    totals = (
        balances.order_by()
        .values("item__code", "item__uom__code")
        .annotate(total=Sum("qty"))
        .order_by("item__code")
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        **admin.site.each_context(request),
        "title": gettext("Stock overview"),
        "form": form,
        "page": page,
        "rows": _rows(page.object_list),
        "totals": list(totals[:200]),
        "query": query.urlencode(),
    }
    return TemplateResponse(request, "orders/stock_overview.html", context)


urlpatterns = [
    path("trace/", admin.site.admin_view(trace_view), name="lot_trace_tree"),
    path("stock/", admin.site.admin_view(stock_overview_view), name="stock_overview"),
]
