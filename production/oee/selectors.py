"""OEE read from the database.

The machine signals (or operation logs and reports) a shift's OEE is computed from, for
the roll-ups in rollup.py; the stored shift snapshots added up per shift, day or week, for
a machine, a work center or the plant, with the six big losses and the downtime Pareto;
a machine's state timeline; the down periods to classify.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from operator import itemgetter
from typing import Any

from django.db.models import Q

from mes.db import fetch_rows
from production.calendars.selectors import get_working_windows

from ..models import (
    DowntimeClassification,
    Machine,
    MachineEvent,
    OeeSnapshot,
    OperationEvent,
    WorkCenter,
)
from . import model

# The longest range OEE is read over at once (API and dashboard).
MAX_RANGE_DAYS = 92
# Operation events that start or stop an operation's running time (operation logs).
RUN_STARTS = {OperationEvent.Kind.START, OperationEvent.Kind.RESUME}
RUN_ENDS = {OperationEvent.Kind.PAUSE, OperationEvent.Kind.COMPLETE, OperationEvent.Kind.CANCEL}
# The six big losses (TPM), each as time lost inside planned busy time.
SIX_BIG_LOSSES = (
    "breakdowns",
    "setup",
    "small_stops",
    "reduced_speed",
    "startup_rejects",
    "production_rejects",
)


# Events are read from this long before a range, so that the one in force at its start
# usually comes with them; a machine that sent nothing in that time costs one more query.
LOOKBACK = timedelta(hours=1)


def _events_of(
    kind: str, ranges: Mapping[int, model.Span], fields: tuple[str, ...]
) -> dict[int, list[tuple] | None]:
    """Per machine id, its events of ``kind`` in [start, end) and the last one before
    ``start`` (rows of ``fields``, the first being ``ts``); None if it has none up to
    ``end``. One query for all the machines, plus one per machine silent before its start."""
    same_range: dict[model.Span, list[int]] = defaultdict(list)
    for machine_id, span in ranges.items():
        same_range[span].append(machine_id)  # one calendar: usually one range for all
    wanted = Q()
    for (start, end), machine_ids in same_range.items():
        wanted |= Q(machine_id__in=machine_ids, ts__gte=start - LOOKBACK, ts__lt=end)
    # No ORDER BY: the model's default order joins the machine; rows are sorted here.
    events = MachineEvent.objects.filter(kind=kind).order_by()
    by_machine: dict[int, list[tuple]] = defaultdict(list)
    if len(ranges) == 1:  # a month of one machine: no machine column to strip off each row
        [machine_id] = ranges
        by_machine[machine_id] = fetch_rows(events.filter(wanted).values_list(*fields))
    else:
        for row in fetch_rows(events.filter(wanted).values_list("machine_id", *fields)):
            by_machine[row[0]].append(row[1:])
    found: dict[int, list[tuple] | None] = {}
    for machine_id, (start, _end) in ranges.items():
        rows = sorted(by_machine.get(machine_id, []), key=itemgetter(0))
        split = bisect_left(rows, start, key=itemgetter(0))
        inside = rows[split:]
        last = rows[split - 1 : split]
        if not last:
            last = list(
                events.filter(machine_id=machine_id, ts__lt=start - LOOKBACK)
                .order_by("-ts")
                .values_list(*fields)[:1]
            )
        found[machine_id] = [*last, *inside] or None
    return found


def state_changes_of(
    ranges: Mapping[int, model.Span], *, with_classifications: bool = False
) -> dict[int, list[model.StateChange] | None]:
    """Per machine id, the state changes in [start, end) and the last one before; None if
    the machine has never sent a state up to ``end`` (then the operation logs give the
    time). ``with_classifications``: a down period the machine gave no reason has the one
    people gave it. Rows are plain (ts, state, reason) tuples, which is what a
    StateChange is: no object is made per event."""
    found = _events_of(MachineEvent.Kind.STATE, ranges, ("ts", "state", "reason__code"))
    unexplained = Q()
    for machine_id, rows in found.items():
        times = [row[0] for row in rows or () if row[1] == model.DOWN and row[2] is None]
        if times:
            unexplained |= Q(
                machine_id=machine_id, started_at__gte=min(times), started_at__lte=max(times)
            )
    if not (with_classifications and unexplained):
        return found
    given = {
        (machine_id, started_at): reason
        for machine_id, started_at, reason in DowntimeClassification.objects.filter(
            unexplained
        ).values_list("machine_id", "started_at", "reason__code")
    }
    return {
        machine_id: rows
        and [
            (row[0], row[1], given.get((machine_id, row[0])))
            if row[1] == model.DOWN and row[2] is None
            else row
            for row in rows
        ]
        for machine_id, rows in found.items()
    }


def state_changes(
    machine: Machine, start: datetime, end: datetime
) -> list[model.StateChange] | None:
    """One machine's ``state_changes_of``, as the machine sent them."""
    return state_changes_of({machine.pk: (start, end)})[machine.pk]


