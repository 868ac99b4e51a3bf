"""Reads for inspections: plans for an operation, missing inspections, SPC series and charts."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from inventory.models import Item
from mes.errors import NotFound
from production.models import Operation, OperationEvent

from .. import spc
from ..models import Characteristic, ControlLimits, Inspection, InspectionPlan, InspectionResult

# A new point is judged with the points before it; this many are enough for every rule.
ALARM_WINDOW = 100
# What the chart endpoint shows by default (capability uses the same window).
DEFAULT_POINTS = 200

RULE_NAMES = {
    "western_electric": {
        1: gettext_lazy("One point beyond 3 sigma"),
        2: gettext_lazy("2 of 3 points in a row beyond 2 sigma on the same side"),
        3: gettext_lazy("4 of 5 points in a row beyond 1 sigma on the same side"),
        4: gettext_lazy("8 points in a row on the same side of the centre line"),
    },
    "nelson": {
        1: gettext_lazy("One point beyond 3 sigma"),
        2: gettext_lazy("9 points in a row on the same side of the centre line"),
        3: gettext_lazy("6 points in a row steadily increasing or decreasing"),
        4: gettext_lazy("14 points in a row alternating up and down"),
        5: gettext_lazy("2 of 3 points in a row beyond 2 sigma on the same side"),
        6: gettext_lazy("4 of 5 points in a row beyond 1 sigma on the same side"),
        7: gettext_lazy("15 points in a row within 1 sigma of the centre line"),
        8: gettext_lazy("8 points in a row beyond 1 sigma on either side"),
    },
}


def rule_name(rule_set: str, rule: int) -> str:
    return str(RULE_NAMES.get(rule_set, {}).get(rule, rule))


def not_enough_message(exc: spc.NotEnoughData) -> str:
    if exc.needed and exc.have < exc.needed:
        return _(
            "The chart needs at least %(needed)s points; there are %(have)s so far. "
            "Limits and rules appear once there are enough."
        ) % {"needed": exc.needed, "have": exc.have}
    return _("These results cannot make this chart: %(reason)s") % {"reason": str(exc)}


def list_plans() -> QuerySet[InspectionPlan]:
    return InspectionPlan.objects.select_related("item").order_by("updated_at", "id")


def plans_for_operation(item: Item, seq: int | None) -> list[InspectionPlan]:
    """Active plans of ``item`` at routing operation ``seq`` (None: the order-wide ones)."""
    return list(InspectionPlan.objects.filter(item=item, operation_seq=seq, is_active=True))


def missing_inspections(operation: Operation) -> list[str]:
    """Codes of the required plans of ``operation`` still short of inspections.

    In-process plans every N units want one inspection per N good units reported
    (at least one); the others want one.
    """
    plans = InspectionPlan.objects.filter(
        item_id=operation.order.item_id,
        operation_seq=operation.seq,
        is_active=True,
        required_to_complete=True,
    )
    if not plans:
        return []
    done = dict(
        Inspection.objects.filter(operation=operation)
        .values_list("plan_version__plan_id")
        .annotate(count=Count("id"))
    )
    good = OperationEvent.objects.filter(
        operation=operation, kind=OperationEvent.Kind.REPORT
    ).aggregate(total=Sum("qty_good"))["total"] or Decimal(0)
    missing = []
    for plan in plans:
        wanted = 1
        if plan.every_n_units:
            wanted = max(1, math.ceil(good / plan.every_n_units))
        if done.get(plan.pk, 0) < wanted:
            missing.append(plan.code)
    return missing


def list_inspections() -> QuerySet[Inspection]:
    return Inspection.objects.select_related(
        "plan_version__plan__item", "production_order", "operation", "lot", "inspected_by"
    ).prefetch_related("results__defect_code")


def get_characteristic(item: Item, code: str) -> Characteristic:
    """The characteristic ``code`` of ``item`` as its newest plan version defines it."""
    found = (
        Characteristic.objects.filter(plan_version__plan__item=item, code=code)
        .select_related("uom", "plan_version__plan")
        .order_by("-plan_version__is_active", "-plan_version__created_at", "-id")
        .first()
    )
    if found is None:
        raise NotFound(
            _("%(item)s has no characteristic %(code)s.") % {"item": item.code, "code": code}
        )
    return found


@dataclass(frozen=True)
class Point:
    result_id: int
    inspection_id: int
    inspected_at: datetime
    lot: str | None
    values: list[float]
    sample_size: int
    defectives: int | None
    defects: int | None


def get_series(
    item: Item,
    code: str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int | None = None,
) -> list[Point]:
    """The results of a characteristic in time order (the last ``limit`` of them)."""
    results = InspectionResult.objects.filter(item=item, characteristic_code=code)
    if start is not None:
        results = results.filter(inspected_at__gte=start)
    if end is not None:
        results = results.filter(inspected_at__lte=end)
    rows = results.order_by("-inspected_at", "-id").values_list(
        "id",
        "inspection_id",
        "inspected_at",
        "inspection__lot__code",
        "values",
        "sample_size",
        "defectives",
        "defects",
    )
    if limit is not None:
        rows = rows[:limit]
    points = [
        Point(rid, iid, at, lot, [float(v) for v in values or []], n, defectives, defects)
        for rid, iid, at, lot, values, n, defectives, defects in rows
    ]
    points.reverse()
    return points


def chart_data(characteristic: Characteristic, points: list[Point]) -> spc.ChartData:
    if characteristic.kind == Characteristic.Kind.MEASURE:
        return spc.ChartData(
            subgroups=[p.values for p in points], values=[p.values[0] for p in points]
        )
    counts = [
        (p.defects if characteristic.chart in ("c", "u") else p.defectives) or 0 for p in points
    ]
    return spc.ChartData(counts=counts, sample_sizes=[p.sample_size for p in points])


def frozen_limits(item: Item, code: str) -> ControlLimits | None:
    return ControlLimits.objects.filter(item=item, characteristic_code=code, is_active=True).first()


def _as_frozen(limits: ControlLimits | None) -> spc.FrozenLimits | None:
    if limits is None:
        return None
    return spc.FrozenLimits(
        chart=limits.chart,
        centre=limits.centre,
        lcl=limits.lcl,
        ucl=limits.ucl,
        spread_centre=limits.spread_centre,
        spread_lcl=limits.spread_lcl,
        spread_ucl=limits.spread_ucl,
        sigma=limits.sigma,
        points=limits.points,
    )


def new_rule_violations(result: InspectionResult, rule_set: str) -> list[int]:
    """The rules the chart breaks at ``result``'s own point (judged with the points before)."""
    characteristic = result.characteristic
    points = get_series(result.item, result.characteristic_code, limit=ALARM_WINDOW)
    if not points or points[-1].result_id != result.pk:
        points = [p for p in points if p.result_id != result.pk]
        values = [float(v) for v in result.values]
        points.append(
            Point(
                result.pk,
                result.inspection_id,
                result.inspected_at,
                None,
                values,
                result.sample_size,
                result.defectives,
                result.defects,
            )
        )
    frozen = _as_frozen(frozen_limits(result.item, result.characteristic_code))
    try:
        chart = spc.build_chart(
            characteristic.chart,
            chart_data(characteristic, points),
            frozen=frozen,
            rule_set=rule_set,
        )
    except spc.NotEnoughData:
        return []
    last = len(points) - 1
    return sorted({v.rule for v in chart.violations if v.index == last and v.chart == "primary"})


