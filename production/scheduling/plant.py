"""A site's open orders and shift calendars as a scheduling problem (reads only).

Time is whole minutes from the origin (the run's start, rounded up to a minute).
- Jobs are the released and in-progress orders with work at the site; their operations
  not yet completed or cancelled are the tasks, in sequence order.
- An operation that is running stays where it runs (a fixed task on its machine, from
  the origin until its remaining quantity is made); the order's other operations follow
  it. A paused operation is planned again, on its machine only.
- Each task may go to any active machine of its work center, for setup (not for a
  running or paused one) plus the quantity still to make × the cycle time, in minutes
  rounded up.
- A machine's blocked time is what its work center's calendar (shifts, breaks,
  holidays, planned stops) does not work from the origin to the horizon
  (MES_SCHEDULE_HORIZON_DAYS), and all time after it.
- Due: the end of the order's due date in the site's time zone. Weight: 1 + priority
  (at least 1).
What makes a run impossible is collected as messages, one per problem, not raised.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Prefetch, Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from production.calendars.selectors import get_working_windows
from production.calendars.windows import Window

from ..models import Machine, Operation, ProductionOrder, Site, WorkCenter
from ..selectors import get_active_routing
from .problem import Fixed, Job, Option, Problem, Task, WorkingTime

MINUTE = timedelta(minutes=1)


@dataclass
class PlantProblem:
    problem: Problem
    origin: datetime
    horizon_end: datetime
    operations: dict[tuple[str, int], Operation] = field(default_factory=dict)
    machines: dict[str, Machine] = field(default_factory=dict)
    windows: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # per machine
    errors: list[str] = field(default_factory=list)

    def minute(self, moment: datetime) -> int:
        return math.floor((moment - self.origin) / MINUTE)

    def moment(self, minute: int) -> datetime:
        return self.origin + minute * MINUTE


def start_of_planning(now: datetime) -> datetime:
    """The next whole minute."""
    whole = now.replace(second=0, microsecond=0)
    return whole if whole == now else whole + MINUTE


def open_orders(site: Site):
    """The site's released and in-progress orders (and any without operations, which
    belong to no site yet) with their open operations in sequence order."""
    operations = (
        Operation.objects.filter(status__in=Operation.OPEN_STATUSES)
        .select_related("work_center", "machine")
        .order_by("seq")
    )
    return (
        ProductionOrder.objects.filter(status__in=ProductionOrder.ACTIVE_STATUSES)
        .filter(Q(operations__work_center__area__site=site) | Q(operations__isnull=True))
        .distinct()
        .select_related("item")
        .prefetch_related(Prefetch("operations", queryset=operations, to_attr="open_operations"))
        .order_by("due_date", "-priority", "code")
    )


def build_problem(site: Site, origin: datetime) -> PlantProblem:
    horizon_end = origin + timedelta(days=settings.MES_SCHEDULE_HORIZON_DAYS)
    built = PlantProblem(problem=Problem(jobs=()), origin=origin, horizon_end=horizon_end)
    orders = list(open_orders(site))
    if not orders:
        built.errors.append(
            _("Site %(site)s has no released or in-progress orders to schedule.")
            % {"site": site.code}
        )
        return built
    work_centers = {op.work_center for order in orders for op in order.open_operations}
    machines_of = _active_machines(work_centers)
    blocked = _blocked_time(built, work_centers, machines_of)
    zone = ZoneInfo(site.time_zone)
    jobs = []
    for order in orders:
        job = _job(built, order, machines_of, blocked, zone)
        if job is not None:
            jobs.append(job)
    for machine in (m for machines in machines_of.values() for m in machines):
        built.machines[machine.code] = machine
    built.problem = Problem(jobs=tuple(jobs), blocked=blocked)
    return built


def _active_machines(work_centers) -> dict[int, list[Machine]]:
    found: dict[int, list[Machine]] = defaultdict(list)
    machines = Machine.objects.filter(work_center__in=work_centers, is_active=True)
    for machine in machines.order_by("code"):
        found[machine.work_center_id].append(machine)
    return found


def _blocked_time(
    built: PlantProblem, work_centers: set[WorkCenter], machines_of: dict[int, list[Machine]]
) -> dict[str, list[tuple[int, int]]]:
    """Per machine, the minutes its work center does not work, and all after the horizon."""
    end = built.minute(built.horizon_end)
    blocked: dict[str, list[tuple[int, int]]] = {}
    for work_center in sorted(work_centers, key=lambda wc: wc.code):
        windows = _minutes(
            built,
            get_working_windows(work_center=work_center, start=built.origin, end=built.horizon_end),
        )
        if not windows:
            built.errors.append(
                _(
                    "Work center %(work_center)s has no working time from %(start)s to "
                    "%(end)s: give it (or its site) a shift calendar with shifts in that time."
                )
                % {
                    "work_center": work_center.code,
                    "start": _when(built.origin),
                    "end": _when(built.horizon_end),
                }
            )
        spans, moment = [], 0
        for start, stop in windows:
            if start > moment:
                spans.append((moment, start))
            moment = stop
        # After the horizon nothing is known: work that does not fit ends up beyond it.
        spans.append((max(moment, 0), end + 100 * end + 1))
        for machine in machines_of.get(work_center.pk, []):
            blocked[machine.code] = spans
            built.windows[machine.code] = windows
    return blocked


def _minutes(built: PlantProblem, windows: list[Window]) -> list[tuple[int, int]]:
    """Windows as whole minutes from the origin (a part minute is not counted)."""
    found = []
    for window in windows:
        start = math.ceil((window.start - built.origin) / MINUTE)
        end = math.floor((window.end - built.origin) / MINUTE)
        if end > start:
            if found and found[-1][1] == start:  # shifts back to back: one window
                found[-1] = (found[-1][0], end)
            else:
                found.append((start, end))
    return found


def _job(built, order, machines_of, blocked, zone) -> Job | None:
    operations = order.open_operations
    if not operations:
        if not order.operations.exists():
            if get_active_routing(order.item) is None:
                message = _("Order %(order)s has no operations: item %(item)s has no routing.")
            else:
                message = _("Order %(order)s has no operations (released without its routing).")
            built.errors.append(message % {"order": order.code, "item": order.item.code})
        return None  # every operation done: nothing left to plan
    running = [op for op in operations if op.status == Operation.Status.RUNNING]
    tasks = []
    for op in [*running, *(op for op in operations if op not in running)]:
        left = max(order.qty - op.qty_good - op.qty_scrap, Decimal(0))
        setup_s = op.setup_min * 60 if op.status == Operation.Status.PENDING else 0
        minutes = max(math.ceil((setup_s + left * op.cycle_time_s) / 60), 1)
        if op.status == Operation.Status.RUNNING and op.machine is not None:
            hours = WorkingTime(blocked.get(op.machine.code, ()))
            start = hours.next_working(0)
            fixed = Fixed(op.machine.code, 0, hours.end_after(start, minutes))
            task = Task(options=(Option(op.machine.code, minutes),), fixed=fixed)
        else:
            choices = machines_of.get(op.work_center_id, [])
            if op.machine is not None and op.status == Operation.Status.PAUSED:
                choices = [m for m in choices if m.pk == op.machine_id] or [op.machine]
            if not choices:
                built.errors.append(
                    _(
                        "Order %(order)s, operation %(seq)s (%(name)s): work center "
                        "%(work_center)s has no active machine."
                    )
                    % {
                        "order": order.code,
                        "seq": op.seq,
                        "name": op.name,
                        "work_center": op.work_center.code,
                    }
                )
                continue
            task = Task(options=tuple(Option(m.code, minutes) for m in choices))
        built.operations[(order.code, len(tasks))] = op
        tasks.append(task)
    due = datetime.combine(order.due_date + timedelta(days=1), time(0), zone)
    return Job(
        order.code,
        tuple(tasks),
        due=built.minute(due),
        weight=max(1, 1 + order.priority),
    )


def _when(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")
