"""The OEE time model on hand-worked cases (pure: no database)."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from production.calendars.windows import Calendar, PatternPeriod, ShiftSpec, working_windows
from production.oee import model
from production.oee.model import CounterReading, PeriodInput, Quantities, StateChange

MONDAY = datetime(2026, 11, 23, tzinfo=UTC)
SEOUL = "Asia/Seoul"


def at(hhmm: str, day: int = 0) -> datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return MONDAY + timedelta(days=day, hours=hours, minutes=minutes)


def test_a_day_shift_with_a_break_and_a_breakdown():
    # Shift 06:00–14:00 with a break 10:00–10:30: planned busy time 7.5 h = 27,000 s.
    # Running 06:00–09:00, down 09:00–09:30, running 09:30–14:00 (the machine runs on
    # through the break, which is neither planned nor a loss): APT = 3 h + 4 h = 25,200 s.
    # Ideal cycle 30 s, 800 made, 784 good.
    working = [(at("06:00"), at("10:00")), (at("10:30"), at("14:00"))]
    changes = [
        StateChange(at("09:30"), "running"),
        StateChange(at("06:00"), "running"),
        StateChange(at("09:00"), "down", "DT-BREAKDOWN"),
    ]
    spans = model.state_spans(changes, at("06:00"), at("14:00"))
    result = model.compute(
        PeriodInput(
            start=at("06:00"),
            end=at("14:00"),
            working=working,
            ideal_cycle_time_s=30,
            states=spans,
            quantities=Quantities(total=800, good=784),
        )
    )
    assert result.planned_time_s == 27_000
    assert result.run_time_s == 25_200
    assert result.down_time_s == 1_800
    assert result.availability == pytest.approx(25_200 / 27_000)  # 0.9333
    assert result.performance == pytest.approx(30 * 800 / 25_200)  # 0.9524
    assert result.quality == pytest.approx(0.98)
    assert result.oee == pytest.approx(0.9333 * 0.95238 * 0.98, abs=1e-4)  # 0.8711


def test_a_night_shift_crossing_midnight_and_an_event_before_it():
    # 22:00–06:00; the machine started running at 21:30 (before the shift), stopped
    # idle at 01:00 for 30 minutes; the states straddle the period's start.
    changes = [
        StateChange(at("21:30"), "running"),
        StateChange(at("01:00", 1), "idle"),
        StateChange(at("01:30", 1), "running"),
    ]
    start, end = at("22:00"), at("06:00", 1)
    spans = model.state_spans(changes, start, end)
    assert spans[0].start == start and spans[0].state == "running"
    result = model.compute(
        PeriodInput(start, end, [(start, end)], 60, spans, quantities=Quantities(400, 400))
    )
    assert result.planned_time_s == 8 * 3600
    assert result.idle_time_s == 1800
    assert result.run_time_s == 7.5 * 3600
    assert result.performance == pytest.approx(60 * 400 / (7.5 * 3600))


def test_time_before_the_first_known_state_is_unknown_not_running():
    spans = model.state_spans([StateChange(at("08:00"), "running")], at("06:00"), at("14:00"))
    result = model.compute(
        PeriodInput(at("06:00"), at("14:00"), [(at("06:00"), at("14:00"))], 10, spans)
    )
    assert result.unknown_time_s == 2 * 3600 and result.run_time_s == 6 * 3600


def test_a_planned_stop_from_the_machine_is_not_a_loss():
    changes = [
        StateChange(at("06:00"), "running"),
        StateChange(at("12:00"), "planned_stop"),
        StateChange(at("13:00"), "running"),
    ]
    spans = model.state_spans(changes, at("06:00"), at("14:00"))
    result = model.compute(
        PeriodInput(at("06:00"), at("14:00"), [(at("06:00"), at("14:00"))], 10, spans)
    )
    assert result.planned_stop_s == 3600
    assert result.planned_time_s == 7 * 3600
    assert result.availability == 1.0


def test_no_machine_states_use_the_operation_logs_and_no_counters_the_reports():
    result = model.compute(
        PeriodInput(
            start=at("06:00"),
            end=at("14:00"),
            working=[(at("06:00"), at("14:00"))],
            ideal_cycle_time_s=36,
            states=None,
            operation_running=[(at("07:00"), at("09:00")), (at("08:30"), at("11:00"))],
            quantities=Quantities(total=380, good=361),  # from the operators' reports
        )
    )
    assert result.run_time_s == 4 * 3600  # 07:00–11:00, overlaps merged
    assert result.unknown_time_s == 4 * 3600
    assert result.availability == 0.5
    assert result.performance == pytest.approx(36 * 380 / 14_400)
    assert result.quality == pytest.approx(0.95)


def test_no_planned_time_and_no_output_give_none_not_a_division_by_zero():
    result = model.compute(PeriodInput(at("06:00"), at("14:00"), [], 30, []))
    assert (result.availability, result.performance, result.quality, result.oee) == (
        None,
        None,
        None,
        None,
    )


def test_counter_resets_are_handled():
    readings = [
        CounterReading(at("06:10"), 150, 3),
        CounterReading(at("06:00"), 100, 1),
        CounterReading(at("06:20"), 20, 0),  # the PLC restarted: counts from zero
        CounterReading(at("06:30"), 50, 2),
    ]
    increments = model.counter_increments(readings)
    assert [(i.total, i.reject) for i in increments] == [(0, 0), (50, 2), (20, 0), (30, 2)]
    assert model.quantities_in(increments, at("06:00"), at("07:00")) == Quantities(100, 96)
    assert model.quantities_in(increments, at("06:15"), at("06:25")) == Quantities(20, 20)


@given(st.permutations(list(range(6))))
def test_results_do_not_depend_on_arrival_order(order):
    base = [
        StateChange(at("06:00"), "running"),
        StateChange(at("07:00"), "down"),
        StateChange(at("07:20"), "running"),
        StateChange(at("09:00"), "setup"),
        StateChange(at("09:45"), "running"),
        StateChange(at("09:45"), "idle"),
    ]
    shuffled = [base[i] for i in order]
    assert model.state_spans(shuffled, at("06:00"), at("14:00")) == model.state_spans(
        base, at("06:00"), at("14:00")
    )


def test_periods_from_the_calendar_shift_day_and_week():
    def t(hhmm):
        return time.fromisoformat(hhmm)

    weekdays = frozenset(range(5))
    calendar = Calendar(
        zone=SEOUL,
        periods=(
            PatternPeriod(
                date(2020, 1, 1),
                (
                    ShiftSpec("DAY", weekdays, t("08:00"), t("17:00"), ((t("12:00"), t("13:00")),)),
                    ShiftSpec("NIGHT", weekdays, t("22:00"), t("06:00")),
                ),
            ),
        ),
    )
    windows = working_windows(calendar, MONDAY - timedelta(hours=9), MONDAY + timedelta(days=5))
    shifts = model.group_windows(windows, "shift")
    night = next(p for p in shifts if p.key == "2026-11-23 NIGHT")
    assert (night.end - night.start) == timedelta(hours=8)  # one period across midnight
    day = next(p for p in shifts if p.key == "2026-11-23 DAY")
    assert model.seconds(day.working) == 8 * 3600  # the lunch break is not working time
    days = model.group_windows(windows, "day")
    assert [p.key for p in days][:2] == ["2026-11-23", "2026-11-24"]
    assert model.seconds(days[0].working) == 16 * 3600
    weeks = model.group_windows(windows, "week")
    assert [p.key for p in weeks] == ["2026-W48"]
    with pytest.raises(ValueError):
        model.group_windows(windows, "month")


def test_interval_arithmetic():
    a = [(at("06:00"), at("10:00")), (at("09:00"), at("12:00"))]
    b = [(at("08:00"), at("09:30")), (at("11:00"), at("13:00"))]
    assert model.merge(a) == [(at("06:00"), at("12:00"))]
    assert model.intersect(a, b) == [(at("08:00"), at("09:30")), (at("11:00"), at("12:00"))]
    assert model.subtract(a, b) == [(at("06:00"), at("08:00")), (at("09:30"), at("11:00"))]


def test_a_timeline_gives_each_period_what_it_needs():
    changes = [StateChange(at(f"{h:02d}:00"), "running" if h % 2 else "idle") for h in range(24)]
    line = model.Timeline(reversed(changes))
    assert line.around(at("05:30"), at("08:00")) == changes[5:8]
    assert line.around(at("00:00"), at("01:00")) == changes[0:1]
    for start, end in [(at("05:30"), at("08:00")), (at("23:10"), at("23:50"))]:
        assert model.state_spans(line.around(start, end), start, end) == model.state_spans(
            changes, start, end
        )


def test_down_time_is_split_by_reason_inside_planned_time_only():
    working = [(at("06:00"), at("10:00")), (at("10:30"), at("14:00"))]
    changes = [
        StateChange(at("06:00"), "running"),
        StateChange(at("08:00"), "down", "DT-TOOL"),
        StateChange(at("08:20"), "running"),
        StateChange(at("09:50"), "down"),  # no reason; 10:00–10:30 is the break
        StateChange(at("10:40"), "running"),
    ]
    result = model.compute(
        PeriodInput(
            start=at("06:00"),
            end=at("14:00"),
            working=working,
            ideal_cycle_time_s=30,
            states=model.state_spans(changes, at("06:00"), at("14:00")),
        )
    )
    assert result.down_by_reason == {"DT-TOOL": 1_200, "": 1_200}
    assert result.down_time_s == 2_400


def test_rejects_right_after_a_setup_are_start_up_rejects():
    spans = model.state_spans(
        [
            StateChange(at("06:00"), "setup"),
            StateChange(at("06:30"), "running"),
            StateChange(at("08:00"), "idle"),
            StateChange(at("08:10"), "running"),  # after idle, not after a setup
        ],
        at("06:00"),
        at("14:00"),
    )
    increments = [
        CounterReading(at("06:35"), 10, 4),  # inside 06:30–06:40
        CounterReading(at("06:50"), 20, 1),
        CounterReading(at("08:12"), 5, 2),
    ]
    assert model.startup_rejects(spans, increments, 600) == 4
    assert model.startup_rejects(spans, increments, 1_800) == 5
    assert model.startup_rejects(spans, [], 600) == 0
