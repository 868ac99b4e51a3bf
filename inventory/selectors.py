"""Reads that are more than a filter: BOM versions and explosion, stock on hand, the ledger."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import F, Prefetch, QuerySet, Sum
from django.utils.translation import gettext as _

from mes.errors import BomCycle, InvalidTransition, NotFound

from . import bom_graph
from .bom_graph import BomLineEdge, Requirement
from .models import Bom, BomLine, Item, Location, Lot, StockBalance, StockMove


def _boms_with_lines() -> QuerySet[Bom]:
    lines = BomLine.objects.select_related("component", "uom").order_by("line")
    return Bom.objects.select_related("item").prefetch_related(Prefetch("lines", queryset=lines))


def get_active_bom(item: Item) -> Bom | None:
    """The item's active BOM with its lines (components and units loaded), or None."""
    return _boms_with_lines().filter(item=item, is_active=True).first()


def list_bom_versions(item: Item) -> QuerySet[Bom]:
    """Every version of the item's BOM, newest first, lines loaded."""
    return _boms_with_lines().filter(item=item).order_by("-version")


def get_bom_version(item: Item, version: int) -> Bom:
    bom = _boms_with_lines().filter(item=item, version=version).first()
    if bom is None:
        raise NotFound(
            _("%(item)s has no BOM version %(version)s.") % {"item": item.code, "version": version}
        )
    return bom


def active_bom_edges() -> Iterator[tuple[str, str]]:
    """(parent code, component code) of every line of every active BOM, in one query."""
    return (
        BomLine.objects.filter(bom__is_active=True)
        .values_list("parent__code", "component__code")
        .iterator()
    )


def explode_bom(item: Item, qty: Decimal) -> list[Requirement]:
    """What ``qty`` of ``item`` needs at every level of its active BOMs.

    One query loads every active BOM line; the walk is bom_graph.explode. Each
    Requirement has item (code), level (1 = direct component), qty (the total
    at that level, in uom), uom (code) and is_leaf (no components of its own).
    """
    lines_by_parent: dict[str, list[BomLineEdge]] = {}
    rows = BomLine.objects.filter(bom__is_active=True).order_by("parent_id", "line")
    for parent, component, qty_per, uom in rows.values_list(
        "parent__code", "component__code", "qty_per", "uom__code"
    ):
        lines_by_parent.setdefault(parent, []).append(BomLineEdge(component, qty_per, uom))
    try:
        return bom_graph.explode(lines_by_parent, item.code, Decimal(str(qty)))
    except bom_graph.CycleError as exc:
        raise BomCycle(_("The BOM contains its own item: %(path)s.") % {"path": str(exc)}) from exc


# --- stock ---------------------------------------------------------------------

# The one order in which postings lock balance rows, so that they never deadlock.
BALANCE_LOCK_ORDER = ("item_id", F("lot_id").asc(nulls_first=True), "location_id")


def get_on_hand(item: Item, *, lot: Lot | None = None, location: Location | None = None) -> Decimal:
    """On hand from the balances: of one lot or (``lot=None``) all lots, at one location
    or (``location=None``) all of them."""
    balances = StockBalance.objects.filter(item=item)
    if lot is not None:
        balances = balances.filter(lot=lot)
    if location is not None:
        balances = balances.filter(location=location)
    return balances.aggregate(total=Sum("qty"))["total"] or Decimal(0)


def list_on_hand_by_location(item_ids: Iterable[int]) -> dict[tuple[int, int], Decimal]:
    """On hand per (item id, location id) of the items, all lots added up (one query)."""
    balances = (
        StockBalance.objects.filter(item_id__in=set(item_ids))
        .values_list("item_id", "location_id")
        .annotate(total=Sum("qty"))
        .order_by()
    )
    return {(item_id, location_id): total for item_id, location_id, total in balances}


def list_stock(**filters) -> QuerySet[StockBalance]:
    """Balances other than zero (item, unit, lot, location loaded), filtered by ``filters``."""
    return (
        StockBalance.objects.select_related("item__uom", "lot", "location")
        .exclude(qty=0)
        .filter(**filters)
    )


def list_lots_fifo(item: Item, location: Location) -> list[tuple[Lot, Decimal]]:
    """(lot, on hand) of the item's lots with stock at the location, oldest lot first."""
    balances = (
        StockBalance.objects.select_related("lot")
        .filter(item=item, location=location, lot__isnull=False, qty__gt=0)
        .order_by("lot__created_at", "lot_id")
    )
    return [(balance.lot, balance.qty) for balance in balances]


def list_stock_moves() -> QuerySet[StockMove]:
    """The ledger, oldest first, with what a listing shows loaded."""
    return StockMove.objects.select_related("item__uom", "lot", "location", "created_by").order_by(
        "created_at", "id"
    )


def get_posting(client_ref: str) -> list[StockMove]:
    """The moves of the posting whose first move has ``client_ref`` ([] if none)."""
    first = StockMove.objects.filter(client_ref=client_ref).values_list("posting", flat=True)
    return list(list_stock_moves().filter(posting__in=first[:1]))


@dataclass(frozen=True)
class StockMismatch:
    item_id: int
    lot_id: int | None
    location_id: int
    ledger_qty: Decimal
    balance_qty: Decimal


def reconcile_balances() -> list[StockMismatch]:
    """Every (item, lot, location) whose balance differs from the sum of its moves.

    One GROUP BY over the ledger and one read of the balances; a key missing on
    either side counts as 0.
    """
    ledger = {
        (row["item_id"], row["lot_id"], row["location_id"]): row["total"]
        for row in StockMove.objects.order_by()
        .values("item_id", "lot_id", "location_id")
        .annotate(total=Sum("qty"))
    }
    balances = {
        (item_id, lot_id, location_id): qty
        for item_id, lot_id, location_id, qty in StockBalance.objects.values_list(
            "item_id", "lot_id", "location_id", "qty"
        ).iterator()
    }
    return [
        StockMismatch(*key, ledger.get(key, Decimal(0)), balances.get(key, Decimal(0)))
        for key in sorted(set(ledger) | set(balances), key=lambda k: (k[0], k[1] or 0, k[2]))
        if ledger.get(key, Decimal(0)) != balances.get(key, Decimal(0))
    ]


def get_configured_location(setting: str) -> Location:
    """The location whose code the setting ``setting`` names (MES_ISSUE_LOCATION, …)."""
    code = getattr(settings, setting)
    location = Location.objects.filter(code=code).first()
    if location is None:
        raise InvalidTransition(
            _("Location '%(code)s' (setting %(setting)s) does not exist; create it first.")
            % {"code": code, "setting": setting}
        )
    return location
