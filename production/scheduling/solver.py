"""The CP-SAT scheduler: interval variables, one no-overlap per machine, precedence.

Each task has a start and an end; each of its options is an optional interval sharing
them, exactly one present; tasks already fixed are fixed intervals on their machines.
Where a task's machines have blocked time, its start lies in a working window and its
end in the same or a later one, each window chosen by an index variable; the time
between them is its duration plus the blocked time between the two windows (element
constraints over the windows' cumulative blocked time), and the interval — which
reserves the machine — spans the blocked time it pauses over.

Objectives: weighted tardiness then makespan (one weighted sum:
tardiness × (horizon + 1) + makespan, so a unit of tardiness outweighs any makespan), or
makespan alone.

The dispatching heuristic runs first: its schedule is the answer if the solver finds
nothing better in time (so even a tiny time limit gives a feasible schedule) and the
solver's hint. Progress (objective and bound as they improve) goes to ``on_progress``;
``should_stop`` is polled and ends the search early (the best schedule so far is kept).
"""

from __future__ import annotations

import random
import threading
import time
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable
from itertools import accumulate

from ortools.sat.python import cp_model

from .dispatch import dispatch
from .problem import (
    Assignment,
    Fixed,
    Job,
    Objective,
    Problem,
    Solution,
    Status,
    Task,
    WorkingTime,
)

# The objective, the bound (None: not known) and the seconds so far.
Progress = Callable[[float, float | None, float], None]
TREE_SEARCH_MAX_TASKS = 150
# Beyond this many (task, working window) pairs the calendar constraints of the whole
# horizon are too big for one CP-SAT model (its presolve expands them: 2,500 tasks over 60
# days of two shifts made 1.3 M variables, and without presolve it found nothing better
# than the heuristic in a minute). Then a time-window search improves the schedule a
# slice at a time: FREE_TASKS consecutive tasks (by start) are planned again, each
# within NEIGHBOURHOOD working windows of where it is, the rest fixed.
WHOLE_CALENDAR_MAX = 20_000
NEIGHBOURHOOD = 8
FREE_TASKS = 60
SLICE_S = 0.3

STATUS = {
    cp_model.OPTIMAL: Status.OPTIMAL,
    cp_model.FEASIBLE: Status.FEASIBLE,
    cp_model.INFEASIBLE: Status.INFEASIBLE,
    cp_model.MODEL_INVALID: Status.UNKNOWN,
    cp_model.UNKNOWN: Status.UNKNOWN,
}


def _shortest(task) -> int:
    return min(o.duration for o in task.options)


