"""Schedule runs: start (queued for a worker), run, cancel, publish.

A run reads the site's open orders and calendars (plant.py), and fails with the list of
what is wrong if the problem cannot be scheduled; otherwise the dispatching heuristic
gives a schedule at once and CP-SAT improves it for the time limit, reporting its
progress (time used, objective, bound) to the row every second and stopping early when
the run is cancelled. The result is kept as a schedule version; nothing on the shop
floor changes until a planner publishes it. Publishing writes each operation's planned
machine, start and end — the order of the dispatch lists — and supersedes the schedule
published before.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from datetime import datetime

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mes import audit
from mes.errors import InvalidInput, InvalidTransition
from mes.webhooks.services import EventType, record_event

from ..models import Operation, Schedule, ScheduledOperation, Site
from ..selectors import only_site
from .dispatch import dispatch
from .plant import PlantProblem, build_problem, start_of_planning
from .problem import Objective, Solution, Status
from .solver import solve
from .validate import violations

logger = logging.getLogger(__name__)
REPORT_EVERY_S = 1.0


def start_schedule(
    *,
    actor,
    site: Site | None = None,
    objective: str = Schedule.Objective.TARDINESS,
    time_limit_s: int | None = None,
) -> Schedule:
    """Queue a run over the site's open orders (the only site where there is one)."""
    limit = settings.MES_SCHEDULE_TIME_LIMIT_S if time_limit_s is None else time_limit_s
    if not 1 <= limit <= settings.MES_SCHEDULE_MAX_TIME_LIMIT_S:
        raise InvalidInput(
            _("The time limit is %(min)s to %(max)s seconds.")
            % {"min": 1, "max": settings.MES_SCHEDULE_MAX_TIME_LIMIT_S},
            field="time_limit_s",
        )
    if objective not in Schedule.Objective.values:
        raise InvalidInput(_("Unknown objective."), field="objective")
    site = site or only_site()
    if site is None:
        raise InvalidInput(_("Name the site to schedule."), field="site")
    with transaction.atomic():
        schedule = Schedule.objects.create(
            site=site,
            objective=objective,
            time_limit_s=limit,
            requested_by=actor if getattr(actor, "pk", None) else None,
        )
        audit.record_create(actor, schedule)
        transaction.on_commit(lambda: _hand_to_worker(schedule.pk))
    return schedule


def _hand_to_worker(schedule_id: int) -> None:
    from .tasks import run_schedule_task

    if settings.CELERY_TASK_ALWAYS_EAGER and settings.MES_SCHEDULE_IN_THREAD:
        # Embedded mode has no worker: a thread keeps the page that started it free.
        threading.Thread(target=_run_in_thread, args=(schedule_id,), daemon=True).start()
    else:
        run_schedule_task.delay(schedule_id)


def _run_in_thread(schedule_id: int) -> None:
    try:
        run_schedule(schedule_id)
    finally:
        connection.close()


def cancel_schedule(schedule: Schedule, *, actor) -> Schedule:
    """A queued run is cancelled at once; a running one stops within a second or two."""
    with transaction.atomic():
        schedule = Schedule.objects.select_for_update().get(pk=schedule.pk)
        before = audit.snapshot(schedule)
        if schedule.status == Schedule.Status.QUEUED:
            schedule.status = Schedule.Status.CANCELLED
            schedule.finished_at = timezone.now()
        elif schedule.status == Schedule.Status.RUNNING:
            schedule.cancel_requested = True
        else:
            raise InvalidTransition(_("Only a queued or running schedule can be cancelled."))
        schedule.save()
        audit.record_update(actor, schedule, before)
    return schedule


def run_schedule(schedule_id: int, *, now: datetime | None = None) -> Schedule:
    """Run a queued schedule to its end (done, failed or cancelled). A run delivered again
    after its worker died starts over; a finished one is left as it is."""
    with transaction.atomic():
        schedule = Schedule.objects.select_for_update().select_related("site").get(pk=schedule_id)
        if not schedule.is_active:
            return schedule
        if schedule.cancel_requested:
            return _finish(schedule, Schedule.Status.CANCELLED)
        schedule.status = Schedule.Status.RUNNING
        schedule.started_at = timezone.now()
        schedule.origin = start_of_planning(now or timezone.now())
        schedule.save()
    try:
        return _solve_and_keep(schedule)
    except Exception:
        logger.exception("schedule %s failed", schedule_id)
        return _finish(
            schedule,
            Schedule.Status.FAILED,
            errors=[_("The run stopped on an internal error; see the worker's log.")],
        )


