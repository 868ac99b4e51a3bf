"""A dispatching heuristic: a feasible schedule at once, and the CP-SAT solver's hint.

Giffler–Thompson active schedule generation with alternative machines: of the next task
of every job (on every machine it may use), take the one that could finish first; the
tasks that could start on that machine before then compete, and a priority rule picks
one — earliest due date (then most work remaining) for tardiness, most work remaining
for makespan. Blocked intervals are skipped over; tasks already fixed stay as they are.
"""

from __future__ import annotations

import heapq
import time
from bisect import bisect_right

from .problem import Assignment, Job, Objective, Problem, Solution, Status, merged


class _Machine:
    """When a machine is free: after its last task, around its blocked intervals."""

    def __init__(self, blocked: list[tuple[int, int]]):
        self.blocked = merged(blocked)
        self.block_ends = [end for _start, end in self.blocked]
        self.free_at = 0

    def earliest(self, ready: int, duration: int) -> int:
        """The first start at or after ``ready`` (and the machine's last task) at which
        the task overlaps no blocked interval."""
        start = max(ready, self.free_at)
        index = bisect_right(self.block_ends, start)  # the first block ending after start
        # An empty task may not sit inside a block either (as CP-SAT's no-overlap holds).
        while index < len(self.blocked) and self.blocked[index][0] < start + max(duration, 1):
            start = self.blocked[index][1]
            index += 1
        return start


def _remaining_work(job: Job, index: int) -> int:
    return sum(min(o.duration for o in task.options) for task in job.tasks[index:])


def dispatch(problem: Problem, objective: Objective = Objective.TARDINESS) -> Solution:
    """A feasible schedule (see the module's docstring)."""
    began = time.perf_counter()
    blocked: dict[str, list[tuple[int, int]]] = {
        m: list(problem.blocked.get(m, ())) for m in problem.machines
    }
    assignments: list[Assignment] = []
    next_index: dict[str, int] = {}
    ready_at: dict[str, int] = {}
    for job in problem.jobs:
        done = 0
        ready = job.release
        for index, task in enumerate(job.tasks):
            if task.fixed is None:
                if any(later.fixed for later in job.tasks[index + 1 :]):
                    raise ValueError(f"{job.id}: a fixed task follows one still to plan")
                break
            f = task.fixed
            blocked[f.machine].append((f.start, f.end))
            assignments.append(Assignment(job.id, index, f.machine, f.start, f.end))
            done, ready = index + 1, max(ready, f.end)
        next_index[job.id], ready_at[job.id] = done, ready
    machines = {m: _Machine(spans) for m, spans in blocked.items()}
    jobs = {job.id: job for job in problem.jobs if next_index[job.id] < len(job.tasks)}
    # Work left from each task on (shortest options), for the priority rules.
    work_from = {
        job.id: [_remaining_work(job, index) for index in range(len(job.tasks) + 1)]
        for job in jobs.values()
    }

    def rank(job: Job) -> tuple:
        work = work_from[job.id][next_index[job.id]]
        if objective == Objective.TARDINESS:
            return (job.due if job.due is not None else float("inf"), -job.weight, -work, job.id)
        return (-work, job.id)

    # Candidates (a job's next task on one of its machines) are kept up to date only where
    # something changed — the job just scheduled and the machine it took — with a heap of
    # their ends (stale entries skipped), so a step costs about one machine's queue.
    candidates: dict[tuple[str, str], tuple[int, int, int]] = {}  # -> (end, start, duration)
    on_machine: dict[str, set[str]] = {m: set() for m in machines}
    heap: list[tuple[int, int, str, str]] = []

    def offer(job: Job, machine: str, duration: int) -> None:
        start = machines[machine].earliest(ready_at[job.id], duration)
        candidates[(job.id, machine)] = (start + duration, start, duration)
        on_machine[machine].add(job.id)
        heapq.heappush(heap, (start + duration, start, job.id, machine))

    def offer_next_task(job: Job) -> None:
        shortest: dict[str, int] = {}
        for option in job.tasks[next_index[job.id]].options:
            shortest[option.machine] = min(
                option.duration, shortest.get(option.machine, option.duration)
            )
        for machine, duration in shortest.items():
            offer(job, machine, duration)

    for job in jobs.values():
        offer_next_task(job)
    while jobs:
        first_end, first_start, job_id, machine = heapq.heappop(heap)
        if candidates.get((job_id, machine), (None, None))[:2] != (first_end, first_start):
            continue  # stale
        # Those that could start before it ends (an empty task: at its start) compete.
        until = max(first_end, first_start + 1)
        conflict = [
            (jobs[other], *candidates[(other, machine)])
            for other in on_machine[machine]
            if candidates[(other, machine)][1] < until
        ]
        job, end, start, _duration = min(conflict, key=lambda c: (rank(c[0]), c[1]))
        assignments.append(Assignment(job.id, next_index[job.id], machine, start, end))
        machines[machine].free_at = end
        ready_at[job.id] = end
        for option in job.tasks[next_index[job.id]].options:
            candidates.pop((job.id, option.machine), None)
            on_machine[option.machine].discard(job.id)
        next_index[job.id] += 1
        if next_index[job.id] == len(job.tasks):
            del jobs[job.id]
        else:
            offer_next_task(job)
        for other in list(on_machine[machine]):  # the machine is busy longer: later starts
            offer(jobs[other], machine, candidates[(other, machine)][2])
    makespan, tardiness = Solution.measure(problem, assignments)
    return Solution(
        status=Status.FEASIBLE,
        assignments=sorted(assignments, key=lambda a: (a.start, a.machine)),
        makespan=makespan,
        tardiness=tardiness,
        objective=float(makespan if objective == Objective.MAKESPAN else tardiness),
        wall_s=time.perf_counter() - began,
    )
