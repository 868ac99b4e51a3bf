"""Done-when of scheduling: in the demo plant, a planner starts a schedule, watches its
progress, sees the Gantt chart, publishes it, and the dispatch lists follow (Chromium,
Korean)."""

from pathlib import Path

import pytest
from django.core.management import call_command

from production.execution.selectors import list_dispatch
from production.models import Operation, Schedule, WorkCenter

from .support import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

SCREENSHOTS = Path(__file__).resolve().parents[2] / "bench" / "out"


def test_a_planner_schedules_the_demo_plant_and_publishes_it(live_server, browser_page, settings):
    # No worker here: the run goes to a thread of the server, as in embedded mode.
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.MES_SCHEDULE_IN_THREAD = True
    call_command("load_demo", verbosity=0)
    page = browser_page
    sign_in(page, live_server.url, "planner", next_path="/admin/production/schedule/add/")
    page.fill("#id_time_limit_s", "6")
    page.click("input[type=submit]")
    page.wait_for_selector("#schedule-status")
    assert page.locator("#schedule-progress").count() == 1  # queued or running: the bar
    page.wait_for_selector("#schedule-gantt svg", timeout=40_000)  # the page reloads itself
    # the open work of the demo's orders (some already part made) on the day in view
    assert page.locator("#schedule-gantt rect.bar").count() >= 6
    assert page.locator("#schedule-compare").is_visible()
    page.select_option("#language-select", "ko")
    page.wait_for_selector("#schedule-gantt svg")
    assert page.locator("html").get_attribute("lang") == "ko"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "schedule-gantt-ko.png"), full_page=True)
    page.goto(page.url + "?zoom=week")
    page.wait_for_selector("#schedule-gantt svg")
    assert page.locator("#schedule-gantt path.due").count() >= 3  # due within the week
    page.screenshot(path=str(SCREENSHOTS / "schedule-gantt-week-ko.png"), full_page=True)
    page.click("#publish")
    page.wait_for_selector("#schedule-status")
    schedule = Schedule.objects.get()
    assert schedule.status == Schedule.Status.PUBLISHED
    # Every work center's dispatch list is in the published order.
    placed = {a.operation_id: a.start for a in schedule.assignments.all()}
    for work_center in WorkCenter.objects.all():
        listed = [op for op in list_dispatch(work_center) if op.pk in placed]
        assert [op.planned_start for op in listed] == sorted(placed[op.pk] for op in listed)
    assert not Operation.objects.filter(
        status=Operation.Status.PENDING, planned_start__isnull=True
    ).exists()
