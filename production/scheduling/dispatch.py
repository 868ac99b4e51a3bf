"""A dispatching heuristic: a feasible schedule at once, and the CP-SAT solver's hint.

Giffler–Thompson active schedule generation with alternative machines: of the next task
of every job (on every machine it may use), take the one that could finish first; the
tasks that could start on that machine before then compete, and a priority rule picks
one — earliest due date (then most work remaining) for tardiness, most work remaining
for makespan. Tasks count working time (pausing over blocked time); tasks already fixed
stay as they are.
"""

from __future__ import annotations

import heapq
import time

from .problem import Assignment, Job, Objective, Problem, Solution, Status, WorkingTime


class _Machine:
    """When a machine can take a task: after its last one, in its working time, clear of
    the tasks already fixed on it."""

    def __init__(self, working: WorkingTime, occupied: list[tuple[int, int]]):
        self.working = working
        self.occupied = sorted(occupied)
        self.free_at = 0

    def place(self, ready: int, duration: int) -> tuple[int, int]:
        """The earliest start and end for a task ready at ``ready``."""
        start = max(ready, self.free_at)
        while True:
            start = self.working.next_working(start)
            end = self.working.end_after(start, duration)
            # An empty task may not sit inside a fixed one either (as CP-SAT's no-overlap).
            clash = next(
                (e for s, e in self.occupied if s < max(end, start + 1) and e > start), None
            )
            if clash is None:
                return start, end
            start = clash


def _remaining_work(job: Job, index: int) -> int:
    return sum(min(o.duration for o in task.options) for task in job.tasks[index:])


def dispatch(problem: Problem, objective: Objective = Objective.TARDINESS) -> Solution:
    """A feasible schedule (see the module's docstring)."""
    began = time.perf_counter()
    occupied: dict[str, list[tuple[int, int]]] = {m: [] for m in problem.machines}
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
            occupied[f.machine].append((f.start, f.end))
            assignments.append(Assignment(job.id, index, f.machine, f.start, f.end))
            done, ready = index + 1, max(ready, f.end)
        next_index[job.id], ready_at[job.id] = done, ready
    machines = {
        m: _Machine(WorkingTime(problem.blocked.get(m, ())), spans) for m, spans in occupied.items()
    }
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
        start, end = machines[machine].place(ready_at[job.id], duration)
        candidates[(job.id, machine)] = (end, start, duration)
        on_machine[machine].add(job.id)
        heapq.heappush(heap, (end, start, job.id, machine))

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
