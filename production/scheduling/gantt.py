"""A schedule as a Gantt chart in SVG (pure: labels come in translated, times as given).

Machines are rows; operations are bars coloured by order (a late order's bars outlined
in red, an operation already running drawn solid, the others a little lighter);
non-working time is shaded; a lane on top marks each order's due time with a diamond
in its colour.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from xml.sax.saxutils import escape

from mes.svg import LINE, no_data, open_svg, time_grid

PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#7f7f7f",
    "#393b79",
    "#637939",
    "#8c6d31",
)
ROW = 34


@dataclass(frozen=True)
class Bar:
    order: str
    start: datetime
    end: datetime
    label: str  # the tooltip: order, operation, times
    late: bool = False
    running: bool = False


def colour_of(order: str) -> str:
    """The same colour for an order on every row and every page."""
    return PALETTE[zlib.crc32(order.encode()) % len(PALETTE)]


def gantt_svg(
    rows: Sequence[tuple[str, Sequence[Bar]]],
    *,
    start: datetime,
    end: datetime,
    working: Mapping[str, Sequence[tuple[datetime, datetime]]],
    dues: Mapping[str, datetime],
    texts: Mapping[str, str],
    clock: Callable[[datetime], str],
    tick: timedelta,
    width: int = 1200,
) -> str:
    """``rows``: (machine, its bars) over [start, end); ``working``: each machine's working
    windows; ``dues``: order → due time; ``texts``: title, no_data, due, late,
    non_working; ``clock``: a time as the plant reads it; ``tick``: the grid's step."""
    height = 110 + ROW * max(len(rows), 1) + 40
    out = open_svg(width, height, texts["title"])
    if not rows:
        return no_data(out, width, height, texts["no_data"])
    left, right, top = 150.0, width - 20.0, 70.0
    total = (end - start).total_seconds()

    def x(moment: datetime) -> float:
        moment = min(max(moment, start), end)
        return left + (right - left) * (moment - start).total_seconds() / total

    out.append(
        f'<text x="{left - 8}" y="{top - 14}" text-anchor="end" font-size="13" fill="#555">'
        f"{escape(texts['due'])}</text>"
    )
    for order, due in sorted(dues.items(), key=lambda item: item[1]):
        if start <= due <= end:
            cx = x(due)
            out.append(
                f'<path class="due" d="M{cx:.1f} {top - 26} l6 8 l-6 8 l-6 -8 z" '
                f'fill="{colour_of(order)}" stroke="#333" stroke-width="0.5">'
                f"<title>{escape(order)} {escape(texts['due'])} {escape(clock(due))}</title></path>"
            )
    for number, (machine, bars) in enumerate(rows):
        y = top + ROW * number
        out.append(
            f'<text x="{left - 8}" y="{y + 21}" text-anchor="end" font-size="14">'
            f"{escape(machine)}</text>"
            f'<rect class="non-working" x="{left}" y="{y + 2}" width="{right - left}" '
            f'height="{ROW - 4}" fill="#bdbdbd" fill-opacity="0.6"/>'
        )
        for window_start, window_end in working.get(machine, ()):
            if window_end > start and window_start < end:
                out.append(
                    f'<rect x="{x(window_start):.2f}" y="{y + 2}" '
                    f'width="{x(window_end) - x(window_start):.2f}" height="{ROW - 4}" '
                    f'fill="#fff"/>'
                )
        for bar in bars:
            if bar.end <= start or bar.start >= end:
                continue
            outline = f'stroke="{LINE}" stroke-width="3"' if bar.late else 'stroke="#333"'
            kind = "bar late" if bar.late else "bar"
            out.append(
                f'<rect class="{kind}" data-order="{escape(bar.order)}" '
                f'x="{x(bar.start):.2f}" y="{y + 7}" '
                f'width="{max(x(bar.end) - x(bar.start), 1.0):.2f}" height="{ROW - 14}" '
                f'fill="{colour_of(bar.order)}" fill-opacity="{1 if bar.running else 0.8}" '
                f"{outline}><title>{escape(bar.label)}</title></rect>"
            )
            if x(bar.end) - x(bar.start) > 8 * len(bar.order):
                out.append(
                    f'<text x="{x(bar.start) + 4:.2f}" y="{y + 22}" font-size="11" fill="#fff" '
                    f'pointer-events="none">{escape(bar.order)}</text>'
                )
    bottom = top + ROW * len(rows)
    time_grid(out, x, start, end, tick, top, bottom, clock)
    legend = [
        ('fill="#bdbdbd" fill-opacity="0.6"', texts["non_working"]),
        (f'fill="#fff" stroke="{LINE}" stroke-width="3"', texts["late"]),
    ]
    legend_x = left
    for style, text in legend:
        out.append(
            f'<rect x="{legend_x}" y="{bottom + 28}" width="18" height="14" {style}/>'
            f'<text x="{legend_x + 24}" y="{bottom + 40}" font-size="13">{escape(text)}</text>'
        )
        legend_x += 220
    out.append("</svg>")
    return "".join(out)
