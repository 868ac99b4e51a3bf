"""Working windows of a shift calendar: pure time arithmetic, no Django.

A calendar is a weekly pattern of shifts in plant-local wall-clock time, plus
holidays and planned stops. From it we compute, for any UTC range, the working
windows: UTC intervals ``[start, end)`` tagged with the shift they belong to.
OEE reads them as planned busy time, the finite-capacity scheduler as the
machine's available time.

Decisions (the rest of the system relies on them):

- **Production day.** A shift belongs to the local date on which it *starts*.
  A night shift 22:00-06:00 that starts on Monday is Monday's night shift, even
  for the hours after midnight. ``ShiftSpec.weekdays`` names the days a shift
  starts on (0 = Monday … 6 = Sunday, as ``date.weekday()``).
- **Overnight shifts.** ``end <= start`` means the shift ends on the next day.
  The services refuse ``end == start`` as a zero-length shift (a round-the-clock
  plant runs two or three shifts); this module would read it as 24 hours.
- **Holidays** cancel every shift that *starts* on that date. A night shift
  that started the evening before a holiday still runs to its end.
- **Breaks** are local wall-clock times inside their shift (they may cross
  midnight with an overnight shift: 23:30-00:30 inside 22:00-06:00). They are
  not working time, but they still belong to the shift (``shift_at``).
- **Planned stops** are UTC intervals removed from working time; like breaks
  they do not change which shift a moment belongs to.
- **Time zones and DST.** Shift and break boundaries are wall-clock times in
  the plant's zone, so a shift's length is the real time elapsed between its
  wall-clock start and end: 22:00-06:00 lasts 7 hours on the night clocks
  spring forward and 9 hours on the night they fall back. A wall-clock time
  that occurs twice (fall back) means its first occurrence; one that does not
  exist (spring forward) is read with the offset before the jump, so it moves
  forward by the gap: 02:30 becomes 03:30 (PEP 495, ``fold=0``).
- **No overlap, ever.** If a DST gap makes two shifts overlap in real time,
  the earlier shift keeps the time and the later one starts when it ends.
  Windows are therefore always sorted and non-overlapping.
- **Calendar changes.** A calendar may hold several patterns, each from a
  ``valid_from`` date; the pattern in force on a production day is the one with
  the latest ``valid_from`` on or before that day. Days before the first one
  have no shifts.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

DAY = timedelta(days=1)
WEEK = timedelta(days=7)
WEEKDAYS = range(7)


@dataclass(frozen=True)
class ShiftSpec:
    """One shift of a weekly pattern, in plant-local wall-clock time."""

    code: str
    weekdays: frozenset[int]
    start: time
    end: time
    breaks: tuple[tuple[time, time], ...] = ()

    @property
    def length(self) -> timedelta:
        """Nominal (wall-clock) length; a real day with a DST change differs."""
        return wall_offset(self.start, self.end) or DAY


@dataclass(frozen=True)
class PatternPeriod:
    """A pattern's shifts, in force on production days from ``valid_from`` on."""

    valid_from: date
    shifts: tuple[ShiftSpec, ...]


