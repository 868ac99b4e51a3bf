"""The scheduler (pure): the dispatching heuristic and CP-SAT, every schedule validated."""

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from production.scheduling import jssp
from production.scheduling import solver as solver_module
from production.scheduling.dispatch import dispatch
from production.scheduling.problem import (
    Assignment,
    Fixed,
    Job,
    Objective,
    Option,
    Problem,
    Solution,
    Status,
    Task,
)
from production.scheduling.solver import solve
from production.scheduling.validate import violations

# Fisher and Thompson's 6×6 instance (ft06, optimum 55) in the standard format.
FT06 = """# instance ft06
6 6
2  1  0  3  1  6  3  7  5  3  4  6
1  8  2  5  4 10  5 10  0 10  3  4
2  5  3  4  5  8  0  9  1  1  4  7
1  5  0  5  2  5  3  3  4  8  5  9
2  9  1  3  4  5  5  4  0  3  3  1
1  3  3  3  5  9  0 10  4  4  2  1
"""


def task(*options: tuple[str, int]) -> Task:
    return Task(options=tuple(Option(m, d) for m, d in options))


def test_two_jobs_on_two_machines_optimally():
    problem = Problem(
        jobs=(
            Job("A", (task(("M1", 3)), task(("M2", 2))), due=5),
            Job("B", (task(("M2", 2)), task(("M1", 4))), due=6),
        )
    )
    solution = solve(problem, time_limit_s=5)
    assert violations(problem, solution) == []
    assert solution.status == Status.OPTIMAL
    assert (solution.tardiness, solution.makespan) == (1, 7)


def test_alternative_machines_share_the_load():
    problem = Problem(
        jobs=tuple(Job(f"J{n}", (task(("PRESS-1", 10), ("PRESS-2", 12)),)) for n in range(4))
    )
    solution = solve(problem, objective=Objective.MAKESPAN, time_limit_s=5)
    assert violations(problem, solution) == []
    assert solution.makespan == 24  # two on each press (three on the faster would take 30)
    assert {a.machine for a in solution.assignments} == {"PRESS-1", "PRESS-2"}


def test_blocked_time_and_a_running_task_are_respected():
    problem = Problem(
        jobs=(
            Job(
                "RUNNING", (Task(options=(Option("M", 5),), fixed=Fixed("M", 0, 5)), task(("N", 2)))
            ),
            Job("NEXT", (task(("M", 4)),), release=1),
        ),
        blocked={"M": [(6, 10)]},  # a break: four units after the first task ends
    )
    for solution in (dispatch(problem), solve(problem, time_limit_s=5)):
        assert violations(problem, solution) == []
        placed = {(a.job, a.index): a for a in solution.assignments}
        assert (placed[("RUNNING", 0)].start, placed[("RUNNING", 0)].end) == (0, 5)
        # It starts after the running task, works 5–6, pauses over the break, ends at 13.
        assert (placed[("NEXT", 0)].start, placed[("NEXT", 0)].end) == (5, 13)


def test_a_task_longer_than_a_shift_pauses_over_the_nights_and_counts_working_time():
    nights = [(8, 24), (32, 48), (56, 72)]  # shifts 0–8, 24–32, 48–56
    problem = Problem(
        jobs=(
            Job("LONG", (task(("M", 20)), task(("N", 1)))),
            Job("SHORT", (task(("M", 3)),), due=30),
        ),
        blocked={"M": nights, "N": nights},
    )
    for solution in (dispatch(problem), solve(problem, time_limit_s=5)):
        assert violations(problem, solution) == []
        placed = {(a.job, a.index): a for a in solution.assignments}
        long, short = placed[("LONG", 0)], placed[("SHORT", 0)]
        # 20 hours of work over three shifts, nothing on the machine in between.
        assert long.end - long.start == 20 + 16 * (2 if long.start < 8 else 1)
        assert short.end <= long.start or short.start >= long.end
        assert placed[("LONG", 1)].start >= long.end


def test_the_validator_refuses_a_task_that_runs_in_blocked_time():
    problem = Problem(jobs=(Job("A", (task(("M", 4)),)),), blocked={"M": [(2, 6)]})
    through = Solution(status=Status.FEASIBLE, assignments=[Assignment("A", 0, "M", 0, 4)])
    inside = Solution(status=Status.FEASIBLE, assignments=[Assignment("A", 0, "M", 3, 9)])
    assert violations(problem, through) == ["A[0] ends at 4, not 8 (4 of working time)"]
    assert violations(problem, inside) == ["A[0] starts at 3, in blocked time"]


def test_a_fixed_task_after_one_to_plan_is_refused():
    running_late = Task((Option("M", 2),), fixed=Fixed("M", 0, 2))
    problem = Problem(jobs=(Job("A", (task(("M", 3)), running_late)),))
    with pytest.raises(ValueError, match="A: a fixed task follows one still to plan"):
        solve(problem, time_limit_s=1)


