"""The OEE time model of ISO 22400-2, pure Python (no Django).

Times are UTC ``datetime``s; intervals are half-open ``[start, end)``.

- **Planned busy time (PBT)** = the shift calendar's working windows (breaks,
  holidays and the calendar's planned stops already removed) minus the time the
  machine itself reports as ``planned_stop``.
- **Actual production time (APT)** = the time the machine is ``running`` inside the
  planned busy time. Running outside it (in a break, after the shift) is not counted:
  it is neither planned nor a loss.
- **Availability** = APT / PBT; **performance** (effectiveness) = ideal cycle time ×
  produced quantity / APT; **quality ratio** = good / produced; **OEE** = the product.
  A ratio whose denominator is zero is ``None``, never a division by zero.
- The losses inside PBT are what the machine was instead: ``down`` (breakdown),
  ``setup``, ``idle``, or ``unknown`` (no state known).

Where a machine sends no states, the operation logs give the time (its operations'
running intervals); where it sends no counters, the operators' reports give the
quantities. A state holds from its event until the next one, whatever order the
events arrived in; counters are cumulative and a drop is a reset (the new value
counts from zero), never negative output.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import pairwise
from typing import NamedTuple

RUNNING, IDLE, DOWN, SETUP, PLANNED_STOP = "running", "idle", "down", "setup", "planned_stop"
STATES = (RUNNING, IDLE, DOWN, SETUP, PLANNED_STOP)
UNKNOWN = "unknown"
GROUPS = ("shift", "day", "week")

Span = tuple[datetime, datetime]


class StateChange(NamedTuple):  # a tuple: millions are made when a month is recomputed
    at: datetime
    state: str
    reason: str | None = None


class StateSpan(NamedTuple):
    start: datetime
    end: datetime
    state: str
    reason: str | None = None

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


class CounterReading(NamedTuple):
    """Cumulative counters as a machine sends them (they may reset to zero)."""

    at: datetime
    total: int
    reject: int = 0


@dataclass(frozen=True)
class Quantities:
    total: float
    good: float


@dataclass(frozen=True)
class PeriodInput:
    """Everything one period's OEE needs; ``states=None`` means the machine sends none."""

    start: datetime
    end: datetime
    working: Sequence[Span]
    ideal_cycle_time_s: float
    states: Sequence[StateSpan] | None = None
    operation_running: Sequence[Span] = ()
    quantities: Quantities = field(default_factory=lambda: Quantities(0, 0))


@dataclass(frozen=True)
class Oee:
    planned_time_s: float
    run_time_s: float
    down_time_s: float
    setup_time_s: float
    idle_time_s: float
    unknown_time_s: float
    planned_stop_s: float
    total: float
    good: float
    availability: float | None
    performance: float | None
    quality: float | None
    oee: float | None
    # Seconds down inside planned busy time per reason ("" when none was given).
    down_by_reason: dict[str, float] = field(default_factory=dict)


# --- intervals -----------------------------------------------------------------------


def merge(spans: Iterable[Span]) -> list[Span]:
    """Sorted, non-overlapping union of the spans (empty ones dropped)."""
    merged: list[list[datetime]] = []
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


def intersect(a: Sequence[Span], b: Sequence[Span]) -> list[Span]:
    """The intersection of two unions of spans (each merged first); O(n + m)."""
    a, b = merge(a), merge(b)
    found, i, j = [], 0, 0
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if start < end:
            found.append((start, end))
        if a[i][1] <= b[j][1]:
            i += 1
        else:
            j += 1
    return found


def subtract(a: Sequence[Span], b: Sequence[Span]) -> list[Span]:
    """``a`` without ``b``."""
    result, cuts = [], merge(b)
    for start, end in merge(a):
        cursor = start
        for cut_start, cut_end in cuts:
            if cut_end <= cursor or cut_start >= end:
                continue
            if cut_start > cursor:
                result.append((cursor, cut_start))
            cursor = max(cursor, cut_end)
        if cursor < end:
            result.append((cursor, end))
    return result


def seconds(spans: Iterable[Span]) -> float:
    return sum((end - start).total_seconds() for start, end in spans)


# --- machine signals ----------------------------------------------------------------