def counter_increments_of(
    ranges: Mapping[int, model.Span],
) -> dict[int, list[model.CounterReading] | None]:
    """Per machine id, what its counters counted at each reading in [start, end) (the
    reading before is the baseline); None if it sends no counters."""
    found = _events_of(MachineEvent.Kind.COUNT, ranges, ("ts", "count_total", "count_reject"))
    return {
        machine_id: rows
        and model.counter_increments(
            model.CounterReading(ts, total, reject or 0) for ts, total, reject in rows
        )
        for machine_id, rows in found.items()
    }


def operation_running(machine: Machine, start: datetime, end: datetime) -> list[model.Span]:
    """Running intervals of the operations run on the machine, from their logs."""
    events = (
        OperationEvent.objects.filter(operation__machine=machine, at__lt=end)
        .filter(kind__in=[*RUN_STARTS, *RUN_ENDS])
        .order_by("operation_id", "at", "id")
        .values_list("operation_id", "kind", "at")
    )
    spans, open_since = [], {}
    for operation_id, kind, at in events:
        if kind in RUN_STARTS:
            open_since.setdefault(operation_id, at)
        elif operation_id in open_since:
            spans.append((open_since.pop(operation_id), at))
    spans += [(since, end) for since in open_since.values()]
    return model.intersect(spans, [(start, end)])


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator > 0 else None


def _period_key(snapshot: OeeSnapshot, group: str) -> str:
    day = snapshot.production_day
    if group == "shift":
        return f"{day.isoformat()} {snapshot.shift_code}"
    if group == "day":
        return day.isoformat()
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def summarize(snapshots: Iterable[OeeSnapshot]) -> dict[str, Any]:
    """Times and quantities of the snapshots added up, the ratios of the sums and the six
    big losses (seconds)."""
    found = list(snapshots)
    planned = sum(s.planned_time_s for s in found)
    run = sum(s.run_time_s for s in found)
    total = sum(s.total for s in found)
    good = sum(s.good for s in found)
    ideal = sum(s.ideal_cycle_time_s * s.total for s in found)
    startup = sum(s.ideal_cycle_time_s * s.startup_reject for s in found)
    rejects = sum(s.ideal_cycle_time_s * (s.total - s.good) for s in found)
    availability = _ratio(run, planned)
    performance = _ratio(ideal, run)
    quality = _ratio(good, total)
    factors = (availability, performance, quality)
    down = sum(s.down_time_s for s in found)
    setup = sum(s.setup_time_s for s in found)
    idle = sum(s.idle_time_s for s in found)
    return {
        "planned_time_s": planned,
        "run_time_s": run,
        "down_time_s": down,
        "setup_time_s": setup,
        "idle_time_s": idle,
        "unknown_time_s": sum(s.unknown_time_s for s in found),
        "availability": availability,
        "performance": performance,
        "quality": quality,
        "oee": None if None in factors else availability * performance * quality,
        "good": good,
        "total": total,
        "losses": {
            "breakdowns": down,
            "setup": setup,
            "small_stops": idle,
            # Running, but slower than ideal: what the run time made beyond its ideal time.
            "reduced_speed": max(run - ideal, 0.0),
            "startup_rejects": startup,
            "production_rejects": rejects - startup,
        },
        "computed_until": max((s.computed_until for s in found), default=None),
    }


def _snapshots(machines: list[Machine], start: datetime, end: datetime):
    return OeeSnapshot.objects.filter(
        machine__in=machines, period_start__lt=end, period_end__gt=start
    ).order_by("period_start", "machine_id")


def get_oee(
    *,
    start: datetime,
    end: datetime,
    group: str,
    machine: Machine | None = None,
    work_center: WorkCenter | None = None,
) -> list[dict[str, Any]]:
    """OEE rows per shift, day or week of the shifts that overlap [start, end), for a
    machine or a work center (its active machines added up), from the stored snapshots."""
    if group not in model.GROUPS:
        raise ValueError(f"Unknown group {group!r}.")
    machines = [machine] if machine else list(work_center.machines.filter(is_active=True))
    by_period: dict[str, list[OeeSnapshot]] = defaultdict(list)
    for snapshot in _snapshots(machines, start, end):
        by_period[_period_key(snapshot, group)].append(snapshot)
    return [
        {
            "period": key,
            "period_start": min(s.period_start for s in found),
            "period_end": max(s.period_end for s in found),
            **summarize(found),
        }
        for key, found in by_period.items()
    ]


