"""A new user signs in to the admin and sees the demo plant, in English and in Korean."""

import re
from pathlib import Path

import pytest
from django.core.management import call_command

from orders.models import Customer

from .support import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

SCREENSHOTS = Path(__file__).resolve().parents[2] / "bench" / "out"


def test_manager_signs_in_and_sees_the_demo_plant(live_server, browser_page):
    call_command("load_demo", verbosity=0)
    page = browser_page
    sign_in(page, live_server.url, "manager", next_path="/admin/")
    page.wait_for_selector("#content-main")
    assert page.locator("#site-name").inner_text() == "MES administration"

    page.click("a[href='/admin/production/machine/']")
    page.wait_for_selector("#result_list")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() >= 10
    assert "프레스" in page.locator("#result_list").inner_text()  # demo machine names

    page.select_option("#language-select", "ko")
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "ko"
    assert re.search("설비", page.locator("#content h1").inner_text())
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "admin-machines-ko.png"), full_page=True)


def test_import_page_previews_a_file_before_writing(live_server, browser_page, tmp_path):
    call_command("load_demo", verbosity=0)
    page = browser_page
    sign_in(page, live_server.url, "planner", next_path="/admin/exchange/")
    page.wait_for_selector("#content-main")
    sheet = tmp_path / "customers.csv"
    sheet.write_text("code,name\nNEW-CUST,새 거래처\nbad code!,x\n", encoding="utf-8")
    page.goto(f"{live_server.url}/admin/exchange/customers/import/")
    page.set_input_files("input[type=file]", str(sheet))
    # The demo planner works in Korean: find the buttons by place, not by label.
    page.click("#content-main input[type=submit].default")
    page.wait_for_selector("text=NEW-CUST")
    body = page.locator("#content").inner_text()
    assert "bad code!" in body
    assert page.locator("#content-main input[type=submit].default").last.is_disabled()
    assert not Customer.objects.filter(code="NEW-CUST").exists()
    page.screenshot(path=str(SCREENSHOTS / "import-preview.png"), full_page=True)