class _Model:
    def __init__(
        self,
        problem: Problem,
        objective: Objective,
        horizon: int,
        around: Solution | None = None,
        reach: int | None = None,
    ):
        self.problem, self.objective, self.horizon = problem, objective, horizon
        model = self.model = cp_model.CpModel()
        self.starts: dict[tuple[str, int], cp_model.IntVar] = {}
        self.ends: dict[tuple[str, int], cp_model.IntVar] = {}
        self.chosen: dict[tuple[str, int], list[tuple[str, object]]] = {}
        self.fixed: set[tuple[str, int]] = set()
        self.late: dict[str, cp_model.IntVar] = {}  # tardiness per job with a due time
        self.in_windows: dict[tuple[str, int], tuple[_Windows, _Placed]] = {}
        working = {m: WorkingTime(spans) for m, spans in problem.blocked.items()}
        windows_of: dict[tuple[tuple[int, int], ...], _Windows] = {}
        by_machine: dict[str, list] = defaultdict(list)
        # Where the tasks are in ``around``: with ``reach``, each stays within that many
        # working windows of it (a neighbourhood of the schedule, for large problems).
        placed_at = (
            {(a.job, a.index): (a.start, a.end) for a in around.assignments}
            if (around and reach)
            else {}
        )
        job_ends = []
        for job in problem.jobs:
            previous = None
            for index, task in enumerate(job.tasks):
                key = (job.id, index)
                if task.fixed is not None:
                    f = task.fixed
                    by_machine[f.machine].append(
                        model.new_fixed_size_interval_var(f.start, f.end - f.start, "")
                    )
                    start, end = model.new_constant(f.start), model.new_constant(f.end)
                    self.chosen[key] = [(f.machine, True)]
                    self.fixed.add(key)
                else:
                    # Heads and tails: the work before and after it bounds where it can go.
                    head = job.release + sum(_shortest(t) for t in job.tasks[:index] if not t.fixed)
                    tail = sum(_shortest(t) for t in job.tasks[index + 1 :])
                    latest_end = max(horizon - tail, head + _shortest(task))
                    if len(task.options) == 1:
                        presences: list = [True]
                    else:
                        presences = [model.new_bool_var("") for _o in task.options]
                        model.add_exactly_one(presences)
                    blocked = _shared_blocked(working, task, key)
                    if blocked:
                        if blocked not in windows_of:
                            # One past the horizon: an empty task may sit at its very end.
                            windows_of[blocked] = _Windows(
                                WorkingTime(blocked).windows(horizon + 1)
                            )
                        near = None
                        if key in placed_at:
                            near = windows_of[blocked].near(*placed_at[key], reach)
                        placed = windows_of[blocked].place(
                            model, head, latest_end, task, presences, near
                        )
                        self.in_windows[key] = (windows_of[blocked], placed)
                        start, end, span = placed.start, placed.end, placed.span
                    else:
                        start = model.new_int_var(head, latest_end - _shortest(task), f"s{key}")
                        end = model.new_int_var(head + _shortest(task), latest_end, f"e{key}")
                    options = []
                    for option, present in zip(task.options, presences, strict=True):
                        # With blocked time the size is the span, paused time included.
                        size = span if blocked else option.duration
                        if present is True:
                            interval = model.new_interval_var(start, size, end, "")
                        else:
                            interval = model.new_optional_interval_var(
                                start, size, end, present, ""
                            )
                        by_machine[option.machine].append(interval)
                        options.append((option.machine, present))
                    self.chosen[key] = options
                    if previous is not None:
                        model.add(start >= previous)
                self.starts[key], self.ends[key] = start, end
                previous = end
            if previous is not None:
                job_ends.append((job, previous))
        for intervals in by_machine.values():
            model.add_no_overlap(intervals)
        self.makespan = model.new_int_var(0, horizon, "makespan")
        model.add_max_equality(self.makespan, [end for _job, end in job_ends] or [0])
        if objective == Objective.MAKESPAN:
            model.minimize(self.makespan)
            return
        lateness = []
        for job, end in job_ends:
            if job.due is None:
                continue
            late = self.late[job.id] = model.new_int_var(0, horizon, f"t{job.id}")
            model.add(late >= end - job.due)
            lateness.append(job.weight * late)
        self.tardiness = sum(lateness) if lateness else 0
        model.minimize(self.tardiness * (horizon + 1) + self.makespan)

    def hint(self, solution: Solution) -> None:
        """The whole solution as a hint (a partial one is not tried as a solution); its
        tasks of jobs not in this model's problem (a slice of it) are left out."""
        ends: dict[str, int] = {}
        for a in solution.assignments:
            ends[a.job] = max(ends.get(a.job, 0), a.end)
        ends_here = [
            ends[job.id] if job.id in ends else job.tasks[-1].fixed.end
            for job in self.problem.jobs
            if job.tasks
        ]
        self.model.add_hint(self.makespan, max(ends_here, default=0))
        dues = {job.id: job.due for job in self.problem.jobs}
        for job_id, late in self.late.items():
            self.model.add_hint(late, max(0, ends.get(job_id, 0) - dues[job_id]))
        for a in solution.assignments:
            key = (a.job, a.index)
            if key in self.starts and key not in self.fixed:
                self.model.add_hint(self.starts[key], a.start)
                self.model.add_hint(self.ends[key], a.end)
                if key in self.in_windows:
                    windows, placed = self.in_windows[key]
                    windows.hint(self.model, placed, a.start, a.end)
                for machine, present in self.chosen[key]:
                    if not isinstance(present, bool):
                        self.model.add_hint(present, machine == a.machine)

    def read(self, solver: cp_model.CpSolver) -> list[Assignment]:
        found = []
        for key, options in self.chosen.items():
            machine = next(
                m for m, present in options if present is True or solver.boolean_value(present)
            )
            found.append(
                Assignment(
                    key[0],
                    key[1],
                    machine,
                    solver.value(self.starts[key]),
                    solver.value(self.ends[key]),
                )
            )
        return sorted(found, key=lambda a: (a.start, a.machine))


