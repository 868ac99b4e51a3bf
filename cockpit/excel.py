"""The daily production report as an Excel workbook (openpyxl, which django-import-export
brings): one sheet of rows per day, shift, work center and order with a totals row, one of
scrap and downtime by reason, one of OEE per work center and shift."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from django.utils.translation import gettext
from openpyxl import Workbook
from openpyxl.styles import Font

BOLD = Font(bold=True)


def _sheet(workbook: Workbook, title: str, header: list[str], *, first: bool = False):
    sheet = workbook.active if first else workbook.create_sheet()
    sheet.title = title
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = BOLD
    sheet.freeze_panes = "A2"
    return sheet


def _ratio(figures: dict[str, Any] | None, key: str) -> float | None:
    value = figures and figures[key]
    return None if value is None else round(value, 4)


def daily_report_workbook(reports: list[dict[str, Any]]) -> bytes:
    """The reports (one per day, from ``get_daily_report``) as .xlsx bytes."""
    workbook = Workbook()
    rows = _sheet(
        workbook,
        gettext("Production"),
        [
            gettext("day"),
            gettext("shift"),
            gettext("work center"),
            gettext("production order"),
            gettext("item"),
            gettext("planned"),
            gettext("produced"),
            gettext("good"),
            gettext("scrap"),
            gettext("labour hours"),
        ],
        first=True,
    )
    losses = _sheet(
        workbook,
        gettext("Scrap and downtime"),
        [
            gettext("day"),
            gettext("shift"),
            gettext("work center"),
            gettext("kind"),
            gettext("reason"),
            gettext("quantity"),
            gettext("minutes"),
        ],
    )
    oee = _sheet(
        workbook,
        gettext("OEE"),
        [
            gettext("day"),
            gettext("shift"),
            gettext("work center"),
            gettext("Availability"),
            gettext("Performance"),
            gettext("Quality"),
            gettext("OEE"),
            gettext("downtime (min)"),
        ],
    )
    totals = {"planned": 0.0, "produced": 0.0, "good": 0.0, "scrap": 0.0, "labour_h": 0.0}
    for report in reports:
        day = report["day"]
        for center in report["work_centers"]:
            code = center["work_center"].code
            for block in center["blocks"]:
                shift = block.shift.shift_code
                for row in block.ordered_rows:
                    figures = {
                        "planned": float(row.planned),
                        "produced": float(row.produced),
                        "good": float(row.good),
                        "scrap": float(row.scrap),
                        "labour_h": round(row.labour_h, 2),
                    }
                    for key, value in figures.items():
                        totals[key] += value
                    rows.append(
                        [day, shift, code, row.order.code, row.order.item.code, *figures.values()]
                    )
                for name, qty in block.scrap_named:
                    losses.append(
                        [
                            day,
                            shift,
                            code,
                            gettext("scrap"),
                            name or gettext("unclassified"),
                            float(qty),
                            None,
                        ]
                    )
                for name, lost in block.down_named:
                    losses.append(
                        [
                            day,
                            shift,
                            code,
                            gettext("downtime"),
                            name or gettext("unclassified"),
                            None,
                            round(lost / 60, 1),
                        ]
                    )
                figures = block.oee
                oee.append(
                    [
                        day,
                        shift,
                        code,
                        *(
                            _ratio(figures, key)
                            for key in ("availability", "performance", "quality", "oee")
                        ),
                        round(block.down_s / 60, 1),
                    ]
                )
    rows.append([gettext("Total"), None, None, None, None, *(round(v, 2) for v in totals.values())])
    for cell in rows[rows.max_row]:
        cell.font = BOLD
    for sheet in (rows, losses, oee):
        for column in sheet.iter_cols(min_row=1, max_row=1):
            sheet.column_dimensions[column[0].column_letter].width = 16
    for row in rows.iter_rows(min_row=2):
        row[0].number_format = "yyyy-mm-dd"
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()
