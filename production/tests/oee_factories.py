"""A machine on a one-shift calendar, for the OEE tests (the worked example of docs/oee.md)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from production.calendars import services as calendars
from production.models import ReasonCode

from .factories import MachineFactory, ReasonCodeFactory, WorkCenterFactory

SEOUL = ZoneInfo("Asia/Seoul")
DAY = date(2026, 11, 23)  # a Monday


def local(hhmm: str) -> datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return datetime(DAY.year, DAY.month, DAY.day, hours, minutes, tzinfo=SEOUL)


def one_shift_press():
    """PRESS-01 (30 s a part) in WC-PRESS: one day shift 06:00–14:00 (Seoul), Mon–Fri,
    with a break 10:00–10:30; reason DT-BREAKDOWN."""
    work_center = WorkCenterFactory(code="WC-PRESS")
    pattern = calendars.set_shift_pattern(
        actor=None,
        code="ONE-SHIFT",
        name="day shift",
        site=work_center.area.site,
        shifts=[
            {
                "code": "DAY",
                "name": "day",
                "weekdays": [0, 1, 2, 3, 4],
                "start": "06:00",
                "end": "14:00",
                "breaks": [{"name": "break", "start": "10:00", "end": "10:30"}],
            }
        ],
    )
    calendars.assign_calendar(
        actor=None, pattern=pattern, site=work_center.area.site, valid_from=date(2026, 1, 1)
    )
    ReasonCodeFactory(code="DT-BREAKDOWN", kind=ReasonCode.Kind.DOWNTIME)
    return MachineFactory(code="PRESS-01", work_center=work_center, ideal_cycle_time_s=30)
