"""Reads of shift calendars: working windows and the shift at a moment.

Each call reads the calendar in a fixed number of queries (the site, the
assignments with their patterns, shifts and breaks, the holidays and the planned
stops), however long the range; the rest is windows.py arithmetic. Callers that
ask many questions of one calendar (the scheduler) load it once with
``get_calendar`` and use the functions of windows.py on it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Prefetch, Q
from django.utils.translation import gettext as _

from mes.errors import InvalidInput

from ..models import (
    Area,
    CalendarAssignment,
    Holiday,
    PlannedStop,
    ShiftDefinition,
    ShiftPattern,
    Site,
    WorkCenter,
)
from .windows import (
    Calendar,
    PatternPeriod,
    ShiftOccurrence,
    ShiftSpec,
    Window,
    production_days,
    shift_at,
    weekdays_from_mask,
    working_windows,
)


def get_calendar(
    *,
    work_center: WorkCenter | None = None,
    site: Site | None = None,
    start: datetime,
    end: datetime,
) -> Calendar:
    """The calendar of a work center (its own assignments, else its site's) or of a site.

    Holds what is needed to answer questions about ``[start, end)``: the planned
    stops of the site as a whole and, for a work center, its own.
    """
    if (site is None) == (work_center is None):
        raise InvalidInput(_("Give a site or a work center."), field="site")
    for name, moment in (("start", start), ("end", end)):
        if moment.utcoffset() is None:
            raise InvalidInput(_("Give a date and time with its time zone."), field=name)
    if work_center is not None:
        site = Site.objects.filter(areas__work_centers=work_center).first()
        if site is None:  # no area, so no site and no time zone: no working time
            return Calendar(zone="UTC", periods=())
    first_day, last_day = production_days(site.time_zone, start, end)
    return Calendar(
        zone=site.time_zone,
        periods=_periods(site, work_center, last_day),
        holidays=frozenset(
            Holiday.objects.filter(site=site, date__range=(first_day, last_day)).values_list(
                "date", flat=True
            )
        ),
        stops=tuple(
            PlannedStop.objects.filter(site=site, start__lt=end, end__gt=start)
            .filter(Q(work_center__isnull=True) | Q(work_center=work_center))
            .values_list("start", "end")
        ),
    )


def get_calendars(
    work_centers: Iterable[WorkCenter], *, start: datetime, end: datetime
) -> dict[int, Calendar]:
    """The calendars of several work centers by id, each what ``get_calendar`` gives it:
    the site's, read once per site, for those with no assignment or planned stop of their
    own; their own for the others. Three queries plus ``get_calendar``'s per site and per
    work center with a calendar of its own."""
    work_centers = list(work_centers)
    ids = [center.pk for center in work_centers]
    own = set(
        CalendarAssignment.objects.filter(work_center_id__in=ids).values_list(
            "work_center_id", flat=True
        )
    ) | set(
        PlannedStop.objects.filter(
            work_center_id__in=ids, start__lt=end, end__gt=start
        ).values_list("work_center_id", flat=True)
    )
    site_of = {
        area.pk: area.site
        for area in Area.objects.filter(pk__in={c.area_id for c in work_centers}).select_related(
            "site"
        )
    }
    of_site: dict[int, Calendar] = {}
    found = {}
    for center in work_centers:
        site = site_of.get(center.area_id)
        if center.pk in own or site is None:
            found[center.pk] = get_calendar(work_center=center, start=start, end=end)
            continue
        if site.pk not in of_site:
            of_site[site.pk] = get_calendar(site=site, start=start, end=end)
        found[center.pk] = of_site[site.pk]
    return found


def get_working_windows(
    *,
    work_center: WorkCenter | None = None,
    site: Site | None = None,
    start: datetime,
    end: datetime,
) -> list[Window]:
    """Working time in ``[start, end)``: sorted, non-overlapping UTC windows of shifts,
    breaks, holidays and planned stops taken out (see windows.py for the rules)."""
    calendar = get_calendar(work_center=work_center, site=site, start=start, end=end)
    return working_windows(calendar, start, end)


def get_shift_at(owner: WorkCenter | Site, moment: datetime) -> ShiftOccurrence | None:
    """The shift running at ``moment`` at a work center or site, breaks included:
    ``(shift_code, production_day, start, end)`` with UTC start and end, or None."""
    target = {"work_center": owner} if isinstance(owner, WorkCenter) else {"site": owner}
    calendar = get_calendar(**target, start=moment, end=moment + timedelta(microseconds=1))
    return shift_at(calendar, moment)


def get_pattern_windows(pattern: ShiftPattern, *, start: datetime, end: datetime) -> list[Window]:
    """The windows of a pattern alone, as if in force forever: no holidays, no planned stops."""
    shifts = pattern.shifts.prefetch_related("breaks")
    calendar = Calendar(
        zone=pattern.site.time_zone, periods=(PatternPeriod(date.min, _specs(shifts)),)
    )
    return working_windows(calendar, start, end)


def list_pattern_shifts(pattern: ShiftPattern) -> list[dict[str, Any]]:
    """The pattern's shifts in the form ``set_shift_pattern`` takes them."""
    return [
        {
            "code": shift.code,
            "name": shift.name,
            "weekdays": sorted(shift.weekday_set),
            "start": shift.start,
            "end": shift.end,
            "ordering": shift.ordering,
            "breaks": [
                {"name": b.name, "start": b.start, "end": b.end} for b in shift.breaks.all()
            ],
        }
        for shift in pattern.shifts.prefetch_related("breaks")
    ]


def _periods(
    site: Site, work_center: WorkCenter | None, last_day: date
) -> tuple[PatternPeriod, ...]:
    """Which pattern is in force from which day: the work center's own, else the site's."""
    assignments = list(
        CalendarAssignment.objects.filter(
            Q(site=site) | Q(work_center=work_center) if work_center else Q(site=site)
        )
        .filter(valid_from__lte=last_day)
        .select_related("pattern")
        .prefetch_related(
            Prefetch("pattern__shifts", queryset=ShiftDefinition.objects.prefetch_related("breaks"))
        )
    )
    own = sorted((a for a in assignments if a.work_center_id), key=lambda a: a.valid_from)
    of_site = sorted((a for a in assignments if a.site_id), key=lambda a: a.valid_from)
    periods = []
    for day in sorted({a.valid_from for a in assignments}):
        in_force = _latest_on(own, day) or _latest_on(of_site, day)
        periods.append(PatternPeriod(day, _specs(in_force.pattern.shifts.all())))
    return tuple(periods)


def _latest_on(assignments: list[CalendarAssignment], day: date) -> CalendarAssignment | None:
    in_force = [a for a in assignments if a.valid_from <= day]
    return in_force[-1] if in_force else None


def _specs(shifts: Iterable[ShiftDefinition]) -> tuple[ShiftSpec, ...]:
    return tuple(
        ShiftSpec(
            code=shift.code,
            weekdays=weekdays_from_mask(shift.weekdays),
            start=shift.start,
            end=shift.end,
            breaks=tuple((b.start, b.end) for b in shift.breaks.all()),
        )
        for shift in shifts
    )
