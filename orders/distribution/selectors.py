"""Reads for distribution: what is reserved, and where."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db.models import Sum

from ..models import Allocation

StockKey = tuple[int, int | None, int]  # (item_id, lot_id, location_id)


def reserved_by_stock(item_ids: Iterable[int] | None = None) -> dict[StockKey, Decimal]:
    """Quantity reserved (allocated, not yet picked) per (item, lot, location); one query."""
    allocations = Allocation.objects.filter(status=Allocation.Status.RESERVED)
    if item_ids is not None:
        allocations = allocations.filter(item_id__in=list(item_ids))
    rows = allocations.values_list("item_id", "lot_id", "location_id").annotate(total=Sum("qty"))
    return {(item_id, lot_id, location_id): total for item_id, lot_id, location_id, total in rows}
