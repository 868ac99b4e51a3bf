"""A machine on a one-shift calendar, for the OEE tests (the worked example of docs/oee.md)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from production.calendars import services as calendars
from production.models import ReasonCode
from production.oee.services import ingest_machine_events

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


def worked_example(*, down_reason: str | None = None):
    """Running from 06:00, down 09:00–09:30, 800 parts of which 16 rejects by 13:59."""
    down = {"machine": "PRESS-01", "ts": local("09:00").isoformat(), "state": "down"}
    if down_reason:
        down["reason"] = down_reason
    ingest_machine_events(
        [
            {
                "machine": "PRESS-01",
                "ts": local("06:00").isoformat(),
                "state": "running",
                "count_total": 0,
                "count_reject": 0,
            },
            down,
            {"machine": "PRESS-01", "ts": local("09:30").isoformat(), "state": "running"},
            {
                "machine": "PRESS-01",
                "ts": local("13:59").isoformat(),
                "count_total": 800,
                "count_reject": 16,
            },
        ]
    )
