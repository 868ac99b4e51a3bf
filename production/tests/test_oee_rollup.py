"""OEE snapshots: marks written with the events, incremental roll-ups that are idempotent
and survive failures, open shifts that grow with time, a manager's full recompute."""

import multiprocessing
import os
import signal
import time
from datetime import timedelta

import pytest
from django.db import connections

from mes.errors import InvalidInput
from mes.testing import run_together
from production.models import (
    OeeMark,
    OeeRecompute,
    OeeRecomputeMachine,
    OeeSnapshot,
    ReasonCode,
)
from production.oee import rollup, tasks
from production.oee.rollup import mark_stale, roll_up_oee, run_oee_recompute, start_oee_recompute
from production.oee.selectors import get_oee, summarize
from production.oee.services import classify_downtime, ingest_machine_events

from .factories import MachineFactory, ReasonCodeFactory
from .oee_factories import local, one_shift_press, worked_example

pytestmark = pytest.mark.django_db

EVENING = local("18:00")


@pytest.fixture
def press():
    return one_shift_press()


def state_at(machine: str, hhmm: str, state: str) -> dict:
    return {"machine": machine, "ts": local(hhmm).isoformat(), "state": state}


def stored(machine) -> list[dict]:
    return list(
        OeeSnapshot.objects.filter(machine=machine)
        .order_by("period_start")
        .values("period_start", *(f for f in rollup.SNAPSHOT_FIELDS if f != "computed_at"))
    )


def test_events_mark_their_machine_stale_from_the_earliest_time(press):
    ingest_machine_events(
        [{"machine": "PRESS-01", "ts": local("09:00").isoformat(), "state": "idle"}]
    )
    assert OeeMark.objects.get(machine=press).since == local("09:00")
    ingest_machine_events(
        [
            {"machine": "PRESS-01", "ts": local("11:00").isoformat(), "state": "running"},
            {"machine": "PRESS-01", "ts": local("07:00").isoformat(), "state": "running"},
        ]
    )
    mark = OeeMark.objects.get(machine=press)
    assert (mark.since, mark.generation) == (local("07:00"), 2)
    ingest_machine_events(
        [{"machine": "PRESS-01", "ts": local("12:00").isoformat(), "state": "down"}]
    )
    assert OeeMark.objects.get(machine=press).since == local("07:00")


def test_a_roll_up_stores_the_shift_and_a_second_one_changes_nothing(press):
    worked_example()
    done = roll_up_oee(now=EVENING)
    assert (done.machines, done.snapshots, done.skipped) == (1, 1, 0)
    assert not OeeMark.objects.exists()
    [snapshot] = OeeSnapshot.objects.all()
    assert (snapshot.production_day.isoformat(), snapshot.shift_code) == ("2026-11-23", "DAY")
    assert (snapshot.planned_time_s, snapshot.run_time_s) == (27_000, 25_200)
    assert (snapshot.total, snapshot.good, snapshot.startup_reject) == (800, 784, 0)
    assert snapshot.down_by_reason == {"": 1_800}  # unclassified
    assert snapshot.computed_until == local("14:00")
    first = stored(press)
    mark_stale([(press.pk, local("00:00"))])
    roll_up_oee(now=EVENING)
    assert stored(press) == first


def test_a_late_event_recomputes_its_shift_and_the_ones_after(press):
    worked_example()
    roll_up_oee(now=EVENING)
    # Tuesday's shift comes and goes without a signal: still running since Monday 09:30.
    tuesday_evening = EVENING + timedelta(days=1)
    roll_up_oee(now=tuesday_evening)
    monday, tuesday = OeeSnapshot.objects.order_by("period_start")
    assert tuesday.run_time_s == 27_000
    # Then a late event: idle from Monday 12:00 on. Both shifts change.
    ingest_machine_events(
        [{"machine": "PRESS-01", "ts": local("12:00").isoformat(), "state": "idle"}]
    )
    roll_up_oee(now=tuesday_evening)
    monday, tuesday = OeeSnapshot.objects.order_by("period_start")
    assert monday.run_time_s == 25_200 - 7_200 and monday.idle_time_s == 7_200
    assert (tuesday.run_time_s, tuesday.idle_time_s) == (0, 27_000)


