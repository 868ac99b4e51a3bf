"""Reading calendars from the database: which pattern applies, holidays, stops, query count."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from mes.errors import InvalidInput
from production.calendars import selectors, services
from production.calendars.windows import total_seconds, working_windows

from .factories import SiteFactory, WorkCenterFactory

pytestmark = pytest.mark.django_db

SEOUL = ZoneInfo("Asia/Seoul")
HOUR = 3600


def seoul(*args) -> datetime:
    return datetime(*args, tzinfo=SEOUL).astimezone(UTC)


def shift(code, start, end, weekdays=(0, 1, 2, 3, 4, 5, 6), breaks=()) -> dict:
    return {
        "code": code,
        "name": code.title(),
        "weekdays": list(weekdays),
        "start": start,
        "end": end,
        "breaks": [{"name": "break", "start": s, "end": e} for s, e in breaks],
    }


@pytest.fixture
def plant():
    """A work center whose site runs a day shift; another work center of the same site."""
    work_center = WorkCenterFactory()
    site = work_center.area.site
    neighbour = WorkCenterFactory(area=work_center.area)
    day = services.set_shift_pattern(
        actor=None,
        code="DAY",
        name="Day",
        site=site,
        shifts=[shift("DAY", "08:00", "17:00", breaks=[("12:00", "13:00")])],
    )
    night = services.set_shift_pattern(
        actor=None, code="NIGHT", name="Night", site=site, shifts=[shift("NIGHT", "22:00", "06:00")]
    )
    services.assign_calendar(actor=None, pattern=day, site=site, valid_from=date(2026, 1, 1))
    return {"site": site, "work_center": work_center, "neighbour": neighbour, "night": night}


def codes(windows) -> list[tuple[int, str]]:
    return [(w.production_day.day, w.shift_code) for w in windows]


def test_a_work_center_without_its_own_calendar_uses_its_site(plant):
    windows = selectors.get_working_windows(
        work_center=plant["work_center"], start=seoul(2026, 3, 2), end=seoul(2026, 3, 3)
    )
    assert [(w.start, w.end) for w in windows] == [
        (seoul(2026, 3, 2, 8), seoul(2026, 3, 2, 12)),
        (seoul(2026, 3, 2, 13), seoul(2026, 3, 2, 17)),
    ]
    assert windows == selectors.get_working_windows(
        site=plant["site"], start=seoul(2026, 3, 2), end=seoul(2026, 3, 3)
    )


def test_work_center_override_beats_site_default_from_its_day_on(plant):
    services.assign_calendar(
        actor=None,
        pattern=plant["night"],
        work_center=plant["work_center"],
        valid_from=date(2026, 3, 3),
    )
    range_ = {"start": seoul(2026, 3, 2), "end": seoul(2026, 3, 4)}
    own = selectors.get_working_windows(work_center=plant["work_center"], **range_)
    assert codes(own) == [(2, "DAY"), (2, "DAY"), (3, "NIGHT")]
    # A later site assignment does not undo the work center's own calendar.
    other_day = services.set_shift_pattern(
        actor=None,
        code="EARLY",
        name="Early",
        site=plant["site"],
        shifts=[shift("EARLY", "06:00", "14:00")],
    )
    services.assign_calendar(
        actor=None, pattern=other_day, site=plant["site"], valid_from=date(2026, 3, 3)
    )
    assert codes(
        selectors.get_working_windows(work_center=plant["work_center"], **range_)
    ) == codes(own)
    neighbour = selectors.get_working_windows(work_center=plant["neighbour"], **range_)
    assert codes(neighbour) == [(2, "DAY"), (2, "DAY"), (3, "EARLY")]


def test_holidays_and_planned_stops_are_taken_out(plant):
    site, work_center = plant["site"], plant["work_center"]
    services.add_holiday(actor=None, site=site, date=date(2026, 3, 3), name="Holiday")
    services.add_planned_stop(
        actor=None,
        site=site,
        start=seoul(2026, 3, 2, 8),
        end=seoul(2026, 3, 2, 9),
        reason="Site meeting",
    )
    services.add_planned_stop(
        actor=None,
        work_center=work_center,
        start=seoul(2026, 3, 4, 14),
        end=seoul(2026, 3, 4, 16),
        reason="Maintenance",
    )
    range_ = {"start": seoul(2026, 3, 2), "end": seoul(2026, 3, 5)}
    own = selectors.get_working_windows(work_center=work_center, **range_)
    neighbour = selectors.get_working_windows(work_center=plant["neighbour"], **range_)
    whole_site = selectors.get_working_windows(site=site, **range_)
    assert total_seconds(own) == (8 - 1 + 0 + 8 - 2) * HOUR
    assert total_seconds(neighbour) == total_seconds(whole_site) == (8 - 1 + 0 + 8) * HOUR


def test_work_centers_read_together_share_their_sites_calendar_unless_they_have_their_own(
    plant, django_assert_num_queries
):
    own_pattern, own_stop = plant["work_center"], plant["neighbour"]
    services.assign_calendar(
        actor=None, pattern=plant["night"], work_center=own_pattern, valid_from=date(2026, 3, 3)
    )
    services.add_planned_stop(
        actor=None,
        work_center=own_stop,
        start=seoul(2026, 3, 2, 14),
        end=seoul(2026, 3, 2, 16),
        reason="Maintenance",
    )
    plain = [WorkCenterFactory(area=own_stop.area) for _ in range(3)]
    elsewhere = WorkCenterFactory()  # another site, without a calendar
    centers = [own_pattern, own_stop, *plain, elsewhere]
    range_ = {"start": seoul(2026, 3, 2), "end": seoul(2026, 3, 4)}
    # Three; the site's calendar (5), the other site's (3: no patterns to prefetch) and
    # the two work centers' own (6 each: their site first).
    with django_assert_num_queries(3 + 5 + 3 + 6 + 6):
        calendars = selectors.get_calendars(centers, **range_)
    for center in centers:
        assert working_windows(calendars[center.pk], **range_) == selectors.get_working_windows(
            work_center=center, **range_
        ), center.code
    assert calendars[plain[0].pk] is calendars[plain[2].pk]


def test_calendar_changes_within_the_range(plant):
    services.assign_calendar(
        actor=None, pattern=plant["night"], site=plant["site"], valid_from=date(2026, 3, 3)
    )
    windows = selectors.get_working_windows(
        site=plant["site"], start=seoul(2026, 3, 2), end=seoul(2026, 3, 4)
    )
    assert codes(windows) == [(2, "DAY"), (2, "DAY"), (3, "NIGHT")]
    assert windows[-1].end == seoul(2026, 3, 4)  # clipped: the night runs on to 06:00


def test_no_calendar_no_working_time():
    assert (
        selectors.get_working_windows(
            site=SiteFactory(), start=seoul(2026, 3, 2), end=seoul(2026, 3, 9)
        )
        == []
    )
    no_area = WorkCenterFactory(area=None)
    assert selectors.get_shift_at(no_area, seoul(2026, 3, 2, 10)) is None


def test_get_shift_at_names_shift_production_day_and_bounds(plant):
    services.assign_calendar(
        actor=None,
        pattern=plant["night"],
        work_center=plant["work_center"],
        valid_from=date(2026, 3, 1),
    )
    found = selectors.get_shift_at(plant["work_center"], seoul(2026, 3, 3, 1, 30))
    assert found == ("NIGHT", date(2026, 3, 2), seoul(2026, 3, 2, 22), seoul(2026, 3, 3, 6))
    lunch = selectors.get_shift_at(plant["site"], seoul(2026, 3, 3, 12, 30))
    assert lunch is not None and lunch.shift_code == "DAY"  # a break still belongs to its shift
    assert selectors.get_shift_at(plant["site"], seoul(2026, 3, 3, 18)) is None


@pytest.mark.parametrize("days", [1, 60])
def test_query_count_does_not_grow_with_the_range(plant, days, django_assert_max_num_queries):
    services.add_holiday(actor=None, site=plant["site"], date=date(2026, 3, 3), name="Holiday")
    services.add_planned_stop(
        actor=None,
        work_center=plant["work_center"],
        start=seoul(2026, 3, 2, 9),
        end=seoul(2026, 3, 2, 10),
    )
    services.assign_calendar(
        actor=None,
        pattern=plant["night"],
        work_center=plant["work_center"],
        valid_from=date(2026, 3, 20),
    )
    start = seoul(2026, 3, 2)
    with django_assert_max_num_queries(6):
        windows = selectors.get_working_windows(
            work_center=plant["work_center"], start=start, end=start + timedelta(days=days)
        )
    assert len(windows) >= days


def test_naive_or_missing_arguments_are_refused(plant):
    with pytest.raises(InvalidInput) as caught:
        selectors.get_working_windows(
            site=plant["site"], start=datetime(2026, 3, 2), end=seoul(2026, 3, 3)
        )
    assert "start" in caught.value.errors
    with pytest.raises(InvalidInput):
        selectors.get_working_windows(start=seoul(2026, 3, 2), end=seoul(2026, 3, 3))


def test_list_pattern_shifts_round_trips_through_set_shift_pattern(plant):
    pattern = plant["night"]
    shifts = selectors.list_pattern_shifts(pattern)
    services.set_shift_pattern(
        actor=None, code=pattern.code, name=pattern.name, site=pattern.site, shifts=shifts
    )
    assert selectors.list_pattern_shifts(pattern) == shifts
