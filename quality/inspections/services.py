"""Inspection plans (versioned), inspections with computed verdicts, alarms, frozen limits.

A plan's header (kind, frequency, settings) is changed in place and audited; its
characteristics are versioned like BOMs: the same list again writes nothing, a
changed list makes the next version active and keeps the earlier ones.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.models import Item, Lot, UnitOfMeasure
from mes import audit
from mes.errors import AlreadyExists, InvalidInput, NotFound
from mes.services import validate_record
from production.models import Operation, ProductionOrder, ReasonCode

from .. import spc
from ..holds.services import place_hold
from ..models import (
    Characteristic,
    ControlLimits,
    Inspection,
    InspectionPlan,
    InspectionPlanVersion,
    InspectionResult,
    LotHold,
    QualityAlarm,
)
from . import selectors

PLAN_FIELDS = (
    "name",
    "item",
    "operation_seq",
    "kind",
    "every_n_units",
    "required_to_complete",
    "hold_on_spec_violation",
    "rule_set",
    "is_active",
)
CHARACTERISTIC_FIELDS = ("code", "name", "kind", "nominal", "lsl", "usl", "uom", "sample_size")


# --- plans ---------------------------------------------------------------------


def default_chart(kind: str, sample_size: int) -> str:
    """The chart a characteristic gets unless one is named."""
    if kind == Characteristic.Kind.ATTRIBUTE:
        return Characteristic.Chart.P
    if sample_size == 1:
        return Characteristic.Chart.I_MR
    return Characteristic.Chart.XBAR_R if sample_size <= 10 else Characteristic.Chart.XBAR_S


def _decimal_or_none(value: Any, field: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InvalidInput(_("Enter a number."), field=field) from None
    if not number.is_finite():
        raise InvalidInput(_("Enter a number."), field=field)
    return number


def _characteristics(item: Item, rows: Sequence[Mapping[str, Any]]) -> list[Characteristic]:
    built, seen = [], set()
    for index, row in enumerate(rows):
        prefix = f"characteristics.{index}"
        code = row.get("code") or ""
        if code in seen:
            raise InvalidInput(
                _("Characteristic %(code)s is listed twice.") % {"code": code},
                field=f"{prefix}.code",
            )
        seen.add(code)
        kind = row.get("kind") or Characteristic.Kind.MEASURE
        sample_size = row.get("sample_size") or 1
        uom = row.get("uom")
        if isinstance(uom, str):
            uom = UnitOfMeasure.objects.filter(code=uom).first() or _unknown_unit(uom, prefix)
        characteristic = Characteristic(
            position=index + 1,
            code=code,
            name=row.get("name") or code,
            kind=kind,
            nominal=_decimal_or_none(row.get("nominal"), f"{prefix}.nominal"),
            lsl=_decimal_or_none(row.get("lsl"), f"{prefix}.lsl"),
            usl=_decimal_or_none(row.get("usl"), f"{prefix}.usl"),
            uom=uom,
            sample_size=sample_size,
            chart=row.get("chart") or default_chart(kind, sample_size),
        )
        _check_characteristic(characteristic, prefix)
        built.append(characteristic)
    return built


def _unknown_unit(code: str, prefix: str):
    raise InvalidInput(_("Unknown unit %(code)s.") % {"code": code}, field=f"{prefix}.uom")


def _check_characteristic(characteristic: Characteristic, prefix: str) -> None:
    if characteristic.kind not in Characteristic.Kind.values:
        raise InvalidInput(_("Use measure or attribute."), field=f"{prefix}.kind")
    if characteristic.sample_size < 1:
        raise InvalidInput(_("The sample size must be at least 1."), field=f"{prefix}.sample_size")
    measured = characteristic.kind == Characteristic.Kind.MEASURE
    charts = spc.MEASURED_CHARTS if measured else ("p", "np", "c", "u")
    if characteristic.chart not in charts:
        raise InvalidInput(
            _("A %(kind)s characteristic cannot use this chart.")
            % {"kind": characteristic.get_kind_display()},
            field=f"{prefix}.chart",
        )
    if measured:
        if characteristic.lsl is None and characteristic.usl is None:
            raise InvalidInput(
                _("A measured characteristic needs a lower or an upper specification limit."),
                field=f"{prefix}.lsl",
            )
        if (
            characteristic.chart in ("xbar_r", "xbar_s")
            and not 2 <= characteristic.sample_size <= 25
        ):
            raise InvalidInput(
                _("X̄ charts need subgroups of 2 to 25 values."), field=f"{prefix}.sample_size"
            )
        if characteristic.chart == "i_mr" and characteristic.sample_size != 1:
            raise InvalidInput(
                _("An I-MR chart takes one value per inspection."), field=f"{prefix}.sample_size"
            )
    elif any(v is not None for v in (characteristic.lsl, characteristic.usl)):
        raise InvalidInput(
            _("An attribute characteristic has no specification limits."), field=f"{prefix}.lsl"
        )
    if (
        characteristic.lsl is not None
        and characteristic.usl is not None
        and characteristic.lsl >= characteristic.usl
    ):
        raise InvalidInput(
            _("The lower specification limit must be below the upper one."), field=f"{prefix}.lsl"
        )


def _shape(characteristics) -> list[dict[str, Any]]:
    """Comparable content of a characteristic list (what makes a new version)."""
    return [
        {
            "code": c.code,
            "name": c.name,
            "kind": c.kind,
            "nominal": None if c.nominal is None else audit.plain_decimal(c.nominal),
            "lsl": None if c.lsl is None else audit.plain_decimal(c.lsl),
            "usl": None if c.usl is None else audit.plain_decimal(c.usl),
            "uom": c.uom.code if c.uom_id else None,
            "sample_size": c.sample_size,
            "chart": c.chart,
        }
        for c in characteristics
    ]


def _plan_values(values: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(PLAN_FIELDS)
    if unknown:
        raise InvalidInput(_("Unknown field."), field=sorted(unknown)[0])
    return dict(values)


def upsert_inspection_plan(
    *, actor, code: str, characteristics: Sequence[Mapping[str, Any]], **values: Any
) -> tuple[InspectionPlan, bool]:
    """Create the plan ``code`` or replace its settings and characteristics.

    A new plan may start without characteristics (the admin lists them on a second
    page); it takes no inspections until it has some, and once it has, it keeps some.

    ``values``: name, item, operation_seq, kind, every_n_units, required_to_complete,
    hold_on_spec_violation, rule_set, is_active. Returns (plan, created).
    """
    values = _plan_values(values)
    item = values.get("item")
    if item is None:
        raise InvalidInput(_("Name the item."), field="item")
    new_characteristics = _characteristics(item, characteristics)
    with transaction.atomic():
        plan = InspectionPlan.objects.select_for_update().filter(code=code).first()
        created = plan is None
        if created:
            plan = InspectionPlan(code=code, **values)
            _check_plan(plan)
            try:
                with transaction.atomic():
                    plan.save()
            except IntegrityError:
                raise AlreadyExists() from None
            audit.record_create(actor, plan)
        else:
            before = audit.snapshot(plan)
            for name, value in values.items():
                setattr(plan, name, value)
            _check_plan(plan)
            plan.save()
            audit.record_update(actor, plan, before)
        if new_characteristics:
            _replace_characteristics(plan, new_characteristics, actor=actor)
        elif plan.versions.filter(is_active=True).exists():
            raise InvalidInput(
                _("A plan needs at least one characteristic."), field="characteristics"
            )
        return plan, created


def create_inspection_plan(*, actor, code: str, **values: Any) -> InspectionPlan:
    if InspectionPlan.objects.filter(code=code).exists():
        raise AlreadyExists()
    plan, created = upsert_inspection_plan(actor=actor, code=code, **values)
    if not created:
        raise AlreadyExists()
    return plan


def _check_plan(plan: InspectionPlan) -> None:
    if plan.every_n_units and plan.kind != InspectionPlan.Kind.IN_PROCESS:
        raise InvalidInput(
            _("Only in-process inspections are repeated every N units."), field="every_n_units"
        )
    validate_record(plan, validate_unique=False)


def _replace_characteristics(
    plan: InspectionPlan, characteristics: list[Characteristic], *, actor
) -> InspectionPlanVersion:
    active = plan.versions.filter(is_active=True).first()
    if active is not None:
        current = list(active.characteristics.select_related("uom"))
        if _shape(current) == _shape(characteristics):
            return active
        before = audit.snapshot(active)
        active.is_active = False
        active.save(update_fields=["is_active"])
        audit.record_update(actor, active, before)
    last = plan.versions.aggregate(last=Max("version"))["last"] or 0
    version = InspectionPlanVersion.objects.create(
        plan=plan,
        version=last + 1,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    for characteristic in characteristics:
        characteristic.plan_version = version
    Characteristic.objects.bulk_create(characteristics)
    audit.record_create(actor, version, extra={"characteristics": _shape(characteristics)})
    return version


def update_inspection_plan(plan: InspectionPlan, *, actor, **values: Any) -> InspectionPlan:
    """Change some of a plan's settings (and, given, its characteristics)."""
    characteristics = values.pop("characteristics", None)
    if characteristics is None:
        version = plan.versions.filter(is_active=True).first()
        characteristics = _shape(version.characteristics.select_related("uom")) if version else []
    merged = {name: getattr(plan, name) for name in PLAN_FIELDS} | values
    return upsert_inspection_plan(
        actor=actor, code=plan.code, characteristics=characteristics, **merged
    )[0]


