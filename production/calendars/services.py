"""Writes of shift calendars: validated, locked and audited in one transaction.

A pattern is written whole by ``set_shift_pattern``: the shifts given replace
the pattern's shifts (matched by code, so unchanged shifts keep their rows) and
each shift's breaks are replaced with it. Breaks are audited as part of their
shift (an ``extra`` ``breaks`` entry), not as rows of their own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from mes import audit
from mes.errors import AlreadyExists, InvalidInput, OverlappingShifts
from mes.services import create_record, update_record

from ..models import (
    CalendarAssignment,
    Holiday,
    PlannedStop,
    ShiftBreak,
    ShiftDefinition,
    ShiftPattern,
    Site,
    WorkCenter,
)
from .windows import (
    WEEKDAYS,
    ShiftSpec,
    break_fits_shift,
    mask_from_weekdays,
    shifts_overlap,
    weekdays_from_mask,
)


def set_shift_pattern(
    *, actor, code: str, name: str, site: Site, shifts: Sequence[Mapping[str, Any]]
) -> ShiftPattern:
    """Create the pattern ``code`` or replace its name, site and shifts.

    Each shift is ``{code, name, weekdays, start, end, breaks, ordering?}``:
    ``weekdays`` are the days it starts on (0 = Monday … 6 = Sunday), ``start``
    and ``end`` are ``time`` or "HH:MM" (``end <= start``: ends the next day),
    ``breaks`` is a list of ``{name, start, end}`` inside the shift.
    """
    checked = _checked_shifts(shifts)
    with transaction.atomic():
        pattern = ShiftPattern.objects.select_for_update().filter(code=code).first()
        if pattern is None:
            pattern = create_record(
                ShiftPattern, actor=actor, values={"code": code, "name": name, "site": site}
            )
        else:
            if pattern.site_id != site.pk and pattern.assignments.exists():
                raise InvalidInput(
                    _("The pattern is assigned to calendars; it cannot move to another site."),
                    field="site",
                )
            pattern = update_record(pattern, actor=actor, values={"name": name, "site": site})
        _replace_shifts(pattern, checked, actor=actor)
        return pattern


def assign_calendar(
    *,
    actor,
    pattern: ShiftPattern,
    site: Site | None = None,
    work_center: WorkCenter | None = None,
    valid_from: date,
) -> CalendarAssignment:
    """Put ``pattern`` in force for a site (default) or a work center (override) from a day.

    An assignment of the same target and day is replaced (idempotent on retry).
    """
    _check_assignment(pattern, site, work_center)
    with transaction.atomic():
        existing = (
            CalendarAssignment.objects.select_for_update()
            .filter(site=site, work_center=work_center, valid_from=valid_from)
            .first()
        )
        if existing is not None:
            return update_record(existing, actor=actor, values={"pattern": pattern})
        try:
            return create_record(
                CalendarAssignment,
                actor=actor,
                values={
                    "pattern": pattern,
                    "site": site,
                    "work_center": work_center,
                    "valid_from": valid_from,
                },
            )
        except AlreadyExists:  # a concurrent assignment of the same day won
            raise AlreadyExists(_("This calendar assignment already exists.")) from None


def update_calendar_assignment(
    assignment: CalendarAssignment,
    *,
    actor,
    pattern: ShiftPattern,
    site: Site | None = None,
    work_center: WorkCenter | None = None,
    valid_from: date,
) -> CalendarAssignment:
    _check_assignment(pattern, site, work_center)
    values = {
        "pattern": pattern,
        "site": site,
        "work_center": work_center,
        "valid_from": valid_from,
    }
    return update_record(assignment, actor=actor, values=values)


def add_holiday(*, actor, site: Site, date: date, name: str) -> Holiday:
    """A day of the site on which no shift starts; one per site and day (else 409)."""
    with transaction.atomic():
        if Holiday.objects.filter(site=site, date=date).exists():
            raise _holiday_exists(date)
        try:
            return create_record(
                Holiday, actor=actor, values={"site": site, "date": date, "name": name}
            )
        except AlreadyExists:
            raise _holiday_exists(date) from None


def update_holiday(holiday: Holiday, *, actor, **values: Any) -> Holiday:
    return update_record(holiday, actor=actor, values=values)


def add_planned_stop(
    *,
    actor,
    site: Site | None = None,
    work_center: WorkCenter | None = None,
    start: datetime,
    end: datetime,
    reason: str = "",
) -> PlannedStop:
    """Take ``[start, end)`` out of a work center's calendar, or the whole site's (no work center).

    The site may be left out when a work center is given.
    """
    values = _checked_stop(site, work_center, start, end)
    return create_record(PlannedStop, actor=actor, values={**values, "reason": reason})


def update_planned_stop(
    stop: PlannedStop,
    *,
    actor,
    site: Site | None = None,
    work_center: WorkCenter | None = None,
    start: datetime,
    end: datetime,
    reason: str = "",
) -> PlannedStop:
    values = _checked_stop(site, work_center, start, end)
    return update_record(stop, actor=actor, values={**values, "reason": reason})


# --- validation ---------------------------------------------------------------


def _checked_shifts(
    shifts: Sequence[Mapping[str, Any]],
) -> list[tuple[dict[str, Any], list[dict[str, Any]], ShiftSpec]]:
    """Every rule a pattern's shifts must keep, checked before anything is written."""
    checked = []
    seen_codes: dict[str, int] = {}
    for index, raw in enumerate(shifts):
        where = f"shifts.{index}"
        _require_mapping(raw, where)
        values = {
            "code": raw.get("code"),
            "name": raw.get("name"),
            "weekdays": _weekday_mask(raw.get("weekdays"), f"{where}.weekdays"),
            "start": _time(raw.get("start"), f"{where}.start"),
            "end": _time(raw.get("end"), f"{where}.end"),
            "ordering": raw.get("ordering", index),
        }
        _full_clean(ShiftDefinition(**values), where, exclude=["pattern"])
        if values["start"] == values["end"]:
            raise InvalidInput(
                _("A shift must not start and end at the same time."), field=f"{where}.end"
            )
        if values["code"] in seen_codes:
            raise InvalidInput(
                _("Shift code '%(code)s' is given twice.") % {"code": values["code"]},
                field=f"{where}.code",
            )
        seen_codes[values["code"]] = index
        breaks = []
        for break_index, raw_break in enumerate(raw.get("breaks") or ()):
            at = f"{where}.breaks.{break_index}"
            _require_mapping(raw_break, at)
            pause = {
                "name": raw_break.get("name", ""),
                "start": _time(raw_break.get("start"), f"{at}.start"),
                "end": _time(raw_break.get("end"), f"{at}.end"),
            }
            _full_clean(ShiftBreak(**pause), at, exclude=["shift"])
            if not break_fits_shift(values["start"], values["end"], pause["start"], pause["end"]):
                raise InvalidInput(
                    _("The break %(start)s-%(end)s is not inside its shift %(shift)s.")
                    % {
                        "start": f"{pause['start']:%H:%M}",
                        "end": f"{pause['end']:%H:%M}",
                        "shift": values["code"],
                    },
                    field=at,
                )
            breaks.append(pause)
        spec = ShiftSpec(
            code=values["code"],
            weekdays=weekdays_from_mask(values["weekdays"]),
            start=values["start"],
            end=values["end"],
        )
        checked.append((values, breaks, spec))
    specs = [spec for _values, _breaks, spec in checked]
    for position, first in enumerate(specs):
        for second in specs[position + 1 :]:
            if shifts_overlap(first, second):
                raise OverlappingShifts(
                    _("Shifts %(first)s and %(second)s overlap.")
                    % {"first": first.code, "second": second.code},
                    field="shifts",
                )
    return checked


