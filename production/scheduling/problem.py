"""A scheduling problem and its solution as plain data.

Time is a whole number of units (the plant uses minutes; job-shop benchmarks have no
unit). Each job is a chain of tasks in order; each task runs on one of its options
(a machine and how long the task takes there). Machines may have blocked intervals
(time they do not work: outside their calendar). A task counts only working time: it
starts in working time and, where it is longer than what is left of the working window,
pauses over the blocked time and goes on in the next window until its duration has been
worked. The machine stays reserved for it meanwhile (no other task runs in between).
The alternatives of a task share one calendar (they are machines of one work center).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum


class Objective(StrEnum):
    TARDINESS = "tardiness"  # weighted tardiness first, then makespan
    MAKESPAN = "makespan"


class Status(StrEnum):
    OPTIMAL = "OPTIMAL"
    FEASIBLE = "FEASIBLE"
    INFEASIBLE = "INFEASIBLE"
    UNKNOWN = "UNKNOWN"


@dataclass(frozen=True)
class Option:
    machine: str
    duration: int


@dataclass(frozen=True)
class Fixed:
    """A task already running (or done): where and when, kept as it is."""

    machine: str
    start: int
    end: int


@dataclass(frozen=True)
class Task:
    options: tuple[Option, ...]
    fixed: Fixed | None = None


@dataclass(frozen=True)
class Job:
    id: str
    tasks: tuple[Task, ...]
    release: int = 0
    due: int | None = None
    weight: int = 1


@dataclass(frozen=True)
class Problem:
    jobs: tuple[Job, ...]
    blocked: Mapping[str, Sequence[tuple[int, int]]] = field(default_factory=dict)
    horizon: int | None = None  # None: long enough for any schedule

    @property
    def machines(self) -> list[str]:
        found = {o.machine for job in self.jobs for task in job.tasks for o in task.options}
        found |= {t.fixed.machine for job in self.jobs for t in job.tasks if t.fixed}
        return sorted(found)

    def upper_horizon(self) -> int:
        """A time by which a serial schedule surely ends: every task after everything."""
        if self.horizon is not None:
            return self.horizon
        longest = sum(
            max((o.duration for o in task.options), default=0)
            if task.fixed is None
            else task.fixed.end
            for job in self.jobs
            for task in job.tasks
        )
        last_block = max((end for spans in self.blocked.values() for _s, end in spans), default=0)
        blocked = sum(end - start for spans in self.blocked.values() for start, end in spans)
        return max((j.release for j in self.jobs), default=0) + longest + last_block + blocked


def merged(spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, non-overlapping union of the spans (empty ones dropped)."""
    found: list[list[int]] = []
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if found and start <= found[-1][1]:
            found[-1][1] = max(found[-1][1], end)
        else:
            found.append([start, end])
    return [(start, end) for start, end in found]


class WorkingTime:
    """A machine's working time: all time outside its blocked spans."""

    def __init__(self, blocked: Sequence[tuple[int, int]]):
        self.blocked = merged(blocked)
        self._ends = [end for _start, end in self.blocked]

    def next_working(self, moment: int) -> int:
        """The first working instant at or after ``moment``."""
        index = bisect_right(self._ends, moment)  # the first block ending after it
        if index < len(self.blocked) and self.blocked[index][0] <= moment:
            return self.blocked[index][1]
        return moment

    def is_working(self, moment: int) -> bool:
        return self.next_working(moment) == moment

    def end_after(self, start: int, duration: int) -> int:
        """When ``duration`` units of work begun at ``start`` (a working instant) are
        done, pausing over blocked time."""
        moment, left = start, duration
        index = bisect_right(self._ends, moment)
        while left > 0 and index < len(self.blocked):
            available = self.blocked[index][0] - moment
            if left <= available:
                return moment + left
            left -= available
            moment = self.blocked[index][1]
            index += 1
        return moment + left

    def windows(self, horizon: int) -> list[tuple[int, int]]:
        """The working windows within [0, horizon)."""
        found, moment = [], 0
        for start, end in self.blocked:
            if start >= horizon:
                break
            if start > moment:
                found.append((moment, start))
            moment = max(moment, end)
        if moment < horizon:
            found.append((moment, horizon))
        return found


@dataclass(frozen=True)
class Assignment:
    job: str
    index: int  # the task's place in its job, from 0
    machine: str
    start: int
    end: int


@dataclass
class Solution:
    status: Status
    assignments: list[Assignment]
    makespan: int | None = None
    tardiness: int | None = None  # weighted
    objective: float | None = None
    bound: float | None = None
    wall_s: float = 0.0

    @staticmethod
    def measure(problem: Problem, assignments: list[Assignment]) -> tuple[int, int]:
        """Makespan and weighted tardiness of the assignments."""
        ends: dict[str, int] = {}
        for a in assignments:
            ends[a.job] = max(ends.get(a.job, 0), a.end)
        tardiness = sum(
            job.weight * max(0, ends.get(job.id, 0) - job.due)
            for job in problem.jobs
            if job.due is not None
        )
        return max(ends.values(), default=0), tardiness
