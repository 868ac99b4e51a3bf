"""OEE snapshots: computed per machine and shift, stored, kept fresh incrementally.

- Whatever changes a machine's OEE (its events, operation logs and reports, a downtime
  classification) marks the machine stale from that time on, in the same transaction
  (``mark_stale``). A mark keeps the earliest time; its ``generation`` grows on each touch.
- ``roll_up_oee`` (Celery beat, and before every OEE read) recomputes each marked
  machine's shifts from its mark up to now, plus every active machine's open shift (time
  passes even without events), stores them, and removes the mark unless it was touched
  meanwhile. It upserts the shifts the calendar has; a shift the calendar no longer has
  is removed by a full recompute, which is what a calendar change calls for. A machine
  is locked while it is rolled up and a busy one is skipped, so two
  workers never compute the same machine at once and a killed worker's rollback leaves
  the mark for the next run: running it twice, or in two workers, gives the same snapshots.
- ``run_oee_recompute`` recomputes a range for every machine (a manager's order from the
  admin: after a calendar or cycle time changed). The machines are a work queue: several
  workers take one at a time and strike it off with its snapshots in one transaction, so
  a killed worker's machine is simply taken again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Max, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from mes import audit
from mes.errors import InvalidInput
from production.calendars.selectors import get_calendar, get_calendars
from production.calendars.windows import Calendar, working_windows
from quality.kpis import report_counts

from ..models import (
    Machine,
    OeeMark,
    OeeRecompute,
    OeeRecomputeMachine,
    OeeSnapshot,
    WorkCenter,
)
from . import model
from .selectors import counter_increments_of, operation_running, state_changes_of

logger = logging.getLogger(__name__)

# A shift is found whole when the calendar is read this far around the times asked for.
SHIFT_REACH = timedelta(days=1)
MAX_RECOMPUTE_DAYS = 366
# A read (API, dashboard) rolls up a machine first unless it was rolled up this recently.
READ_FRESH_FOR = timedelta(seconds=30)
# How far back a roll-up looks for shifts no run has computed yet (beat stopped a while).
CATCH_UP = timedelta(days=7)
SNAPSHOT_FIELDS = [
    "production_day",
    "shift_code",
    "period_end",
    "computed_until",
    "planned_time_s",
    "run_time_s",
    "down_time_s",
    "setup_time_s",
    "idle_time_s",
    "unknown_time_s",
    "planned_stop_s",
    "total",
    "good",
    "startup_reject",
    "ideal_cycle_time_s",
    "down_by_reason",
    "computed_at",
]


# --- marking --------------------------------------------------------------------------


def mark_stale(touched: Iterable[tuple[int, datetime]]) -> None:
    """Mark machines stale from the earliest of their times (``(machine_id, ts)`` pairs).

    Call it inside the transaction that writes what changed: the mark commits with it.
    Rows are written in machine order so concurrent writers cannot deadlock.
    """
    earliest: dict[int, datetime] = {}
    for machine_id, ts in touched:
        if machine_id is not None and (machine_id not in earliest or ts < earliest[machine_id]):
            earliest[machine_id] = ts
    if not earliest:
        return
    table = connection.ops.quote_name(OeeMark._meta.db_table)
    values = ", ".join(["(%s, %s, 1)"] * len(earliest))
    params = []
    for machine_id, ts in sorted(earliest.items()):
        params += [machine_id, connection.ops.adapt_datetimefield_value(ts)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (machine_id, since, generation) VALUES {values} "
            f"ON CONFLICT (machine_id) DO UPDATE SET "
            f"since = CASE WHEN excluded.since < {table}.since "
            f"THEN excluded.since ELSE {table}.since END, "
            f"generation = {table}.generation + 1",
            params,
        )


# --- computing one machine's shifts ---------------------------------------------------------


class Calendars:
    """Each work center's calendar, loaded once for a run over [start, end); those of
    ``work_centers`` (the run's) all at once, so the work centers that follow their
    site's calendar share one read of it."""

    def __init__(self, start: datetime, end: datetime, work_centers: Iterable[WorkCenter] = ()):
        self.start, self.end = start - SHIFT_REACH, end + SHIFT_REACH
        self.work_centers = {center.pk: center for center in work_centers}
        self.loaded: dict[int, Calendar] = {}

    def windows(self, work_center: WorkCenter, start: datetime, end: datetime):
        if start < self.start or end > self.end:  # a mark older than the run expected
            self.start, self.end = min(start, self.start), max(end, self.end)
            self.loaded.clear()
        if not self.loaded and work_center.pk in self.work_centers:
            self.loaded = get_calendars(self.work_centers.values(), start=self.start, end=self.end)
        if work_center.pk not in self.loaded:
            self.loaded[work_center.pk] = get_calendar(
                work_center=work_center, start=self.start, end=self.end
            )
        return working_windows(self.loaded[work_center.pk], start, end)


def compute_shifts(
    wanted: list[tuple[Machine, datetime, datetime]], *, now: datetime, calendars: Calendars
) -> dict[int, list[OeeSnapshot]]:
    """For each (machine, since, until): its shifts that end after ``since`` and start
    before ``until``, each computed up to its end or ``now`` (unsaved snapshots, by
    machine id). The machines' events are read together."""
    periods: dict[int, list[model.Period]] = {}
    for machine, since, until in wanted:
        until = min(until, now)
        windows = calendars.windows(machine.work_center, since - SHIFT_REACH, until + SHIFT_REACH)
        periods[machine.pk] = [
            p for p in model.group_windows(windows, "shift") if p.end > since and p.start < until
        ]
    ranges = {
        machine_id: (found[0].start, min(found[-1].end, now))
        for machine_id, found in periods.items()
        if found
    }
    changes = state_changes_of(ranges, with_classifications=True)
    increments = counter_increments_of(ranges)
    return {
        machine.pk: _snapshots(
            machine, periods[machine.pk], changes[machine.pk], increments[machine.pk], now
        )
        if machine.pk in ranges
        else []
        for machine, _since, _until in wanted
    }


def _snapshots(
    machine: Machine,
    periods: list[model.Period],
    changes: list[model.StateChange] | None,
    increments: list[model.CounterReading] | None,
    now: datetime,
) -> list[OeeSnapshot]:
    first, last = periods[0].start, min(periods[-1].end, now)
    timeline = model.Timeline(changes) if changes is not None else None
    counters = model.CounterLog(increments) if increments is not None else None
    running = operation_running(machine, first, last) if changes is None else ()
    ideal = float(machine.ideal_cycle_time_s)
    snapshots = []
    for period in periods:
        end = min(period.end, now)
        counted_here = counters.between(period.start, end) if counters else []
        if counters is not None:
            quantities = model.quantities_in(counted_here, period.start, end)
        else:
            counted = report_counts(period.start, end, machine_ids=[machine.pk])
            quantities = model.Quantities(float(counted.total), float(counted.good))
        states = None if timeline is None else timeline.spans(period.start, end)
        result = model.compute(
            model.PeriodInput(
                start=period.start,
                end=end,
                working=period.working,
                ideal_cycle_time_s=ideal,
                states=states,
                operation_running=running,
                quantities=quantities,
            )
        )
        startup = (
            model.startup_rejects(states, counted_here, settings.MES_OEE_STARTUP_WINDOW_S)
            if states and counted_here
            else 0
        )
        day, shift_code = period.key.split(" ", 1)
        snapshots.append(
            OeeSnapshot(
                machine=machine,
                production_day=day,
                shift_code=shift_code,
                period_start=period.start,
                period_end=period.end,
                computed_until=end,
                planned_time_s=result.planned_time_s,
                run_time_s=result.run_time_s,
                down_time_s=result.down_time_s,
                setup_time_s=result.setup_time_s,
                idle_time_s=result.idle_time_s,
                unknown_time_s=result.unknown_time_s,
                planned_stop_s=result.planned_stop_s,
                total=result.total,
                good=result.good,
                startup_reject=min(startup, result.total - result.good),
                ideal_cycle_time_s=ideal,
                down_by_reason=result.down_by_reason,
                computed_at=now,
            )
        )
    return snapshots


def _upsert(snapshots: list[OeeSnapshot]) -> None:
    OeeSnapshot.objects.bulk_create(
        snapshots,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["machine", "period_start"],
        update_fields=SNAPSHOT_FIELDS,
    )


def _drop_other_shifts(
    machine: Machine, since: datetime, until: datetime, snapshots: list[OeeSnapshot]
) -> None:
    """Delete the machine's stored shifts in the range that are not among ``snapshots``
    (the calendar no longer has them)."""
    OeeSnapshot.objects.filter(
        machine=machine, period_end__gt=since, period_start__lt=until
    ).exclude(period_start__in=[s.period_start for s in snapshots]).delete()


# --- the incremental roll-up --------------------------------------------------------------


@dataclass
class RollUp:
    machines: int = 0  # machines recomputed
    snapshots: int = 0  # shifts stored
    skipped: int = 0  # machines another worker was rolling up
    failed: int = 0  # machines whose roll-up failed (their marks stay for the next run)


def _catch_up_since(machine_ids: list[int], now: datetime) -> dict[int, datetime]:
    """Per machine, where its stored shifts stop being complete: the earliest shift computed
    only part way, else the end of its last one (shifts since then have not been seen;
    at most ``CATCH_UP`` back). A machine with none starts from its shift at ``now``."""
    recent = OeeSnapshot.objects.filter(
        machine_id__in=machine_ids, period_start__gt=now - CATCH_UP - SHIFT_REACH
    )
    found = recent.values("machine_id").annotate(
        last_end=Max("period_end"),
        open_since=Min("computed_until", filter=Q(computed_until__lt=F("period_end"))),
    )
    return {
        row["machine_id"]: max(
            min(row["open_since"] or row["last_end"], row["last_end"], now), now - CATCH_UP
        )
        for row in found
    }


def roll_up_oee(
    *,
    machine_ids: Iterable[int] | None = None,
    now: datetime | None = None,
    batch_size: int = 50,
    fresh_for: timedelta | None = None,
) -> RollUp:
    """Recompute what is stale: marked machines from their mark, and every active machine's
    open shifts up to now (``machine_ids``: only those machines; ``fresh_for``: not an
    unmarked machine whose shifts were computed that recently). Machines go in batches,
    one transaction each; a batch that fails is done again machine by machine, so one bad
    machine holds up no other."""
    now = now or timezone.now()
    wanted = Q(is_active=True) | Q(pk__in=OeeMark.objects.values("machine_id"))
    machines = Machine.objects.filter(wanted).select_related("work_center").order_by("pk")
    if machine_ids is not None:
        machines = machines.filter(pk__in=list(machine_ids))
    machines = list(machines)
    catch_up = _catch_up_since([m.pk for m in machines], now)
    if fresh_for is not None:
        marked = set(OeeMark.objects.filter(machine__in=machines).values_list("machine", flat=True))
        machines = [
            m
            for m in machines
            if m.pk in marked or m.pk not in catch_up or catch_up[m.pk] < now - fresh_for
        ]
    calendars = Calendars(
        min([now, *catch_up.values()]), now, work_centers={m.work_center for m in machines}
    )
    done = RollUp()
    for first in range(0, len(machines), batch_size):
        batch = machines[first : first + batch_size]
        try:
            _roll_up_batch(batch, catch_up, now, calendars, done)
        except Exception:
            if len(batch) == 1:
                logger.exception("OEE roll-up of machine %s failed; retried next run", batch[0])
                done.failed += 1
                continue
            for machine in batch:
                try:
                    _roll_up_batch([machine], catch_up, now, calendars, done)
                except Exception:
                    logger.exception("OEE roll-up of machine %s failed; retried next run", machine)
                    done.failed += 1
    return done


def roll_up_for_reading(machine_ids: Iterable[int], *, now: datetime | None = None) -> RollUp:
    """What a reader is about to show, brought up to date: the machines' marks and their
    running shifts unless rolled up in the last ``READ_FRESH_FOR`` (the beat keeps it so;
    without a beat, as in embedded mode, this does the work)."""
    return roll_up_oee(machine_ids=machine_ids, now=now, fresh_for=READ_FRESH_FOR)


def _roll_up_batch(
    batch: list[Machine],
    catch_up: dict[int, datetime],
    now: datetime,
    calendars: Calendars,
    done: RollUp,
) -> None:
    with transaction.atomic():
        # A machine another worker is rolling up is skipped; no_key: events may still be
        # written for the machine meanwhile.
        locked = set(
            Machine.objects.select_for_update(skip_locked=True, no_key=True)
            .filter(pk__in=[m.pk for m in batch])
            .values_list("pk", flat=True)
        )
        # Read under the lock: only a roll-up holding it deletes a mark, so the generation
        # read here is the one to delete, unless an event touched it meanwhile.
        marks = {
            machine_id: (since, generation)
            for machine_id, since, generation in OeeMark.objects.filter(
                machine_id__in=locked
            ).values_list("machine_id", "since", "generation")
        }
        wanted = []
        for machine in batch:
            if machine.pk not in locked:
                done.skipped += 1
                continue
            since = catch_up.get(machine.pk, now)
            if machine.pk in marks:
                since = min(since, marks[machine.pk][0])
            wanted.append((machine, since, now))
        computed = compute_shifts(wanted, now=now, calendars=calendars)
        snapshots = [snapshot for found in computed.values() for snapshot in found]
        _upsert(snapshots)
        done.machines += len(wanted)
        done.snapshots += len(snapshots)
        _delete_marks([(machine_id, generation) for machine_id, (_s, generation) in marks.items()])


def _delete_marks(read: list[tuple[int, int]]) -> None:
    """Delete the marks still at the generation read (one touched since stays)."""
    if not read:
        return
    table = connection.ops.quote_name(OeeMark._meta.db_table)
    pairs = ", ".join(["(%s, %s)"] * len(read))
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table} WHERE (machine_id, generation) IN (VALUES {pairs})",
            [value for pair in read for value in pair],
        )


