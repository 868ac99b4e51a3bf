"""The daily production report: its figures, its pages, its Excel twin, its bad input."""

from datetime import timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from cockpit.selectors import get_daily_report, previous_production_day
from production.calendars import services as calendars
from production.oee.rollup import roll_up_oee
from production.oee.services import ingest_machine_events
from production.tests.factories import SiteFactory

from .cockpit_factories import DAY, at, local, order_at, run, two_shift_plant

pytestmark = pytest.mark.django_db


@pytest.fixture
def plant(make_person):
    """PO-A on WC-PRESS planned 06:00–18:00 for 120 (80 in DAY, 40 in SWING): 50 good and
    2 dented in DAY, 30 good in SWING, an operator clocked 07:00–12:30; PRESS-01 down
    (die jam) 08:00–08:30. PO-B on WC-WELD planned in SWING only, 10 good."""
    site = two_shift_plant()
    operator = make_person("operator")
    po_a = order_at("WC-PRESS", code="PO-A", qty="120", planned=(local("06:00"), local("18:00")))
    run(
        po_a,
        "PRESS-01",
        start=local("07:00"),
        reports=[(local("09:00"), 20, 2), (local("13:00"), 30, 0), (local("15:00"), 30, 0)],
        operator=operator,
        clock_off=local("12:30"),
    )
    po_b = order_at("WC-WELD", code="PO-B", qty="40", planned=(local("14:00"), local("22:00")))
    run(po_b, "WELD-01", start=local("14:30"), reports=[(local("16:00"), 10, 0)])
    ingest_machine_events(
        [
            {"machine": "PRESS-01", "ts": local("06:00").isoformat(), "state": "running"},
            {
                "machine": "PRESS-01",
                "ts": local("08:00").isoformat(),
                "state": "down",
                "reason": "DT-JAM",
            },
            {"machine": "PRESS-01", "ts": local("08:30").isoformat(), "state": "running"},
        ]
    )
    roll_up_oee(now=local("23:00"))
    return site


def _block(report, center_code, shift_code):
    [center] = [c for c in report["work_centers"] if c["work_center"].code == center_code]
    [block] = [b for b in center["blocks"] if b.shift.shift_code == shift_code]
    return block


def test_the_report_adds_up_a_day_per_work_center_shift_and_order(plant):
    report = get_daily_report(plant, DAY, now=local("23:00"))
    assert [s.shift_code for s in report["shifts"]] == ["DAY", "SWING"]
    assert [c["work_center"].code for c in report["work_centers"]] == ["WC-PRESS", "WC-WELD"]
    day = _block(report, "WC-PRESS", "DAY")
    [row] = day.ordered_rows
    assert row.order.code == "PO-A"
    assert row.planned == Decimal(80)  # 8 of the 12 planned hours
    assert (row.good, row.scrap, row.produced) == (50, 2, 52)
    assert row.labour_h == pytest.approx(5.5)
    assert day.scrap_named == [("Dent", 2)]
    assert day.down_named == [("Die jam", 1800.0)]
    assert day.oee["availability"] == pytest.approx((8 * 3600 - 1800) / (8 * 3600))
    swing = _block(report, "WC-PRESS", "SWING")
    assert swing.ordered_rows[0].planned == Decimal(40)
    assert swing.ordered_rows[0].good == 30
    weld = _block(report, "WC-WELD", "SWING")
    assert (weld.ordered_rows[0].planned, weld.ordered_rows[0].good) == (40, 10)
    assert report["totals"]["good"] == 90 and report["totals"]["scrap"] == 2
    assert report["totals"]["planned"] == Decimal(160)
    assert [row["totals"]["good"] for row in report["by_shift"]] == [50, 40]


def test_one_shift_only(plant):
    report = get_daily_report(plant, DAY, now=local("23:00"), shift_code="SWING")
    assert [s.shift_code for s in report["shifts"]] == ["SWING"]
    assert report["totals"]["good"] == 40