def _shared_blocked(
    working: dict[str, WorkingTime], task, key: tuple[str, int]
) -> tuple[tuple[int, int], ...]:
    """The blocked time of the task's machines, which must be the same for all of them."""
    found = {
        tuple(working[o.machine].blocked) if o.machine in working else () for o in task.options
    }
    if len(found) > 1:
        raise ValueError(f"{key[0]}[{key[1]}]: its machines have different blocked time")
    return found.pop()


class _Placed:
    """A task's start and end in the working windows, and the variables that tie them:
    per end, its window's index and the window's left, right and blocked time before."""

    def __init__(self, start, end, span, at_start, at_end, empty):
        self.start, self.end, self.span = start, end, span
        self.at_start, self.at_end, self.empty = at_start, at_end, empty


class _Windows:
    """The working windows of one calendar: where each starts and ends, and the blocked
    time before it."""

    def __init__(self, windows: list[tuple[int, int]]):
        self.count = len(windows)
        self.lefts = [a for a, _b in windows] or [0]
        self.rights = [b for _a, b in windows] or [0]
        worked_before = accumulate((b - a for a, b in windows), initial=0)
        self.blocked_before = [a - w for a, w in zip(self.lefts, worked_before, strict=False)]

    def _window(self, model: cp_model.CpModel, first: int, last: int) -> tuple:
        """An index variable over windows first..last (counted from first) and three
        taking the picked window's left, right and blocked time before."""
        index = model.new_int_var(0, last - first, "")
        picked = [index]
        for values in (self.lefts, self.rights, self.blocked_before):
            values = values[first : last + 1]
            value = model.new_int_var(min(values), max(values), "")
            model.add_element(index, values, value)
            picked.append(value)
        return (*picked, first)

    def locate(self, start: int, end: int) -> tuple[int, int]:
        """The windows a task from start to end starts and ends in."""
        first = max(bisect_right(self.lefts, start) - 1, 0)
        last = min(bisect_left(self.rights, end), self.count - 1) if end > start else first
        return first, last

    def near(self, start: int, end: int, reach: int) -> tuple[range, range]:
        """The windows within ``reach`` of where a task starts and ends."""
        first, last = self.locate(start, end)
        top = self.count - 1
        return (
            range(max(first - reach, 0), min(first + reach, top) + 1),
            range(max(last - reach, 0), min(last + reach, top) + 1),
        )

    def place(
        self,
        model: cp_model.CpModel,
        head: int,
        latest_end: int,
        task,
        presences: list,
        near: tuple[range, range] | None = None,
    ) -> _Placed:
        shortest = _shortest(task)
        if self.count == 0:  # no working time before the horizon: nowhere to go
            model.add_bool_or([])
            near = (range(0, 1), range(0, 1))
        everywhere = range(0, self.count)
        starting, ending = near or (everywhere, everywhere)
        zero = [p for o, p in zip(task.options, presences, strict=True) if o.duration == 0]
        starts = cp_model.Domain.from_intervals(
            [[self.lefts[k], self.rights[k] - 1] for k in starting]
        )
        ends = cp_model.Domain.from_intervals(
            [[self.lefts[k] if zero else self.lefts[k] + 1, self.rights[k]] for k in ending]
        )
        start = model.new_int_var_from_domain(
            starts.intersection_with(cp_model.Domain(head, latest_end - shortest)), ""
        )
        end = model.new_int_var_from_domain(
            ends.intersection_with(cp_model.Domain(head + shortest, latest_end)), ""
        )
        at_start = self._window(model, starting[0], starting[-1])
        at_end = self._window(model, ending[0], ending[-1])
        model.add(start >= at_start[1])
        model.add(start < at_start[2])
        # The span is the work plus the blocked time between the start's window and the
        # end's, which lies in (left, right] of its window. An empty task ends as it starts.
        empty = model.new_bool_var("")
        model.add(empty == sum(zero))
        work = sum(o.duration * p for o, p in zip(task.options, presences, strict=True))
        model.add(end - start == work + at_end[3] - at_start[3]).only_enforce_if(~empty)
        model.add(end > at_end[1]).only_enforce_if(~empty)
        model.add(end <= at_end[2]).only_enforce_if(~empty)
        model.add(end == start).only_enforce_if(empty)
        span = model.new_int_var(0, max(latest_end - head, 0), "")
        model.add(span == end - start)
        return _Placed(start, end, span, at_start, at_end, empty)

    def hint(self, model: cp_model.CpModel, placed: _Placed, start: int, end: int) -> None:
        for variables, index in zip(
            (placed.at_start, placed.at_end), self.locate(start, end), strict=True
        ):
            offset = variables[-1]
            values = (
                index - offset,
                self.lefts[index],
                self.rights[index],
                self.blocked_before[index],
            )
            for variable, value in zip(variables[:-1], values, strict=True):
                model.add_hint(variable, value)
        model.add_hint(placed.empty, end == start)
        model.add_hint(placed.span, end - start)


