"""Job-shop benchmark instances: read the standard format, solve for makespan, print JSON.

    python -m production.scheduling.jssp FILE --time-limit SECONDS [--workers N] [--plain]

The format: optional ``#`` comment lines, then "jobs machines", then one line per job of
(machine, time) pairs in order, machines numbered from 0. The schedule found is
validated before its line is printed: {"instance", "jobs", "machines", "makespan",
"lower_bound", "status", "wall_s"}. ``--plain`` solves with the textbook CP-SAT model
instead (no hint, default search): the reference ``bench/jssp.py`` compares against.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from ortools.sat.python import cp_model

from .problem import Assignment, Job, Objective, Option, Problem, Solution, Task
from .solver import STATUS, solve
from .validate import violations


def read_instance(text: str) -> Problem:
    numbers = [
        int(value)
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
        for value in line.split()
    ]
    jobs_count, machines_count = numbers[0], numbers[1]
    values = numbers[2:]
    if len(values) != jobs_count * machines_count * 2:
        raise ValueError(
            f"expected {jobs_count} jobs of {machines_count} (machine, time) pairs, "
            f"found {len(values)} numbers"
        )
    jobs = []
    for j in range(jobs_count):
        row = values[j * machines_count * 2 : (j + 1) * machines_count * 2]
        tasks = tuple(
            Task(options=(Option(f"m{row[k]}", row[k + 1]),)) for k in range(0, len(row), 2)
        )
        jobs.append(Job(id=f"j{j}", tasks=tasks))
    return Problem(jobs=tuple(jobs))


def solve_plain(problem: Problem, *, time_limit_s: float, workers: int) -> Solution:
    """The textbook model: one interval per task, no-overlap, precedence, min makespan."""
    began = time.perf_counter()
    model = cp_model.CpModel()
    horizon = problem.upper_horizon()
    starts, intervals, ends, by_machine = {}, {}, [], {}
    for job in problem.jobs:
        previous = None
        for index, task in enumerate(job.tasks):
            option = task.options[0]
            start = model.new_int_var(0, horizon, "")
            end = model.new_int_var(0, horizon, "")
            intervals[(job.id, index)] = model.new_interval_var(start, option.duration, end, "")
            by_machine.setdefault(option.machine, []).append(intervals[(job.id, index)])
            starts[(job.id, index)] = (start, end, option.machine)
            if previous is not None:
                model.add(start >= previous)
            previous = end
        ends.append(previous)
    for machine_intervals in by_machine.values():
        model.add_no_overlap(machine_intervals)
    makespan = model.new_int_var(0, horizon, "")
    model.add_max_equality(makespan, ends)
    model.minimize(makespan)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.num_workers = workers
    status = solver.solve(model)
    solved = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    assignments = [
        Assignment(key[0], key[1], machine, solver.value(start), solver.value(end))
        for key, (start, end, machine) in starts.items()
        if solved
    ]
    return Solution(
        status=STATUS[status],
        assignments=assignments,
        makespan=solver.value(makespan) if solved else None,
        bound=solver.best_objective_bound,
        wall_s=time.perf_counter() - began,
    )


def run(path: Path, *, time_limit_s: float, workers: int, plain: bool = False) -> dict:
    problem = read_instance(path.read_text())
    if plain:
        solution = solve_plain(problem, time_limit_s=time_limit_s, workers=workers)
    else:
        solution = solve(
            problem, objective=Objective.MAKESPAN, time_limit_s=time_limit_s, workers=workers
        )
    wrong = violations(problem, solution)
    if wrong:
        raise AssertionError(f"{path.name}: invalid schedule: {wrong[:5]}")
    return {
        "instance": path.name,
        "jobs": len(problem.jobs),
        "machines": len(problem.machines),
        "makespan": solution.makespan,
        "lower_bound": int(solution.bound) if solution.bound is not None else None,
        "status": solution.status.value,
        "wall_s": round(solution.wall_s, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--time-limit", type=float, required=True, help="seconds")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--plain", action="store_true", help="the textbook reference model")
    args = parser.parse_args(argv)
    if args.time_limit <= 0:
        parser.error("--time-limit must be more than 0 seconds")
    print(
        json.dumps(
            run(args.file, time_limit_s=args.time_limit, workers=args.workers, plain=args.plain)
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
