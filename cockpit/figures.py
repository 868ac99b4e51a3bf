"""The cockpit's arithmetic, without Django: planned quantities spread over time and the
time two intervals share."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

Span = tuple[datetime, datetime]
# Planned quantities are kept to the places of stored quantities.
PLACES = Decimal("0.000001")


def overlap_s(a: Span, b: Span) -> float:
    """Seconds that [a) and [b) have in common."""
    return max((min(a[1], b[1]) - max(a[0], b[0])).total_seconds(), 0.0)


def prorated(qty: Decimal, planned: Span | None, window: Span) -> Decimal:
    """The part of ``qty`` planned inside ``window`` when it is planned evenly over
    ``planned``; an instant plan counts whole in the window that holds it."""
    if planned is None or qty <= 0:
        return Decimal(0)
    start, end = planned
    if end <= start:
        return qty if window[0] <= start < window[1] else Decimal(0)
    inside = Decimal(str(overlap_s(planned, window)))
    return (qty * inside / Decimal(str((end - start).total_seconds()))).quantize(PLACES)


def ratio(part: float | Decimal, whole: float | Decimal) -> float | None:
    """``part / whole``, or None when there is no whole."""
    return float(part) / float(whole) if whole else None
