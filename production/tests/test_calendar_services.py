"""Writes of shift calendars: validation, replacement, audit, nothing written on error."""

from datetime import UTC, date, datetime, time

import pytest
from django.db import IntegrityError, transaction

from mes.errors import AlreadyExists, InvalidInput, OverlappingShifts
from mes.models import AuditEntry
from production.calendars import services
from production.models import (
    CalendarAssignment,
    Holiday,
    PlannedStop,
    ShiftBreak,
    ShiftDefinition,
    ShiftPattern,
)

from .factories import SiteFactory, WorkCenterFactory

pytestmark = pytest.mark.django_db

WORKDAYS = [0, 1, 2, 3, 4]


def day_shift(**changes) -> dict:
    return {
        "code": "DAY",
        "name": "Day",
        "weekdays": WORKDAYS,
        "start": "08:00",
        "end": "17:00",
        "breaks": [{"name": "Lunch", "start": "12:00", "end": "13:00"}],
        **changes,
    }


def night_shift(**changes) -> dict:
    return {
        "code": "NIGHT",
        "name": "Night",
        "weekdays": WORKDAYS,
        "start": time(22, 0),
        "end": time(6, 0),
        "breaks": [{"name": "Midnight meal", "start": "23:30", "end": "00:30"}],
        **changes,
    }


def set_pattern(site, shifts, code="TWO-SHIFT", actor=None):
    return services.set_shift_pattern(
        actor=actor, code=code, name="Two shifts", site=site, shifts=shifts
    )


def assert_nothing_written():
    assert not ShiftPattern.objects.exists()
    assert not ShiftDefinition.objects.exists()
    assert not ShiftBreak.objects.exists()
    assert not AuditEntry.objects.filter(model__startswith="production.shift").exists()


def test_set_shift_pattern_creates_pattern_shifts_and_breaks_and_audits_them(manager):
    site = SiteFactory()
    pattern = set_pattern(site, [day_shift(), night_shift()], actor=manager)
    shifts = {s.code: s for s in pattern.shifts.all()}
    assert shifts["DAY"].weekday_set == frozenset(WORKDAYS)
    assert (shifts["NIGHT"].start, shifts["NIGHT"].end) == (time(22), time(6))
    assert [(b.name, b.start, b.end) for b in shifts["NIGHT"].breaks.all()] == [
        ("Midnight meal", time(23, 30), time(0, 30))
    ]
    entries = AuditEntry.objects.filter(model__startswith="production.shift")
    assert sorted((e.model, e.action) for e in entries) == [
        ("production.shiftdefinition", "create"),
        ("production.shiftdefinition", "create"),
        ("production.shiftpattern", "create"),
    ]
    night_entry = entries.get(object_id=str(shifts["NIGHT"].pk))
    assert night_entry.changes["breaks"] == [None, ["23:30-00:30 Midnight meal"]]
    assert {e.actor_label for e in entries} == {manager.username}


def test_set_shift_pattern_replaces_shifts_keeping_rows_of_kept_codes():
    site = SiteFactory()
    pattern = set_pattern(site, [day_shift(), night_shift()])
    day_pk = pattern.shifts.get(code="DAY").pk
    lunch_later = [{"name": "Lunch", "start": "12:30", "end": "13:30"}]
    set_pattern(site, [day_shift(breaks=lunch_later, weekdays=[0, 1, 2, 3, 4, 5])])
    day = ShiftDefinition.objects.get(pattern=pattern)
    assert day.pk == day_pk
    assert day.weekday_set == frozenset(range(6))
    assert [(b.start, b.end) for b in day.breaks.all()] == [(time(12, 30), time(13, 30))]
    update = AuditEntry.objects.get(model="production.shiftdefinition", action="update")
    assert update.changes["breaks"] == [["12:00-13:00 Lunch"], ["12:30-13:30 Lunch"]]
    assert update.changes["weekdays"] == [0b11111, 0b111111]
    assert (
        AuditEntry.objects.filter(model="production.shiftdefinition", action="delete").count() == 1
    )
    assert not ShiftBreak.objects.filter(name="Midnight meal").exists()


