"""Schedule runs on the database: the problem from orders and calendars, runs, publishing,
cancelling, and every way a run can fail without touching the published schedule."""

import math
import threading
import time
from datetime import timedelta
from itertools import pairwise

import pytest
from django.db import connection

from mes.errors import InvalidInput, InvalidTransition
from production.calendars.selectors import get_working_windows
from production.execution import services as execution
from production.execution.selectors import list_dispatch
from production.models import Operation, ProductionOrder, Schedule, ScheduledOperation
from production.scheduling import services

from .execution_factories import ItemFactory, pause_reason
from .factories import MachineFactory, SiteFactory, WorkCenterFactory
from .schedule_factories import NOW, small_plant

pytestmark = pytest.mark.django_db


def run(plant, **options) -> Schedule:
    """Queue and run a schedule (the run in this thread, as a worker would)."""
    schedule = services.start_schedule(actor=None, site=plant.site, **options)
    return services.run_schedule(schedule.pk, now=NOW)


def minutes_of(operation: Operation, *, with_setup: bool = True) -> int:
    left = operation.order.qty - operation.qty_good - operation.qty_scrap
    setup = operation.setup_min * 60 if with_setup else 0
    return max(math.ceil((setup + left * operation.cycle_time_s) / 60), 1)


def assert_feasible(schedule: Schedule) -> None:
    """What a planner needs to trust: each open operation placed once, on a machine of its
    work center, after the one before it, inside working time for exactly its work, and
    no two operations on a machine at once."""
    placed = list(
        ScheduledOperation.objects.filter(schedule=schedule).select_related(
            "operation__order", "operation__work_center", "machine"
        )
    )
    assert len({p.operation_id for p in placed}) == len(placed)
    by_machine = {}
    for p in placed:
        assert p.machine.work_center_id == p.operation.work_center_id
        by_machine.setdefault(p.machine_id, []).append((p.start, p.end))
        earlier = [
            q
            for q in placed
            if q.operation.order_id == p.operation.order_id and q.operation.seq < p.operation.seq
        ]
        assert all(q.end <= p.start for q in earlier)
        if not p.fixed:
            windows = get_working_windows(
                work_center=p.operation.work_center, start=p.start, end=p.end + timedelta(days=1)
            )
            assert any(w.start <= p.start < w.end for w in windows), p
            worked = sum(
                (min(w.end, p.end) - max(w.start, p.start)).total_seconds()
                for w in windows
                if w.start < p.end and w.end > p.start
            )
            with_setup = p.operation.status == Operation.Status.PENDING
            assert worked == 60 * minutes_of(p.operation, with_setup=with_setup), p
    for spans in by_machine.values():
        spans.sort()
        assert all(a[1] <= b[0] for a, b in pairwise(spans))


def test_a_run_places_every_open_operation_in_working_time_and_keeps_the_figures():
    plant = small_plant()
    for number in range(5):
        plant.order(f"PO-{number}", due_in_days=1 + number)
    schedule = run(plant, time_limit_s=5)
    assert schedule.status == Schedule.Status.DONE, schedule.errors
    assert schedule.progress == 100
    assert schedule.assignments.count() == 10
    assert_feasible(schedule)
    assert schedule.origin == NOW
    assert schedule.orders == 5
    assert schedule.solver_status in ("OPTIMAL", "FEASIBLE")
    assert set(schedule.machine_load) == {"CUT-1", "CUT-2", "PACK-1"}
    assert all(load["available_min"] > 0 for load in schedule.machine_load.values())
    # Both cutting machines take work (the alternatives of one work center).
    assert schedule.assignments.filter(machine__code="CUT-2").exists()


def test_an_operation_longer_than_a_shift_pauses_over_the_night_and_counts_working_time():
    plant = small_plant()
    order = plant.order("PO-LONG", qty="3000", due_in_days=10)  # 25 h 10 min of cutting
    schedule = run(plant, time_limit_s=3)
    assert schedule.status == Schedule.Status.DONE, schedule.errors
    assert_feasible(schedule)
    cut = schedule.assignments.get(operation__order=order, operation__seq=10)
    assert cut.end - cut.start > timedelta(hours=25, minutes=10)  # the nights in between
    assert cut.end - cut.start < timedelta(days=3)


