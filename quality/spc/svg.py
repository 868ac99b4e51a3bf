"""Control charts as standalone SVG: no script, no external resource (see mes/svg.py).

The drawing scales with its container (viewBox, width 100%), uses strokes and text
large enough for a tablet at arm's length, and a font stack that has Korean glyphs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from xml.sax.saxutils import escape

from mes.svg import no_data
from mes.svg import number as _number
from mes.svg import open_svg as _open

from .charts import Chart, ChartLine
from .rules import Violation

POINT, VIOLATION, LIMIT, CENTRE, SPEC = "#1f5fa8", "#c62828", "#c62828", "#2e7d32", "#ef6c00"
DEFAULT_TEXTS = {
    "centre": "CL",
    "ucl": "UCL",
    "lcl": "LCL",
    "lsl": "LSL",
    "usl": "USL",
    "no_data": "No data",
}


class _Panel:
    """One plotting area: maps point index and value to pixels."""

    def __init__(self, top: float, height: float, width: float, points: int, low, high):
        self.left, self.right = 80.0, width - 90.0
        self.top, self.bottom = top, top + height
        self.points = max(points, 1)
        span = (high - low) or (abs(high) or 1.0) * 0.1
        self.low, self.high = low - span * 0.08, high + span * 0.08

    def x(self, index: float) -> float:
        if self.points == 1:
            return (self.left + self.right) / 2
        return self.left + (self.right - self.left) * index / (self.points - 1)

    def y(self, value: float) -> float:
        share = (value - self.low) / (self.high - self.low)
        return self.bottom - (self.bottom - self.top) * share


def _limit_path(panel: _Panel, values: Sequence[float | None]) -> str:
    """A step line through per-point limits (a straight line when they are constant)."""
    parts, last = [], None
    for i, value in enumerate(values):
        if value is None:
            last = None
            continue
        x0, x1 = panel.x(max(i - 0.5, 0)), panel.x(min(i + 0.5, panel.points - 1))
        y = panel.y(value)
        parts.append(f"{'L' if last is not None else 'M'}{x0:.1f},{y:.1f} L{x1:.1f},{y:.1f}")
        last = value
    return " ".join(parts)


def _line_svg(
    panel: _Panel,
    line: ChartLine,
    violations: Sequence[Violation],
    chart: str,
    texts: Mapping[str, str],
    specs: Sequence[tuple[str, float]],
    rule_names: Mapping[int, str],
) -> list[str]:
    out = [
        f'<rect x="{panel.left}" y="{panel.top}" width="{panel.right - panel.left}" '
        f'height="{panel.bottom - panel.top}" fill="none" stroke="#999"/>',
        f'<text x="{panel.left}" y="{panel.top - 6}" font-size="15" '
        f'font-weight="bold">{escape(line.name.upper())}</text>',
    ]
    labels: list[tuple[float, str, str]] = []
    guides = [
        ("ucl", line.ucl, LIMIT, "6 4"),
        ("lcl", line.lcl, LIMIT, "6 4"),
        ("centre", [line.centre] * len(line.values), CENTRE, ""),
    ]
    for key, values, colour, dash in guides:
        path = _limit_path(panel, values)
        if not path:
            continue
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="2"{dashes}/>')
        last = next((v for v in reversed(values) if v is not None), None)
        labels.append((panel.y(last), f"{texts[key]} {_number(last)}", colour))
    for key, value in specs:
        y = panel.y(value)
        out.append(
            f'<line x1="{panel.left}" x2="{panel.right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{SPEC}" stroke-width="2" stroke-dasharray="2 4"/>'
        )
        labels.append((y, f"{texts[key]} {_number(value)}", SPEC))
    for y, text, colour in _spread(labels):
        out.append(
            f'<text x="{panel.right + 6}" y="{y + 5:.1f}" font-size="14" fill="{colour}">'
            f"{escape(text)}</text>"
        )
    points = [(i, v) for i, v in enumerate(line.values) if v is not None]
    if points:
        path = " ".join(
            f"{'M' if n == 0 else 'L'}{panel.x(i):.1f},{panel.y(v):.1f}"
            for n, (i, v) in enumerate(points)
        )
        out.append(f'<path d="{path}" fill="none" stroke="{POINT}" stroke-width="2"/>')
    broken: dict[int, list[int]] = {}
    for violation in violations:
        if violation.chart == chart:
            broken.setdefault(violation.index, []).append(violation.rule)
    radius = 4 if len(points) < 200 else 2
    for i, v in points:
        if i in broken:
            names = "; ".join(rule_names.get(rule, str(rule)) for rule in broken[i])
            out.append(
                f'<circle class="violation" cx="{panel.x(i):.1f}" cy="{panel.y(v):.1f}" '
                f'r="{radius + 3}" fill="{VIOLATION}"><title>{escape(names)}</title></circle>'
            )
        else:
            out.append(
                f'<circle cx="{panel.x(i):.1f}" cy="{panel.y(v):.1f}" r="{radius}" fill="{POINT}"/>'
            )
    for value in (panel.low, (panel.low + panel.high) / 2, panel.high):
        out.append(
            f'<text x="{panel.left - 8}" y="{panel.y(value) + 5:.1f}" text-anchor="end" '
            f'font-size="14" fill="#555">{_number(value)}</text>'
        )
    return out


def _spread(labels: list[tuple[float, str, str]], gap: float = 16) -> list[tuple[float, str, str]]:
    """The labels top to bottom, pushed apart so that none overlaps the one above."""
    placed: list[tuple[float, str, str]] = []
    for y, text, colour in sorted(labels):
        if placed and y - placed[-1][0] < gap:
            y = placed[-1][0] + gap
        placed.append((y, text, colour))
    return placed


def _range_of(line: ChartLine, extra: Sequence[float]) -> tuple[float, float]:
    values = [v for v in [*line.values, *line.lcl, *line.ucl, line.centre, *extra] if v is not None]
    return min(values), max(values)


def control_chart_svg(
    chart: Chart,
    *,
    title: str,
    labels: Sequence[str] = (),
    lsl: float | None = None,
    usl: float | None = None,
    texts: Mapping[str, str] | None = None,
    rule_names: Mapping[int, str] | None = None,
    width: int = 900,
    height: int = 420,
) -> str:
    """The chart's primary line on top, its R/S/MR line below; violations in red with
    a tooltip naming the rule (``rule_names``: number → translated description)."""
    words = {**DEFAULT_TEXTS, **(texts or {})}
    names = rule_names or {}
    out = _open(width, height, title)
    points = len(chart.primary.values)
    if not points:
        return no_data(out, width, height, words["no_data"])
    specs = [(key, value) for key, value in (("lsl", lsl), ("usl", usl)) if value is not None]
    has_secondary = chart.secondary is not None
    main_height = (height - 90) * (0.62 if has_secondary else 1.0)
    low, high = _range_of(chart.primary, [value for _key, value in specs])
    panel = _Panel(40, main_height, width, points, low, high)
    out += _line_svg(panel, chart.primary, chart.violations, "primary", words, specs, names)
    if has_secondary:
        low, high = _range_of(chart.secondary, [])
        lower = _Panel(
            40 + main_height + 25, (height - 90) - main_height - 25, width, points, low, high
        )
        out += _line_svg(lower, chart.secondary, chart.violations, "secondary", words, [], names)
    step = max(1, -(-points // 8))  # at most 8 labels
    for i in range(0, points, step):
        label = labels[i] if i < len(labels) else str(i + 1)
        out.append(
            f'<text x="{panel.x(i):.1f}" y="{height - 20}" text-anchor="middle" '
            f'font-size="14" fill="#555">{escape(label)}</text>'
        )
    out.append("</svg>")
    return "".join(out)
