"""The OEE dashboard's pictures as standalone SVG (pure: labels come in translated).

- ``trend_svg``: OEE per day, one line per work center;
- ``bars_svg``: horizontal bars with their values (the A/P/Q breakdown, the six big losses);
- ``timeline_svg``: machines as rows, their states as coloured spans over a day, the
  time outside the shift calendar shaded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from xml.sax.saxutils import escape

from mes.svg import no_data, open_svg, time_grid

from . import model

SERIES = ("#1f5fa8", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f", "#c62828", "#5d4037", "#455a64")
STATE_COLOURS = {
    model.RUNNING: "#2e7d32",
    model.IDLE: "#f9a825",
    model.DOWN: "#c62828",
    model.SETUP: "#1f5fa8",
    model.PLANNED_STOP: "#9e9e9e",
    model.UNKNOWN: "#eeeeee",
}


def trend_svg(
    series: Sequence[tuple[str, Sequence[tuple[str, float | None]]]],
    *,
    title: str,
    no_data_text: str,
    width: int = 900,
    height: int = 360,
) -> str:
    """``series``: (name, [(day label, ratio or None)]); days are the union of all."""
    out = open_svg(width, height, title)
    days = sorted({day for _name, points in series for day, _value in points})
    if not days:
        return no_data(out, width, height, no_data_text)
    left, right, top, bottom = 60.0, width - 170.0, 45.0, height - 45.0

    def x(day: str) -> float:
        if len(days) == 1:
            return (left + right) / 2
        return left + (right - left) * days.index(day) / (len(days) - 1)

    def y(ratio: float) -> float:
        return bottom - (bottom - top) * min(max(ratio, 0.0), 1.2) / 1.2

    for share in (0, 0.25, 0.5, 0.75, 1.0):
        out.append(
            f'<line x1="{left}" x2="{right}" y1="{y(share):.1f}" y2="{y(share):.1f}" '
            f'stroke="#ddd"/><text x="{left - 8}" y="{y(share) + 5:.1f}" text-anchor="end" '
            f'font-size="13" fill="#555">{share:.0%}</text>'
        )
    step = max(1, -(-len(days) // 8))
    for day in days[::step]:
        out.append(
            f'<text x="{x(day):.1f}" y="{bottom + 22}" text-anchor="middle" font-size="13" '
            f'fill="#555">{escape(day[5:])}</text>'
        )
    for number, (name, points) in enumerate(series):
        colour = SERIES[number % len(SERIES)]
        drawn = [(x(day), y(value)) for day, value in points if value is not None]
        if drawn:
            path = " ".join(
                f"{'M' if i == 0 else 'L'}{px:.1f},{py:.1f}" for i, (px, py) in enumerate(drawn)
            )
            out.append(f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="2.5"/>')
            out += [
                f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3.5" fill="{colour}"/>' for px, py in drawn
            ]
        out.append(
            f'<rect x="{right + 20}" y="{top + number * 24}" width="14" height="14" '
            f'fill="{colour}"/><text x="{right + 40}" y="{top + number * 24 + 12}" '
            f'font-size="14">{escape(name[:18])}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def bars_svg(
    bars: Sequence[tuple[str, float, str]],
    *,
    title: str,
    no_data_text: str,
    maximum: float | None = None,
    width: int = 900,
) -> str:
    """Horizontal bars: (label, value, value as text); ``maximum`` fixes the scale."""
    height = 50 + 34 * max(len(bars), 1) + 10
    out = open_svg(width, height, title)
    if not bars:
        return no_data(out, width, height, no_data_text)
    left, right = 260.0, width - 120.0
    top = max(maximum or 0.0, *(value for _label, value, _text in bars)) or 1.0
    for number, (label, value, text) in enumerate(bars):
        y = 45 + 34 * number
        length = (right - left) * max(value, 0.0) / top
        out.append(
            f'<text x="{left - 10}" y="{y + 18}" text-anchor="end" font-size="15">'
            f"{escape(label)}</text>"
            f'<rect x="{left}" y="{y}" width="{length:.1f}" height="24" '
            f'fill="{SERIES[number % len(SERIES)]}"><title>{escape(label)}: {escape(text)}'
            f"</title></rect>"
            f'<text x="{left + length + 8:.1f}" y="{y + 18}" font-size="15">{escape(text)}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def timeline_svg(
    rows: Sequence[tuple[str, Sequence[model.StateSpan]]],
    *,
    start: datetime,
    end: datetime,
    working: Mapping[str, Sequence[model.Span]],
    labels: Mapping[str, str],
    title: str,
    no_data_text: str,
    clock=lambda moment: f"{moment:%H:%M}",
    width: int = 1100,
) -> str:
    """One row per machine over [start, end); ``working``: each machine's calendar windows
    (the rest is shaded); ``labels``: state → translated name for the legend; ``clock``:
    a time as the plant reads it."""
    height = 90 + 30 * max(len(rows), 1) + 30
    out = open_svg(width, height, title)
    if not rows:
        return no_data(out, width, height, no_data_text)
    left, right, top = 130.0, width - 20.0, 45.0
    total = (end - start).total_seconds()

    def x(moment: datetime) -> float:
        return left + (right - left) * (moment - start).total_seconds() / total

    bottom = top + 30 * len(rows)
    for number, (machine, spans) in enumerate(rows):
        y = top + 30 * number
        out.append(
            f'<text x="{left - 8}" y="{y + 17}" text-anchor="end" font-size="14">'
            f"{escape(machine)}</text>"
            f'<rect x="{left}" y="{y + 2}" width="{right - left}" height="22" fill="#bdbdbd" '
            f'fill-opacity="0.5"/>'
        )
        for window_start, window_end in working.get(machine, ()):
            out.append(
                f'<rect x="{x(window_start):.2f}" y="{y + 2}" '
                f'width="{x(window_end) - x(window_start):.2f}" height="22" fill="#fff"/>'
            )
        for span in spans:
            colour = STATE_COLOURS.get(span.state, "#000")
            out.append(
                f'<rect class="state-{span.state}" x="{x(span.start):.2f}" y="{y + 6}" '
                f'width="{max(x(span.end) - x(span.start), 0.3):.2f}" height="14" '
                f'fill="{colour}"><title>{escape(labels.get(span.state, span.state))} '
                f"{clock(span.start)}–{clock(span.end)}</title></rect>"
            )
    time_grid(out, x, start, end, timedelta(hours=2), top, bottom, clock)
    legend_x = left
    for state, colour in STATE_COLOURS.items():
        out.append(
            f'<rect x="{legend_x}" y="{bottom + 30}" width="14" height="14" fill="{colour}" '
            f'stroke="#999" stroke-width="0.5"/><text x="{legend_x + 20}" y="{bottom + 42}" '
            f'font-size="13">{escape(labels.get(state, state))}</text>'
        )
        legend_x += 150
    out.append("</svg>")
    return "".join(out)
