"""Reads of lot holds: which lots are held, and why."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from ..models import LotHold


def list_active_holds(lot_ids: Iterable[int] | None = None) -> QuerySet[LotHold]:
    """Unreleased holds (of ``lot_ids`` only, when given), newest first."""
    holds = LotHold.objects.filter(released_at__isnull=True).select_related(
        "lot__item", "nonconformance", "placed_by"
    )
    if lot_ids is not None:
        holds = holds.filter(lot_id__in=list(lot_ids))
    return holds


def held_lot_ids(lot_ids: Iterable[int]) -> set[int]:
    """The lots among ``lot_ids`` that have at least one unreleased hold (one query)."""
    ids = [lot_id for lot_id in lot_ids if lot_id is not None]
    if not ids:
        return set()
    return set(
        LotHold.objects.filter(lot_id__in=ids, released_at__isnull=True).values_list(
            "lot_id", flat=True
        )
    )


def is_on_hold(lot_id: int) -> bool:
    return bool(held_lot_ids([lot_id]))


def held_lot_ids_of_item(item_id: int) -> set[int]:
    """The item's lots that are on hold (one query): what FIFO picking must skip."""
    return set(
        LotHold.objects.filter(lot__item_id=item_id, released_at__isnull=True).values_list(
            "lot_id", flat=True
        )
    )
