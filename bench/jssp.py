"""Job-shop benchmarks (issue 7): our CP-SAT scheduler beside the textbook CP-SAT model.

.venv/bin/python bench/jssp.py [ft10|la|ta|NAME ...] [--time-limit S] [--workers N]

Sets: `ft10` (30 s; goal: proved optimal), `la` = la01–la40 (30 s each; goal: mean gap
to the optimum under 0.5 %), `ta` = ta01–ta10 (60 s each; goal: mean gap under 2 %),
or instance names. Each instance is solved by `production.scheduling.jssp` twice with
the same limits: our solver (dispatching hint, see production/scheduling/solver.py) and
the plain model (`--plain`). Every schedule is validated. Printed per instance:
makespan, optimum (or best known upper bound), gap, time and status for both; then the
mean gaps and their ratio.
"""

import argparse
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from production.scheduling.jssp import run

DATA = Path(__file__).resolve().parents[2] / "shared" / "benchdata" / "jssp"
SETS = {
    "ft10": (["ft10"], 30.0, None),
    "la": ([f"la{n:02d}" for n in range(1, 41)], 30.0, 0.5),
    "ta": ([f"ta{n:02d}" for n in range(1, 11)], 60.0, 2.0),
}


def gap(makespan: int, best: int) -> float:
    return 100.0 * (makespan - best) / best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("names", nargs="*", default=["ft10"])
    parser.add_argument("--time-limit", type=float)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    bounds = {i["name"]: i for i in json.loads((DATA / "bounds.json").read_text())["instances"]}
    for name in args.names:
        names, limit, goal = SETS.get(name, ([name], 30.0, None))
        limit = args.time_limit or limit
        print(f"{name}: {len(names)} instance(s), {limit:g} s each, {args.workers} workers")
        print(
            f"  {'instance':9} {'best':>6} | {'ours':>6} {'gap %':>6} {'s':>5} {'status':9}"
            f"| {'plain':>6} {'gap %':>6} {'s':>5} status"
        )
        ours_gaps, plain_gaps = [], []
        for instance in names:
            best = bounds[instance]["optimum"] or bounds[instance]["upper_bound"]
            path = DATA / "instances" / instance
            ours = run(path, time_limit_s=limit, workers=args.workers)
            plain = run(path, time_limit_s=limit, workers=args.workers, plain=True)
            ours_gaps.append(gap(ours["makespan"], best))
            plain_gaps.append(gap(plain["makespan"], best))
            print(
                f"  {instance:9} {best:6d} | {ours['makespan']:6d} {ours_gaps[-1]:6.2f} "
                f"{ours['wall_s']:5.1f} {ours['status']:9}| {plain['makespan']:6d} "
                f"{plain_gaps[-1]:6.2f} {plain['wall_s']:5.1f} {plain['status']}",
                flush=True,
            )
        mine, theirs = statistics.mean(ours_gaps), statistics.mean(plain_gaps)
        verdict = (
            "" if goal is None else f"  goal < {goal} %: {'met' if mine < goal else 'NOT met'}"
        )
        print(f"  mean gap: ours {mine:.2f} %, plain {theirs:.2f} %{verdict}")


if __name__ == "__main__":
    main()
