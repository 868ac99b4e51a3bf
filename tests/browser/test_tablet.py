"""The operator's tablet in Chromium, in Korean: a supervisor binds it, an operator signs
in with badge and PIN on the keypad, runs an operation with scrap and completes it."""

from pathlib import Path

import pytest
from django.core.management import call_command

from production.models import Operation, OperationEvent

from .support import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

SCREENSHOTS = Path(__file__).resolve().parents[2] / "bench" / "out"


def test_an_operator_runs_an_operation_on_the_tablet(live_server, browser_page):
    call_command("load_demo", verbosity=0)
    page = browser_page
    page.on("dialog", lambda dialog: dialog.accept())  # "Complete this operation?"
    sign_in(page, live_server.url, "supervisor1", next_path="/floor/setup/")
    page.get_by_role("button", name="TAB-PRESS", exact=False).click()
    page.wait_for_selector("#sign-in")  # bound: the tablet asks for a badge
    page.context.clear_cookies(name="sessionid")  # the supervisor leaves the tablet
    page.goto(f"{live_server.url}/floor/")
    page.select_option("#floor-language", "ko")
    page.wait_for_selector("html[lang=ko] #sign-in")
    page.fill("#badge", "B-1001")
    for digit in "1001":
        page.click(f"[data-digit='{digit}']")
    page.click("#sign-in-submit")
    page.wait_for_selector("#dispatch")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "tablet-dispatch-ko.png"), full_page=True)
    page.locator("#dispatch a").first.click()
    page.wait_for_selector("#start")
    page.click("#start")
    page.wait_for_selector("#report")
    page.fill("#qty_good", "20")
    page.fill("#qty_scrap", "2")
    page.select_option("#scrap_reason", label="SCRAP-BURR · 버 (Burr)")
    page.click("#report-submit")
    page.wait_for_selector("#op-quantities:has-text('양품 20개')")
    page.screenshot(path=str(SCREENSHOTS / "tablet-operation-ko.png"), full_page=True)
    for button in ("#report-submit", "#complete"):  # touch targets of at least 48 px
        box = page.locator(button).bounding_box()
        assert box and box["height"] >= 48, button
    page.click("#complete")
    page.wait_for_selector("#op-status:has-text('완료')")
    done = Operation.objects.get(status=Operation.Status.COMPLETED)
    assert (done.qty_good, done.qty_scrap) == (20, 2)
    assert OperationEvent.objects.filter(operation=done, kind="report").count() == 1


def test_reports_made_offline_are_sent_once_when_the_network_returns(live_server, browser_page):
    call_command("load_demo", verbosity=0)
    page = browser_page
    sign_in(page, live_server.url, "supervisor1", next_path="/floor/setup/")
    page.get_by_role("button", name="TAB-PRESS", exact=False).click()
    page.wait_for_selector("#sign-in")
    page.context.clear_cookies(name="sessionid")
    page.goto(f"{live_server.url}/floor/")
    page.fill("#badge", "B-1001")
    page.fill("#pin", "1001")
    page.click("#sign-in-submit")
    page.locator("#dispatch a").first.click()
    page.click("#start")
    page.wait_for_selector("#report")
    operation = Operation.objects.get(status=Operation.Status.RUNNING)
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