def get_spc(
    item: Item,
    code: str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = DEFAULT_POINTS,
) -> dict[str, Any]:
    """The control chart of a characteristic: points, limits, violations, capability.

    With fewer points than the chart needs, the points come with ``message`` and no
    limits (never an error). Frozen limits are used when there are any.
    """
    characteristic = get_characteristic(item, code)
    plan = characteristic.plan_version.plan
    points = get_series(item, code, start=start, end=end, limit=limit)
    frozen_row = frozen_limits(item, code)
    body: dict[str, Any] = {
        "item": item.code,
        "characteristic": code,
        "name": characteristic.name,
        "chart": characteristic.chart,
        "unit": characteristic.uom.code if characteristic.uom_id else None,
        "nominal": characteristic.nominal,
        "lsl": characteristic.lsl,
        "usl": characteristic.usl,
        "rule_set": plan.rule_set,
        "limits": None,
        "points": [],
        "violations": [],
        "capability": None,
        "message": "",
        "chart_object": None,
    }
    try:
        chart = spc.build_chart(
            characteristic.chart,
            chart_data(characteristic, points),
            frozen=_as_frozen(frozen_row),
            rule_set=plan.rule_set,
        )
    except spc.NotEnoughData as exc:
        body["message"] = not_enough_message(exc)
        body["points"] = [
            {
                "index": i,
                "inspection": p.inspection_id,
                "inspected_at": p.inspected_at,
                "lot": p.lot,
                "value": None,
                "spread": None,
                "lcl": None,
                "ucl": None,
                "violations": [],
            }
            for i, p in enumerate(points)
        ]
        return body
    body["chart_object"] = chart
    by_point: dict[int, list[int]] = {}
    for violation in chart.violations:
        if violation.chart == "primary":
            by_point.setdefault(violation.index, []).append(violation.rule)
    secondary = chart.secondary.values if chart.secondary else [None] * len(points)
    body["points"] = [
        {
            "index": i,
            "inspection": p.inspection_id,
            "inspected_at": p.inspected_at,
            "lot": p.lot,
            "value": chart.primary.values[i],
            "spread": secondary[i],
            "lcl": chart.primary.lcl[i],
            "ucl": chart.primary.ucl[i],
            "violations": by_point.get(i, []),
        }
        for i, p in enumerate(points)
    ]
    body["violations"] = [
        {
            "index": v.index,
            "rule": v.rule,
            "chart": v.chart,
            "description": rule_name(plan.rule_set, v.rule),
        }
        for v in chart.violations
    ]
    limits = chart.limits
    body["limits"] = {
        "centre": limits.centre,
        "lcl": limits.lcl,
        "ucl": limits.ucl,
        "spread_centre": limits.spread_centre,
        "spread_lcl": limits.spread_lcl,
        "spread_ucl": limits.spread_ucl,
        "sigma": limits.sigma,
        "frozen": frozen_row is not None,
        "baseline_from": frozen_row.baseline_from if frozen_row else None,
        "baseline_to": frozen_row.baseline_to if frozen_row else None,
    }
    if characteristic.kind == Characteristic.Kind.MEASURE:
        values = [v for p in points for v in p.values]
        try:
            result = spc.capability(
                values,
                lsl=None if characteristic.lsl is None else float(characteristic.lsl),
                usl=None if characteristic.usl is None else float(characteristic.usl),
                sigma_within=limits.sigma,
            )
            body["capability"] = {
                "n": result.n,
                "mean": result.mean,
                "sigma_within": result.sigma_within,
                "sigma_overall": result.sigma_overall,
                "cp": result.cp,
                "cpk": result.cpk,
                "pp": result.pp,
                "ppk": result.ppk,
            }
        except spc.NotEnoughData as exc:
            body["message"] = not_enough_message(exc)
    return body


def chart_svg(body: dict[str, Any]) -> str:
    """The SVG picture of a ``get_spc`` result, in the active language."""
    chart = body["chart_object"]
    title = f"{body['item']} · {body['characteristic']} ({body['name']})"
    texts = {
        "centre": _("CL"),
        "no_data": body["message"] or _("No data yet"),
        "lsl": _("LSL"),
        "usl": _("USL"),
    }
    if chart is None:
        empty = spc.ChartLine("-", [], 0.0, [], [])
        limits = spc.FrozenLimits(chart=body["chart"], centre=0.0, lcl=None, ucl=None)
        chart = spc.Chart(body["chart"], empty, None, [], limits)
    labels = [
        point["inspected_at"].strftime("%m-%d %H:%M") if point["inspected_at"] else ""
        for point in body["points"]
    ]
    return spc.control_chart_svg(
        chart,
        title=title,
        labels=labels,
        lsl=None if body["lsl"] is None else float(body["lsl"]),
        usl=None if body["usl"] is None else float(body["usl"]),
        texts=texts,
        rule_names={rule: str(name) for rule, name in RULE_NAMES.get(body["rule_set"], {}).items()},
    )