class _Watch(cp_model.CpSolverSolutionCallback):
    def __init__(self, began: float, on_progress: Progress | None, scale: int):
        super().__init__()
        self.began, self.on_progress, self.scale = began, on_progress, scale

    def on_solution_callback(self) -> None:
        if self.on_progress is not None:
            self.on_progress(
                self.objective_value // self.scale,
                self.best_objective_bound // self.scale,
                time.perf_counter() - self.began,
            )


def solve(
    problem: Problem,
    *,
    objective: Objective = Objective.TARDINESS,
    time_limit_s: float = 10.0,
    workers: int = 2,
    seed: int = 0,
    first: Solution | None = None,
    on_progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Solution:
    """The best schedule found within ``time_limit_s`` (see the module's docstring);
    ``first`` is the heuristic's schedule where the caller has it already."""
    began = time.perf_counter()
    deadline = began + time_limit_s
    best = first or dispatch(problem, objective)
    if _calendar_size(problem) > WHOLE_CALENDAR_MAX:
        best = _window_search(
            problem, objective, best, deadline, workers, seed, began, on_progress, should_stop
        )
        best.wall_s = time.perf_counter() - began
        return best
    best_bound: float | None = None
    for number, (share, full_search) in enumerate(_phases(problem, objective)):
        left = deadline - time.perf_counter()
        if left <= 0:
            break
        # Each phase starts from the best schedule so far, which bounds the makespan.
        horizon = _horizon(problem, objective, best)
        built = _Model(problem, objective, horizon)
        built.hint(best)
        solver = _solver(built, objective, min(left, share * time_limit_s), workers, seed + number)
        if full_search:
            solver.parameters.subsolvers.append(full_search)
        scale = horizon + 1 if objective == Objective.TARDINESS else 1
        status = STATUS[_run(solver, built.model, _Watch(began, on_progress, scale), should_stop)]
        if status == Status.INFEASIBLE:
            break  # nothing better within the horizon: the best so far stands
        if status not in (Status.OPTIMAL, Status.FEASIBLE):
            continue
        bound = solver.best_objective_bound // scale
        best_bound = bound if best_bound is None else max(best_bound, bound)
        best = _solution(problem, objective, built.read(solver), status, best_bound)
        if best.status == Status.OPTIMAL or (should_stop is not None and should_stop()):
            break
    best.wall_s = time.perf_counter() - began
    return best


def _solver(
    built: _Model, objective: Objective, seconds: float, workers: int, seed: int
) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(seconds, 0.01)
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    if built.in_windows:
        # CP-SAT's presolve of the calendar constraints (elements over the working
        # windows) ran past 10 s on the demo plant's 31 operations, where without it
        # the search proved the optimum in 5 s.
        solver.parameters.cp_model_presolve = False
    elif objective == Objective.TARDINESS:
        # Plant problems without calendars (thousands of optional intervals): presolve
        # probing alone took a whole minute, leaving no time to search.
        solver.parameters.cp_model_probing_level = 0
    return solver


def _solution(
    problem: Problem,
    objective: Objective,
    assignments: list[Assignment],
    status: Status,
    bound: float | None,
) -> Solution:
    makespan, tardiness = Solution.measure(problem, assignments)
    return Solution(
        status=status,
        assignments=assignments,
        makespan=makespan,
        tardiness=tardiness,
        objective=float(makespan if objective == Objective.MAKESPAN else tardiness),
        bound=None if bound is None else float(bound),
    )


def _score(objective: Objective, solution: Solution) -> tuple[int, int]:
    if objective == Objective.MAKESPAN:
        return (solution.makespan, 0)
    return (solution.tardiness, solution.makespan)


def _window_search(
    problem: Problem,
    objective: Objective,
    best: Solution,
    deadline: float,
    workers: int,
    seed: int,
    began: float,
    on_progress: Progress | None,
    should_stop: Callable[[], bool] | None,
) -> Solution:
    """Improve ``best`` a time slice at a time (large-neighbourhood search): FREE_TASKS
    tasks consecutive by start — around a late job's task half the time, anywhere the
    other half; on every machine half the time, on that task's machines (its work
    center) the other half — are planned again by CP-SAT for up to SLICE_S, each within
    NEIGHBOURHOOD working windows of where it is, everything else fixed; a better
    schedule is kept. Ends at the deadline or when stopped."""
    rng = random.Random(seed)
    jobs = {job.id: job for job in problem.jobs}
    working = {m: WorkingTime(spans) for m, spans in problem.blocked.items()}
    windows_of: dict[tuple, _Windows] = {}
    number = 0
    while (left := deadline - time.perf_counter()) > 0.2:
        if should_stop is not None and should_stop():
            break
        number += 1
        horizon = _horizon(problem, objective, best)
        where = {(a.job, a.index): a for a in best.assignments}
        placed = sorted(
            (a for a in best.assignments if jobs[a.job].tasks[a.index].fixed is None),
            key=lambda a: (a.start, a.machine),
        )
        ends: dict[str, int] = {}
        for a in best.assignments:
            ends[a.job] = max(ends.get(a.job, 0), a.end)
        late = [
            i
            for i, a in enumerate(placed)
            if jobs[a.job].due is not None and ends[a.job] > jobs[a.job].due
        ]
        centre = rng.choice(late) if late and rng.random() < 0.5 else rng.randrange(len(placed))
        if rng.random() < 0.5:  # the centre's machines only: a longer stretch of their work
            group = {
                o.machine for o in jobs[placed[centre].job].tasks[placed[centre].index].options
            }
            centre_start = placed[centre].start
            candidates = [a for a in placed if a.machine in group]
            centre = min(
                range(len(candidates)), key=lambda i: abs(candidates[i].start - centre_start)
            )
        else:
            candidates = placed
        first = max(0, min(centre - FREE_TASKS // 2, len(candidates) - FREE_TASKS))
        free = candidates[first : first + FREE_TASKS]
        # Where the free tasks may go; tasks of other jobs elsewhere cannot meet them.
        low, high, machines = horizon, 0, set()
        for a in free:
            task = jobs[a.job].tasks[a.index]
            machines.update(o.machine for o in task.options)
            blocked = _shared_blocked(working, task, (a.job, a.index))
            if not blocked:
                low, high = 0, horizon
                continue
            key = (blocked, horizon)
            if key not in windows_of:
                windows_of[key] = _Windows(WorkingTime(blocked).windows(horizon + 1))
            windows = windows_of[key]
            starting, ending = windows.near(a.start, a.end, NEIGHBOURHOOD)
            low = min(low, windows.lefts[starting[0]])
            high = max(high, windows.rights[ending[-1]])
        sliced = _slice(problem, {(a.job, a.index) for a in free}, where, machines, low, high)
        built = _Model(sliced, objective, horizon, best, NEIGHBOURHOOD)
        built.hint(best)
        solver = _solver(built, objective, min(left, SLICE_S), workers, seed + number)
        status = STATUS[solver.solve(built.model)]
        if status not in (Status.OPTIMAL, Status.FEASIBLE):
            continue
        moved = {(a.job, a.index): a for a in built.read(solver) if a.job in jobs}
        merged_assignments = [moved.get(key, a) for key, a in where.items()]
        found = _solution(problem, objective, merged_assignments, Status.FEASIBLE, None)
        if _score(objective, found) < _score(objective, best):
            best = found
            if on_progress is not None:
                on_progress(best.objective, None, time.perf_counter() - began)
    return best


def _slice(
    problem: Problem,
    free: set[tuple[str, int]],
    where: dict[tuple[str, int], Assignment],
    machines: set[str],
    low: int,
    high: int,
) -> Problem:
    """The jobs of the free tasks, their other tasks fixed where they are, and — as fixed
    one-task jobs of their own — the other tasks on the free tasks' machines in
    [low, high)."""
    touched = {job_id for job_id, _index in free}
    jobs = []
    for job in problem.jobs:
        if job.id in touched:
            tasks = tuple(
                task if (job.id, index) in free else _fixed_at(task, where[(job.id, index)])
                for index, task in enumerate(job.tasks)
            )
            jobs.append(Job(job.id, tasks, job.release, job.due, job.weight))
            continue
        for index, task in enumerate(job.tasks):
            a = where[(job.id, index)]
            if a.machine in machines and a.start < high and a.end > low:
                jobs.append(Job(f"{job.id}\0{index}", (_fixed_at(task, a),)))
    return Problem(jobs=tuple(jobs), blocked=problem.blocked)


def _fixed_at(task: Task, placed: Assignment) -> Task:
    return Task(task.options, Fixed(placed.machine, placed.start, placed.end))


def _calendar_size(problem: Problem) -> int:
    """Working windows summed over the tasks to plan on machines with blocked time."""
    windows = {m: len(WorkingTime(spans).blocked) + 1 for m, spans in problem.blocked.items()}
    return sum(
        windows.get(task.options[0].machine, 0)
        for job in problem.jobs
        for task in job.tasks
        if task.fixed is None and task.options
    )


def _horizon(problem: Problem, objective: Objective, best: Solution) -> int:
    """How far the model's time goes. For makespan, the best schedule's makespan (an
    optimal one ends no later). For tardiness, twice the later of the best makespan and
    the last due date — a limit, not a proof: later schedules are not searched — or the
    problem's serial bound (every task after every other) where that is smaller."""
    if best.makespan is None:
        return problem.upper_horizon()
    if objective == Objective.MAKESPAN:
        return best.makespan
    last_due = max((job.due for job in problem.jobs if job.due is not None), default=0)
    return min(problem.upper_horizon(), 2 * max(best.makespan, last_due))


def _phases(problem: Problem, objective: Objective) -> list[tuple[float, str | None]]:
    """(share of the time limit, the full-search subsolver) per phase. For makespan on a
    small problem, 40 % of the time goes to finding schedules (CP-SAT's default search
    beside its large neighbourhood searches), the rest to a lower-bound tree search,
    which proves optimality where the default does not (ft10: in 25 s on 2 workers; the
    default's bound stays far below after 30 s). On larger problems the tree search
    costs more schedules than it proves (la27–la40), so the default search runs alone."""
    tasks = sum(len(job.tasks) for job in problem.jobs)
    if objective == Objective.MAKESPAN and tasks <= TREE_SEARCH_MAX_TASKS:
        return [(0.4, None), (1.0, "lb_tree_search")]
    return [(1.0, None)]


def _run(solver, model, watch: _Watch, should_stop) -> int:
    stop = threading.Event()
    if should_stop is not None:
        threading.Thread(target=_poll, args=(should_stop, solver, stop), daemon=True).start()
    try:
        return solver.solve(model, watch)
    finally:
        stop.set()


def _poll(should_stop: Callable[[], bool], solver: cp_model.CpSolver, done: threading.Event):
    while not done.wait(0.25):
        if should_stop():
            solver.stop_search()
            return
