"""The pure arithmetic of working windows (no database)."""

import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from production.calendars.windows import (
    Calendar,
    PatternPeriod,
    ShiftSpec,
    break_fits_shift,
    shift_at,
    shifts_overlap,
    total_seconds,
    working_seconds,
    working_windows,
)

SEOUL = "Asia/Seoul"
BERLIN = "Europe/Berlin"
WORKDAYS = frozenset(range(5))
EVERY_DAY = frozenset(range(7))
HOUR = 3600
ROOT = Path(__file__).resolve().parents[2]


def t(text: str) -> time:
    return time.fromisoformat(text)


def local(zone: str, text: str) -> datetime:
    """A plant-local wall-clock time, as UTC (so that differences are real durations)."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


DAY_SHIFT = ShiftSpec("DAY", WORKDAYS, t("08:00"), t("17:00"), ((t("12:00"), t("13:00")),))
NIGHT_SHIFT = ShiftSpec("NIGHT", WORKDAYS, t("22:00"), t("06:00"), ((t("02:00"), t("02:30")),))


def calendar(*shifts, zone=SEOUL, holidays=(), stops=(), valid_from=date(2000, 1, 1)) -> Calendar:
    return Calendar(
        zone=zone,
        periods=(PatternPeriod(valid_from, tuple(shifts)),),
        holidays=frozenset(holidays),
        stops=tuple(stops),
    )


def spans(windows, zone=SEOUL):
    z = ZoneInfo(zone)
    return [
        (f"{w.start.astimezone(z):%a %H:%M}", f"{w.end.astimezone(z):%a %H:%M}", w.shift_code)
        for w in windows
    ]


# Monday 2026-03-02 to the next Monday, Seoul time (no DST in Korea).
WEEK_START = local(SEOUL, "2026-03-02T00:00")
WEEK_END = local(SEOUL, "2026-03-09T00:00")


def test_day_and_night_shifts_with_breaks_over_a_week():
    windows = working_windows(calendar(DAY_SHIFT, NIGHT_SHIFT), WEEK_START, WEEK_END)
    # 5 days of 8 h, and 5 nights of 7.5 h (Friday's night runs into Saturday).
    assert total_seconds(windows) == 5 * 8 * HOUR + 5 * 7.5 * HOUR
    assert spans(windows)[:4] == [
        ("Mon 08:00", "Mon 12:00", "DAY"),
        ("Mon 13:00", "Mon 17:00", "DAY"),
        ("Mon 22:00", "Tue 02:00", "NIGHT"),
        ("Tue 02:30", "Tue 06:00", "NIGHT"),
    ]
    assert spans(windows)[-2:] == [
        ("Fri 22:00", "Sat 02:00", "NIGHT"),
        ("Sat 02:30", "Sat 06:00", "NIGHT"),
    ]
    assert windows[0].start == utc("2026-03-01T23:00")  # 08:00 KST
    assert all(w.start.utcoffset() == timedelta(0) for w in windows)


def test_night_shift_belongs_to_the_day_it_starts_and_is_clipped_to_the_range():
    start, end = local(SEOUL, "2026-03-03T00:00"), local(SEOUL, "2026-03-03T12:00")
    windows = working_windows(calendar(DAY_SHIFT, NIGHT_SHIFT), start, end)
    assert spans(windows) == [
        ("Tue 00:00", "Tue 02:00", "NIGHT"),
        ("Tue 02:30", "Tue 06:00", "NIGHT"),
        ("Tue 08:00", "Tue 12:00", "DAY"),
    ]
    assert [w.production_day for w in windows] == [date(2026, 3, 2)] * 2 + [date(2026, 3, 3)]


def test_a_break_may_cross_midnight():
    night = ShiftSpec("NIGHT", WORKDAYS, t("22:00"), t("06:00"), ((t("23:30"), t("00:30")),))
    windows = working_windows(calendar(night), WEEK_START, local(SEOUL, "2026-03-03T12:00"))
    assert spans(windows) == [
        ("Mon 22:00", "Mon 23:30", "NIGHT"),
        ("Tue 00:30", "Tue 06:00", "NIGHT"),
    ]


def test_a_holiday_cancels_the_shifts_that_start_on_it_only():
    wednesday = date(2026, 3, 4)
    cal = calendar(DAY_SHIFT, NIGHT_SHIFT, holidays=[wednesday])
    windows = working_windows(
        cal, local(SEOUL, "2026-03-04T00:00"), local(SEOUL, "2026-03-05T00:00")
    )
    # Tuesday's night shift still runs into Wednesday morning; nothing starts on Wednesday.
    assert spans(windows) == [
        ("Wed 00:00", "Wed 02:00", "NIGHT"),
        ("Wed 02:30", "Wed 06:00", "NIGHT"),
    ]
    assert {w.production_day for w in windows} == {date(2026, 3, 3)}


def test_a_planned_stop_cuts_a_shift():
    stop = (local(SEOUL, "2026-03-02T09:00"), local(SEOUL, "2026-03-02T12:30"))
    cal = calendar(DAY_SHIFT, stops=[stop])
    windows = working_windows(cal, WEEK_START, local(SEOUL, "2026-03-03T00:00"))
    assert spans(windows) == [("Mon 08:00", "Mon 09:00", "DAY"), ("Mon 13:00", "Mon 17:00", "DAY")]
    assert working_seconds(cal, WEEK_START, local(SEOUL, "2026-03-03T00:00")) == 5 * HOUR


def test_the_pattern_in_force_follows_valid_from():
    early = ShiftSpec("EARLY", EVERY_DAY, t("06:00"), t("14:00"))
    late = ShiftSpec("LATE", EVERY_DAY, t("14:00"), t("22:00"))
    cal = Calendar(
        zone=SEOUL,
        periods=(
            PatternPeriod(date(2026, 3, 4), (late,)),
            PatternPeriod(date(2026, 3, 2), (early,)),
        ),
    )
    windows = working_windows(
        cal, local(SEOUL, "2026-03-01T00:00"), local(SEOUL, "2026-03-06T00:00")
    )
    assert [(w.production_day.day, w.shift_code) for w in windows] == [
        (2, "EARLY"),
        (3, "EARLY"),
        (4, "LATE"),
        (5, "LATE"),
    ]


# --- daylight saving time (Europe/Berlin) -------------------------------------

THREE_SHIFTS = (
    ShiftSpec("EARLY", EVERY_DAY, t("06:00"), t("14:00")),
    ShiftSpec("LATE", EVERY_DAY, t("14:00"), t("22:00")),
    ShiftSpec("NIGHT", EVERY_DAY, t("22:00"), t("06:00"), ((t("00:30"), t("01:00")),)),
)


def test_spring_forward_week_has_one_hour_less():
    # Clocks jump 02:00 → 03:00 on Sunday 2026-03-29.
    cal = calendar(*THREE_SHIFTS, zone=BERLIN)
    start, end = local(BERLIN, "2026-03-23T00:00"), local(BERLIN, "2026-03-30T00:00")
    windows = working_windows(cal, start, end)
    assert (end - start).total_seconds() == 167 * HOUR
    assert total_seconds(windows) == 167 * HOUR - 7 * 0.5 * HOUR  # 7 night breaks
    saturday_night = [
        w for w in windows if w.shift_code == "NIGHT" and w.production_day == date(2026, 3, 28)
    ]
    assert sum(w.seconds for w in saturday_night) == 6.5 * HOUR  # 22:00-06:00 is 7 real hours
    assert saturday_night[-1].end == local(BERLIN, "2026-03-29T06:00")


def test_fall_back_week_has_one_hour_more():
    # Clocks go back 03:00 → 02:00 on Sunday 2026-10-25.
    cal = calendar(*THREE_SHIFTS, zone=BERLIN)
    start, end = local(BERLIN, "2026-10-19T00:00"), local(BERLIN, "2026-10-26T00:00")
    assert total_seconds(working_windows(cal, start, end)) == 169 * HOUR - 7 * 0.5 * HOUR
    night = shift_at(cal, utc("2026-10-25T00:30"))  # 02:30 local, the second time round
    assert night is not None
    assert (night.shift_code, night.production_day) == ("NIGHT", date(2026, 10, 24))
    assert (night.end - night.start).total_seconds() == 9 * HOUR


def test_a_shift_starting_in_the_spring_gap_starts_after_it():
    cal = calendar(ShiftSpec("ODD", EVERY_DAY, t("02:30"), t("10:00")), zone=BERLIN)
    windows = working_windows(
        cal, local(BERLIN, "2026-03-29T00:00"), local(BERLIN, "2026-03-30T00:00")
    )
    assert windows[0].start == utc("2026-03-29T01:30")  # 03:30 CEST: 02:30 read before the jump
    assert windows[0].end == local(BERLIN, "2026-03-29T10:00")


def test_shifts_a_dst_gap_makes_overlap_do_not_produce_overlapping_windows():
    # 02:30 on the spring night lands at 03:30 CEST, after LATE_MORNING has begun.
    first = ShiftSpec("A", EVERY_DAY, t("20:00"), t("02:30"))
    second = ShiftSpec("B", EVERY_DAY, t("03:00"), t("08:00"))
    cal = calendar(first, second, zone=BERLIN)
    windows = working_windows(
        cal, local(BERLIN, "2026-03-28T12:00"), local(BERLIN, "2026-03-29T12:00")
    )
    assert [w.shift_code for w in windows] == ["A", "B"]
    assert windows[0].end == windows[1].start == utc("2026-03-29T01:30")


# --- shift at a moment --------------------------------------------------------


def test_shift_at_includes_breaks_and_is_none_between_shifts():
    cal = calendar(DAY_SHIFT, NIGHT_SHIFT)
    during_break = shift_at(cal, local(SEOUL, "2026-03-03T02:15"))
    assert during_break == (
        "NIGHT",
        date(2026, 3, 2),
        local(SEOUL, "2026-03-02T22:00"),
        local(SEOUL, "2026-03-03T06:00"),
    )
    assert shift_at(cal, local(SEOUL, "2026-03-03T07:00")) is None
    assert shift_at(cal, local(SEOUL, "2026-03-03T17:00")) is None  # end is exclusive


# --- validation helpers -------------------------------------------------------


def test_overnight_shift_overlapping_next_morning_is_detected():
    night = ShiftSpec("NIGHT", frozenset({0}), t("22:00"), t("07:00"))
    tuesday_morning = ShiftSpec("DAY", frozenset({1}), t("06:00"), t("14:00"))
    wednesday_morning = ShiftSpec("DAY", frozenset({2}), t("06:00"), t("14:00"))
    assert shifts_overlap(night, tuesday_morning)
    assert not shifts_overlap(night, wednesday_morning)


def test_sunday_night_runs_into_monday_morning():
    sunday_night = ShiftSpec("NIGHT", frozenset({6}), t("22:00"), t("07:00"))
    monday_morning = ShiftSpec("DAY", frozenset({0}), t("06:00"), t("14:00"))
    assert shifts_overlap(sunday_night, monday_morning)


def test_adjacent_shifts_do_not_overlap():
    early, late, night = THREE_SHIFTS
    assert not shifts_overlap(early, late)
    assert not shifts_overlap(late, night)
    assert not shifts_overlap(night, early)


def test_break_fits_shift():
    assert break_fits_shift(t("22:00"), t("06:00"), t("23:30"), t("00:30"))
    assert break_fits_shift(t("22:00"), t("06:00"), t("22:00"), t("06:00"))
    assert not break_fits_shift(t("22:00"), t("06:00"), t("05:30"), t("06:30"))
    assert not break_fits_shift(t("08:00"), t("17:00"), t("07:00"), t("08:30"))
    assert not break_fits_shift(t("08:00"), t("17:00"), t("13:00"), t("12:00"))


# --- properties -----------------------------------------------------------------

ZONES = st.sampled_from([SEOUL, BERLIN, "America/New_York", "Australia/Lord_Howe", "UTC"])
times = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))
shift_specs = st.builds(
    ShiftSpec,
    code=st.sampled_from(["A", "B", "C"]),
    weekdays=st.frozensets(st.integers(0, 6), min_size=1),
    start=times,
    end=times,
    breaks=st.lists(st.tuples(times, times), max_size=2).map(tuple),
)
moments = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)
)


@settings(max_examples=300, deadline=None)
@given(
    shifts=st.lists(shift_specs, max_size=3),
    zone=ZONES,
    start=moments,
    length=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=9)),
    stops=st.lists(
        st.tuples(moments, st.timedeltas(timedelta(minutes=1), timedelta(days=1))), max_size=3
    ),
    holidays=st.sets(st.dates(date(2026, 1, 1), date(2026, 12, 31)), max_size=5),
)
def test_windows_are_sorted_disjoint_inside_the_range_and_within_their_shift(
    shifts, zone, start, length, stops, holidays
):
    cal = calendar(*shifts, zone=zone, holidays=holidays, stops=[(s, s + d) for s, d in stops])
    end = start + length
    windows = working_windows(cal, start, end)
    for window in windows:
        assert start <= window.start < window.end <= end
        running = shift_at(cal, window.start)
        assert running is not None and running.shift_code == window.shift_code
        assert window.production_day not in holidays
    for earlier, later in pairwise(windows):
        assert earlier.end <= later.start
    assert total_seconds(windows) <= length.total_seconds()


def test_the_window_arithmetic_imports_no_django():
    code = (
        "import sys, production.calendars.windows; "
        "print(any(m.startswith('django') for m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