def test_a_running_shift_is_computed_up_to_now_and_grows_without_new_events(press):
    ingest_machine_events(
        [{"machine": "PRESS-01", "ts": local("06:00").isoformat(), "state": "running"}]
    )
    roll_up_oee(now=local("08:00"))
    [snapshot] = OeeSnapshot.objects.all()
    assert (snapshot.computed_until, snapshot.planned_time_s) == (local("08:00"), 7_200)
    roll_up_oee(now=local("11:00"))  # no new event: the open shift is still brought up to now
    snapshot.refresh_from_db()
    assert (snapshot.computed_until, snapshot.planned_time_s) == (local("11:00"), 16_200)
    assert snapshot.run_time_s == 16_200


def test_the_api_rolls_up_before_it_answers(press, api_client_for):
    worked_example()
    response = api_client_for("readonly").get(
        "/api/v1/oee/",
        {"machine": "PRESS-01", "from": local("00:00").isoformat(), "to": EVENING.isoformat()},
    )
    assert response.status_code == 200, response.content
    [row] = response.json()
    assert row["run_time_s"] == 25_200 and row["computed_until"] == "2026-11-23T14:00:00+09:00"


def test_a_touch_while_rolling_up_keeps_the_mark_for_the_next_run(press, monkeypatch):
    worked_example()
    compute = rollup.compute_shifts

    def touched_meanwhile(wanted, **kwargs):
        mark_stale([(press.pk, local("13:00"))])  # an event written while computing
        return compute(wanted, **kwargs)

    monkeypatch.setattr(rollup, "compute_shifts", touched_meanwhile)
    roll_up_oee(now=EVENING)
    assert OeeMark.objects.filter(machine=press).exists()
    monkeypatch.setattr(rollup, "compute_shifts", compute)
    roll_up_oee(now=EVENING)
    assert not OeeMark.objects.exists()


def test_a_roll_up_that_fails_loses_nothing(press, monkeypatch):
    other = MachineFactory(code="PRESS-02", work_center=press.work_center, ideal_cycle_time_s=30)
    worked_example()
    ingest_machine_events(
        [{"machine": "PRESS-02", "ts": local("06:00").isoformat(), "state": "idle"}]
    )
    compute = rollup.compute_shifts

    def crash_on_press(wanted, **kwargs):
        if press in [machine for machine, _since, _until in wanted]:
            raise RuntimeError("worker killed")
        return compute(wanted, **kwargs)

    monkeypatch.setattr(rollup, "compute_shifts", crash_on_press)
    done = roll_up_oee(now=EVENING)
    assert (done.machines, done.failed) == (1, 1)  # the other machine is not held up
    assert OeeSnapshot.objects.filter(machine=other).exists()
    assert not OeeSnapshot.objects.filter(machine=press).exists()
    assert OeeMark.objects.filter(machine=press).exists()  # rolled back with the work
    monkeypatch.setattr(rollup, "compute_shifts", compute)
    roll_up_oee(now=EVENING)
    assert OeeSnapshot.objects.get(machine=press).run_time_s == 25_200


def test_a_classified_down_period_counts_for_its_reason(press):
    worked_example()
    roll_up_oee(now=EVENING)
    material = ReasonCodeFactory(code="DT-MATERIAL", kind=ReasonCode.Kind.DOWNTIME)
    classify_downtime(press, started_at=local("09:00"), reason=material, actor=None)
    roll_up_oee(now=EVENING)
    assert OeeSnapshot.objects.get().down_by_reason == {"DT-MATERIAL": 1_800}