def _solve_and_keep(schedule: Schedule) -> Schedule:
    built = build_problem(schedule.site, schedule.origin)
    schedule.horizon_end = built.horizon_end
    if built.errors:
        return _finish(schedule, Schedule.Status.FAILED, errors=built.errors)
    objective = Objective(schedule.objective)
    first = dispatch(built.problem, objective)
    horizon = built.minute(built.horizon_end)
    if first.makespan > horizon:
        late = [a for a in first.assignments if a.end > horizon]
        return _finish(
            schedule,
            Schedule.Status.FAILED,
            errors=[
                _(
                    "The work does not fit in the %(days)s days of calendar planned: "
                    "%(count)s operations would end after %(end)s. Add shifts or machines, "
                    "or raise MES_SCHEDULE_HORIZON_DAYS."
                )
                % {
                    "days": settings.MES_SCHEDULE_HORIZON_DAYS,
                    "count": len(late),
                    "end": timezone.localtime(built.horizon_end).strftime("%Y-%m-%d %H:%M"),
                }
            ],
        )
    with _Reporter(schedule) as reporter:
        reporter.saw(first.objective, None, 0.0)
        solution = solve(
            built.problem,
            objective=objective,
            time_limit_s=schedule.time_limit_s,
            workers=settings.MES_SCHEDULE_WORKERS,
            first=first,
            on_progress=reporter.saw,
            should_stop=reporter.cancelled.is_set,
        )
    wrong = violations(built.problem, solution)
    if wrong or solution.status not in (Status.OPTIMAL, Status.FEASIBLE):
        logger.error("schedule %s: invalid result %s %s", schedule.pk, solution.status, wrong)
        return _finish(
            schedule,
            Schedule.Status.FAILED,
            errors=[_("The solver returned no valid schedule."), *wrong[:20]],
        )
    return _keep(schedule, built, solution)


class _Reporter:
    """Writes the run's progress to its row every second and notices a cancel, from a
    thread of its own (the solver holds the run's thread)."""

    def __init__(self, schedule: Schedule):
        self.schedule = schedule
        self.began = time.monotonic()
        self.cancelled = threading.Event()
        self.latest: tuple[float | None, float | None] = (None, None)
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def saw(self, objective: float | None, bound: float | None, _seconds: float) -> None:
        self.latest = (objective, bound)

    def __enter__(self) -> _Reporter:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        self._thread.join()

    def _loop(self) -> None:
        try:
            while not self._done.wait(REPORT_EVERY_S):
                self._report()
        finally:
            connection.close()

    def _report(self) -> None:
        elapsed = time.monotonic() - self.began
        objective, bound = self.latest
        fields = {"progress": min(99, int(100 * elapsed / self.schedule.time_limit_s))}
        if objective is not None:
            fields["objective_value"] = objective
        if bound is not None:
            fields["bound"] = bound
        try:
            Schedule.objects.filter(pk=self.schedule.pk).update(**fields)
            asked = Schedule.objects.filter(pk=self.schedule.pk, cancel_requested=True).exists()
        except DatabaseError:  # a busy SQLite file: the next second tries again
            return
        if asked:
            self.cancelled.set()


def _keep(schedule: Schedule, built: PlantProblem, solution: Solution) -> Schedule:
    """Store the result as the schedule's version, with what the planner compares."""
    with transaction.atomic():
        locked = Schedule.objects.select_for_update().get(pk=schedule.pk)
        if locked.cancel_requested:
            return _finish(schedule, Schedule.Status.CANCELLED)
        fixed = {
            (job.id, index)
            for job in built.problem.jobs
            for index, task in enumerate(job.tasks)
            if task.fixed is not None
        }
        ScheduledOperation.objects.bulk_create(
            ScheduledOperation(
                schedule=schedule,
                operation=built.operations[(a.job, a.index)],
                machine=built.machines.get(a.machine) or built.operations[(a.job, a.index)].machine,
                start=built.moment(a.start),
                end=built.moment(a.end),
                fixed=(a.job, a.index) in fixed,
            )
            for a in solution.assignments
        )
        ends: dict[str, int] = {}
        for a in solution.assignments:
            ends[a.job] = max(ends.get(a.job, 0), a.end)
        late = [max(0, ends[job.id] - job.due) for job in built.problem.jobs if job.id in ends]
        schedule.orders = len(ends)
        schedule.tardy_orders = sum(1 for minutes in late if minutes > 0)
        schedule.tardiness_min = sum(late)
        schedule.makespan_end = built.moment(max(ends.values(), default=0))
        schedule.machine_load = _machine_load(built, solution)
        schedule.objective_value = solution.objective
        schedule.bound = solution.bound
        schedule.solver_status = solution.status.value
        return _finish(schedule, Schedule.Status.DONE)


