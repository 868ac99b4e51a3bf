"""Shewhart control chart constants for subgroups of n = 2…25.

d2 (the mean relative range of n normal values) and the range chart factors A2,
D3, D4 are the published table values (ASTM E2587 Table 1, Montgomery Appendix
VI); c4 has a closed form, and the S chart factors A3, B3, B4 follow from it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

_D2 = {
    2: 1.128, 3: 1.693, 4: 2.059, 5: 2.326, 6: 2.534, 7: 2.704, 8: 2.847, 9: 2.970,
    10: 3.078, 11: 3.173, 12: 3.258, 13: 3.336, 14: 3.407, 15: 3.472, 16: 3.532,
    17: 3.588, 18: 3.640, 19: 3.689, 20: 3.735, 21: 3.778, 22: 3.819, 23: 3.858,
    24: 3.895, 25: 3.931,
}  # fmt: skip
# (A2, D3, D4) as published, so limits match the textbooks to their last digit.
_RANGE_FACTORS = {
    2: (1.880, 0.0, 3.267), 3: (1.023, 0.0, 2.574), 4: (0.729, 0.0, 2.282),
    5: (0.577, 0.0, 2.114), 6: (0.483, 0.0, 2.004), 7: (0.419, 0.076, 1.924),
    8: (0.373, 0.136, 1.864), 9: (0.337, 0.184, 1.816), 10: (0.308, 0.223, 1.777),
    11: (0.285, 0.256, 1.744), 12: (0.266, 0.283, 1.717), 13: (0.249, 0.307, 1.693),
    14: (0.235, 0.328, 1.672), 15: (0.223, 0.347, 1.653), 16: (0.212, 0.363, 1.637),
    17: (0.203, 0.378, 1.622), 18: (0.194, 0.391, 1.608), 19: (0.187, 0.403, 1.597),
    20: (0.180, 0.415, 1.585), 21: (0.173, 0.425, 1.575), 22: (0.167, 0.434, 1.566),
    23: (0.162, 0.443, 1.557), 24: (0.157, 0.451, 1.548), 25: (0.153, 0.459, 1.541),
}  # fmt: skip

MIN_SUBGROUP = 2
MAX_SUBGROUP = 25


@dataclass(frozen=True)
class Factors:
    n: int
    d2: float
    c4: float
    A2: float
    A3: float
    D3: float
    D4: float
    B3: float
    B4: float


def c4(n: int) -> float:
    """E[s]/σ for n normal values: sqrt(2/(n-1)) · Γ(n/2) / Γ((n-1)/2)."""
    return math.sqrt(2 / (n - 1)) * math.exp(math.lgamma(n / 2) - math.lgamma((n - 1) / 2))


def _factors(n: int) -> Factors:
    c = c4(n)
    a2, d3, d4 = _RANGE_FACTORS[n]
    spread = 3 * math.sqrt(1 - c * c) / c
    return Factors(
        n=n,
        d2=_D2[n],
        c4=c,
        A2=a2,
        A3=3 / (c * math.sqrt(n)),
        D3=d3,
        D4=d4,
        B3=max(0.0, 1 - spread),
        B4=1 + spread,
    )


CONSTANTS: dict[int, Factors] = {n: _factors(n) for n in _D2}