def test_the_page_prints_a_page_per_work_center_and_the_excel_holds_the_same(plant, make_person):
    client = Client()
    client.force_login(make_person("plant_manager"))
    query = {"site": plant.pk, "start": DAY.isoformat()}
    with at(local("23:00")):
        page = client.get(reverse("admin:cockpit_daily_report"), query).content.decode()
        workbook = client.get(reverse("admin:cockpit_daily_report_xlsx"), query)
    assert page.count('class="report-page"') == 2
    assert "@page { size: A4" in page
    assert 'data-total="good">90<' in page and 'data-total="scrap">2<' in page
    assert workbook["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(BytesIO(workbook.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("day", "shift", "work center", "production order")
    assert [r[1:4] for r in rows[1:-1]] == [
        ("DAY", "WC-PRESS", "PO-A"),
        ("SWING", "WC-PRESS", "PO-A"),
        ("SWING", "WC-WELD", "PO-B"),
    ]
    assert rows[-1][0] == "Total" and rows[-1][5:9] == (160, 92, 90, 2)


def test_the_report_reads_a_fixed_number_of_queries(plant):
    with CaptureQueriesContext(connection) as small:
        get_daily_report(plant, DAY, now=local("23:00"))
    for n in range(4):
        order_at("WC-WELD", code=f"PO-X{n}", planned=(local("06:00"), local("20:00")))
    more = order_at("WC-PRESS", code="PO-Y", planned=(local("06:00"), local("20:00")))
    run(more, "PRESS-02", start=local("06:30"), reports=[(local("07:00"), 1, 1)])
    with CaptureQueriesContext(connection) as large:
        report = get_daily_report(plant, DAY, now=local("23:00"))
    assert report["totals"]["good"] == 91
    assert len(large) == len(small) <= 12


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"start": "2026-11-23", "end": "2026-11-20"}, "The start is after the end."),
        ({"start": "2026-01-01", "end": "2026-06-30"}, "At most 92 days at a time."),
        ({"start": "not a day"}, "Check the dates."),
    ],
)
def test_bad_ranges_say_what_is_wrong(plant, make_person, query, message):
    client = Client()
    client.force_login(make_person("plant_manager"))
    response = client.get(reverse("admin:cockpit_daily_report"), query)
    assert response.status_code == 200
    assert f'id="report-message">{message}<' in response.content.decode()
    excel = client.get(reverse("admin:cockpit_daily_report_xlsx"), query)
    assert excel.status_code == 302  # back to the page, which says it


def test_a_day_without_shifts_or_without_data_says_so(make_person):
    plant = two_shift_plant()  # nothing planned or run, no machine signals
    calendars.add_holiday(actor=None, site=plant, date=DAY + timedelta(days=1), name="Holiday")
    client = Client()
    client.force_login(make_person("plant_manager"))
    url = reverse("admin:cockpit_daily_report")
    holiday = client.get(url, {"site": plant.pk, "start": "2026-11-24"}).content.decode()
    assert "has no shift on 2026-11-24" in holiday
    quiet = client.get(url, {"site": plant.pk, "start": "2026-11-25"}).content.decode()
    assert "Nothing was planned or recorded on 2026-11-25." in quiet
    assert 'data-total="good">0<' in quiet


def test_the_morning_meeting_reads_the_last_production_day_before_today(make_person):
    plant = two_shift_plant()
    assert previous_production_day(plant, DAY) == DAY - timedelta(days=1)
    calendars.add_holiday(actor=None, site=plant, date=DAY - timedelta(days=1), name="Holiday")
    assert previous_production_day(plant, DAY) == DAY - timedelta(days=2)
    no_calendar = SiteFactory(code="NO-CAL")
    assert previous_production_day(no_calendar, DAY) == DAY - timedelta(days=1)
    client = Client()
    client.force_login(make_person("plant_manager"))
    with at(local("07:00", DAY)):
        page = client.get(reverse("admin:cockpit_daily_report"), {"site": plant.pk})
    shown = page.content.decode()
    assert str(DAY - timedelta(days=2)) in shown and str(DAY - timedelta(days=1)) not in shown


def test_people_without_execution_access_do_not_read_it(plant, make_person):
    client = Client()
    client.force_login(make_person("planner"))
    assert client.get(reverse("admin:cockpit_daily_report")).status_code == 200
    client.force_login(make_person("operator"))  # not staff: the admin sends them away
    assert client.get(reverse("admin:cockpit_daily_report")).status_code == 302
