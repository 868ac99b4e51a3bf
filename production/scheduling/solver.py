"""The CP-SAT scheduler: interval variables, one no-overlap per machine, precedence.

Each task has a start and an end; each of its options is an optional interval sharing
them, exactly one present. Blocked intervals and tasks already fixed are fixed intervals
on their machines. Objectives: weighted tardiness then makespan (one weighted sum:
tardiness × (horizon + 1) + makespan, so a unit of tardiness outweighs any makespan), or
makespan alone.

The dispatching heuristic runs first: its schedule is the answer if the solver finds
nothing better in time (so even a tiny time limit gives a feasible schedule) and the
solver's hint. Progress (objective and bound as they improve) goes to ``on_progress``;
``should_stop`` is polled and ends the search early (the best schedule so far is kept).
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable

from ortools.sat.python import cp_model

from .dispatch import dispatch
from .problem import Assignment, Objective, Problem, Solution, Status, merged

Progress = Callable[[float, float, float], None]  # objective, bound, seconds so far
TREE_SEARCH_MAX_TASKS = 150

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
    def __init__(self, problem: Problem, objective: Objective, horizon: int):
        self.problem, self.objective, self.horizon = problem, objective, horizon
        model = self.model = cp_model.CpModel()
        self.starts: dict[tuple[str, int], cp_model.IntVar] = {}
        self.ends: dict[tuple[str, int], cp_model.IntVar] = {}
        self.chosen: dict[tuple[str, int], list[tuple[str, object]]] = {}
        self.fixed: set[tuple[str, int]] = set()
        self.late: dict[str, cp_model.IntVar] = {}  # tardiness per job with a due time
        by_machine: dict[str, list] = defaultdict(list)
        for machine, spans in problem.blocked.items():
            for start, end in merged(spans):  # overlapping ones would make it infeasible
                blocked = model.new_fixed_size_interval_var(start, end - start, "")
                by_machine[machine].append(blocked)
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
                    start = model.new_int_var(head, latest_end - _shortest(task), f"s{key}")
                    end = model.new_int_var(head + _shortest(task), latest_end, f"e{key}")
                    options = []
                    for option in task.options:
                        if len(task.options) == 1:
                            present = True
                            interval = model.new_interval_var(start, option.duration, end, "")
                        else:
                            present = model.new_bool_var("")
                            interval = model.new_optional_interval_var(
                                start, option.duration, end, present, ""
                            )
                        by_machine[option.machine].append(interval)
                        options.append((option.machine, present))
                    if len(options) > 1:
                        model.add_exactly_one(p for _m, p in options)
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
        """The whole solution as a hint (a partial one is not tried as a solution)."""
        ends: dict[str, int] = {}
        for a in solution.assignments:
            ends[a.job] = max(ends.get(a.job, 0), a.end)
        self.model.add_hint(self.makespan, max(ends.values(), default=0))
        dues = {job.id: job.due for job in self.problem.jobs}
        for job_id, late in self.late.items():
            self.model.add_hint(late, max(0, ends.get(job_id, 0) - dues[job_id]))
        for a in solution.assignments:
            key = (a.job, a.index)
            if key in self.starts and key not in self.fixed:
                self.model.add_hint(self.starts[key], a.start)
                self.model.add_hint(self.ends[key], a.end)
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


class _Watch(cp_model.CpSolverSolutionCallback):
    def __init__(self, began: float, on_progress: Progress | None):
        super().__init__()
        self.began, self.on_progress = began, on_progress

    def on_solution_callback(self) -> None:
        if self.on_progress is not None:
            self.on_progress(
                self.objective_value, self.best_objective_bound, time.perf_counter() - self.began
            )


def solve(
    problem: Problem,
    *,
    objective: Objective = Objective.TARDINESS,
    time_limit_s: float = 10.0,
    workers: int = 2,
    seed: int = 0,
    on_progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Solution:
    """The best schedule found within ``time_limit_s`` (see the module's docstring)."""
    began = time.perf_counter()
    deadline = began + time_limit_s
    best = dispatch(problem, objective)
    best_bound: float | None = None
    for share, full_search in _phases(problem, objective):
        left = deadline - time.perf_counter()
        if left <= 0:
            break
        # Each phase starts from the best schedule so far, which bounds the makespan.
        horizon = _horizon(problem, objective, best)
        built = _Model(problem, objective, horizon)
        built.hint(best)
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(min(left, share * time_limit_s), 0.01)
        solver.parameters.num_workers = workers
        solver.parameters.random_seed = seed
        if full_search:
            solver.parameters.subsolvers.append(full_search)
        if objective == Objective.TARDINESS:
            # Plant problems (thousands of optional intervals, calendars as blocked time):
            # presolve probing alone took a whole minute, leaving no time to search.
            solver.parameters.cp_model_probing_level = 0
        status = STATUS[_run(solver, built.model, began, on_progress, should_stop)]
        if status == Status.INFEASIBLE:
            return Solution(status=status, assignments=[], wall_s=time.perf_counter() - began)
        if status not in (Status.OPTIMAL, Status.FEASIBLE):
            continue
        bound = solver.best_objective_bound
        if objective == Objective.TARDINESS:
            bound = bound // (horizon + 1)
        best_bound = bound if best_bound is None else max(best_bound, bound)
        assignments = built.read(solver)
        makespan, tardiness = Solution.measure(problem, assignments)
        best = Solution(
            status=status,
            assignments=assignments,
            makespan=makespan,
            tardiness=tardiness,
            objective=float(makespan if objective == Objective.MAKESPAN else tardiness),
            bound=float(best_bound),
        )
        if status == Status.OPTIMAL or (should_stop is not None and should_stop()):
            break
    best.wall_s = time.perf_counter() - began
    return best


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


def _run(solver, model, began, on_progress, should_stop) -> int:
    stop = threading.Event()
    if should_stop is not None:
        threading.Thread(target=_poll, args=(should_stop, solver, stop), daemon=True).start()
    try:
        return solver.solve(model, _Watch(began, on_progress))
    finally:
        stop.set()


def _poll(should_stop: Callable[[], bool], solver: cp_model.CpSolver, done: threading.Event):
    while not done.wait(0.25):
        if should_stop():
            solver.stop_search()
            return