def test_the_validator_names_what_is_wrong():
    problem = Problem(jobs=(Job("A", (task(("M", 3)), task(("N", 2))), release=1),))
    wrong = Solution(
        status=Status.FEASIBLE,
        assignments=[Assignment("A", 0, "N", 0, 3), Assignment("A", 1, "N", 2, 4)],
    )
    found = violations(problem, wrong)
    assert any("not one of its machines" in f for f in found)
    assert any("before 1" in f for f in found) and any("overlaps" in f for f in found)


def test_alternatives_with_different_calendars_are_refused():
    problem = Problem(jobs=(Job("A", (task(("M", 1), ("N", 1)),)),), blocked={"M": [(0, 2)]})
    with pytest.raises(ValueError, match=r"A\[0\]: its machines have different blocked time"):
        solve(problem, time_limit_s=1)


def test_a_tiny_time_limit_still_gives_the_heuristics_schedule():
    problem = jssp.read_instance(FT06)
    solution = solve(problem, objective=Objective.MAKESPAN, time_limit_s=0.01)
    assert solution.status in (Status.FEASIBLE, Status.OPTIMAL)
    assert violations(problem, solution) == []


def test_the_benchmark_cli_prints_a_validated_line(capsys, tmp_path):
    instance = tmp_path / "ft06"
    instance.write_text(FT06)
    assert jssp.main([str(instance), "--time-limit", "5"]) == 0
    line = capsys.readouterr().out
    assert '"makespan": 55' in line and '"status": "OPTIMAL"' in line
    with pytest.raises(SystemExit):
        jssp.main([str(instance), "--time-limit", "0"])


def test_an_instance_with_a_wrong_count_is_refused():
    with pytest.raises(ValueError, match="expected 2 jobs"):
        jssp.read_instance("2 2\n0 1 1 2\n0 3\n")


@st.composite
def problems(draw) -> Problem:
    """Random problems: machines in one or two groups (work centers) sharing a calendar;
    a task's alternatives come from one group."""
    groups = [
        [f"{group}{n}" for n in range(draw(st.integers(1, 2)))]
        for group in "AB"[: draw(st.integers(1, 2))]
    ]
    jobs = []
    for number in range(draw(st.integers(1, 6))):
        tasks = []
        for _ in range(draw(st.integers(1, 4))):
            group = draw(st.sampled_from(groups))
            chosen = draw(st.lists(st.sampled_from(group), min_size=1, max_size=2, unique=True))
            tasks.append(task(*((m, draw(st.integers(0, 9))) for m in chosen)))
        due = draw(st.none() | st.integers(0, 40))
        jobs.append(Job(f"J{number}", tuple(tasks), release=draw(st.integers(0, 5)), due=due))
    blocked = {}
    for group in groups:
        spans = sorted(
            {
                (s, s + draw(st.integers(1, 5)))
                for s in draw(st.lists(st.integers(0, 40), max_size=3))
            }
        )
        blocked.update({m: spans for m in group})
    return Problem(jobs=tuple(jobs), blocked=blocked)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.sampled_from(list(Objective)))
def test_random_problems_give_valid_schedules_no_worse_than_the_heuristic(problem, objective):
    first = dispatch(problem, objective)
    assert violations(problem, first) == []
    best = solve(problem, objective=objective, time_limit_s=2, workers=1)
    assert violations(problem, best) == []
    if objective == Objective.MAKESPAN:
        assert best.makespan <= first.makespan
    else:
        assert (best.tardiness, best.makespan) <= (first.tardiness, first.makespan)


def test_the_time_window_search_keeps_schedules_valid_and_improves_on_the_heuristic(
    monkeypatch,
):
    """Large calendars go to the slice-by-slice search (forced here on a small problem)."""
    monkeypatch.setattr(solver_module, "WHOLE_CALENDAR_MAX", 0)
    monkeypatch.setattr(solver_module, "FREE_TASKS", 8)
    rng = random.Random(3)
    nights = [(day * 24 + 16, day * 24 + 24) for day in range(40)]
    machines = ["A1", "A2", "B1"]
    jobs = tuple(
        Job(
            f"J{n}",
            (
                task(("A1", rng.randint(2, 9)), ("A2", rng.randint(2, 9))),
                task(("B1", rng.randint(1, 6))),
            ),
            due=rng.randint(5, 60),
            weight=rng.choice([1, 2]),
        )
        for n in range(25)
    )
    problem = Problem(jobs=jobs, blocked={m: nights for m in machines})
    first = dispatch(problem)
    best = solve(problem, time_limit_s=4, first=first)
    assert violations(problem, best) == []
    assert (best.tardiness, best.makespan) < (first.tardiness, first.makespan)
    assert best.status == Status.FEASIBLE and best.bound is None  # a slice proves nothing
