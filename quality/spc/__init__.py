"""Statistical process control, pure Python (no Django): charts, run rules, capability, SVG."""

from mes.svg import pareto_svg

from .charts import (
    CHARTS,
    MEASURED_CHARTS,
    MIN_POINTS,
    Capability,
    Chart,
    ChartData,
    ChartLine,
    FrozenLimits,
    NotEnoughData,
    build_chart,
    c_chart,
    capability,
    compute_limits,
    i_mr_chart,
    np_chart,
    p_chart,
    u_chart,
    xbar_r_chart,
    xbar_s_chart,
)
from .constants import CONSTANTS
from .rules import NELSON, RULES, WESTERN_ELECTRIC, Violation, rule_violations
from .svg import control_chart_svg

__all__ = [
    "CHARTS",
    "CONSTANTS",
    "MEASURED_CHARTS",
    "MIN_POINTS",
    "NELSON",
    "RULES",
    "WESTERN_ELECTRIC",
    "Capability",
    "Chart",
    "ChartData",
    "ChartLine",
    "FrozenLimits",
    "NotEnoughData",
    "Violation",
    "build_chart",
    "c_chart",
    "capability",
    "compute_limits",
    "control_chart_svg",
    "i_mr_chart",
    "np_chart",
    "p_chart",
    "pareto_svg",
    "rule_violations",
    "u_chart",
    "xbar_r_chart",
    "xbar_s_chart",
]