def test_a_running_operation_stays_where_it_runs_and_a_paused_one_on_its_machine():
    plant = small_plant()
    running = plant.order("PO-RUN").operations.get(seq=10)
    execution.start_operation(running, actor=None, machine=plant.machines["CUT-2"])
    paused = plant.order("PO-PAUSED").operations.get(seq=10)
    execution.start_operation(paused, actor=None, machine=plant.machines["CUT-1"])
    execution.pause_operation(paused, actor=None, reason=pause_reason())
    plant.order("PO-NEW")
    schedule = run(plant, time_limit_s=3)
    assert schedule.status == Schedule.Status.DONE, schedule.errors
    assert_feasible(schedule)
    kept = schedule.assignments.get(operation=running)
    assert (kept.machine.code, kept.fixed, kept.start) == ("CUT-2", True, NOW)
    assert schedule.assignments.get(operation=paused).machine.code == "CUT-1"


def test_publishing_writes_planned_times_and_the_dispatch_list_follows():
    plant = small_plant()
    # Priority and due date alone would put PO-B first; the schedule decides.
    plant.order("PO-A", due_in_days=1)
    plant.order("PO-B", due_in_days=5, priority=9)
    before = [op.order.code for op in list_dispatch(plant.cutting)]
    assert before == ["PO-B", "PO-A"]
    schedule = run(plant, time_limit_s=3)
    services.publish_schedule(schedule, actor=None)
    schedule.refresh_from_db()
    assert schedule.status == Schedule.Status.PUBLISHED
    for placed in schedule.assignments.select_related("operation"):
        op = placed.operation
        assert (op.planned_machine_id, op.planned_start, op.planned_end) == (
            placed.machine_id,
            placed.start,
            placed.end,
        )
    after = list(list_dispatch(plant.packing))
    assert [op.planned_start for op in after] == sorted(op.planned_start for op in after)
    # A second schedule supersedes the first when published; only one is published.
    second = run(plant, time_limit_s=1)
    services.publish_schedule(second, actor=None)
    schedule.refresh_from_db()
    assert schedule.status == Schedule.Status.SUPERSEDED
    assert Schedule.objects.filter(status=Schedule.Status.PUBLISHED).get() == second
    with pytest.raises(InvalidTransition):
        services.publish_schedule(schedule, actor=None)


def published_times() -> list[tuple]:
    return list(
        Operation.objects.order_by("pk").values_list(
            "pk", "planned_start", "planned_end", "planned_machine_id"
        )
    )


@pytest.fixture
def published_plant():
    """A plant with a published schedule, to check that failing runs leave it alone."""
    plant = small_plant()
    plant.order("PO-1")
    services.publish_schedule(run(plant, time_limit_s=1), actor=None)
    return plant


def failed(plant) -> list[str]:
    before = published_times()
    schedule = run(plant, time_limit_s=1)
    assert schedule.status == Schedule.Status.FAILED
    assert schedule.assignments.count() == 0
    assert published_times() == before
    assert Schedule.objects.filter(status=Schedule.Status.PUBLISHED).count() == 1
    return schedule.errors


def test_an_order_without_operations_is_named(published_plant):
    ProductionOrder.objects.create(
        code="PO-BARE",
        item=ItemFactory(code="NO-ROUTING"),
        qty=5,
        due_date=NOW.date(),
        status=ProductionOrder.Status.RELEASED,
    )
    assert failed(published_plant) == [
        "Order PO-BARE has no operations: item NO-ROUTING has no routing."
    ]


def test_a_work_center_without_an_active_machine_is_named(published_plant):
    published_plant.machines["PACK-1"].is_active = False
    published_plant.machines["PACK-1"].save()
    errors = failed(published_plant)
    assert errors == ["Order PO-1, operation 20 (Pack): work center WC-PACK has no active machine."]


def test_a_calendar_without_working_time_is_named():
    plant = small_plant(calendar=False)
    plant.order("PO-1")
    (error,) = failed_without_publish(plant)
    assert error.startswith("Work center WC-CUT has no working time from ")
    assert "shift calendar" in error


