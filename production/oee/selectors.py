"""OEE read from the database: calendar windows, machine events (or operation logs) and
counters (or operators' reports) fed to the pure time model, per shift, day or week.

Computed on request (the Celery roll-ups into stored snapshots are still to come).
A work center's figures add its machines' times and quantities, then take the ratios.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from production.calendars.selectors import get_working_windows
from quality.kpis import report_counts

from ..models import DowntimeClassification, Machine, MachineEvent, OperationEvent, WorkCenter
from . import model

# Operation events that start or stop an operation's running time (operation logs).
RUN_STARTS = {OperationEvent.Kind.START, OperationEvent.Kind.RESUME}
RUN_ENDS = {OperationEvent.Kind.PAUSE, OperationEvent.Kind.COMPLETE, OperationEvent.Kind.CANCEL}


def _state_changes(
    machine: Machine, start: datetime, end: datetime
) -> list[model.StateChange] | None:
    """The state changes in [start, end) and the last one before; None if the machine
    has never sent a state up to ``end`` (then the operation logs give the time)."""
    states = MachineEvent.objects.filter(machine=machine, kind=MachineEvent.Kind.STATE)
    before = (
        states.filter(ts__lt=start).order_by("-ts").values_list("ts", "state", "reason__code")[:1]
    )
    inside = states.filter(ts__gte=start, ts__lt=end).values_list("ts", "state", "reason__code")
    rows = [*before, *inside]
    if not rows:
        return None
    return [model.StateChange(ts, state, reason) for ts, state, reason in rows]


def _counter_increments(machine: Machine, start: datetime, end: datetime):
    counts = MachineEvent.objects.filter(machine=machine, kind=MachineEvent.Kind.COUNT)
    before = (
        counts.filter(ts__lt=start)
        .order_by("-ts")
        .values_list("ts", "count_total", "count_reject")[:1]
    )
    inside = counts.filter(ts__gte=start, ts__lt=end).values_list(
        "ts", "count_total", "count_reject"
    )
    readings = [
        model.CounterReading(ts, total, reject or 0) for ts, total, reject in [*before, *inside]
    ]
    return model.counter_increments(readings) if readings else None


def _operation_running(machine: Machine, start: datetime, end: datetime) -> list[model.Span]:
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


def machine_oee(
    machine: Machine, start: datetime, end: datetime, group: str
) -> list[dict[str, Any]]:
    """One row per period of the machine's work center calendar in [start, end)."""
    windows = get_working_windows(work_center=machine.work_center, start=start, end=end)
    periods = model.group_windows(windows, group)
    if not periods:
        return []
    first, last = periods[0].start, periods[-1].end
    changes = _state_changes(machine, first, last)
    ordered = model.Timeline(changes) if changes is not None else None
    increments = _counter_increments(machine, first, last)
    running = _operation_running(machine, first, last) if changes is None else ()
    rows = []
    for period in periods:
        if increments is not None:
            quantities = model.quantities_in(increments, period.start, period.end)
        else:
            counted = report_counts(period.start, period.end, machine_ids=[machine.pk])
            quantities = model.Quantities(float(counted.total), float(counted.good))
        result = model.compute(
            model.PeriodInput(
                start=period.start,
                end=period.end,
                working=period.working,
                ideal_cycle_time_s=float(machine.ideal_cycle_time_s),
                states=None
                if ordered is None
                else model.state_spans(
                    ordered.around(period.start, period.end), period.start, period.end
                ),
                operation_running=running,
                quantities=quantities,
            )
        )
        rows.append(
            {
                "period": period.key,
                "period_start": period.start,
                "period_end": period.end,
                "machine": machine.code,
                "result": result,
            }
        )
    return rows


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator > 0 else None


def _row(period: str, start, end, results: list[model.Oee], ideal_output: float) -> dict[str, Any]:
    planned = sum(r.planned_time_s for r in results)
    run = sum(r.run_time_s for r in results)
    total = sum(r.total for r in results)
    good = sum(r.good for r in results)
    availability = _ratio(run, planned)
    performance = _ratio(ideal_output, run)
    quality = _ratio(good, total)
    factors = (availability, performance, quality)
    return {
        "period": period,
        "period_start": start,
        "period_end": end,
        "planned_time_s": planned,
        "run_time_s": run,
        "down_time_s": sum(r.down_time_s for r in results),
        "setup_time_s": sum(r.setup_time_s for r in results),
        "idle_time_s": sum(r.idle_time_s for r in results),
        "unknown_time_s": sum(r.unknown_time_s for r in results),
        "availability": availability,
        "performance": performance,
        "quality": quality,
        "oee": None if None in factors else availability * performance * quality,
        "good": good,
        "total": total,
    }


def get_oee(
    *,
    start: datetime,
    end: datetime,
    group: str,
    machine: Machine | None = None,
    work_center: WorkCenter | None = None,
) -> list[dict[str, Any]]:
    """OEE rows for a machine or a work center (its active machines added up)."""
    machines = [machine] if machine else list(work_center.machines.filter(is_active=True))
    by_period: dict[str, list] = defaultdict(list)
    for one in machines:
        for row in machine_oee(one, start, end, group):
            by_period[row["period"]].append((one, row))
    rows = []
    for key, found in by_period.items():
        results = [row["result"] for _machine, row in found]
        ideal = sum(float(m.ideal_cycle_time_s) * row["result"].total for m, row in found)
        first = found[0][1]
        rows.append(_row(key, first["period_start"], first["period_end"], results, ideal))
    return sorted(rows, key=lambda r: r["period_start"])


def list_downtime(
    *, machines: list[Machine], start: datetime, end: datetime, unclassified_only: bool = False
) -> list[dict[str, Any]]:
    """Down periods of the machines in [start, end) that fall in planned working time (a
    stop in a break or outside the shifts is no loss), with their reason: the machine's,
    else the one an operator or supervisor gave, else none (to classify)."""
    rows = []
    for machine in machines:
        windows = get_working_windows(work_center=machine.work_center, start=start, end=end)
        working = [(w.start, w.end) for w in windows]
        changes = _state_changes(machine, start, end) or []
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
