"""Quality figures from the operators' reports: good, scrap, first-pass yield, Pareto.

One source for every consumer: the KPI page, the API and OEE's quality ratio
(good / total) all read ``report_counts``, so the numbers agree everywhere.

Definitions (per item, operation or work center, over reports in [start, end)):
- total = good + scrap reported; scrap ratio = scrap / total;
- first-pass yield = (good − units sent to rework by NCRs opened in the period on
  those orders/operations) / total — a unit reworked was not good the first time.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum

from production.models import OperationEvent

from .models import InspectionResult, Nonconformance

GROUPS = {
    "item": ("operation__order__item__code",),
    "operation": (
        "operation__order__item__code",
        "operation__seq",
        "operation__work_center__code",
    ),
    "work_center": ("operation__work_center__code",),
}
KEY_NAMES = {
    "item": ("item",),
    "operation": ("item", "seq", "work_center"),
    "work_center": ("work_center",),
}
ZERO = Decimal(0)


@dataclass(frozen=True)
class QualityCounts:
    good: Decimal
    scrap: Decimal

    @property
    def total(self) -> Decimal:
        return self.good + self.scrap

    @property
    def quality_ratio(self) -> Decimal | None:
        """Good / total as OEE takes it (None when nothing was made)."""
        return self.good / self.total if self.total else None


def _reports(
    start: datetime,
    end: datetime,
    *,
    item_ids=None,
    work_center_ids=None,
    machine_ids=None,
) -> QuerySet[OperationEvent]:
    reports = OperationEvent.objects.filter(
        kind=OperationEvent.Kind.REPORT, at__gte=start, at__lt=end
    )
    if item_ids is not None:
        reports = reports.filter(operation__order__item_id__in=item_ids)
    if work_center_ids is not None:
        reports = reports.filter(operation__work_center_id__in=work_center_ids)
    if machine_ids is not None:
        reports = reports.filter(operation__machine_id__in=machine_ids)
    return reports


def report_counts(
    start: datetime,
    end: datetime,
    *,
    item_ids=None,
    work_center_ids=None,
    machine_ids=None,
) -> QualityCounts:
    """Good and scrapped units the operators reported in [start, end) — OEE's quality."""
    totals = _reports(
        start, end, item_ids=item_ids, work_center_ids=work_center_ids, machine_ids=machine_ids
    ).aggregate(good=Sum("qty_good"), scrap=Sum("qty_scrap"))
    return QualityCounts(totals["good"] or ZERO, totals["scrap"] or ZERO)


def _reworked(start: datetime, end: datetime, group: str) -> dict[tuple, Decimal]:
    """Units NCRs opened in the period sent to rework, by the same keys as the group."""
    fields = {
        "item": ("production_order__item__code",),
        "operation": (
            "production_order__item__code",
            "operation__seq",
            "operation__work_center__code",
        ),
        "work_center": ("operation__work_center__code",),
    }[group]
    rows = (
        Nonconformance.objects.filter(
            disposition=Nonconformance.Disposition.REWORK,
            created_at__gte=start,
            created_at__lt=end,
            production_order__isnull=False,
        )
        .values_list(*fields)
        .annotate(total=Sum("qty"))
    )
    return {tuple(row[:-1]): row[-1] or ZERO for row in rows}


def first_pass_yield(
    start: datetime, end: datetime, *, group: str = "item", item_ids=None, work_center_ids=None
) -> list[dict]:
    """Rows {keys…, good, scrap, total, reworked, first_pass_yield, scrap_ratio}, largest total
    first. Two queries whatever the number of rows."""
    if group not in GROUPS:
        raise ValueError(group)
    rows = (
        _reports(start, end, item_ids=item_ids, work_center_ids=work_center_ids)
        .values_list(*GROUPS[group])
        .annotate(good=Sum("qty_good"), scrap=Sum("qty_scrap"))
        .order_by()
    )
    reworked = _reworked(start, end, group)
    result = []
    for row in rows:
        keys, good, scrap = tuple(row[:-2]), row[-2] or ZERO, row[-1] or ZERO
        total = good + scrap
        again = min(reworked.get(keys, ZERO), good)
        result.append(
            {
                **dict(zip(KEY_NAMES[group], keys, strict=True)),
                "good": good,
                "scrap": scrap,
                "total": total,
                "reworked": again,
                "first_pass_yield": (good - again) / total if total else None,
                "scrap_ratio": scrap / total if total else None,
            }
        )
    result.sort(key=lambda r: (-r["total"], [str(r[k]) for k in KEY_NAMES[group]]))
    return result


def defect_pareto(
    start: datetime, end: datetime, *, item_ids=None, work_center_ids=None
) -> list[tuple[str, Decimal]]:
    """(reason, quantity) largest first: units scrapped by reason in the operators' reports
    plus defects found by inspections (by their defect code)."""
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    scrap = (
        _reports(start, end, item_ids=item_ids, work_center_ids=work_center_ids)
        .filter(qty_scrap__gt=0)
        .values_list("reason__code")
        .annotate(total=Sum("qty_scrap"))
        .order_by()
    )
    for code, total in scrap:
        totals[code or "-"] += total
    inspected = InspectionResult.objects.filter(
        inspected_at__gte=start, inspected_at__lt=end, defect_code__isnull=False
    )
    if item_ids is not None:
        inspected = inspected.filter(item_id__in=item_ids)
    if work_center_ids is not None:
        inspected = inspected.filter(inspection__operation__work_center_id__in=work_center_ids)
    found = (
        inspected.values_list("defect_code__code")
        .annotate(
            defect_total=Sum("defects"),
            defective_total=Sum("defectives"),
            result_total=Count("id", filter=Q(defects__isnull=True, defectives__isnull=True)),
        )
        .order_by()
    )
    for code, defects, defectives, results in found:
        totals[code] += Decimal(defects or defectives or results or 0)
    return sorted(totals.items(), key=lambda pair: (-pair[1], pair[0]))


__all__ = ["QualityCounts", "defect_pareto", "first_pass_yield", "report_counts"]