def plant_oee(*, start: datetime, end: datetime, machines: list[Machine]) -> dict[str, Any]:
    """The dashboard's figures over [start, end): per work center a trend per day and the
    totals, the plant's totals and six big losses, and the downtime Pareto by reason."""
    snapshots = list(_snapshots(machines, start, end).select_related("machine__work_center"))
    by_center: dict[WorkCenter, list[OeeSnapshot]] = defaultdict(list)
    for snapshot in snapshots:
        by_center[snapshot.machine.work_center].append(snapshot)
    centers = []
    for center in sorted(by_center, key=lambda c: c.code):
        found = by_center[center]
        by_day: dict[str, list[OeeSnapshot]] = defaultdict(list)
        for snapshot in found:
            by_day[_period_key(snapshot, "day")].append(snapshot)
        trend = [(day, summarize(day_found)["oee"]) for day, day_found in sorted(by_day.items())]
        centers.append({"work_center": center, "totals": summarize(found), "trend": trend})
    down: dict[str, float] = defaultdict(float)
    for snapshot in snapshots:
        for reason, lost in snapshot.down_by_reason.items():
            down[reason] += lost
    return {
        "work_centers": centers,
        "plant": summarize(snapshots),
        "downtime_pareto": pareto(down),
    }


def current_shifts(*, machines: list[Machine], now: datetime) -> list[dict[str, Any]]:
    """Per work center, the shift running at ``now`` so far (its machines added up)."""
    snapshots = OeeSnapshot.objects.filter(
        machine__in=machines, period_start__lte=now, period_end__gt=now
    ).select_related("machine__work_center")
    by_center: dict[WorkCenter, list[OeeSnapshot]] = defaultdict(list)
    for snapshot in snapshots:
        by_center[snapshot.machine.work_center].append(snapshot)
    return [
        {
            "work_center": center,
            "shift": found[0].shift_code,
            "period_start": min(s.period_start for s in found),
            "period_end": max(s.period_end for s in found),
            **summarize(found),
        }
        for center, found in sorted(by_center.items(), key=lambda item: item[0].code)
    ]


def pareto(lost_by_reason: dict[str, float]) -> list[dict[str, Any]]:
    """Reasons by time lost, largest first, with the cumulative share."""
    total = sum(lost_by_reason.values())
    rows, running = [], 0.0
    for reason, lost in sorted(lost_by_reason.items(), key=lambda item: (-item[1], item[0])):
        running += lost
        rows.append({"reason": reason, "lost_s": lost, "cumulative": running / total})
    return rows


def state_timeline(
    machines: list[Machine], start: datetime, end: datetime
) -> list[tuple[Machine, list[model.StateSpan]]]:
    """Each machine's states over [start, end) (``unknown`` where it sent none)."""
    return [
        (machine, model.state_spans(state_changes(machine, start, end) or [], start, end))
        for machine in machines
    ]


def list_downtime(
    *, machines: list[Machine], start: datetime, end: datetime, unclassified_only: bool = False
) -> list[dict[str, Any]]:
    """Down periods of the machines in [start, end) that fall in planned working time (a
    stop in a break or outside the shifts is no loss), with their reason: the machine's,
    else the one an operator or supervisor gave, else none (to classify)."""
    rows = []
    working_of: dict[int, list] = {}  # per work center: its machines share the calendar
    for machine in machines:
        changes = [model.StateChange(*row) for row in state_changes(machine, start, end) or []]
        if not any(change.state == model.DOWN for change in changes):
            continue  # never down in the range (or before it, still down): nothing to list
        if machine.work_center_id not in working_of:
            windows = get_working_windows(work_center=machine.work_center, start=start, end=end)
            working_of[machine.work_center_id] = [(w.start, w.end) for w in windows]
        working = working_of[machine.work_center_id]
        earliest = changes[0].at if changes else start
        given = dict(
            DowntimeClassification.objects.filter(
                machine=machine, started_at__gte=earliest, started_at__lt=end
            ).values_list("started_at", "reason__code")
        )
        for span in model.state_spans(changes, start, end):
            if span.state != model.DOWN:
                continue
            lost = model.seconds(model.intersect([(span.start, span.end)], working))
            if not lost:
                continue
            since = next(
                (c.at for c in reversed(changes) if c.at <= span.start and c.state == model.DOWN),
                span.start,
            )
            reason = span.reason or given.get(since)
            if unclassified_only and reason:
                continue
            rows.append(
                {
                    "machine": machine.code,
                    "started_at": since,
                    "start": span.start,
                    "end": span.end,
                    "lost_s": lost,
                    "reason": reason,
                    "classified": span.reason is None and reason is not None,
                }
            )
    return sorted(rows, key=lambda r: (r["start"], r["machine"]))
