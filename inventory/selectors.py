"""Reads of BOMs that are more than a filter: active version, versions, explosion."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from mes.errors import BomCycle, NotFound

from . import bom_graph
from .bom_graph import BomLineEdge, Requirement
from .models import Bom, BomLine, Item


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
