"""In a real browser: the control chart renders, the delivery note prints on one A4 page
in Korean, and the genealogy tree reaches the customer."""

from pathlib import Path

import pytest
from pypdf import PdfReader

from orders.distribution import services as distribution
from orders.tests.factories import order_for, stocked_product
from quality.tests.factories import inspect, make_plan, subgroup

from .support import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

SCREENSHOTS = Path(__file__).resolve().parents[2] / "bench" / "out"


def test_chart_delivery_note_and_tree(live_server, browser_page, manager, tmp_path):
    item = stocked_product({"LOT-A4": "40"})
    plan = make_plan(item=item, code="IP-BROWSER")
    for i in range(25):
        inspect(plan, subgroup("10.000" if i < 20 else "10.150"))
    order = order_for(item, "12")
    shipment = distribution.create_shipment(
        actor=None, sales_order=order, lines=[{"line": 1, "item": item.code, "qty": "12"}]
    )
    distribution.ship_shipment(shipment, actor=None)
    page = browser_page
    sign_in(page, live_server.url, manager.username, "s3cret-Pass-word")
    page.wait_for_selector("#content-main")

    page.goto(f"{live_server.url}/admin/quality/inspectionplan/chart/{item.pk}/DIA/")
    chart = page.locator(".spc-chart svg")
    assert chart.is_visible()
    assert page.locator(".spc-chart circle.violation").count() >= 1
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "control-chart.png"), full_page=True)

    page.goto(f"{live_server.url}/admin/orders/shipment/{shipment.pk}/delivery-note/?lang=ko")
    assert "거래명세서" in page.locator("h1").inner_text()
    pdf = tmp_path / "delivery-note.pdf"
    page.emulate_media(media="print")
    page.pdf(path=str(pdf), format="A4", print_background=True)
    reader = PdfReader(str(pdf))
    assert len(reader.pages) == 1
    assert "LOT-A4" in reader.pages[0].extract_text()
    page.screenshot(path=str(SCREENSHOTS / "delivery-note-ko.png"), full_page=True)

    page.emulate_media(media="screen")
    page.goto(f"{live_server.url}/admin/views/trace/?item={item.code}&lot=LOT-A4")
    assert shipment.code in page.locator("#content-main").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "lot-trace.png"), full_page=True)
