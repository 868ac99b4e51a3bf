"""The operator's tablet in Chromium, in Korean: a supervisor binds it, an operator signs
in with badge and PIN on the keypad, runs an operation with scrap and completes it."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from inventory.models import Item, StockMove
from production.calendars import services as calendars
from production.models import (
    DowntimeClassification,
    Operation,
    OperationEvent,
    ProductionOrder,
    WorkCenter,
)
from production.oee.services import ingest_machine_events
from quality.models import Inspection
from quality.tests.factories import diameter, make_plan

from .support import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

SCREENSHOTS = Path(__file__).resolve().parents[2] / "bench" / "out"


def around_the_clock(work_center_code: str) -> None:
    """The work center works all day every day (but the last minute), so a stop just now
    is working time whenever the test runs."""
    work_center = WorkCenter.objects.get(code=work_center_code)
    pattern = calendars.set_shift_pattern(
        actor=None,
        code="ALL-DAY",
        name="all day",
        site=work_center.area.site,
        shifts=[
            {
                "code": "D",
                "name": "day",
                "weekdays": list(range(7)),
                "start": "00:00",
                "end": "23:59",
            }
        ],
    )
    today = timezone.localdate() - timedelta(days=1)
    calendars.assign_calendar(
        actor=None, pattern=pattern, work_center=work_center, valid_from=today
    )


def bind_tablet(page, server_url: str, *, korean: bool = False) -> None:
    """supervisor1 binds the browser to TAB-PRESS and leaves; the tablet asks for a badge."""
    sign_in(page, server_url, "supervisor1", next_path="/floor/setup/")
    page.get_by_role("button", name="TAB-PRESS", exact=False).click()
    page.wait_for_selector("#sign-in")
    page.context.clear_cookies(name="sessionid")
    page.goto(f"{server_url}/floor/")
    if korean:
        page.select_option("#floor-language", "ko")
        page.wait_for_selector("html[lang=ko] #sign-in")


def operator_signs_in(page, number: str) -> None:
    """The demo's operator with badge B-<number> and PIN <number>."""
    page.fill("#badge", f"B-{number}")
    page.fill("#pin", number)
    page.click("#sign-in-submit")
    page.wait_for_selector("#dispatch")


def test_an_operator_runs_an_operation_on_the_tablet(live_server, browser_page):
    """Sign in, classify a stop, run an operation with scrap and a scanned lot, record the
    required inspection, complete — in Korean."""
    call_command("load_demo", verbosity=0)
    around_the_clock("WC-PRESS")
    now = timezone.now()
    ingest_machine_events(
        [
            {
                "machine": "PRS-200-01",
                "ts": (now - timedelta(minutes=30)).isoformat(),
                "state": "down",
            },
            {
                "machine": "PRS-200-01",
                "ts": (now - timedelta(minutes=20)).isoformat(),
                "state": "running",
            },
        ]
    )
    make_plan(
        item=Item.objects.get(code="SF-BRKT-LWR"),
        code="IP-BLANK",
        operation_seq=10,
        required_to_complete=True,
        characteristics=[diameter(sample_size=1)],
    )
    page = browser_page
    page.on("dialog", lambda dialog: dialog.accept())  # "Complete this operation?"
    bind_tablet(page, live_server.url, korean=True)
    page.fill("#badge", "B-1001")
    for digit in "1001":
        page.click(f"[data-digit='{digit}']")
    page.click("#sign-in-submit")
    page.wait_for_selector("#dispatch")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "tablet-dispatch-ko.png"), full_page=True)
    page.locator("#downtime a").first.click()  # tap one: the stop
    page.get_by_role("button", name="설비 고장 (Breakdown)").click()  # tap two: why
    page.wait_for_selector("#dispatch")
    stop = DowntimeClassification.objects.get(machine__code="PRS-200-01")  # the demo has others
    assert stop.reason.code == "DT-BREAKDOWN"
    assert page.locator("#downtime").count() == 0
    page.locator("#dispatch a").first.click()
    page.wait_for_selector("#start")
    page.click("#start")
    page.wait_for_selector("#report")
    page.fill("#qty_good", "20")
    page.fill("#qty_scrap", "2")
    page.select_option("#scrap_reason", label="SCRAP-BURR · 버 (Burr)")
    page.fill("#lot", "R2610-01")  # a scanner types the code and Enter
    page.press("#lot", "Enter")
    page.wait_for_selector("#op-quantities:has-text('양품 20개')")
    page.screenshot(path=str(SCREENSHOTS / "tablet-operation-ko.png"), full_page=True)
    for button in ("#report-submit", "#complete"):  # touch targets of at least 48 px
        box = page.locator(button).bounding_box()
        assert box and box["height"] >= 48, button
    page.locator("#inspections a").first.click()
    page.fill("input[name='DIA.0']", "10.02")
    assert page.locator(".spec").first.inner_text().startswith("✓")  # as it is typed
    page.click("#inspection-submit")
    page.wait_for_selector("#verdict")
    page.click("#back-to-operation")
    page.click("#complete")
    page.wait_for_selector("#op-status:has-text('완료')")
    done = Operation.objects.get(status=Operation.Status.COMPLETED, order__code="PO-DEMO-0009")
    assert (done.qty_good, done.qty_scrap) == (20, 2)
    assert OperationEvent.objects.filter(operation=done, kind="report").count() == 1
    assert StockMove.objects.filter(
        item__code="RM-SPHC-3.2", lot__code="R2610-01", reason=StockMove.Reason.CONSUMPTION
    ).exists()  # the scanned lot was the one consumed
    assert Inspection.objects.filter(operation=done, verdict="pass").count() == 1