@dataclass(frozen=True)
class Calendar:
    """Everything needed to compute windows: loaded once, queried many times."""

    zone: str
    periods: tuple[PatternPeriod, ...]
    holidays: frozenset[date] = frozenset()
    stops: tuple[tuple[datetime, datetime], ...] = ()
    _valid_froms: tuple[date, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        periods = tuple(sorted(self.periods, key=lambda p: p.valid_from))
        object.__setattr__(self, "periods", periods)
        object.__setattr__(self, "_valid_froms", tuple(p.valid_from for p in periods))

    def shifts_on(self, day: date) -> tuple[ShiftSpec, ...]:
        """The shifts that start on a production day (none on a holiday)."""
        index = bisect_right(self._valid_froms, day) - 1
        if index < 0 or day in self.holidays:
            return ()
        return tuple(s for s in self.periods[index].shifts if day.weekday() in s.weekdays)


@dataclass(frozen=True, order=True)
class Window:
    """A UTC interval ``[start, end)`` of working time within one shift."""

    start: datetime
    end: datetime
    shift_code: str
    production_day: date

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


class ShiftOccurrence(NamedTuple):
    """One shift on one production day: its UTC start and end, breaks included."""

    shift_code: str
    production_day: date
    start: datetime
    end: datetime


def wall_offset(origin: time, moment: time) -> timedelta:
    """How far ``moment`` lies after ``origin`` on a wall clock, wrapping at midnight."""
    return (_since_midnight(moment) - _since_midnight(origin)) % DAY


def break_fits_shift(
    shift_start: time, shift_end: time, break_start: time, break_end: time
) -> bool:
    """True when the break is a non-empty interval inside its shift."""
    length = wall_offset(shift_start, shift_end) or DAY
    begins = wall_offset(shift_start, break_start)
    ends = wall_offset(shift_start, break_end) or DAY
    return begins < ends <= length


def shifts_overlap(a: ShiftSpec, b: ShiftSpec) -> bool:
    """Whether two shifts of one weekly pattern share wall-clock time on some day.

    Includes an overnight shift running into the next day's shift, and Sunday
    night running into Monday morning.
    """

    def spans(shift: ShiftSpec) -> list[tuple[timedelta, timedelta]]:
        start = _since_midnight(shift.start)
        return [
            (day * DAY + start + lap, day * DAY + start + lap + shift.length)
            for day in shift.weekdays
            for lap in (timedelta(0), WEEK)  # a second lap catches the wrap into Monday
        ]

    return any(
        a_start < b_end and b_start < a_end
        for a_start, a_end in spans(a)
        for b_start, b_end in spans(b)
    )


def shift_occurrences(calendar: Calendar, start: datetime, end: datetime) -> list[ShiftOccurrence]:
    """Shifts that overlap ``[start, end)``, unclipped, sorted and non-overlapping."""
    return [occurrence for occurrence, _shift in _occurrences(calendar, start, end)]


def working_windows(calendar: Calendar, start: datetime, end: datetime) -> list[Window]:
    """Working time in ``[start, end)`` as UTC windows: breaks and planned stops cut out."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        return []
    zone = ZoneInfo(calendar.zone)
    stops = [
        (s.astimezone(UTC), e.astimezone(UTC)) for s, e in calendar.stops if e > start and s < end
    ]
    windows = []
    for occurrence, shift in _occurrences(calendar, start, end):
        local_start = datetime.combine(occurrence.production_day, shift.start)
        breaks = []
        for break_start, break_end in shift.breaks:
            local_break_start = local_start + wall_offset(shift.start, break_start)
            local_break_end = local_break_start + wall_offset(break_start, break_end)
            breaks.append((_to_utc(local_break_start, zone), _to_utc(local_break_end, zone)))
        kept = _subtract((max(occurrence.start, start), min(occurrence.end, end)), breaks + stops)
        windows.extend(
            Window(piece_start, piece_end, occurrence.shift_code, occurrence.production_day)
            for piece_start, piece_end in kept
        )
    return windows


def working_seconds(calendar: Calendar, start: datetime, end: datetime) -> float:
    """Total working time in ``[start, end)``, in seconds."""
    return total_seconds(working_windows(calendar, start, end))


def total_seconds(windows: Iterable[Window]) -> float:
    return sum((w.end - w.start for w in windows), timedelta(0)).total_seconds()


def production_days(zone: str, start: datetime, end: datetime) -> tuple[date, date]:
    """The first and last production day whose shifts may reach into ``[start, end)``.

    Two days back: a shift is at most a day long, plus an hour of DST.
    """
    local = ZoneInfo(zone)
    return start.astimezone(local).date() - 2 * DAY, end.astimezone(local).date()


def shift_at(calendar: Calendar, moment: datetime) -> ShiftOccurrence | None:
    """The shift running at ``moment`` (breaks and planned stops included), or None."""
    moment = moment.astimezone(UTC)
    for occurrence in shift_occurrences(calendar, moment, moment + timedelta(microseconds=1)):
        if occurrence.start <= moment < occurrence.end:
            return occurrence
    return None


def weekdays_from_mask(mask: int) -> frozenset[int]:
    return frozenset(day for day in WEEKDAYS if mask & (1 << day))


def mask_from_weekdays(weekdays: Collection[int]) -> int:
    return sum(1 << day for day in set(weekdays))


def _since_midnight(moment: time) -> timedelta:
    return datetime.combine(date.min, moment) - datetime.min


def _occurrences(
    calendar: Calendar, start: datetime, end: datetime
) -> list[tuple[ShiftOccurrence, ShiftSpec]]:
    zone = ZoneInfo(calendar.zone)
    first_day, last_day = production_days(calendar.zone, start, end)
    found = []
    day = first_day
    while day <= last_day:
        for shift in calendar.shifts_on(day):
            local_start = datetime.combine(day, shift.start)
            occurrence = ShiftOccurrence(
                shift.code,
                day,
                _to_utc(local_start, zone),
                _to_utc(local_start + shift.length, zone),
            )
            found.append((occurrence, shift))

        day += DAY
    kept = []
    covered_until = None
    for occurrence, shift in sorted(found, key=lambda pair: (pair[0].start, pair[0].end)):
        if covered_until is not None and occurrence.start < covered_until:
            occurrence = occurrence._replace(start=covered_until)  # a DST gap made them overlap
        if occurrence.start >= occurrence.end:
            continue
        covered_until = occurrence.end
        if occurrence.end > start and occurrence.start < end:
            kept.append((occurrence, shift))
    return kept


def _to_utc(local: datetime, zone: ZoneInfo) -> datetime:
    return local.replace(tzinfo=zone, fold=0).astimezone(UTC)


def _subtract(
    interval: tuple[datetime, datetime], cuts: Sequence[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime]]:
    """``interval`` minus every cut, as sorted non-empty pieces."""
    pieces = []
    cursor, end = interval
    for cut_start, cut_end in sorted(cuts):
        if cut_end <= cursor or cut_start >= end or cut_end <= cut_start:
            continue
        if cut_start > cursor:
            pieces.append((cursor, cut_start))
        cursor = max(cursor, cut_end)
        if cursor >= end:
            break
    if cursor < end:
        pieces.append((cursor, end))
    return pieces
