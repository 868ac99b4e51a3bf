"""Inspection plans (versioned), recording inspections, verdicts, alarms and automatic holds."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from inventory.models import Item
from inventory.tests.factories import ItemFactory, LotFactory
from mes.errors import AlreadyExists, InspectionRequired, InvalidInput
from mes.models import AuditEntry
from production.execution import services as execution
from production.tests.execution_factories import operations_of, released_order
from quality.holds.selectors import is_on_hold
from quality.inspections import selectors, services
from quality.models import (
    Characteristic,
    ControlLimits,
    Inspection,
    InspectionPlanVersion,
    InspectionResult,
    QualityAlarm,
)

from .factories import diameter, inspect, make_plan, subgroup, visual

pytestmark = pytest.mark.django_db


def _counts():
    return (
        Inspection.objects.count(),
        InspectionResult.objects.count(),
        QualityAlarm.objects.count(),
        InspectionPlanVersion.objects.count(),
    )


# --- plans ---------------------------------------------------------------------


def test_same_characteristics_make_no_new_version_changed_ones_do():
    plan = make_plan(code="IP-1")
    item = plan.item
    first = plan.active_version
    services.upsert_inspection_plan(
        actor=None, code="IP-1", item=item, name="Plan", kind="in_process",
        characteristics=[diameter()],
    )  # fmt: skip
    assert plan.versions.count() == 1
    services.upsert_inspection_plan(
        actor=None, code="IP-1", item=item, name="Plan", kind="in_process",
        characteristics=[diameter(usl=Decimal("10.250")), visual()],
    )  # fmt: skip
    versions = list(plan.versions.order_by("version"))
    assert [v.version for v in versions] == [1, 2]
    assert [v.is_active for v in versions] == [False, True]
    assert versions[0].pk == first.pk and versions[0].characteristics.count() == 1
    assert [c.code for c in versions[1].characteristics.all()] == ["DIA", "VISUAL"]
    assert versions[1].characteristics.get(code="VISUAL").chart == Characteristic.Chart.P
    assert versions[1].characteristics.get(code="DIA").chart == Characteristic.Chart.XBAR_R


@pytest.mark.parametrize(
    ("row", "field"),
    [
        (diameter(lsl=Decimal("10.5")), "characteristics.0.lsl"),
        (diameter(lsl=None, usl=None), "characteristics.0.lsl"),
        (diameter(sample_size=30), "characteristics.0.sample_size"),
        (diameter(chart="p"), "characteristics.0.chart"),
        (visual(lsl=Decimal("1")), "characteristics.0.lsl"),
        (diameter(uom="FURLONG"), "characteristics.0.uom"),
        (diameter(nominal="abc"), "characteristics.0.nominal"),
    ],
)
def test_bad_characteristics_are_refused_and_nothing_is_written(row, field):
    item = ItemFactory()
    before = _counts()
    with pytest.raises(InvalidInput) as raised:
        make_plan(item=item, characteristics=[row])
    assert field in raised.value.errors
    assert _counts() == before


def test_create_refuses_an_existing_code():
    make_plan(code="IP-DUP")
    with pytest.raises(AlreadyExists):
        services.create_inspection_plan(
            actor=None, code="IP-DUP", item=ItemFactory(), name="x", kind="final",
            characteristics=[visual()],
        )  # fmt: skip


# --- inspections ---------------------------------------------------------------


def test_a_passing_and_a_failing_inspection():
    plan = make_plan(characteristics=[diameter(), visual()])
    passed = services.record_inspection(
        actor=None, plan=plan,
        results=[{"characteristic": "DIA", "values": subgroup()},
                 {"characteristic": "VISUAL", "ok": True}],
    )  # fmt: skip
    assert passed.verdict == "pass"
    failed = services.record_inspection(
        actor=None, plan=plan,
        results=[{"characteristic": "DIA", "values": subgroup("10.250", "0.030")},
                 {"characteristic": "VISUAL", "ok": True}],
    )  # fmt: skip
    assert failed.verdict == "fail"
    result = failed.results.get(characteristic_code="DIA")
    assert not result.in_spec and result.values[-1] == "10.31"
    assert QualityAlarm.objects.filter(result=result, kind="spec").count() == 1
    attribute = services.record_inspection(
        actor=None, plan=plan,
        results=[{"characteristic": "DIA", "values": subgroup()},
                 {"characteristic": "VISUAL", "ok": False}],
    )  # fmt: skip
    assert attribute.verdict == "fail"
    assert AuditEntry.objects.filter(model="quality.inspection").count() == 3


@pytest.mark.parametrize(
    ("results", "field"),
    [
        ([{"characteristic": "DIA", "values": ["10", "10", "10"]}], "results.0.values"),
        ([{"characteristic": "DIA", "values": subgroup(), "uom": "IN"}], "results.0.uom"),
        (
            [{"characteristic": "DIA", "values": ["10", "x", "10", "10", "10"]}],
            "results.0.values.1",
        ),
        ([{"characteristic": "DIA", "values": [True, 1, 1, 1, 1]}], "results.0.values.0"),
        ([{"characteristic": "DIA", "values": ["NaN", 1, 1, 1, 1]}], "results.0.values.0"),
        ([{"characteristic": "DIA", "value": "10"}], "results.0.values"),
        ([{"characteristic": "DIA", "ok": True}], "results.0.values"),
        ([{"characteristic": "LENGTH", "values": subgroup()}], "results.0.characteristic"),
        ([], "results"),
        (
            [
                {"characteristic": "DIA", "values": subgroup()},
                {"characteristic": "DIA", "values": subgroup()},
            ],
            "results.1.characteristic",
        ),
    ],
)
def test_bad_results_are_refused_and_nothing_is_written(results, field):
    plan = make_plan()
    before = _counts()
    with pytest.raises(InvalidInput) as raised:
        services.record_inspection(actor=None, plan=plan, results=results)
    assert field in raised.value.errors, raised.value.errors
    assert _counts() == before


def test_a_client_reference_records_once():
    plan = make_plan()
    first = inspect(plan, client_ref="tablet-1:42")
    again = inspect(plan, subgroup("10.2"), client_ref="tablet-1:42")
    assert first.pk == again.pk
    assert Inspection.objects.count() == 1


def test_a_spec_violation_holds_the_lot_when_the_plan_says_so():
    plan = make_plan(hold_on_spec_violation=True)
    lot = LotFactory(item=plan.item)
    inspect(plan, subgroup("10.000"), lot=lot)
    assert not is_on_hold(lot.pk)
    failed = inspect(plan, subgroup("10.300", "0.020"), lot=lot)
    assert failed.verdict == "fail"
    assert is_on_hold(lot.pk)
    assert lot.holds.get().inspection == failed
    other = make_plan(item=ItemFactory(tracking=Item.Tracking.LOT))
    other_lot = LotFactory(item=other.item)
    inspect(other, subgroup("10.300", "0.020"), lot=other_lot)
    assert not is_on_hold(other_lot.pk)


def test_a_shift_raises_rule_alarms_once_per_point():
    plan = make_plan()
    for _ in range(20):
        inspect(plan, subgroup("10.000", "0.010"))
    assert not QualityAlarm.objects.filter(kind="rule").exists()
    shifted = inspect(plan, subgroup("10.100", "0.010"))
    alarm = QualityAlarm.objects.get(kind="rule")
    assert alarm.rule == 1 and alarm.result.inspection == shifted
    assert "DIA" in alarm.message
    services.acknowledge_alarm(alarm, actor=None)
    alarm.refresh_from_db()
    assert alarm.status == "acknowledged"


# --- the completion gate ---------------------------------------------------------


def test_an_operation_cannot_complete_before_its_required_inspections():
    order = released_order(qty="250")
    first, _second = operations_of(order)
    make_plan(
        item=order.item, operation_seq=first.seq, every_n_units=100, required_to_complete=True
    )
    execution.start_operation(first, actor=None)
    execution.report_operation(first, actor=None, qty_good="250")
    with pytest.raises(InspectionRequired):
        execution.complete_operation(first, actor=None)
    plan = selectors.plans_for_operation(order.item, first.seq)[0]
    for _ in range(2):
        inspect(plan, production_order=order, operation=first)
    assert selectors.missing_inspections(first) == [plan.code]  # 250 units want 3
    with pytest.raises(InspectionRequired):
        execution.complete_operation(first, actor=None)
    first.refresh_from_db()
    assert first.status == "running"
    inspect(plan, production_order=order, operation=first)
    execution.complete_operation(first, actor=None)
    first.refresh_from_db()
    assert first.status == "completed"


def test_plans_that_are_not_required_do_not_block():
    order = released_order()
    first, _second = operations_of(order)
    make_plan(item=order.item, operation_seq=first.seq)
    execution.start_operation(first, actor=None)
    execution.report_operation(first, actor=None, qty_good="10")
    execution.complete_operation(first, actor=None)


# --- SPC reads and frozen limits --------------------------------------------------


def test_spc_with_too_few_points_explains_itself():
    plan = make_plan()
    inspect(plan)
    body = selectors.get_spc(plan.item, "DIA")
    assert body["limits"] is None
    assert "at least 2" in body["message"]
    assert len(body["points"]) == 1


def test_frozen_limits_judge_later_points():
    plan = make_plan()
    start = timezone.now() - timedelta(hours=2)
    for i in range(10):
        inspect(plan, subgroup("10.000", "0.010"), inspected_at=start + timedelta(minutes=i))
    frozen = services.freeze_control_limits(
        actor=None, item=plan.item, characteristic_code="DIA",
        start=start, end=start + timedelta(minutes=30),
    )  # fmt: skip
    assert frozen.points == 10 and frozen.is_active
    for _ in range(10):
        inspect(plan, subgroup("10.050", "0.010"))
    body = selectors.get_spc(plan.item, "DIA")
    assert body["limits"]["frozen"] is True
    assert body["limits"]["centre"] == pytest.approx(10.0)
    assert {v["rule"] for v in body["violations"]} >= {1}
    services.unfreeze_control_limits(actor=None, item=plan.item, characteristic_code="DIA")
    assert not ControlLimits.objects.filter(is_active=True).exists()
    assert selectors.get_spc(plan.item, "DIA")["limits"]["frozen"] is False


def test_freezing_an_empty_baseline_is_refused():
    plan = make_plan()
    now = timezone.now()
    with pytest.raises(InvalidInput):
        services.freeze_control_limits(
            actor=None, item=plan.item, characteristic_code="DIA", start=now, end=now
        )
    assert not ControlLimits.objects.exists()