def test_rejects_just_after_a_setup_are_start_up_losses(press):
    ingest_machine_events(
        [
            {"machine": "PRESS-01", "ts": local("06:00").isoformat(), "state": "setup"},
            {"machine": "PRESS-01", "ts": local("06:30").isoformat(), "count_total": 0},
            {"machine": "PRESS-01", "ts": local("07:00").isoformat(), "state": "running"},
            # Within ten minutes of the setup's end: 5 start-up rejects.
            {
                "machine": "PRESS-01",
                "ts": local("07:08").isoformat(),
                "count_total": 16,
                "count_reject": 5,
            },
            {
                "machine": "PRESS-01",
                "ts": local("09:00").isoformat(),
                "count_total": 216,
                "count_reject": 7,
            },
        ]
    )
    roll_up_oee(now=EVENING)
    snapshot = OeeSnapshot.objects.get()
    assert (snapshot.total, snapshot.good, snapshot.startup_reject) == (216, 209, 5)
    losses = summarize([snapshot])["losses"]
    assert losses["startup_rejects"] == 5 * 30 and losses["production_rejects"] == 2 * 30
    assert losses["setup"] == 3_600
    assert losses["reduced_speed"] == snapshot.run_time_s - 216 * 30


def test_days_and_weeks_add_the_shifts_up(press):
    worked_example()
    roll_up_oee(now=EVENING + timedelta(days=1))
    rows = get_oee(
        machine=press, start=local("00:00"), end=EVENING + timedelta(days=1), group="week"
    )
    [week] = rows
    assert week["period"] == "2026-W48"
    assert week["planned_time_s"] == 2 * 27_000
    assert week["run_time_s"] == 25_200 + 27_000


def test_a_full_recompute_applies_a_new_cycle_time_machine_by_machine(
    press, monkeypatch, django_capture_on_commit_callbacks
):
    other = MachineFactory(code="PRESS-02", work_center=press.work_center, ideal_cycle_time_s=30)
    worked_example()
    ingest_machine_events([state_at("PRESS-02", "06:00", "idle")])
    roll_up_oee(now=EVENING)
    type(press).objects.update(ideal_cycle_time_s=20)  # roll-ups do not see this: no mark
    with django_capture_on_commit_callbacks(execute=False):  # no worker yet
        job = start_oee_recompute(actor=None, start=local("00:00"), end=EVENING)
    assert OeeRecomputeMachine.objects.filter(recompute=job).count() == 2
    compute = rollup.compute_shifts

    def killed_at_the_second(wanted, **kwargs):
        if other in [machine for machine, _since, _until in wanted]:
            raise SystemExit("worker killed")  # like SIGKILL: no handler of ours runs
        return compute(wanted, **kwargs)

    monkeypatch.setattr(rollup, "compute_shifts", killed_at_the_second)
    with pytest.raises(SystemExit):
        run_oee_recompute(job.pk, now=EVENING)
    job.refresh_from_db()
    assert (job.status, job.machines_done, job.progress_pct) == ("running", 1, 50)
    assert OeeSnapshot.objects.get(machine=press).ideal_cycle_time_s == 20
    assert OeeSnapshot.objects.get(machine=other).ideal_cycle_time_s == 30
    assert [q.machine for q in OeeRecomputeMachine.objects.all()] == [other]  # back in the queue
    monkeypatch.setattr(rollup, "compute_shifts", compute)
    job = run_oee_recompute(job.pk, now=EVENING)  # the task delivered again
    assert (job.status, job.machines_done, job.machines_total, job.progress_pct) == (
        "done",
        2,
        2,
        100,
    )
    assert OeeSnapshot.objects.get(machine=other).ideal_cycle_time_s == 20
    assert not OeeRecomputeMachine.objects.exists()


def test_a_recompute_that_errs_says_why(press, monkeypatch, django_capture_on_commit_callbacks):
    worked_example()
    with django_capture_on_commit_callbacks(execute=False):
        job = start_oee_recompute(actor=None, start=local("00:00"), end=EVENING)

    def broken(wanted, **kwargs):
        raise ValueError("calendar unreadable")

    monkeypatch.setattr(rollup, "compute_shifts", broken)
    with pytest.raises(ValueError):
        run_oee_recompute(job.pk, now=EVENING)
    job.refresh_from_db()
    assert (job.status, job.error) == ("failed", "calendar unreadable")