def test_reports_made_offline_are_sent_once_when_the_network_returns(live_server, browser_page):
    call_command("load_demo", verbosity=0)
    page = browser_page
    bind_tablet(page, live_server.url)
    operator_signs_in(page, "1001")
    page.locator("#dispatch a").first.click()
    page.click("#start")
    page.wait_for_selector("#report")
    operation = Operation.objects.get(
        status=Operation.Status.RUNNING, work_center__code="WC-PRESS"
    )  # the demo runs others elsewhere
    page.context.set_offline(True)  # the Wi-Fi goes
    for good in ("3", "4", "99999"):
        page.fill("#qty_good", good)
        page.click("#report-submit")
        page.wait_for_selector(f"#queue[data-count='{['3', '4', '99999'].index(good) + 1}']")
    assert not OperationEvent.objects.filter(operation=operation, kind="report").exists()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "tablet-offline-queue.png"), full_page=True)
    page.context.set_offline(False)  # and comes back
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_selector("#refused .message", timeout=20_000)  # 99999 is too many
    page.wait_for_selector("#queue[data-count='0']")
    reports = OperationEvent.objects.filter(operation=operation, kind="report")
    assert sorted(r.qty_good for r in reports) == [3, 4]  # each exactly once
    assert "99999" not in str([r.qty_good for r in reports])
    page.reload()
    page.wait_for_selector("#refused .message")  # still shown after a reload, not dropped
    for width, height in ((1280, 800), (800, 1280)):  # a 10-inch tablet either way round
        page.set_viewport_size({"width": width, "height": height})
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert page.locator("#report-submit").is_visible()


def test_done_when_an_order_is_completed_in_korean_with_the_wifi_off_halfway(
    live_server, browser_page
):
    """Issue 8's done-when: an operator completes an order on the tablet in Korean, the
    Wi-Fi goes off halfway, and the manager sees every entry exactly once."""
    call_command("load_demo", verbosity=0)
    page = browser_page
    page.on("dialog", lambda dialog: dialog.accept())
    bind_tablet(page, live_server.url, korean=True)
    operator_signs_in(page, "1002")
    order = ProductionOrder.objects.get(code="PO-DEMO-0011")  # two press operations
    for number, step in enumerate(order.operations.order_by("seq")):
        page.goto(f"{live_server.url}/floor/operations/{step.pk}/")
        page.click("#start")
        page.wait_for_selector("#report")
        if number == 1:
            page.context.set_offline(True)  # halfway: the Wi-Fi goes
        page.fill("#qty_good", "1990")
        page.fill("#qty_scrap", "10")
        page.select_option("#scrap_reason", label="SCRAP-BURR · 버 (Burr)")
        page.click("#report-submit")
        if number == 0:
            page.wait_for_selector("#op-quantities:has-text('양품 1990개')")
        page.click("#complete")
        if number == 0:
            page.wait_for_selector("#op-status:has-text('완료')")
    page.wait_for_selector("#queue[data-count='2']")  # the report and the completion wait
    assert (
        not OperationEvent.objects.filter(operation__order=order, operation__seq=20)
        .exclude(kind__in=["start"])
        .exists()
    )
    page.context.set_offline(False)  # the Wi-Fi is back
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_selector("#op-status:has-text('완료')", timeout=20_000)
    order.refresh_from_db()
    assert order.status == ProductionOrder.Status.COMPLETED
    assert (order.qty_good, order.qty_scrap) == (1990, 20)  # scrap of both operations
    reports = OperationEvent.objects.filter(operation__order=order, kind="report")
    assert sorted((e.operation.seq, e.qty_good, e.qty_scrap) for e in reports) == [
        (10, 1990, 10),
        (20, 1990, 10),
    ]
    completes = OperationEvent.objects.filter(operation__order=order, kind="complete")
    assert completes.count() == 2
