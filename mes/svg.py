"""Charts as standalone SVG: no script, no external resource, nothing downloaded.

A drawing scales with its container (viewBox, width 100%), uses strokes and text large
enough for a tablet at arm's length, and a font stack that has Korean glyphs. Pure
Python: labels come in already translated.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from xml.sax.saxutils import escape

FONT = "'Noto Sans CJK KR','Noto Sans KR','Malgun Gothic',sans-serif"
BAR, LINE = "#1f5fa8", "#c62828"
DEFAULT_TEXTS = {"no_data": "No data", "cumulative": "cumulative %"}


def number(value: float) -> str:
    return f"{value:.6g}"


def attribute(value: str) -> str:
    return escape(value, {'"': "&quot;"})


def open_svg(width: int, height: int, title: str) -> list[str]:
    """The opening of a drawing: its frame, white background and title."""
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{attribute(title)}" '
        f'style="max-width:{width}px;font-family:{FONT}">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{width}" height="{height}" fill="#fff"/>',
        f'<text x="{width / 2}" y="24" text-anchor="middle" font-size="18" '
        f'font-weight="bold">{escape(title)}</text>',
    ]


def time_grid(
    out: list[str],
    x: Callable[[datetime], float],
    start: datetime,
    end: datetime,
    step: timedelta,
    top: float,
    bottom: float,
    clock: Callable[[datetime], str],
) -> None:
    """Vertical grid lines every ``step`` from start to end, each labelled below."""
    moment = start
    while moment <= end:
        out.append(
            f'<line x1="{x(moment):.1f}" x2="{x(moment):.1f}" y1="{top}" y2="{bottom}" '
            f'stroke="#999" stroke-width="0.5"/><text x="{x(moment):.1f}" y="{bottom + 18}" '
            f'text-anchor="middle" font-size="12" fill="#555">{escape(clock(moment))}</text>'
        )
        moment += step


def no_data(out: list[str], width: int, height: int, text: str) -> str:
    out.append(
        f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" font-size="18">'
        f"{escape(text)}</text></svg>"
    )
    return "".join(out)


def pareto_svg(
    bars: Sequence[tuple[str, float]],
    *,
    title: str,
    texts: Mapping[str, str] | None = None,
    width: int = 900,
    height: int = 420,
) -> str:
    """Bars largest first with the cumulative percentage as a line on a right-hand axis."""
    words = {**DEFAULT_TEXTS, **(texts or {})}
    out = open_svg(width, height, title)
    ordered = sorted(((label, value) for label, value in bars if value > 0), key=lambda b: -b[1])
    total = sum(value for _label, value in ordered)
    if not ordered:
        return no_data(out, width, height, words["no_data"])
    left, right, top, bottom = 80.0, width - 70.0, 50.0, height - 80.0
    slot = (right - left) / len(ordered)
    peak = ordered[0][1]
    cumulative, line = 0.0, []
    for i, (label, value) in enumerate(ordered):
        x = left + slot * i
        bar_height = (bottom - top) * value / peak
        out.append(
            f'<rect class="bar" x="{x + slot * 0.15:.1f}" y="{bottom - bar_height:.1f}" '
            f'width="{slot * 0.7:.1f}" height="{bar_height:.1f}" fill="{BAR}">'
            f"<title>{escape(label)}: {number(value)}</title></rect>"
            f'<text x="{x + slot / 2:.1f}" y="{bottom - bar_height - 6:.1f}" '
            f'text-anchor="middle" font-size="14">{number(value)}</text>'
            f'<text x="{x + slot / 2:.1f}" y="{bottom + 22}" text-anchor="middle" '
            f'font-size="14">{escape(label[:18])}</text>'
        )
        cumulative += value
        line.append((x + slot / 2, bottom - (bottom - top) * cumulative / total))
    path = " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(line))
    out.append(f'<path d="{path}" fill="none" stroke="{LINE}" stroke-width="2"/>')
    for x, y in line:
        out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{LINE}"/>')
    for share in (0, 50, 100):
        y = bottom - (bottom - top) * share / 100
        out.append(
            f'<text x="{right + 8}" y="{y + 5:.1f}" font-size="14" fill="{LINE}">{share}%</text>'
        )
    out.append(
        f'<text x="{right + 8}" y="{top - 12}" font-size="14" fill="{LINE}">'
        f"{escape(words['cumulative'])}</text>"
    )
    out.append(f'<line x1="{left}" x2="{right}" y1="{bottom}" y2="{bottom}" stroke="#999"/></svg>')
    return "".join(out)