# --- full recompute of a range ------------------------------------------------------------


def start_oee_recompute(
    *, actor, start: datetime, end: datetime, work_center: WorkCenter | None = None
) -> OeeRecompute:
    """Queue a recompute of every machine's shifts in [start, end) (of one work center):
    its machines become a work queue that ``MES_OEE_RECOMPUTE_WORKERS`` tasks share."""
    if end <= start:
        raise InvalidInput(_("The start is after the end."), field="start")
    if end - start > timedelta(days=MAX_RECOMPUTE_DAYS):
        raise InvalidInput(
            _("At most %(days)s days at a time.") % {"days": MAX_RECOMPUTE_DAYS}, field="start"
        )
    from .tasks import recompute_oee_task

    machines = Machine.objects.order_by("pk")
    if work_center is not None:
        machines = machines.filter(work_center=work_center)
    with transaction.atomic():
        job = OeeRecompute.objects.create(
            start=start,
            end=end,
            work_center=work_center,
            requested_by=actor if getattr(actor, "pk", None) else None,
            machines_total=machines.count(),
        )
        OeeRecomputeMachine.objects.bulk_create(
            OeeRecomputeMachine(recompute=job, machine_id=machine_id)
            for machine_id in machines.values_list("pk", flat=True)
        )
        audit.record_create(actor, job)
        for _worker in range(settings.MES_OEE_RECOMPUTE_WORKERS):
            transaction.on_commit(lambda: recompute_oee_task.delay(job.pk))
    return job


