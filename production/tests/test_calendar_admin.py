"""The calendar admin writes through the services and previews working windows."""

from datetime import date, time

import pytest

from mes.models import AuditEntry
from production.calendars import services
from production.models import CalendarAssignment, Holiday, ShiftBreak, ShiftDefinition, ShiftPattern

from .factories import SiteFactory, WorkCenterFactory

pytestmark = pytest.mark.django_db

PATTERNS = "/admin/production/shiftpattern/"


@pytest.fixture
def planner_client(client, make_person):
    client.force_login(make_person("planner"))
    return client


def shift_rows(*rows, initial=0) -> dict:
    data = {
        "shifts-TOTAL_FORMS": str(len(rows)),
        "shifts-INITIAL_FORMS": str(initial),
        "shifts-MIN_NUM_FORMS": "0",
        "shifts-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        for name, value in row.items():
            data[f"shifts-{index}-{name}"] = value
    return data


DAY_ROW = {
    "code": "DAY",
    "name": "Day",
    "weekdays": ["0", "1", "2", "3", "4"],
    "start": "08:00",
    "end": "17:00",
    "ordering": "0",
}
NIGHT_ROW = {
    "code": "NIGHT",
    "name": "Night",
    "weekdays": ["0", "1", "2", "3", "4"],
    "start": "22:00",
    "end": "06:00",
    "ordering": "1",
}


def test_adding_a_pattern_with_shifts_goes_through_the_service(planner_client):
    site = SiteFactory()
    response = planner_client.post(
        PATTERNS + "add/",
        {"code": "TWO", "name": "Two shifts", "site": site.pk, **shift_rows(DAY_ROW, NIGHT_ROW)},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    pattern = ShiftPattern.objects.get(code="TWO")
    assert sorted(pattern.shifts.values_list("code", flat=True)) == ["DAY", "NIGHT"]
    assert pattern.shifts.get(code="NIGHT").weekday_set == frozenset(range(5))
    entries = AuditEntry.objects.filter(
        model__in=["production.shiftpattern", "production.shiftdefinition"]
    )
    assert entries.count() == 3
    assert {e.actor_label for e in entries} == {response.wsgi_request.user.username}


def test_overlapping_shifts_in_the_admin_are_a_message_and_nothing_is_saved(planner_client):
    site = SiteFactory()
    late = {**NIGHT_ROW, "code": "LATE", "start": "16:00", "end": "23:00"}
    response = planner_client.post(
        PATTERNS + "add/",
        {"code": "TWO", "name": "Two shifts", "site": site.pk, **shift_rows(DAY_ROW, late)},
        follow=True,
    )
    assert "DAY" in response.content.decode() and "LATE" in response.content.decode()
    assert [m.message for m in response.context["messages"]] == ["Shifts DAY and LATE overlap."]
    assert not ShiftPattern.objects.exists()
    assert not AuditEntry.objects.filter(model__startswith="production.shift").exists()


def test_editing_a_shift_replaces_its_breaks_through_the_service(planner_client):
    pattern = services.set_shift_pattern(
        actor=None,
        code="TWO",
        name="Two",
        site=SiteFactory(),
        shifts=[
            {
                **DAY_ROW,
                "weekdays": [0, 1, 2, 3, 4],
                "breaks": [{"name": "Lunch", "start": "12:00", "end": "13:00"}],
            },
            {**NIGHT_ROW, "weekdays": [0, 1, 2, 3, 4], "breaks": []},
        ],
    )
    day = pattern.shifts.get(code="DAY")
    lunch = day.breaks.get()
    response = planner_client.post(
        f"/admin/production/shiftdefinition/{day.pk}/change/",
        {
            **{k: v for k, v in DAY_ROW.items()},
            "breaks-TOTAL_FORMS": "2",
            "breaks-INITIAL_FORMS": "1",
            "breaks-MIN_NUM_FORMS": "0",
            "breaks-MAX_NUM_FORMS": "1000",
            "breaks-0-id": lunch.pk,
            "breaks-0-shift": day.pk,
            "breaks-0-name": "Lunch",
            "breaks-0-start": "12:30",
            "breaks-0-end": "13:30",
            "breaks-1-shift": day.pk,
            "breaks-1-name": "Tea",
            "breaks-1-start": "15:00",
            "breaks-1-end": "15:15",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert sorted((b.name, b.start) for b in ShiftBreak.objects.filter(shift=day)) == [
        ("Lunch", time(12, 30)),
        ("Tea", time(15, 0)),
    ]
    assert ShiftDefinition.objects.filter(pattern=pattern).count() == 2  # the night shift is kept
    update = AuditEntry.objects.get(model="production.shiftdefinition", action="update")
    assert update.changes["breaks"] == [
        ["12:00-13:00 Lunch"],
        ["12:30-13:30 Lunch", "15:00-15:15 Tea"],
    ]


def test_a_break_outside_its_shift_is_refused_in_the_admin(planner_client):
    pattern = services.set_shift_pattern(
        actor=None,
        code="ONE",
        name="One",
        site=SiteFactory(),
        shifts=[{**DAY_ROW, "weekdays": [0], "breaks": []}],
    )
    day = pattern.shifts.get()
    response = planner_client.post(
        f"/admin/production/shiftdefinition/{day.pk}/change/",
        {
            **DAY_ROW,
            "breaks-TOTAL_FORMS": "1",
            "breaks-INITIAL_FORMS": "0",
            "breaks-MIN_NUM_FORMS": "0",
            "breaks-MAX_NUM_FORMS": "1000",
            "breaks-0-shift": day.pk,
            "breaks-0-name": "Late",
            "breaks-0-start": "16:30",
            "breaks-0-end": "17:30",
        },
        follow=True,
    )
    assert "not inside its shift" in next(m.message for m in response.context["messages"])
    assert not ShiftBreak.objects.exists()


def test_preview_working_windows_of_a_pattern_and_of_an_assignment(planner_client):
    work_center = WorkCenterFactory()
    site = work_center.area.site
    pattern = services.set_shift_pattern(
        actor=None,
        code="ALL-WEEK",
        name="All week",
        site=site,
        shifts=[{**DAY_ROW, "weekdays": list(range(7)), "breaks": []}],
    )
    assignment = services.assign_calendar(
        actor=None, pattern=pattern, work_center=work_center, valid_from=date(2000, 1, 1)
    )
    for url, pk in (
        (PATTERNS, pattern.pk),
        ("/admin/production/calendarassignment/", assignment.pk),
    ):
        response = planner_client.post(
            url, {"action": "preview_working_windows", "_selected_action": [pk]}
        )
        assert response.status_code == 200
        page = response.content.decode()
        assert "<td>DAY</td>" in page
        assert "Asia/Seoul" in page


def test_holiday_added_in_the_admin_is_audited(planner_client):
    site = SiteFactory()
    response = planner_client.post(
        "/admin/production/holiday/add/",
        {"site": site.pk, "date": "2026-05-05", "name": "Children's Day"},
    )
    assert response.status_code == 302
    holiday = Holiday.objects.get()
    assert AuditEntry.objects.filter(model="production.holiday", object_id=str(holiday.pk)).exists()


def test_assignment_added_in_the_admin_checks_the_site(planner_client):
    pattern = services.set_shift_pattern(
        actor=None, code="P", name="P", site=SiteFactory(), shifts=[]
    )
    other_site_work_center = WorkCenterFactory()
    response = planner_client.post(
        "/admin/production/calendarassignment/add/",
        {
            "pattern": pattern.pk,
            "work_center": other_site_work_center.pk,
            "valid_from": "2026-01-01",
        },
        follow=True,
    )
    assert [m.message for m in response.context["messages"]] == [
        "The shift pattern belongs to another site."
    ]
    assert not CalendarAssignment.objects.exists()


def test_changing_a_pattern_keeps_breaks_of_kept_shifts_and_removes_deleted_shifts(planner_client):
    site = SiteFactory()
    pattern = services.set_shift_pattern(
        actor=None,
        code="TWO",
        name="Two",
        site=site,
        shifts=[
            {
                **DAY_ROW,
                "weekdays": [0, 1, 2, 3, 4],
                "breaks": [{"name": "Lunch", "start": "12:00", "end": "13:00"}],
            },
            {**NIGHT_ROW, "weekdays": [0, 1, 2, 3, 4], "breaks": []},
        ],
    )
    day, night = pattern.shifts.get(code="DAY"), pattern.shifts.get(code="NIGHT")
    rows = shift_rows(
        {
            **DAY_ROW,
            "id": day.pk,
            "pattern": pattern.pk,
            "weekdays": ["0", "1", "2", "3", "4", "5"],
        },
        {**NIGHT_ROW, "id": night.pk, "pattern": pattern.pk, "DELETE": "on"},
        initial=2,
    )
    response = planner_client.post(
        f"{PATTERNS}{pattern.pk}/change/", {"name": "Days only", "site": site.pk, **rows}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    pattern.refresh_from_db()
    assert pattern.name == "Days only"
    kept = pattern.shifts.get()
    assert (kept.pk, kept.weekday_set) == (day.pk, frozenset(range(6)))
    assert [b.name for b in kept.breaks.all()] == ["Lunch"]
