"""The plant manager opens the OEE dashboard on the demo plant's history, in Korean."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from .support import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

SCREENSHOTS = Path(__file__).resolve().parents[2] / "bench" / "out"


def test_the_oee_dashboard_draws_the_demo_plant(live_server, browser_page):
    call_command("load_demo", verbosity=0)
    page = browser_page
    sign_in(page, live_server.url, "manager", next_path="/admin/production/oeesnapshot/dashboard/")
    # The timeline shows one plant-local day; early in a day most of the demo's last 24
    # hours of history are on the day before.
    now = timezone.localtime()
    day = now.date() if now.hour >= 12 else now.date() - timedelta(days=1)
    page.goto(f"{live_server.url}/admin/production/oeesnapshot/dashboard/?day={day}")
    page.wait_for_selector("#oee-timeline svg")
    for chart in ("#oee-trend", "#oee-factors", "#oee-losses", "#oee-pareto"):
        box = page.locator(f"{chart} svg").bounding_box()
        assert box and box["width"] > 300 and box["height"] > 50, chart
    assert page.locator("#oee-per-work-center tbody tr").count() >= 4
    assert page.locator("#oee-timeline rect.state-running").count() > 10
    page.select_option("#language-select", "ko")
    page.wait_for_selector("#oee-timeline svg")
    assert page.locator("html").get_attribute("lang") == "ko"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "oee-dashboard-ko.png"), full_page=True)