def failed_without_publish(plant) -> list[str]:
    schedule = run(plant, time_limit_s=1)
    assert schedule.status == Schedule.Status.FAILED
    return [e for e in schedule.errors if "WC-CUT" in e]


def test_work_that_does_not_fit_the_horizon_is_named(published_plant, settings):
    settings.MES_SCHEDULE_HORIZON_DAYS = 1
    published_plant.order("PO-HUGE", qty="5000")
    (error,) = failed(published_plant)
    assert error.startswith("The work does not fit in the 1 days of calendar planned")


def test_a_site_with_nothing_to_schedule_says_so():
    plant = small_plant()
    schedule = run(plant, time_limit_s=1)
    assert schedule.errors == ["Site SITE-S has no released or in-progress orders to schedule."]


@pytest.mark.parametrize("limit", [0, -5, 100_000])
def test_an_absurd_time_limit_is_refused_before_anything_is_queued(limit):
    plant = small_plant()
    with pytest.raises(InvalidInput) as refused:
        services.start_schedule(actor=None, site=plant.site, time_limit_s=limit)
    assert refused.value.errors == {"time_limit_s": ["The time limit is 1 to 600 seconds."]}
    assert not Schedule.objects.exists()


def test_the_site_may_be_left_out_only_where_there_is_one():
    plant = small_plant()
    assert services.start_schedule(actor=None).site == plant.site
    SiteFactory(code="SITE-OTHER")
    with pytest.raises(InvalidInput):
        services.start_schedule(actor=None)


def test_a_queued_run_is_cancelled_at_once_and_a_finished_one_not_at_all():
    plant = small_plant()
    plant.order("PO-1")
    schedule = services.start_schedule(actor=None, site=plant.site, time_limit_s=1)
    services.cancel_schedule(schedule, actor=None)
    assert services.run_schedule(schedule.pk, now=NOW).status == Schedule.Status.CANCELLED
    with pytest.raises(InvalidTransition):
        services.cancel_schedule(schedule, actor=None)


def test_a_run_delivered_again_after_it_finished_changes_nothing():
    plant = small_plant()
    plant.order("PO-1")
    schedule = run(plant, time_limit_s=1)
    placed = list(schedule.assignments.values_list("pk", flat=True))
    again = services.run_schedule(schedule.pk, now=NOW + timedelta(hours=1))
    assert again.status == Schedule.Status.DONE
    assert list(again.assignments.values_list("pk", flat=True)) == placed


@pytest.mark.django_db(transaction=True)
def test_progress_shows_while_it_runs_and_a_cancel_stops_it(monkeypatch):
    """The solver (here a stand-in that reports and waits to be stopped) runs in the
    worker's thread; the reporter writes progress and notices the cancel."""
    plant = small_plant()
    plant.order("PO-1")

    def waiting_solver(problem, *, first, on_progress, should_stop, **_options):
        on_progress(123.0, 45.0, 0.5)
        for _ in range(200):
            if should_stop():
                break
            time.sleep(0.05)
        return first

    monkeypatch.setattr(services, "solve", waiting_solver)
    schedule = services.start_schedule(actor=None, site=plant.site, time_limit_s=60)
    worker = threading.Thread(target=lambda: _run_and_close(schedule.pk))
    worker.start()
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline:
        schedule.refresh_from_db()
        if schedule.objective_value == 123.0:
            break
        time.sleep(0.1)
    assert (schedule.status, schedule.objective_value, schedule.bound) == ("running", 123.0, 45.0)
    services.cancel_schedule(schedule, actor=None)
    worker.join(timeout=10)
    schedule.refresh_from_db()
    assert schedule.status == Schedule.Status.CANCELLED
    assert not schedule.assignments.exists()


def _run_and_close(schedule_id: int) -> None:
    try:
        services.run_schedule(schedule_id, now=NOW)
    finally:
        connection.close()


def test_machines_of_another_site_are_not_used():
    plant = small_plant()
    plant.order("PO-1")
    elsewhere = WorkCenterFactory(code="WC-ELSEWHERE")
    MachineFactory(code="FAR-1", work_center=elsewhere)
    schedule = run(plant, time_limit_s=1)
    assert not schedule.assignments.filter(machine__code="FAR-1").exists()