def test_a_recompute_is_queued_with_a_valid_range(
    press, django_capture_on_commit_callbacks, tasks_in_process
):
    with pytest.raises(InvalidInput):
        start_oee_recompute(actor=None, start=EVENING, end=local("00:00"))
    with pytest.raises(InvalidInput):
        start_oee_recompute(actor=None, start=EVENING - timedelta(days=400), end=EVENING)
    worked_example()
    with django_capture_on_commit_callbacks(execute=True):
        job = start_oee_recompute(
            actor=None, start=local("00:00"), end=EVENING, work_center=press.work_center
        )
    job.refresh_from_db()
    assert (job.status, job.machines_total, job.snapshots) == ("done", 1, 1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_rolling_up_at_once_store_what_one_would():
    press = one_shift_press()
    for number in range(2, 9):
        MachineFactory(code=f"PRESS-0{number}", work_center=press.work_center)
    rows = [
        {"machine": f"PRESS-0{n}", "ts": local(f"{6 + n % 8}:00").isoformat(), "state": state}
        for n in range(1, 9)
        for state in ["running"]
    ]
    ingest_machine_events(rows)
    results = run_together([lambda: roll_up_oee(now=EVENING)] * 2)
    assert all(not isinstance(r, BaseException) for r in results), results
    assert sum(r.machines for r in results) >= 8
    assert not OeeMark.objects.exists()
    together = list(
        OeeSnapshot.objects.order_by("machine_id").values_list("machine_id", "run_time_s")
    )
    mark_stale((machine_id, local("00:00")) for machine_id, _run in together)
    roll_up_oee(now=EVENING)
    alone = list(OeeSnapshot.objects.order_by("machine_id").values_list("machine_id", "run_time_s"))
    assert together == alone and len(alone) == 8


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_share_a_recompute(monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.recompute_oee_task, "delay", queued.append)  # we are the workers
    press = one_shift_press()
    for number in range(2, 9):
        MachineFactory(code=f"PRESS-0{number}", work_center=press.work_center)
    ingest_machine_events(
        [state_at(f"PRESS-0{n}", f"{6 + n % 8:02d}:00", "running") for n in range(1, 9)]
    )
    job = start_oee_recompute(actor=None, start=local("00:00"), end=EVENING)
    assert queued == [job.pk, job.pk]  # MES_OEE_RECOMPUTE_WORKERS tasks
    results = run_together([lambda: run_oee_recompute(job.pk, now=EVENING)] * 2)
    assert all(not isinstance(r, BaseException) for r in results), results
    job.refresh_from_db()
    assert (job.status, job.machines_done, job.snapshots) == ("done", 8, 8)
    assert OeeSnapshot.objects.count() == 8


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_recompute_loses_nothing(monkeypatch):
    monkeypatch.setattr(tasks.recompute_oee_task, "delay", lambda job_id: None)
    press = one_shift_press()
    for number in range(2, 7):
        MachineFactory(code=f"PRESS-0{number}", work_center=press.work_center)
    ingest_machine_events([state_at(f"PRESS-0{n}", "07:00", "running") for n in range(1, 7)])
    job = start_oee_recompute(actor=None, start=local("00:00"), end=EVENING)
    compute = rollup.compute_shifts

    def slow(wanted, **kwargs):
        time.sleep(0.5)  # time to be killed in the middle
        return compute(wanted, **kwargs)

    monkeypatch.setattr(rollup, "compute_shifts", slow)
    connections.close_all()  # the worker process opens its own
    worker = multiprocessing.get_context("fork").Process(
        target=run_oee_recompute, args=(job.pk,), kwargs={"now": EVENING}
    )
    worker.start()
    deadline = time.monotonic() + 30
    while OeeRecompute.objects.get(pk=job.pk).machines_done < 2:
        assert time.monotonic() < deadline, "the worker did not get going"
        time.sleep(0.05)
    os.kill(worker.pid, signal.SIGKILL)
    worker.join()
    killed_at = OeeRecompute.objects.get(pk=job.pk)
    assert killed_at.status == "running" and 2 <= killed_at.machines_done < 6
    monkeypatch.setattr(rollup, "compute_shifts", compute)
    job = run_oee_recompute(job.pk, now=EVENING)  # the task, delivered again
    assert (job.status, job.machines_done, job.snapshots) == ("done", 6, 6)
    assert OeeSnapshot.objects.count() == 6 and not OeeRecomputeMachine.objects.exists()
