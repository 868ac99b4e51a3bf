"""Check a schedule against its problem: every test and every solver result goes through it."""

from __future__ import annotations

from collections import defaultdict

from .problem import Problem, Solution, WorkingTime


def violations(problem: Problem, solution: Solution) -> list[str]:
    """What is wrong with the solution (empty: nothing). Checks that every task is placed
    once, on one of its machines (a fixed task where it is fixed), after its job's release
    and its previous task, that it starts in working time and ends when its duration
    there has been worked (pausing over blocked time), and that no two tasks overlap on a
    machine. Empty tasks overlap nothing."""
    found: list[str] = []
    working = {m: WorkingTime(spans) for m, spans in problem.blocked.items()}
    always = WorkingTime(())
    placed = defaultdict(list)
    for a in solution.assignments:
        placed[(a.job, a.index)].append(a)
    by_machine = defaultdict(list)
    for job in problem.jobs:
        previous_end = job.release
        for index, task in enumerate(job.tasks):
            mine = placed.pop((job.id, index), [])
            if len(mine) != 1:
                found.append(f"{job.id}[{index}] is placed {len(mine)} times")
                continue
            a = mine[0]
            if task.fixed is not None:
                f = task.fixed
                if (a.machine, a.start, a.end) != (f.machine, f.start, f.end):
                    found.append(f"{job.id}[{index}] moved from where it is fixed")
            else:
                durations = {o.machine: o.duration for o in task.options}
                if a.machine not in durations:
                    found.append(f"{job.id}[{index}] on {a.machine}, not one of its machines")
                else:
                    hours = working.get(a.machine, always)
                    if not hours.is_working(a.start):
                        found.append(f"{job.id}[{index}] starts at {a.start}, in blocked time")
                    elif a.end != (due := hours.end_after(a.start, durations[a.machine])):
                        found.append(
                            f"{job.id}[{index}] ends at {a.end}, not {due} "
                            f"({durations[a.machine]} of working time)"
                        )
                if a.start < previous_end:
                    found.append(f"{job.id}[{index}] starts at {a.start}, before {previous_end}")
            previous_end = a.end
            by_machine[a.machine].append((a.start, a.end, f"{job.id}[{index}]"))
    for job_id, index in placed:
        found.append(f"{job_id}[{index}] is not a task of the problem")
    for machine, spans in by_machine.items():
        busy = sorted(s for s in spans if s[1] > s[0])
        latest_end, latest = None, None
        for start, end, what in busy:
            if latest_end is not None and start < latest_end:
                found.append(f"{what} overlaps {latest} on {machine}")
            if latest_end is None or end > latest_end:
                latest_end, latest = end, what
    return found
