"""Reads of schedules: a version against the published one, and its Gantt chart."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Max, QuerySet

from production.calendars.selectors import get_working_windows

from ..models import Machine, Schedule, ScheduledOperation
from .gantt import Bar


def list_schedules() -> QuerySet[Schedule]:
    return Schedule.objects.select_related("site", "requested_by", "published_by")


def published_schedule(site_id: int) -> Schedule | None:
    return Schedule.objects.filter(site_id=site_id, status=Schedule.Status.PUBLISHED).first()


def list_assignments(schedule: Schedule) -> QuerySet[ScheduledOperation]:
    return (
        ScheduledOperation.objects.filter(schedule=schedule)
        .select_related("operation__order", "machine")
        .order_by("start", "machine__code")
    )


def utilisation(load: dict[str, int]) -> float | None:
    """Work over working time, 0–1 (None without working time)."""
    available = load.get("available_min", 0)
    return None if not available else min(1.0, load.get("busy_min", 0) / available)


@dataclass(frozen=True)
class Comparison:
    """A schedule's figures beside the published one's (None: nothing published)."""

    schedule: Schedule
    current: Schedule | None
    machines: list[tuple[str, float | None, float | None]]  # code, this, current


def compare(schedule: Schedule) -> Comparison:
    current = published_schedule(schedule.site_id)
    if current is not None and current.pk == schedule.pk:
        current = None
    codes = sorted(set(schedule.machine_load) | set(current.machine_load if current else {}))
    return Comparison(
        schedule=schedule,
        current=current,
        machines=[
            (
                code,
                utilisation(schedule.machine_load.get(code, {})),
                utilisation(current.machine_load.get(code, {})) if current else None,
            )
            for code in codes
        ],
    )


@dataclass(frozen=True)
class GanttData:
    rows: list[tuple[str, list[Bar]]]
    working: dict[str, list[tuple[datetime, datetime]]]
    dues: dict[str, datetime]


def gantt_data(schedule: Schedule, start: datetime, end: datetime) -> GanttData:
    """Every active machine of the schedule's site with its bars in [start, end), the
    working windows of its work center there, and the due times of the orders shown."""
    zone = ZoneInfo(schedule.site.time_zone)
    machines = list(
        Machine.objects.filter(work_center__area__site=schedule.site_id, is_active=True)
        .select_related("work_center")
        .order_by("work_center__code", "code")
    )
    placed = list_assignments(schedule).filter(start__lt=end, end__gt=start)
    ends = dict(
        ScheduledOperation.objects.filter(schedule=schedule)
        .values("operation__order_id")
        .annotate(last=Max("end"))
        .values_list("operation__order_id", "last")
    )
    bars: dict[int, list[Bar]] = defaultdict(list)
    dues: dict[str, datetime] = {}
    for a in placed:
        order = a.operation.order
        due = datetime.combine(order.due_date + timedelta(days=1), time(0), zone)
        dues[order.code] = due
        local = {"start": a.start.astimezone(zone), "end": a.end.astimezone(zone)}
        bars[a.machine_id].append(
            Bar(
                order=order.code,
                start=a.start,
                end=a.end,
                label=(
                    f"{order.code} / {a.operation.seq} {a.operation.name} "
                    f"{local['start']:%m-%d %H:%M}–{local['end']:%m-%d %H:%M}"
                ),
                late=ends[order.pk] > due,
                running=a.fixed,
            )
        )
    working: dict[str, list[tuple[datetime, datetime]]] = {}
    windows_of: dict[int, list[tuple[datetime, datetime]]] = {}
    for machine in machines:
        if machine.work_center_id not in windows_of:
            windows = get_working_windows(work_center=machine.work_center, start=start, end=end)
            windows_of[machine.work_center_id] = [(w.start, w.end) for w in windows]
        working[machine.code] = windows_of[machine.work_center_id]
    return GanttData(
        rows=[(machine.code, bars.get(machine.pk, [])) for machine in machines],
        working=working,
        dues=dues,
    )