def _require_mapping(value: Any, field: str) -> None:
    if not isinstance(value, Mapping):
        raise InvalidInput(_("Give an object with the fields of a shift or break."), field=field)


def _weekday_mask(weekdays: Any, field: str) -> int:
    message = _("Give the days the shift starts on, as numbers 0 (Monday) to 6 (Sunday).")
    if isinstance(weekdays, str | bytes) or not isinstance(weekdays, Iterable):
        raise InvalidInput(message, field=field)
    days = list(weekdays)
    if not days or any(type(day) is not int or day not in WEEKDAYS for day in days):
        raise InvalidInput(message, field=field)
    return mask_from_weekdays(days)


def _time(value: Any, field: str) -> time:
    if isinstance(value, time):
        return value
    try:
        return time.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidInput(_("Give a time of day such as 06:00."), field=field) from None


def _full_clean(obj, prefix: str, *, exclude: list[str]) -> None:
    try:
        obj.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        errors = {
            f"{prefix}.{name}": [str(m) for e in errs for m in e.messages]
            for name, errs in exc.error_dict.items()
        }
        raise InvalidInput(next(iter(errors.values()))[0], errors=errors) from exc


def _check_assignment(
    pattern: ShiftPattern, site: Site | None, work_center: WorkCenter | None
) -> None:
    if (site is None) == (work_center is None):
        raise InvalidInput(
            _("Assign the calendar to a site or to a work center: exactly one of them."),
            field="site" if site is None else "work_center",
        )
    target_site_id = site.pk if site is not None else _site_id_of(work_center)
    if target_site_id is None:
        raise InvalidInput(
            _("The work center belongs to no area, so to no site; give it an area first."),
            field="work_center",
        )
    if pattern.site_id != target_site_id:
        raise InvalidInput(_("The shift pattern belongs to another site."), field="pattern")