def _machine_load(built: PlantProblem, solution: Solution) -> dict[str, dict[str, int]]:
    """Per machine: minutes of work and of working time from the origin to the last end."""
    last = max((a.end for a in solution.assignments), default=0)
    busy: dict[str, int] = defaultdict(int)
    durations = {
        (job.id, index): {o.machine: o.duration for o in task.options}
        for job in built.problem.jobs
        for index, task in enumerate(job.tasks)
    }
    for a in solution.assignments:
        busy[a.machine] += durations[(a.job, a.index)].get(a.machine, a.end - a.start)
    return {
        code: {
            "busy_min": busy.get(code, 0),
            "available_min": sum(
                max(0, min(end, last) - start) for start, end in built.windows.get(code, ())
            ),
        }
        for code in sorted(built.machines)
    }


# What a run's end writes (not cancel_requested, which a planner may be setting).
_RESULT_FIELDS = [
    "status",
    "errors",
    "finished_at",
    "horizon_end",
    "orders",
    "tardy_orders",
    "tardiness_min",
    "makespan_end",
    "machine_load",
    "objective_value",
    "bound",
    "solver_status",
    "updated_at",
]


def _finish(schedule: Schedule, status: str, *, errors: list[str] | None = None) -> Schedule:
    schedule.status = status
    schedule.errors = errors or []
    schedule.finished_at = timezone.now()
    fields = _RESULT_FIELDS
    if status == Schedule.Status.DONE:
        schedule.progress = 100
        fields = [*fields, "progress"]
    schedule.save(update_fields=fields)
    return schedule


def publish_schedule(schedule: Schedule, *, actor) -> Schedule:
    """Make a finished schedule the site's published one: planned machine, start and end
    to each of its operations not finished since, the previously published superseded."""
    with transaction.atomic():
        schedule = Schedule.objects.select_for_update().get(pk=schedule.pk)
        if schedule.status != Schedule.Status.DONE:
            raise InvalidTransition(_("Only a finished schedule can be published."))
        previous = (
            Schedule.objects.select_for_update()
            .filter(site_id=schedule.site_id, status=Schedule.Status.PUBLISHED)
            .first()
        )
        if previous is not None:
            previous.status = Schedule.Status.SUPERSEDED
            previous.save(update_fields=["status", "updated_at"])
        now = timezone.now()
        assignments = {
            a.operation_id: a for a in ScheduledOperation.objects.filter(schedule=schedule)
        }
        operations = list(
            Operation.objects.select_for_update()
            .filter(pk__in=assignments, status__in=Operation.OPEN_STATUSES)
            .order_by("pk")
        )
        for operation in operations:
            placed = assignments[operation.pk]
            operation.planned_machine_id = placed.machine_id
            operation.planned_start, operation.planned_end = placed.start, placed.end
            operation.updated_at = now
        Operation.objects.bulk_update(
            operations, ["planned_machine", "planned_start", "planned_end", "updated_at"]
        )
        before = audit.snapshot(schedule)
        schedule.status = Schedule.Status.PUBLISHED
        schedule.published_at = now
        schedule.published_by = actor if getattr(actor, "pk", None) else None
        schedule.save()
        audit.record_update(actor, schedule, before, extra={"operations": [0, len(operations)]})
        record_event(
            EventType.SCHEDULE_PUBLISHED,
            {
                "id": schedule.pk,
                "site": schedule.site.code,
                "objective": schedule.objective,
                "objective_value": schedule.objective_value,
                "published_at": now,
                "operations": len(operations),
            },
            site_id=schedule.site_id,
        )
    return schedule