def _change_order(change: StateChange) -> tuple:
    return (change[0], change[1], change[2] or "")


def state_spans(changes: Iterable[StateChange], start: datetime, end: datetime) -> list[StateSpan]:
    """The machine's states over ``[start, end)``: each change holds until the next.

    ``changes`` may be in any order and may include the last change before ``start``
    (it gives the state at ``start``); time before the first known state is
    ``unknown``. Two changes at the same instant: the one sorting last wins, so the
    result never depends on arrival order.
    """
    return _spans_of_sorted(sorted(changes, key=_change_order), start, end)


def _spans_of_sorted(
    ordered: Sequence[StateChange], start: datetime, end: datetime
) -> list[StateSpan]:
    # Changes are read as plain (at, state, reason) tuples: rows straight from the database.
    spans: list[StateSpan] = []
    current = None
    for change in ordered:
        at = change[0]
        if at <= start:
            current = change
            continue
        if at >= end:
            break
        since = max(current[0], start) if current else start
        if at > since:
            spans.append(
                StateSpan(since, at, current[1], current[2])
                if current
                else StateSpan(since, at, UNKNOWN)
            )
        current = change
    since = max(current[0], start) if current else start
    if since < end:
        spans.append(
            StateSpan(since, end, current[1], current[2])
            if current
            else StateSpan(since, end, UNKNOWN)
        )
    return spans


class Timeline:
    """A machine's state changes, sorted once, for many periods."""

    def __init__(self, changes: Iterable[StateChange]):
        self.changes = list(changes)
        self.times = [change[0] for change in self.changes]
        # Rows from the database come sorted with distinct times: then there is no tie to
        # break and the full sort (a Python key per change) is not needed.
        if any(later <= earlier for earlier, later in pairwise(self.times)):
            self.changes.sort(key=_change_order)
            self.times = [change[0] for change in self.changes]

    def around(self, start: datetime, end: datetime) -> list[StateChange]:
        """What ``state_spans`` needs for [start, end): the last change at or before
        ``start`` and those inside — by binary search, not a scan of the whole list."""
        first = max(bisect_right(self.times, start) - 1, 0)
        return self.changes[first : bisect_left(self.times, end)]

    def spans(self, start: datetime, end: datetime) -> list[StateSpan]:
        """``state_spans`` over [start, end), without sorting again."""
        return _spans_of_sorted(self.around(start, end), start, end)


def counter_increments(readings: Iterable[CounterReading]) -> list[CounterReading]:
    """Per reading, what was made since the reading before (cumulative → increments).

    A counter lower than the one before was reset: it counts from zero again, so its
    own value is the increment. The first reading is the baseline (increment 0).
    """
    found, previous = [], None
    for reading in sorted(readings):
        if previous is None:
            found.append(CounterReading(reading.at, 0, 0))
        else:
            total = reading.total - previous.total
            reject = reading.reject - previous.reject
            found.append(
                CounterReading(
                    reading.at,
                    reading.total if total < 0 else total,
                    reading.reject if reject < 0 or total < 0 else reject,
                )
            )
        previous = reading
    return found


class CounterLog:
    """A machine's counter increments, sorted once, for many periods."""

    def __init__(self, increments: Iterable[CounterReading]):
        self.increments = sorted(increments)
        self.times = [increment.at for increment in self.increments]

    def between(self, start: datetime, end: datetime) -> list[CounterReading]:
        return self.increments[bisect_left(self.times, start) : bisect_left(self.times, end)]


def quantities_in(
    increments: Iterable[CounterReading], start: datetime, end: datetime
) -> Quantities:
    """Counts attributed to ``[start, end)``: each increment belongs to its reading's time."""
    total = reject = 0
    for increment in increments:
        if start <= increment.at < end:
            total += increment.total
            reject += increment.reject
    return Quantities(total=total, good=max(total - reject, 0))


# --- the computation ------------------------------------------------------------------


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator > 0 else None