def _checked_stop(
    site: Site | None, work_center: WorkCenter | None, start: datetime, end: datetime
) -> dict[str, Any]:
    if work_center is not None:
        work_center_site_id = _site_id_of(work_center)
        if work_center_site_id is None or (site is not None and site.pk != work_center_site_id):
            raise InvalidInput(_("The work center is not in this site."), field="work_center")
        site = Site.objects.get(pk=work_center_site_id) if site is None else site
    if site is None:
        raise InvalidInput(_("Give the site that stops."), field="site")
    for name, moment in (("start", start), ("end", end)):
        if not isinstance(moment, datetime) or moment.utcoffset() is None:
            raise InvalidInput(_("Give a date and time with its time zone."), field=name)
    if end <= start:
        raise InvalidInput(_("A planned stop must end after it starts."), field="end")
    return {"site": site, "work_center": work_center, "start": start, "end": end}


def _site_id_of(work_center: WorkCenter) -> int | None:
    return work_center.area.site_id if work_center.area_id else None


def _holiday_exists(day: date) -> AlreadyExists:
    return AlreadyExists(_("There is already a holiday on %(date)s.") % {"date": day})


# --- writing shifts -------------------------------------------------------------


def _replace_shifts(pattern: ShiftPattern, checked, *, actor) -> None:
    existing = {
        shift.code: shift for shift in pattern.shifts.select_for_update().prefetch_related("breaks")
    }
    wanted = {values["code"] for values, _breaks, _spec in checked}
    for code, shift in existing.items():
        if code not in wanted:
            before = audit.snapshot(shift)
            breaks_before = _break_labels(shift.breaks.all())
            pk = shift.pk
            shift.delete()
            shift.pk = pk
            audit.record_delete(actor, shift, {**before, "breaks": breaks_before})
    for values, breaks, _spec in checked:
        shift = existing.get(values["code"])
        new_breaks = [ShiftBreak(**pause) for pause in breaks]
        if shift is None:
            shift = ShiftDefinition.objects.create(pattern=pattern, **values)
            _store_breaks(shift, new_breaks)
            audit.record_create(actor, shift, extra={"breaks": [None, _break_labels(new_breaks)]})
            continue
        before = audit.snapshot(shift)
        breaks_before = _break_labels(shift.breaks.all())
        for name, value in values.items():
            setattr(shift, name, value)
        shift.save()
        _store_breaks(shift, new_breaks, replace=True)
        breaks_after = _break_labels(new_breaks)
        extra = {"breaks": [breaks_before, breaks_after]} if breaks_before != breaks_after else {}
        audit.record_update(actor, shift, before, extra=extra)


def _store_breaks(
    shift: ShiftDefinition, breaks: list[ShiftBreak], *, replace: bool = False
) -> None:
    if replace:
        shift.breaks.all().delete()
    for pause in breaks:
        pause.shift = shift
    ShiftBreak.objects.bulk_create(breaks)


def _break_labels(breaks: Iterable[ShiftBreak]) -> list[str]:
    return sorted(f"{b.start:%H:%M}-{b.end:%H:%M} {b.name}".strip() for b in breaks)
