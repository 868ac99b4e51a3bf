"""Control charts: X̄-R, X̄-S, I-MR for measurements; p, np, c, u for attributes.

Limits are three-sigma Shewhart limits from the standard constants, computed
from the data or taken from limits frozen earlier from a baseline period.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from .constants import CONSTANTS, MAX_SUBGROUP, MIN_SUBGROUP
from .rules import WESTERN_ELECTRIC, Violation, rule_violations

XBAR_R, XBAR_S, I_MR, P, NP, C, U = "xbar_r", "xbar_s", "i_mr", "p", "np", "c", "u"
CHARTS = (XBAR_R, XBAR_S, I_MR, P, NP, C, U)
MEASURED_CHARTS = (XBAR_R, XBAR_S, I_MR)

# Points a chart needs before it has limits at all (two subgroups give a range or a
# spread; one value has no moving range). Reliable trial limits want 20–25.
MIN_POINTS: dict[str, int] = {chart: 2 for chart in CHARTS}

# I-MR: sigma = MR̄ / d2(2); the MR chart's upper factor is D4(2).
_MR = CONSTANTS[2]


class NotEnoughData(ValueError):
    """Too few points (or a malformed subgroup) for a chart: said plainly, never a ZeroDivision."""

    def __init__(self, message: str, *, needed: int = 0, have: int = 0):
        super().__init__(message)
        self.needed = needed
        self.have = have


@dataclass(frozen=True)
class ChartLine:
    name: str
    values: list[float | None]
    centre: float
    lcl: list[float | None]
    ucl: list[float | None]


@dataclass(frozen=True)
class FrozenLimits:
    chart: str
    centre: float
    lcl: float | None
    ucl: float | None
    spread_centre: float | None = None
    spread_lcl: float | None = None
    spread_ucl: float | None = None
    sigma: float | None = None
    points: int = 0


@dataclass(frozen=True)
class Chart:
    chart: str
    primary: ChartLine
    secondary: ChartLine | None
    violations: list[Violation]
    limits: FrozenLimits


@dataclass(frozen=True)
class ChartData:
    """The data of any chart; each chart reads the fields it needs."""

    subgroups: Sequence[Sequence[float]] = field(default_factory=tuple)
    values: Sequence[float] = field(default_factory=tuple)
    counts: Sequence[int] = field(default_factory=tuple)
    sample_sizes: Sequence[int] = field(default_factory=tuple)


def _need(chart: str, have: int) -> None:
    needed = MIN_POINTS[chart]
    if have < needed:
        raise NotEnoughData(
            f"A {chart} chart needs at least {needed} points; there are {have}.",
            needed=needed,
            have=have,
        )


def _subgroup_size(subgroups: Sequence[Sequence[float]], chart: str) -> int:
    sizes = {len(subgroup) for subgroup in subgroups}
    if len(sizes) != 1:
        raise NotEnoughData(f"The subgroups of a {chart} chart must all have the same size.")
    n = sizes.pop()
    if not MIN_SUBGROUP <= n <= MAX_SUBGROUP:
        raise NotEnoughData(
            f"A {chart} chart needs subgroups of {MIN_SUBGROUP} to {MAX_SUBGROUP} values; "
            f"these have {n}.",
            needed=MIN_SUBGROUP,
            have=n,
        )
    return n


def _flat(value: float | None, points: int) -> list[float | None]:
    return [value] * points


def _chart(
    kind: str,
    primary: ChartLine,
    secondary: ChartLine | None,
    limits: FrozenLimits,
    rule_set: str,
) -> Chart:
    violations = rule_violations(
        primary.values, primary.centre, primary.lcl, primary.ucl, rule_set=rule_set
    )
    if secondary is not None:
        # The dispersion chart is judged by its limits only (rule 1).
        violations += [
            Violation(index=i, rule=1, chart="secondary")
            for i, value in enumerate(secondary.values)
            if value is not None
            and (
                (secondary.ucl[i] is not None and value > secondary.ucl[i])
                or (secondary.lcl[i] is not None and value < secondary.lcl[i])
            )
        ]
    violations.sort(key=lambda v: (v.index, v.chart, v.rule))
    return Chart(kind, primary, secondary, violations, limits)


# --- measured charts -------------------------------------------------------------


def _xbar_limits(subgroups: Sequence[Sequence[float]], chart: str) -> FrozenLimits:
    _need(chart, len(subgroups))
    n = _subgroup_size(subgroups, chart)
    factors = CONSTANTS[n]
    grand_mean = statistics.fmean(statistics.fmean(subgroup) for subgroup in subgroups)
    if chart == XBAR_R:
        spread = statistics.fmean(max(subgroup) - min(subgroup) for subgroup in subgroups)
        width, sigma = factors.A2 * spread, spread / factors.d2
        low, high = factors.D3 * spread, factors.D4 * spread
    else:
        spread = statistics.fmean(statistics.stdev(subgroup) for subgroup in subgroups)
        width, sigma = factors.A3 * spread, spread / factors.c4
        low, high = factors.B3 * spread, factors.B4 * spread
    return FrozenLimits(
        chart=chart,
        centre=grand_mean,
        lcl=grand_mean - width,
        ucl=grand_mean + width,
        spread_centre=spread,
        spread_lcl=low,
        spread_ucl=high,
        sigma=sigma,
        points=len(subgroups),
    )


def _xbar_chart(
    chart: str,
    subgroups: Sequence[Sequence[float]],
    frozen: FrozenLimits | None,
    rule_set: str,
) -> Chart:
    limits = frozen or _xbar_limits(subgroups, chart)
    if frozen is not None and subgroups:
        _subgroup_size(subgroups, chart)
    means = [statistics.fmean(subgroup) for subgroup in subgroups]
    if chart == XBAR_R:
        spreads = [max(subgroup) - min(subgroup) for subgroup in subgroups]
        spread_name = "r"
    else:
        spreads = [statistics.stdev(subgroup) for subgroup in subgroups]
        spread_name = "s"
    points = len(subgroups)
    primary = ChartLine(
        "xbar", means, limits.centre, _flat(limits.lcl, points), _flat(limits.ucl, points)
    )
    secondary = ChartLine(
        spread_name,
        spreads,
        limits.spread_centre or 0.0,
        _flat(limits.spread_lcl, points),
        _flat(limits.spread_ucl, points),
    )
    return _chart(chart, primary, secondary, limits, rule_set)


def xbar_r_chart(
    subgroups: Sequence[Sequence[float]],
    *,
    frozen: FrozenLimits | None = None,
    rule_set: str = WESTERN_ELECTRIC,
) -> Chart:
    return _xbar_chart(XBAR_R, subgroups, frozen, rule_set)


def xbar_s_chart(
    subgroups: Sequence[Sequence[float]],
    *,
    frozen: FrozenLimits | None = None,
    rule_set: str = WESTERN_ELECTRIC,
) -> Chart:
    return _xbar_chart(XBAR_S, subgroups, frozen, rule_set)


def _moving_ranges(values: Sequence[float]) -> list[float | None]:
    return [None] + [abs(b - a) for a, b in itertools.pairwise(values)]


def _i_mr_limits(values: Sequence[float]) -> FrozenLimits:
    _need(I_MR, len(values))
    mean = statistics.fmean(values)
    mr_bar = statistics.fmean(mr for mr in _moving_ranges(values) if mr is not None)
    sigma = mr_bar / _MR.d2
    return FrozenLimits(
        chart=I_MR,
        centre=mean,
        lcl=mean - 3 * sigma,
        ucl=mean + 3 * sigma,
        spread_centre=mr_bar,
        spread_lcl=0.0,
        spread_ucl=_MR.D4 * mr_bar,
        sigma=sigma,
        points=len(values),
    )


def i_mr_chart(
    values: Sequence[float],
    *,
    frozen: FrozenLimits | None = None,
    rule_set: str = WESTERN_ELECTRIC,
) -> Chart:
    limits = frozen or _i_mr_limits(values)
    points = len(values)
    primary = ChartLine(
        "i", list(values), limits.centre, _flat(limits.lcl, points), _flat(limits.ucl, points)
    )
    secondary = ChartLine(
        "mr",
        _moving_ranges(values),
        limits.spread_centre or 0.0,
        _flat(limits.spread_lcl, points),
        _flat(limits.spread_ucl, points),
    )
    return _chart(I_MR, primary, secondary, limits, rule_set)


# --- attribute charts ------------------------------------------------------------


def _check_counts(chart: str, counts: Sequence[int], sizes: Sequence[int] | None) -> None:
    _need(chart, len(counts))
    if sizes is not None:
        if len(sizes) != len(counts):
            raise NotEnoughData(f"A {chart} chart needs one sample size per point.")
        if any(size <= 0 for size in sizes):
            raise NotEnoughData(f"The sample sizes of a {chart} chart must be above zero.")
    if any(count < 0 for count in counts):
        raise NotEnoughData(f"The counts of a {chart} chart cannot be negative.")


def _attribute_limits(chart: str, centre: float, sizes: Sequence[int]) -> tuple[list, list]:
    """Per-point (LCL, UCL) of p or u charts, clipped to the possible range."""
    lows, highs = [], []
    for n in sizes:
        if chart == P:
            width = 3 * math.sqrt(centre * (1 - centre) / n)
            lows.append(max(0.0, centre - width))
            highs.append(min(1.0, centre + width))
        else:
            width = 3 * math.sqrt(centre / n)
            lows.append(max(0.0, centre - width))
            highs.append(centre + width)
    return lows, highs


def _rate_chart(
    kind: str,
    counts: Sequence[int],
    sizes: Sequence[int],
    frozen: FrozenLimits | None,
    rule_set: str,
) -> Chart:
    """p (defective fraction) or u (defects per unit): limits per point from its size."""
    centre = frozen.centre if frozen else sum(counts) / sum(sizes)
    lows, highs = _attribute_limits(kind, centre, sizes)
    limits = frozen or FrozenLimits(
        chart=kind, centre=centre, lcl=None, ucl=None, points=len(counts)
    )
    rates = [count / size for count, size in zip(counts, sizes, strict=True)]
    return _chart(kind, ChartLine(kind, rates, centre, lows, highs), None, limits, rule_set)


def _count_chart(
    kind: str, counts: Sequence[int], computed: FrozenLimits | None, frozen, rule_set: str
) -> Chart:
    """np or c: one count per point against constant limits."""
    limits = frozen or computed
    points = len(counts)
    line = ChartLine(
        kind,
        [float(count) for count in counts],
        limits.centre,
        _flat(limits.lcl, points),
        _flat(limits.ucl, points),
    )
    return _chart(kind, line, None, limits, rule_set)


def p_chart(
    defectives: Sequence[int],
    sample_sizes: Sequence[int],
    *,
    frozen: FrozenLimits | None = None,
    rule_set: str = WESTERN_ELECTRIC,
) -> Chart:
    _check_counts(P, defectives, sample_sizes)
    if any(d > n for d, n in zip(defectives, sample_sizes, strict=True)):
        raise NotEnoughData("A sample cannot have more defective units than units.")
    return _rate_chart(P, defectives, sample_sizes, frozen, rule_set)


def u_chart(
    defects: Sequence[int],
    sample_sizes: Sequence[int],
    *,
    frozen: FrozenLimits | None = None,
    rule_set: str = WESTERN_ELECTRIC,
) -> Chart:
    _check_counts(U, defects, sample_sizes)
    return _rate_chart(U, defects, sample_sizes, frozen, rule_set)


def np_chart(
    defectives: Sequence[int],
    sample_size: int,
    *,
    frozen: FrozenLimits | None = None,
    rule_set: str = WESTERN_ELECTRIC,
) -> Chart:
    _check_counts(NP, defectives, [sample_size] * len(defectives))
    computed = None
    if frozen is None:
        p_bar = sum(defectives) / (sample_size * len(defectives))
        centre = sample_size * p_bar
        width = 3 * math.sqrt(centre * (1 - p_bar))
        computed = FrozenLimits(
            chart=NP,
            centre=centre,
            lcl=max(0.0, centre - width),
            ucl=min(float(sample_size), centre + width),
            points=len(defectives),
        )
    return _count_chart(NP, defectives, computed, frozen, rule_set)


def c_chart(
    defects: Sequence[int],
    *,
    frozen: FrozenLimits | None = None,
    rule_set: str = WESTERN_ELECTRIC,
) -> Chart:
    _check_counts(C, defects, None)
    computed = None
    if frozen is None:
        centre = statistics.fmean(defects)
        width = 3 * math.sqrt(centre)
        computed = FrozenLimits(
            chart=C,
            centre=centre,
            lcl=max(0.0, centre - width),
            ucl=centre + width,
            points=len(defects),
        )
    return _count_chart(C, defects, computed, frozen, rule_set)


# --- one entry point -------------------------------------------------------------


def build_chart(
    chart: str,
    data: ChartData,
    *,
    frozen: FrozenLimits | None = None,
    rule_set: str = WESTERN_ELECTRIC,
) -> Chart:
    """The chart of kind ``chart`` over ``data`` (limits from the data unless ``frozen``)."""
    if chart in (XBAR_R, XBAR_S):
        return _xbar_chart(chart, data.subgroups, frozen, rule_set)
    if chart == I_MR:
        values = list(data.values) or [subgroup[0] for subgroup in data.subgroups]
        return i_mr_chart(values, frozen=frozen, rule_set=rule_set)
    if chart == P:
        return p_chart(data.counts, data.sample_sizes, frozen=frozen, rule_set=rule_set)
    if chart == NP:
        sizes = set(data.sample_sizes)
        if len(sizes) > 1:
            raise NotEnoughData("An np chart needs samples of one size; use a p chart.")
        size = sizes.pop() if sizes else 1
        return np_chart(data.counts, size, frozen=frozen, rule_set=rule_set)
    if chart == C:
        return c_chart(data.counts, frozen=frozen, rule_set=rule_set)
    if chart == U:
        return u_chart(data.counts, data.sample_sizes, frozen=frozen, rule_set=rule_set)
    raise ValueError(f"Unknown chart {chart!r}.")


def compute_limits(chart: str, data: ChartData) -> FrozenLimits:
    """Limits from a baseline, to be frozen and used for later points."""
    return build_chart(chart, data).limits


# --- capability --------------------------------------------------------------------


@dataclass(frozen=True)
class Capability:
    n: int
    mean: float
    sigma_within: float | None
    sigma_overall: float
    cp: float | None
    cpk: float | None
    pp: float | None
    ppk: float | None


def _indices(
    mean: float, sigma: float | None, lsl: float | None, usl: float | None
) -> tuple[float | None, float | None]:
    if not sigma:
        return None, None
    potential = (usl - lsl) / (6 * sigma) if lsl is not None and usl is not None else None
    sides = []
    if usl is not None:
        sides.append((usl - mean) / (3 * sigma))
    if lsl is not None:
        sides.append((mean - lsl) / (3 * sigma))
    return potential, (min(sides) if sides else None)


def capability(
    values: Sequence[float],
    *,
    lsl: float | None,
    usl: float | None,
    sigma_within: float | None,
) -> Capability:
    """Cp/Cpk from the within-subgroup sigma (the chart's), Pp/Ppk from the overall one."""
    if len(values) < 2:
        raise NotEnoughData(
            f"Capability needs at least 2 values; there are {len(values)}.",
            needed=2,
            have=len(values),
        )
    mean = statistics.fmean(values)
    overall = statistics.stdev(values)
    cp, cpk = _indices(mean, sigma_within, lsl, usl)
    pp, ppk = _indices(mean, overall, lsl, usl)
    return Capability(len(values), mean, sigma_within, overall, cp, cpk, pp, ppk)