def compute(period: PeriodInput) -> Oee:
    """OEE of one period (see the module's docstring for the model)."""
    window = [(period.start, period.end)]
    working = intersect(period.working, window)
    by_state: dict[str, float] = defaultdict(float)
    down_by_reason: dict[str, float] = defaultdict(float)
    if period.states is None:
        running = intersect(period.operation_running, window)
        planned_stop: list[Span] = []
        planned = working
        by_state[RUNNING] = seconds(intersect(planned, running))
        by_state[UNKNOWN] = seconds(subtract(planned, running))
    else:
        # State spans are sorted and do not overlap: one sweep along the planned windows.
        planned_stop = intersect(
            working, [(s.start, s.end) for s in period.states if s.state == PLANNED_STOP]
        )
        planned = subtract(working, planned_stop)
        first = 0
        for span_start, span_end, state, reason in period.states:
            while first < len(planned) and planned[first][1] <= span_start:
                first += 1
            inside = 0.0
            for window_start, window_end in planned[first:]:
                if window_start >= span_end:
                    break
                overlap = min(span_end, window_end) - max(span_start, window_start)
                inside += overlap.total_seconds()
            by_state[state] += inside
            if state == DOWN and inside:
                down_by_reason[reason or ""] += inside
    run = by_state[RUNNING]
    total, good = period.quantities.total, period.quantities.good
    availability = _ratio(run, seconds(planned))
    performance = _ratio(period.ideal_cycle_time_s * total, run)
    quality = _ratio(good, total)
    factors = (availability, performance, quality)
    return Oee(
        planned_time_s=seconds(planned),
        run_time_s=run,
        down_time_s=by_state[DOWN],
        setup_time_s=by_state[SETUP],
        idle_time_s=by_state[IDLE],
        unknown_time_s=by_state[UNKNOWN],
        planned_stop_s=seconds(planned_stop),
        total=total,
        good=good,
        availability=availability,
        performance=performance,
        quality=quality,
        oee=None if None in factors else availability * performance * quality,
        down_by_reason=dict(down_by_reason),
    )


def startup_rejects(
    states: Sequence[StateSpan], increments: Iterable[CounterReading], window_s: float
) -> int:
    """Rejects counted in the first ``window_s`` of running after a setup: the start-up
    (reduced yield) loss, told apart from the defects of steady production."""
    starts = [
        span.start
        for before, span in pairwise(states)
        if before.state == SETUP and span.state == RUNNING and before.end == span.start
    ]
    if not starts:
        return 0
    window = timedelta(seconds=window_s)
    found = 0
    for increment in increments:
        latest = bisect_left(starts, increment.at) - 1  # the last start before the reading
        if latest >= 0 and increment.at <= starts[latest] + window:
            found += increment.reject
    return found


# --- periods -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    key: str  # "2026-11-24 DAY", "2026-11-24", "2026-W48"
    start: datetime
    end: datetime
    working: tuple[Span, ...]


def group_windows(windows: Iterable, group: str) -> list[Period]:
    """Group calendar windows (``start``, ``end``, ``shift_code``, ``production_day``) into
    shifts, production days or ISO weeks; a period spans its first window's start to its
    last window's end (so a night shift crossing midnight is one period)."""
    if group not in GROUPS:
        raise ValueError(f"Unknown group {group!r}.")
    grouped: dict[str, list] = defaultdict(list)
    for window in windows:
        day: date = window.production_day
        if group == "shift":
            key = f"{day.isoformat()} {window.shift_code}"
        elif group == "day":
            key = day.isoformat()
        else:
            year, week, _weekday = day.isocalendar()
            key = f"{year}-W{week:02d}"
        grouped[key].append(window)
    periods = [
        Period(
            key=key,
            start=min(w.start for w in found),
            end=max(w.end for w in found),
            working=tuple((w.start, w.end) for w in sorted(found, key=lambda w: w.start)),
        )
        for key, found in grouped.items()
    ]
    return sorted(periods, key=lambda p: p.start)


__all__ = [
    "DOWN",
    "GROUPS",
    "IDLE",
    "PLANNED_STOP",
    "RUNNING",
    "SETUP",
    "STATES",
    "UNKNOWN",
    "CounterLog",
    "CounterReading",
    "Oee",
    "Period",
    "PeriodInput",
    "Quantities",
    "StateChange",
    "StateSpan",
    "Timeline",
    "compute",
    "counter_increments",
    "group_windows",
    "intersect",
    "merge",
    "quantities_in",
    "startup_rejects",
    "state_spans",
    "subtract",
]