# --- inspections -----------------------------------------------------------------


def _number(value: Any, field: str) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise InvalidInput(_("Enter a number."), field=field)
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise InvalidInput(_("Enter a number."), field=field) from None
    if not number.is_finite() or abs(number) >= Decimal("1e12"):
        raise InvalidInput(_("Enter a number."), field=field)
    return number


def _count(value: Any, field: str, *, at_most: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidInput(_("Enter a whole number."), field=field)
    try:
        count = int(value)
    except ValueError:
        raise InvalidInput(_("Enter a whole number."), field=field) from None
    if count < 0 or (at_most is not None and count > at_most):
        raise InvalidInput(
            _("Enter a whole number from 0 to %(max)s.") % {"max": at_most}, field=field
        )
    return count


def _result(characteristic: Characteristic, row: Mapping[str, Any], prefix: str) -> dict:
    """One result's stored fields, checked against its characteristic."""
    unit = row.get("uom")
    if unit and (characteristic.uom is None or unit != characteristic.uom.code):
        raise InvalidInput(
            _("%(code)s is measured in %(unit)s.")
            % {
                "code": characteristic.code,
                "unit": characteristic.uom.code if characteristic.uom else "-",
            },
            field=f"{prefix}.uom",
        )
    n = characteristic.sample_size
    if characteristic.kind == Characteristic.Kind.MEASURE:
        if "values" in row:
            raw = row["values"]
            if not isinstance(raw, list | tuple):
                raise InvalidInput(_("Give a list of values."), field=f"{prefix}.values")
        elif "value" in row:
            raw = [row["value"]]
        else:
            raise InvalidInput(_("Give the measured value(s)."), field=f"{prefix}.values")
        if len(raw) != n:
            raise InvalidInput(
                _("%(code)s takes a subgroup of %(n)s values; %(got)s given.")
                % {"code": characteristic.code, "n": n, "got": len(raw)},
                field=f"{prefix}.values",
            )
        values = [_number(v, f"{prefix}.values.{i}") for i, v in enumerate(raw)]
        in_spec = all(
            (characteristic.lsl is None or v >= characteristic.lsl)
            and (characteristic.usl is None or v <= characteristic.usl)
            for v in values
        )
        return {
            "values": [audit.plain_decimal(v) for v in values],
            "sample_size": n,
            "in_spec": in_spec,
        }
    if "value" in row or "values" in row:
        raise InvalidInput(
            _("%(code)s is an attribute: give ok, defectives or defects.")
            % {"code": characteristic.code},
            field=f"{prefix}.value",
        )
    sample_size = _count(row.get("sample_size", n), f"{prefix}.sample_size") or n
    defectives = defects = None
    if "ok" in row:
        if not isinstance(row["ok"], bool):
            raise InvalidInput(_("Use true or false."), field=f"{prefix}.ok")
        defectives = 0 if row["ok"] else 1
        sample_size = max(sample_size, 1) if n == 1 else sample_size
    if "defectives" in row:
        defectives = _count(row["defectives"], f"{prefix}.defectives", at_most=sample_size)
    if "defects" in row:
        defects = _count(row["defects"], f"{prefix}.defects")
    if defectives is None and defects is None:
        raise InvalidInput(_("Give ok, defectives or defects."), field=f"{prefix}.ok")
    code = row.get("defect_code")
    reason = None
    if code:
        reason = ReasonCode.objects.filter(code=code, kind=ReasonCode.Kind.SCRAP).first()
        if reason is None:
            raise InvalidInput(
                _("Unknown defect code %(code)s.") % {"code": code}, field=f"{prefix}.defect_code"
            )
    return {
        "values": [],
        "sample_size": sample_size,
        "defectives": defectives,
        "defects": defects,
        "defect_code": reason,
        "in_spec": not (defectives or defects),
    }


def _resolve_plan(
    plan: InspectionPlan | None, order: ProductionOrder | None, operation: Operation | None
) -> InspectionPlan:
    if plan is not None:
        if order is not None and plan.item_id != order.item_id:
            raise InvalidInput(
                _("Plan %(plan)s is not for the order's item.") % {"plan": plan.code},
                field="plan",
            )
        return plan
    if order is None:
        raise InvalidInput(_("Name the plan or the production order."), field="plan")
    found = selectors.plans_for_operation(order.item, operation.seq if operation else None)
    if len(found) != 1:
        raise InvalidInput(
            _("Name the plan: %(count)s active plans fit this operation.") % {"count": len(found)},
            field="plan",
        )
    return found[0]


def record_inspection(
    *,
    actor,
    results: Sequence[Mapping[str, Any]],
    plan: InspectionPlan | None = None,
    production_order: ProductionOrder | None = None,
    operation: Operation | None = None,
    lot: Lot | None = None,
    inspected_at: datetime | None = None,
    notes: str = "",
    client_ref: str | None = None,
) -> Inspection:
    """Record an inspection against the plan's active version; the verdict is computed.

    ``results``: one per characteristic of the plan — ``{characteristic, value}`` or
    ``{characteristic, values: [...]}`` (exactly sample_size values) for measured
    ones, ``{characteristic, ok}`` or ``defectives``/``defects`` (+ ``sample_size``,
    ``defect_code``) for attributes; ``uom``, if given, must be the characteristic's.
    A result outside the specification fails the inspection, raises an alarm and —
    when the plan says so — holds the lot. A ``client_ref`` already recorded returns
    that inspection unchanged. New control-chart rule violations raise alarms.
    """
    if client_ref:
        existing = Inspection.objects.filter(client_ref=client_ref).first()
        if existing is not None:
            return existing
    plan = _resolve_plan(plan, production_order, operation)
    version = plan.versions.filter(is_active=True).first()
    if version is None:
        raise InvalidInput(_("The plan has no characteristics."), field="plan")
    characteristics = {c.code: c for c in version.characteristics.select_related("uom")}
    rows: dict[str, dict] = {}
    for index, row in enumerate(results):
        code = row.get("characteristic")
        if code not in characteristics:
            raise InvalidInput(
                _("%(code)s is not a characteristic of plan %(plan)s.")
                % {"code": code, "plan": plan.code},
                field=f"results.{index}.characteristic",
            )
        if code in rows:
            raise InvalidInput(
                _("%(code)s is given twice.") % {"code": code},
                field=f"results.{index}.characteristic",
            )
        rows[code] = _result(characteristics[code], row, f"results.{index}")
    missing = [code for code in characteristics if code not in rows]
    if missing:
        raise InvalidInput(
            _("Results are missing for: %(codes)s.") % {"codes": ", ".join(missing)},
            field="results",
        )
    if lot is not None and lot.item_id != plan.item_id:
        raise InvalidInput(_("The lot is not a lot of the plan's item."), field="lot")
    if lot is None and production_order is not None:
        lot = Lot.objects.filter(item=production_order.item, code=production_order.code).first()
    when = inspected_at or timezone.now()
    verdict = (
        Inspection.Verdict.PASS
        if all(row["in_spec"] for row in rows.values())
        else Inspection.Verdict.FAIL
    )
    with transaction.atomic():
        inspection = Inspection(
            plan_version=version,
            production_order=production_order,
            operation=operation,
            lot=lot,
            verdict=verdict,
            inspected_at=when,
            inspected_by=actor if getattr(actor, "pk", None) else None,
            notes=notes or "",
            client_ref=client_ref or None,
        )
        try:
            with transaction.atomic():
                inspection.save()
        except IntegrityError:
            return Inspection.objects.get(client_ref=client_ref)
        stored = InspectionResult.objects.bulk_create(
            [
                InspectionResult(
                    inspection=inspection,
                    characteristic=characteristics[code],
                    item_id=plan.item_id,
                    characteristic_code=code,
                    inspected_at=when,
                    **row,
                )
                for code, row in rows.items()
            ]
        )
        audit.record_create(actor, inspection, extra={"results": _results_log(stored)})
        _raise_alarms(inspection, stored, plan, actor=actor)
        return inspection


def _results_log(results: Sequence[InspectionResult]) -> list[dict]:
    return [
        {
            "characteristic": r.characteristic_code,
            "values": r.values,
            "defectives": r.defectives,
            "defects": r.defects,
            "in_spec": r.in_spec,
        }
        for r in results
    ]


def _raise_alarms(
    inspection: Inspection, results: Sequence[InspectionResult], plan: InspectionPlan, *, actor
) -> None:
    new_alarms = []
    for result in results:
        if not result.in_spec:
            new_alarms.append(
                QualityAlarm(
                    kind=QualityAlarm.Kind.SPEC,
                    rule=0,
                    result=result,
                    item_id=result.item_id,
                    characteristic_code=result.characteristic_code,
                    message=_("%(code)s outside its specification limits (inspection %(id)s).")
                    % {"code": result.characteristic_code, "id": inspection.pk},
                )
            )
        for rule in selectors.new_rule_violations(result, plan.rule_set):
            new_alarms.append(
                QualityAlarm(
                    kind=QualityAlarm.Kind.RULE,
                    rule=rule,
                    result=result,
                    item_id=result.item_id,
                    characteristic_code=result.characteristic_code,
                    message=_("%(code)s: %(rule)s (inspection %(id)s).")
                    % {
                        "code": result.characteristic_code,
                        "rule": selectors.rule_name(plan.rule_set, rule),
                        "id": inspection.pk,
                    },
                )
            )
    QualityAlarm.objects.bulk_create(new_alarms, ignore_conflicts=True)
    out_of_spec = [r.characteristic_code for r in results if not r.in_spec]
    if out_of_spec and plan.hold_on_spec_violation and inspection.lot_id:
        place_hold(
            inspection.lot,
            actor=actor,
            reason=_("Out of specification in inspection %(id)s: %(codes)s.")
            % {"id": inspection.pk, "codes": ", ".join(out_of_spec)},
            source=LotHold.Source.INSPECTION,
            inspection=inspection,
        )


def acknowledge_alarm(alarm: QualityAlarm, *, actor) -> QualityAlarm:
    """open → acknowledged (again: no change)."""
    with transaction.atomic():
        alarm = QualityAlarm.objects.select_for_update().get(pk=alarm.pk)
        if alarm.status == QualityAlarm.Status.ACKNOWLEDGED:
            return alarm
        before = audit.snapshot(alarm)
        alarm.status = QualityAlarm.Status.ACKNOWLEDGED
        alarm.acknowledged_at = timezone.now()
        alarm.acknowledged_by = actor if getattr(actor, "pk", None) else None
        alarm.save(update_fields=["status", "acknowledged_at", "acknowledged_by"])
        audit.record_update(actor, alarm, before)
        return alarm


# --- frozen control limits -------------------------------------------------------


def freeze_control_limits(
    *, actor, item: Item, characteristic_code: str, start: datetime, end: datetime
) -> ControlLimits:
    """Compute limits from the results between ``start`` and ``end`` and use them from now
    on (replacing the limits frozen before). Too few points: InvalidInput explaining why."""
    if start > end:
        raise InvalidInput(_("The baseline must start before it ends."), field="from")
    characteristic = selectors.get_characteristic(item, characteristic_code)
    series = selectors.get_series(item, characteristic_code, start=start, end=end)
    try:
        limits = spc.compute_limits(
            characteristic.chart, selectors.chart_data(characteristic, series)
        )
    except spc.NotEnoughData as exc:
        raise InvalidInput(selectors.not_enough_message(exc), field="from") from None
    with transaction.atomic():
        for old in ControlLimits.objects.select_for_update().filter(
            item=item, characteristic_code=characteristic_code, is_active=True
        ):
            before = audit.snapshot(old)
            old.is_active = False
            old.save(update_fields=["is_active"])
            audit.record_update(actor, old, before)
        frozen = ControlLimits.objects.create(
            item=item,
            characteristic_code=characteristic_code,
            chart=characteristic.chart,
            centre=limits.centre,
            lcl=_finite(limits.lcl),
            ucl=_finite(limits.ucl),
            spread_centre=_finite(limits.spread_centre),
            spread_lcl=_finite(limits.spread_lcl),
            spread_ucl=_finite(limits.spread_ucl),
            sigma=_finite(limits.sigma),
            baseline_from=start,
            baseline_to=end,
            points=limits.points,
            frozen_by=actor if getattr(actor, "pk", None) else None,
        )
        audit.record_create(actor, frozen)
        return frozen


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def unfreeze_control_limits(*, actor, item: Item, characteristic_code: str) -> int:
    """Go back to limits computed from the data; the frozen ones are kept, inactive."""
    with transaction.atomic():
        released = 0
        for old in ControlLimits.objects.select_for_update().filter(
            item=item, characteristic_code=characteristic_code, is_active=True
        ):
            before = audit.snapshot(old)
            old.is_active = False
            old.save(update_fields=["is_active"])
            audit.record_update(actor, old, before)
            released += 1
        return released


def get_plan(code: str) -> InspectionPlan:
    plan = InspectionPlan.objects.filter(code=code).first()
    if plan is None:
        raise NotFound(_("Inspection plan %(code)s does not exist.") % {"code": code})
    return plan