@pytest.mark.parametrize(
    "shifts, pair",
    [
        (
            [day_shift(), day_shift(code="LATE", start="16:00", end="23:00", breaks=[])],
            ("DAY", "LATE"),
        ),
        # Monday's night shift runs into Tuesday's early shift.
        (
            [
                night_shift(weekdays=[0], end="07:00", breaks=[]),
                day_shift(code="EARLY", weekdays=[1], start="06:30", end="14:00", breaks=[]),
            ],
            ("NIGHT", "EARLY"),
        ),
        # Sunday's night shift runs into Monday morning.
        (
            [night_shift(weekdays=[6], end="09:00", breaks=[]), day_shift()],
            ("NIGHT", "DAY"),
        ),
    ],
)
def test_overlapping_shifts_are_refused_and_nothing_is_written(shifts, pair):
    with pytest.raises(OverlappingShifts) as caught:
        set_pattern(SiteFactory(), shifts)
    error = caught.value
    assert (error.status, error.code) == (400, "overlapping_shifts")
    assert list(error.errors) == ["shifts"]
    assert all(code in error.errors["shifts"][0] for code in pair)
    assert_nothing_written()


def test_a_refused_replacement_leaves_the_pattern_as_it_was():
    site = SiteFactory()
    pattern = set_pattern(site, [day_shift()])
    before = AuditEntry.objects.count()
    with pytest.raises(OverlappingShifts):
        services.set_shift_pattern(
            actor=None,
            code=pattern.code,
            name="Renamed",
            site=site,
            shifts=[day_shift(), night_shift(code="LATE", start="16:00", end="00:00", breaks=[])],
        )
    pattern.refresh_from_db()
    assert pattern.name == "Two shifts"
    assert list(pattern.shifts.values_list("code", flat=True)) == ["DAY"]
    assert AuditEntry.objects.count() == before


@pytest.mark.parametrize(
    "shifts, field",
    [
        (
            [day_shift(breaks=[{"name": "x", "start": "07:00", "end": "08:30"}])],
            "shifts.0.breaks.0",
        ),
        (
            [
                day_shift(),
                night_shift(
                    breaks=[
                        {"name": "ok", "start": "02:00", "end": "02:30"},
                        {"name": "late", "start": "05:30", "end": "06:30"},
                    ]
                ),
            ],
            "shifts.1.breaks.1",
        ),
        ([day_shift(start="08:00", end="08:00")], "shifts.0.end"),
        ([day_shift(weekdays=[])], "shifts.0.weekdays"),
        ([day_shift(weekdays=[7])], "shifts.0.weekdays"),
        ([day_shift(weekdays="MON")], "shifts.0.weekdays"),
        ([day_shift(start="8 o'clock")], "shifts.0.start"),
        ([day_shift(code="bad code!")], "shifts.0.code"),
        ([day_shift(name="")], "shifts.0.name"),
        ([day_shift(), day_shift(start="18:00", end="20:00", breaks=[])], "shifts.1.code"),
    ],
)
def test_bad_shifts_are_refused_naming_the_field_and_nothing_is_written(shifts, field):
    with pytest.raises(InvalidInput) as caught:
        set_pattern(SiteFactory(), shifts)
    assert caught.value.status == 400
    assert field in caught.value.errors
    assert_nothing_written()


def test_a_pattern_in_use_cannot_move_to_another_site():
    site = SiteFactory()
    pattern = set_pattern(site, [day_shift()])
    services.assign_calendar(actor=None, pattern=pattern, site=site, valid_from=date(2026, 1, 1))
    with pytest.raises(InvalidInput) as caught:
        set_pattern(SiteFactory(), [day_shift()])
    assert "site" in caught.value.errors
    pattern.refresh_from_db()
    assert pattern.site == site


# --- assignments ----------------------------------------------------------------


def test_assign_calendar_to_site_and_work_center_and_reassigning_a_day_replaces_it():
    work_center = WorkCenterFactory()
    site = work_center.area.site
    first = set_pattern(site, [day_shift()], code="ONE")
    second = set_pattern(site, [night_shift()], code="TWO")
    services.assign_calendar(actor=None, pattern=first, site=site, valid_from=date(2026, 1, 1))
    services.assign_calendar(
        actor=None, pattern=first, work_center=work_center, valid_from=date(2026, 2, 1)
    )
    again = services.assign_calendar(
        actor=None, pattern=second, work_center=work_center, valid_from=date(2026, 2, 1)
    )
    assert CalendarAssignment.objects.count() == 2
    assert again.pattern == second
    actions = list(
        AuditEntry.objects.filter(model="production.calendarassignment")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "create", "update"]


