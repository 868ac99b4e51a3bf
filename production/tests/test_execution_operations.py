"""Operation commands: the state machine, machines, labour, report bounds and bad input."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from mes.errors import InvalidInput, InvalidTransition, MachineBusy, QuantityExceeded
from production.execution import services
from production.models import LabourRecord, Operation, OperationEvent, ProductionOrder

from .execution_factories import (
    MachineFactory,
    ReasonCodeFactory,
    operations_of,
    pause_reason,
    released_order,
    scrap_reason,
)

pytestmark = pytest.mark.django_db

S = Operation.Status


def put_operation_in(status: str) -> Operation:
    order = released_order(steps=1)
    [operation] = operations_of(order)
    if status == S.CANCELLED:
        services.cancel_production_order(order, actor=None)
    elif status != S.PENDING:
        services.start_operation(operation, actor=None)
        if status == S.PAUSED:
            services.pause_operation(operation, actor=None, reason=pause_reason())
        elif status == S.COMPLETED:
            services.complete_operation(operation, actor=None)
    operation.refresh_from_db()
    assert operation.status == status
    return operation


COMMANDS = {
    "start": lambda op: services.start_operation(op, actor=None),
    "pause": lambda op: services.pause_operation(op, actor=None, reason=pause_reason()),
    "resume": lambda op: services.resume_operation(op, actor=None),
    "complete": lambda op: services.complete_operation(op, actor=None),
}
# (status, command) → the status it leads to; "same" = a repeat, a no-op; None = refused (409).
TABLE = {
    (S.PENDING, "start"): S.RUNNING,
    (S.PENDING, "pause"): None,
    (S.PENDING, "resume"): None,
    (S.PENDING, "complete"): None,
    (S.RUNNING, "start"): "same",
    (S.RUNNING, "pause"): S.PAUSED,
    (S.RUNNING, "resume"): "same",
    (S.RUNNING, "complete"): S.COMPLETED,
    (S.PAUSED, "start"): None,
    (S.PAUSED, "pause"): "same",
    (S.PAUSED, "resume"): S.RUNNING,
    (S.PAUSED, "complete"): S.COMPLETED,
    (S.COMPLETED, "start"): None,
    (S.COMPLETED, "pause"): None,
    (S.COMPLETED, "resume"): None,
    (S.COMPLETED, "complete"): "same",
    (S.CANCELLED, "start"): None,
    (S.CANCELLED, "pause"): None,
    (S.CANCELLED, "resume"): None,
    (S.CANCELLED, "complete"): None,
}


@pytest.mark.parametrize(("status", "command"), TABLE)
def test_operation_state_machine(status, command):
    operation = put_operation_in(status)
    events_before = OperationEvent.objects.count()
    expected = TABLE[status, command]
    if expected is None:
        with pytest.raises(InvalidTransition):
            COMMANDS[command](operation)
        expected = "same"
    else:
        COMMANDS[command](operation)
    operation.refresh_from_db()
    if expected == "same":
        assert operation.status == status
        assert OperationEvent.objects.count() == events_before
    else:
        assert operation.status == expected
        event = OperationEvent.objects.latest("id")
        assert (event.kind, event.from_status, event.to_status) == (command, status, expected)


def test_first_start_puts_the_order_in_progress_and_last_completion_completes_it():
    order = released_order(steps=2)
    first, second = operations_of(order)
    services.start_operation(first, actor=None)
    order.refresh_from_db()
    assert order.status == ProductionOrder.Status.IN_PROGRESS and order.actual_start
    started = order.actual_start
    services.start_operation(second, actor=None)
    order.refresh_from_db()
    assert order.actual_start == started
    with pytest.raises(InvalidTransition, match="10"):
        services.complete_operation(second, actor=None)  # the one before is not completed
    services.complete_operation(first, actor=None)
    order.refresh_from_db()
    assert order.status == ProductionOrder.Status.IN_PROGRESS
    services.complete_operation(second, actor=None)
    order.refresh_from_db()
    assert order.status == ProductionOrder.Status.COMPLETED and order.actual_end


def test_machine_must_belong_to_the_work_center():
    order = released_order(steps=1)
    [operation] = operations_of(order)
    elsewhere = MachineFactory()
    with pytest.raises(InvalidInput) as refused:
        services.start_operation(operation, actor=None, machine=elsewhere)
    assert "machine" in refused.value.errors
    operation.refresh_from_db()
    assert operation.status == S.PENDING and operation.machine is None
    assert not OperationEvent.objects.exists()


def test_a_machine_runs_one_operation_at_a_time():
    first_order, second_order = released_order(steps=1), released_order(steps=1)
    [first], [second] = operations_of(first_order), operations_of(second_order)
    Operation.objects.filter(pk=second.pk).update(work_center=first.work_center)
    second.refresh_from_db()
    press = MachineFactory(work_center=first.work_center)
    services.start_operation(first, actor=None, machine=press)
    with pytest.raises(MachineBusy):
        services.start_operation(second, actor=None, machine=press)
    second.refresh_from_db()
    assert second.status == S.PENDING
    # A paused operation frees its machine; resuming needs it free again.
    services.pause_operation(first, actor=None, reason=pause_reason())
    services.start_operation(second, actor=None, machine=press)
    with pytest.raises(MachineBusy):
        services.resume_operation(first, actor=None)
    first.refresh_from_db()
    assert first.status == S.PAUSED


def test_pause_needs_a_pause_or_downtime_reason():
    operation = put_operation_in(S.RUNNING)
    with pytest.raises(InvalidInput) as refused:
        services.pause_operation(operation, actor=None, reason=scrap_reason())
    assert "reason" in refused.value.errors
    downtime = ReasonCodeFactory(code="DOWN-JAM")
    services.pause_operation(operation, actor=None, reason=downtime)
    assert OperationEvent.objects.latest("id").reason == downtime


def test_labour_of_two_operators(make_person):
    kim, lee = make_person("operator"), make_person("operator")
    order = released_order(steps=1)
    [operation] = operations_of(order)
    services.start_operation(operation, actor=kim, operator=kim)
    services.clock_on(operation, actor=lee, operator=lee)
    services.clock_on(operation, actor=lee, operator=lee)  # a repeat: no second record
    assert LabourRecord.objects.filter(ended_at__isnull=True).count() == 2
    services.clock_off(operation, actor=lee, operator=lee)
    assert services.clock_off(operation, actor=lee, operator=lee) is None
    services.clock_on(operation, actor=lee, operator=lee)  # back again: a second record
    services.complete_operation(operation, actor=kim)  # clocks everybody off
    records = LabourRecord.objects.order_by("id")
    assert [(r.operator, r.ended_at is not None) for r in records] == [
        (kim, True),
        (lee, True),
        (lee, True),
    ]
    with pytest.raises(InvalidTransition):
        services.clock_on(operation, actor=kim, operator=kim)
    assert LabourRecord.objects.count() == 3


def test_commands_recorded_later_keep_when_they_happened(make_person):
    kim = make_person("operator")
    order = released_order(qty="10", steps=1)
    [operation] = operations_of(order)
    now = timezone.now()
    at = {hours: now - timedelta(hours=hours) for hours in (8, 7, 6, 5, 4, 3)}
    services.start_operation(operation, actor=None, operator=kim, at=at[8])
    services.pause_operation(operation, actor=None, reason=pause_reason(), at=at[7])
    services.resume_operation(operation, actor=None, at=at[6])
    services.report_operation(operation, actor=None, qty_good="10", at=at[5])
    services.clock_off(operation, actor=None, operator=kim, at=at[4])
    services.clock_on(operation, actor=None, operator=kim, at=at[4])
    services.complete_operation(operation, actor=None, at=at[3])
    events = OperationEvent.objects.filter(operation=operation).order_by("id")
    assert [(e.kind, e.at) for e in events] == [
        ("start", at[8]),
        ("pause", at[7]),
        ("resume", at[6]),
        ("report", at[5]),
        ("complete", at[3]),
    ]
    operation.refresh_from_db()
    order.refresh_from_db()
    assert (operation.actual_start, operation.actual_end) == (at[8], at[3])
    assert (order.actual_start, order.actual_end) == (at[8], at[3])
    labour = LabourRecord.objects.order_by("id")
    assert [(r.started_at, r.ended_at) for r in labour] == [(at[8], at[4]), (at[4], at[3])]


def test_a_command_cannot_be_recorded_ahead_of_time_or_without_a_zone(make_person):
    kim = make_person("operator")
    order = released_order(steps=1)
    [operation] = operations_of(order)
    later = timezone.now() + timedelta(minutes=5)
    with pytest.raises(InvalidInput):
        services.start_operation(operation, actor=None, at=later)
    with pytest.raises(InvalidInput):
        services.start_operation(operation, actor=None, at=later.replace(tzinfo=None))
    services.start_operation(operation, actor=None, operator=kim)
    with pytest.raises(InvalidInput):  # before the operator clocked on
        services.clock_off(
            operation, actor=None, operator=kim, at=timezone.now() - timedelta(hours=1)
        )
    assert OperationEvent.objects.filter(operation=operation).count() == 1


def report(operation, good, scrap="0", **kwargs):
    return services.report_operation(
        operation, actor=None, qty_good=Decimal(good), qty_scrap=Decimal(scrap), **kwargs
    )


def test_report_bounds_without_tolerance():
    order = released_order(qty="10", steps=3)
    first, second, _third = operations_of(order)
    services.start_operation(first, actor=None)
    services.start_operation(second, actor=None)
    report(first, "6")
    with pytest.raises(QuantityExceeded):
        report(second, "7")
    report(second, "6")
    with pytest.raises(QuantityExceeded):
        report(first, "5")
    report(first, "4")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.qty_good, second.qty_good) == (10, 6)
    assert OperationEvent.objects.filter(kind="report").count() == 3


def test_report_bounds_with_tolerance(settings):
    settings.MES_REPORT_TOLERANCE_PCT = Decimal("10")
    order = released_order(qty="10", steps=3)
    first, second, _third = operations_of(order)
    services.start_operation(first, actor=None)
    services.start_operation(second, actor=None)
    report(first, "11")
    with pytest.raises(QuantityExceeded):
        report(first, "0.000001")
    report(second, "12.1")  # 11 + 10 %
    with pytest.raises(QuantityExceeded):
        report(second, "0.000001")


def test_scrap_needs_a_scrap_reason_and_is_recorded_against_it():
    order = released_order(qty="10", steps=2)
    first = operations_of(order)[0]
    services.start_operation(first, actor=None)
    with pytest.raises(InvalidInput) as refused:
        report(first, "1", scrap="2")
    assert "scrap_reason" in refused.value.errors
    with pytest.raises(InvalidInput) as refused:
        report(first, "1", scrap="2", scrap_reason=pause_reason())
    assert "scrap_reason" in refused.value.errors
    dent = scrap_reason()
    event = report(first, "1", scrap="2", scrap_reason=dent)
    assert (event.reason, event.qty_scrap) == (dent, 2)
    order.refresh_from_db()
    first.refresh_from_db()
    assert (first.qty_good, first.qty_scrap, order.qty_scrap, order.qty_good) == (1, 2, 2, 0)


@pytest.mark.parametrize(
    ("good", "scrap", "field"),
    [
        ("-1", "0", "qty_good"),
        ("1", "-1", "qty_scrap"),
        ("0", "0", "qty_good"),
        ("0.0000001", "0", "qty_good"),
    ],
)
def test_bad_report_quantities_change_nothing(good, scrap, field):
    order = released_order(steps=2)
    first = operations_of(order)[0]
    services.start_operation(first, actor=None)
    with pytest.raises(InvalidInput) as refused:
        report(first, good, scrap=scrap, scrap_reason=scrap_reason())
    assert field in refused.value.errors
    first.refresh_from_db()
    assert (first.qty_good, first.qty_scrap) == (0, 0)
    assert not OperationEvent.objects.filter(kind="report").exists()


@pytest.mark.parametrize("status", [S.PENDING, S.COMPLETED, S.CANCELLED])
def test_report_on_an_operation_not_running_is_refused(status):
    operation = put_operation_in(status)
    with pytest.raises(InvalidTransition):
        report(operation, "1")
    operation.refresh_from_db()
    assert operation.qty_good == 0
    assert not OperationEvent.objects.filter(kind="report").exists()


def test_report_on_a_paused_operation_counts():
    order = released_order(steps=2)
    first = operations_of(order)[0]
    services.start_operation(first, actor=None)
    services.pause_operation(first, actor=None, reason=pause_reason())
    report(first, "2")
    first.refresh_from_db()
    assert first.qty_good == 2


def test_client_ref_makes_a_retried_report_a_no_op():
    order = released_order(steps=2)
    first, second = operations_of(order)
    services.start_operation(first, actor=None)
    services.start_operation(second, actor=None)
    event = report(first, "3", client_ref="tablet-7:42")
    assert report(first, "3", client_ref="tablet-7:42") == event
    first.refresh_from_db()
    assert first.qty_good == 3
    with pytest.raises(InvalidInput) as refused:
        report(second, "1", client_ref="tablet-7:42")
    assert "client_ref" in refused.value.errors


def test_named_lots_and_output_lot_only_where_they_belong():
    order = released_order(steps=2)
    first, second = operations_of(order)
    services.start_operation(first, actor=None)
    services.start_operation(second, actor=None)
    with pytest.raises(InvalidInput) as refused:
        report(first, "1", output_lot="L-1")
    assert "output_lot" in refused.value.errors
    report(first, "1")
    with pytest.raises(InvalidInput) as refused:
        report(second, "1", consumed_lots=[{"item": order.item, "lot": None, "qty": 1}])
    assert "consumed_lots" in refused.value.errors
    second.refresh_from_db()
    assert second.qty_good == 0