def run_oee_recompute(job_id: int, *, now: datetime | None = None) -> OeeRecompute:
    """Work through a recompute's queue: take a machine no one else holds, recompute it and
    strike it off in one transaction, until none is left. Any number of workers may run it
    at once; a killed worker's machine goes back to the queue with its rollback."""
    now = now or timezone.now()
    job = OeeRecompute.objects.get(pk=job_id)
    if job.status in (OeeRecompute.Status.DONE, OeeRecompute.Status.FAILED):
        return job
    OeeRecompute.objects.filter(pk=job.pk, status=OeeRecompute.Status.QUEUED).update(
        status=OeeRecompute.Status.RUNNING
    )
    calendars = Calendars(job.start, min(job.end, now))
    queue = OeeRecomputeMachine.objects.filter(recompute=job).order_by("machine_id")
    while True:
        try:
            with transaction.atomic():
                # Claimed alone: a FOR UPDATE over a join would lock the shared work center
                # row too, and every other worker would skip every machine.
                item = queue.select_for_update(skip_locked=True).first()
                if item is None:
                    break
                machine = (
                    Machine.objects.select_for_update(no_key=True, of=("self",))
                    .select_related("work_center")
                    .get(pk=item.machine_id)
                )
                snapshots = compute_shifts(
                    [(machine, job.start, job.end)], now=now, calendars=calendars
                )[machine.pk]
                _drop_other_shifts(machine, job.start, min(job.end, now), snapshots)
                _upsert(snapshots)
                item.delete()
                OeeRecompute.objects.filter(pk=job.pk).update(
                    machines_done=F("machines_done") + 1,
                    snapshots=F("snapshots") + len(snapshots),
                )
        except Exception as error:
            OeeRecompute.objects.filter(pk=job.pk).update(
                status=OeeRecompute.Status.FAILED, error=str(error), finished_at=timezone.now()
            )
            raise
    if not OeeRecomputeMachine.objects.filter(recompute=job).exists():
        # The last worker out (machines others still hold keep the job running).
        OeeRecompute.objects.filter(pk=job.pk, status=OeeRecompute.Status.RUNNING).update(
            status=OeeRecompute.Status.DONE, finished_at=timezone.now()
        )
    job.refresh_from_db()
    return job