@pytest.mark.parametrize(
    "target, field",
    [
        ({}, "site"),
        ({"site": "own", "work_center": "own"}, "work_center"),
        ({"site": "other"}, "pattern"),
        ({"work_center": "no_area"}, "work_center"),
    ],
)
def test_bad_assignments_are_refused(target, field):
    work_center = WorkCenterFactory()
    site = work_center.area.site
    pattern = set_pattern(site, [day_shift()])
    choices = {
        "own": {"site": site, "work_center": work_center},
        "other": {"site": SiteFactory()},
        "no_area": {"work_center": WorkCenterFactory(area=None)},
    }
    kwargs = {}
    for name, which in target.items():
        kwargs[name] = choices[which][name]
    with pytest.raises(InvalidInput) as caught:
        services.assign_calendar(actor=None, pattern=pattern, valid_from=date(2026, 1, 1), **kwargs)
    assert field in caught.value.errors
    assert not CalendarAssignment.objects.exists()


def test_database_refuses_an_assignment_with_two_targets_or_none():
    work_center = WorkCenterFactory()
    pattern = set_pattern(work_center.area.site, [day_shift()])
    for targets in ({}, {"site": work_center.area.site, "work_center": work_center}):
        with pytest.raises(IntegrityError), transaction.atomic():
            CalendarAssignment.objects.create(
                pattern=pattern, valid_from=date(2026, 1, 1), **targets
            )


# --- holidays and planned stops -------------------------------------------------


def test_add_holiday_twice_is_409_and_audited_once():
    site = SiteFactory()
    services.add_holiday(actor=None, site=site, date=date(2026, 5, 5), name="Children's Day")
    with pytest.raises(AlreadyExists):
        services.add_holiday(actor=None, site=site, date=date(2026, 5, 5), name="again")
    assert Holiday.objects.get().name == "Children's Day"
    assert AuditEntry.objects.filter(model="production.holiday").count() == 1


def test_add_planned_stop_takes_the_site_of_its_work_center_and_is_audited():
    work_center = WorkCenterFactory()
    stop = services.add_planned_stop(
        actor=None,
        work_center=work_center,
        start=datetime(2026, 3, 2, 1, tzinfo=UTC),
        end=datetime(2026, 3, 2, 3, tzinfo=UTC),
        reason="Mould change",
    )
    assert stop.site == work_center.area.site
    assert AuditEntry.objects.filter(model="production.plannedstop", action="create").count() == 1


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"end": datetime(2026, 3, 2, 1, tzinfo=UTC)}, "end"),
        ({"end": datetime(2026, 3, 2, 0, tzinfo=UTC)}, "end"),
        ({"start": datetime(2026, 3, 2, 1)}, "start"),
        ({"site": None}, "site"),
        ({"work_center": "elsewhere"}, "work_center"),
    ],
)
def test_bad_planned_stops_are_refused_and_nothing_is_written(changes, field):
    site = SiteFactory()
    values = {
        "site": site,
        "start": datetime(2026, 3, 2, 1, tzinfo=UTC),
        "end": datetime(2026, 3, 2, 3, tzinfo=UTC),
        **changes,
    }
    if values.get("work_center") == "elsewhere":
        values["work_center"] = WorkCenterFactory()  # in another site
    with pytest.raises(InvalidInput) as caught:
        services.add_planned_stop(actor=None, **values)
    assert field in caught.value.errors
    assert not PlannedStop.objects.exists()
    assert not AuditEntry.objects.filter(model="production.plannedstop").exists()


def test_database_refuses_a_planned_stop_ending_before_it_starts():
    with pytest.raises(IntegrityError):
        PlannedStop.objects.create(
            site=SiteFactory(),
            start=datetime(2026, 3, 2, 3, tzinfo=UTC),
            end=datetime(2026, 3, 2, 3, tzinfo=UTC),
        )


def test_database_refuses_a_shift_on_no_weekday():
    pattern = set_pattern(SiteFactory(), [])
    with pytest.raises(IntegrityError):
        ShiftDefinition.objects.create(
            pattern=pattern, code="X", name="x", weekdays=0, start=time(8), end=time(9)
        )
