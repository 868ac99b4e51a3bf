"""Run rules for control charts: Western Electric's four and Nelson's eight.

Each point's zone comes from its own sigma, (UCL − centre) / 3, so charts whose
limits vary with the sample size (p, u) are judged correctly. A violation is
reported at the point that completes the pattern.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

WESTERN_ELECTRIC = "western_electric"
NELSON = "nelson"

RULES: dict[str, dict[int, str]] = {
    WESTERN_ELECTRIC: {
        1: "One point beyond 3 sigma",
        2: "2 of 3 points in a row beyond 2 sigma on the same side",
        3: "4 of 5 points in a row beyond 1 sigma on the same side",
        4: "8 points in a row on the same side of the centre line",
    },
    NELSON: {
        1: "One point beyond 3 sigma",
        2: "9 points in a row on the same side of the centre line",
        3: "6 points in a row steadily increasing or decreasing",
        4: "14 points in a row alternating up and down",
        5: "2 of 3 points in a row beyond 2 sigma on the same side",
        6: "4 of 5 points in a row beyond 1 sigma on the same side",
        7: "15 points in a row within 1 sigma of the centre line",
        8: "8 points in a row beyond 1 sigma on either side",
    },
}


@dataclass(frozen=True)
class Violation:
    index: int  # the point's index in its chart line
    rule: int  # the rule's number within the rule set
    chart: str  # "primary" or "secondary"


def _z(value: float, centre: float, lcl: float | None, ucl: float | None) -> float:
    """How many sigmas ``value`` lies from the centre (signed)."""
    if ucl is not None:
        sigma = (ucl - centre) / 3
    elif lcl is not None:
        sigma = (centre - lcl) / 3
    else:
        return 0.0
    diff = value - centre
    if sigma <= 0:
        return 0.0 if diff == 0 else math.copysign(math.inf, diff)
    return diff / sigma


def _beyond_limits(values, lcl, ucl) -> list[bool]:
    return [
        (u is not None and v > u) or (lo is not None and v < lo)
        for v, lo, u in zip(values, lcl, ucl, strict=True)
    ]


def _k_of_m(zs: Sequence[float], k: int, m: int, threshold: float) -> list[bool]:
    """k of the last m points beyond ``threshold`` sigma on the same side (the last one too)."""
    hits = [False] * len(zs)
    for i in range(len(zs)):
        start = max(0, i - m + 1)
        if i - start + 1 < k:
            continue
        window = zs[start : i + 1]
        for sign in (1, -1):
            if sign * zs[i] > threshold and sum(1 for z in window if sign * z > threshold) >= k:
                hits[i] = True
    return hits


def _run(zs: Sequence[float], length: int, test: Callable[[float], bool]) -> list[bool]:
    """``length`` points in a row that pass ``test``."""
    hits, count = [False] * len(zs), 0
    for i, z in enumerate(zs):
        count = count + 1 if test(z) else 0
        hits[i] = count >= length
    return hits


def _same_side(zs: Sequence[float], length: int) -> list[bool]:
    above = _run(zs, length, lambda z: z > 0)
    below = _run(zs, length, lambda z: z < 0)
    return [a or b for a, b in zip(above, below, strict=True)]


def _trend(values: Sequence[float], length: int) -> list[bool]:
    """``length`` points in a row steadily increasing or decreasing."""
    hits, up, down = [False] * len(values), 1, 1
    for i in range(1, len(values)):
        up = up + 1 if values[i] > values[i - 1] else 1
        down = down + 1 if values[i] < values[i - 1] else 1
        hits[i] = up >= length or down >= length
    return hits


def _alternating(values: Sequence[float], length: int) -> list[bool]:
    """``length`` points in a row, each step reversing the direction of the one before."""
    hits, steps, last_sign = [False] * len(values), 0, 0
    for i in range(1, len(values)):
        sign = (values[i] > values[i - 1]) - (values[i] < values[i - 1])
        if sign == 0:
            steps = 0
        elif sign == -last_sign:
            steps += 1
        else:
            steps = 1
        last_sign = sign
        hits[i] = steps + 1 >= length
    return hits


def rule_violations(
    values: Sequence[float | None],
    centre: float,
    lcl: Sequence[float | None],
    ucl: Sequence[float | None],
    *,
    rule_set: str = WESTERN_ELECTRIC,
    chart: str = "primary",
) -> list[Violation]:
    """The rule violations of a chart line; ``None`` values (no point) are skipped."""
    if rule_set not in RULES:
        raise ValueError(f"Unknown rule set {rule_set!r}.")
    index = [i for i, v in enumerate(values) if v is not None]
    vals = [float(values[i]) for i in index]
    lows = [lcl[i] for i in index]
    highs = [ucl[i] for i in index]
    zs = [_z(v, centre, lo, hi) for v, lo, hi in zip(vals, lows, highs, strict=True)]
    beyond = _beyond_limits(vals, lows, highs)
    if rule_set == WESTERN_ELECTRIC:
        checks = {
            1: beyond,
            2: _k_of_m(zs, 2, 3, 2),
            3: _k_of_m(zs, 4, 5, 1),
            4: _same_side(zs, 8),
        }
    else:
        checks = {
            1: beyond,
            2: _same_side(zs, 9),
            3: _trend(vals, 6),
            4: _alternating(vals, 14),
            5: _k_of_m(zs, 2, 3, 2),
            6: _k_of_m(zs, 4, 5, 1),
            7: _run(zs, 15, lambda z: abs(z) < 1),
            8: _run(zs, 8, lambda z: abs(z) > 1),
        }
    return [
        Violation(index=index[i], rule=rule, chart=chart)
        for rule, hits in checks.items()
        for i, hit in enumerate(hits)
        if hit
    ]
