"""Schedules through the API (contract: schedules/) and the admin, and the Gantt chart."""

from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from production.models import Schedule
from production.scheduling import services
from production.scheduling.gantt import Bar, colour_of, gantt_svg

from .oee_factories import SEOUL
from .schedule_factories import NOW, small_plant

pytestmark = pytest.mark.django_db


@pytest.fixture
def runs_in_process(tasks_in_process, settings, monkeypatch):
    """Runs happen inside the request (no worker), planned from NOW."""
    settings.MES_SCHEDULE_IN_THREAD = False
    real = services.run_schedule
    monkeypatch.setattr("production.scheduling.tasks.run_schedule", lambda pk: real(pk, now=NOW))


def test_a_planner_starts_reads_and_publishes_a_schedule_over_the_api(
    api_client_for, runs_in_process, django_capture_on_commit_callbacks
):
    plant = small_plant()
    plant.order("PO-1", due_in_days=1)
    plant.order("PO-2", due_in_days=2)
    erp = api_client_for("erp")
    with django_capture_on_commit_callbacks(execute=True):
        started = erp.post(
            "/api/v1/schedules/", {"time_limit_s": 2, "objective": "tardiness"}, format="json"
        )
    assert started.status_code == 202, started.content
    assert started.json()["status"] == "queued"
    detail = erp.get(f"/api/v1/schedules/{started.json()['id']}/").json()
    assert (detail["status"], detail["progress"]) == ("done", 100)
    assert detail["objective"] == "tardiness" and detail["objective_value"] is not None
    assignments = detail["assignments"]
    assert {(a["production_order"], a["seq"]) for a in assignments} == {
        ("PO-1", 10),
        ("PO-1", 20),
        ("PO-2", 10),
        ("PO-2", 20),
    }
    assert {"machine", "start", "end"} <= set(assignments[0])
    published = erp.post(f"/api/v1/schedules/{detail['id']}/publish/")
    assert published.status_code == 200 and published.json()["status"] == "published"
    listed = erp.get("/api/v1/work-centers/WC-PACK/dispatch-list/").json()["results"]
    planned = {(a["production_order"], a["seq"]): a["start"] for a in assignments}
    assert [row["planned_start"] for row in listed] == sorted(
        planned[(row["production_order"], row["seq"])] for row in listed
    )
    order = erp.get("/api/v1/production-orders/PO-1/").json()
    assert order["operations"][0]["planned_start"] is not None
    again = erp.post(f"/api/v1/schedules/{detail['id']}/publish/")
    assert again.status_code == 409
    assert again["Content-Type"].startswith("application/problem+json")
    cancel = erp.post(f"/api/v1/schedules/{detail['id']}/cancel/")
    assert cancel.status_code == 409
    assert "Only a queued or running schedule can be cancelled." in cancel.json()["detail"]
    assert erp.get(f"/api/v1/schedules/{detail['id']}/").json()["status"] == "published"
    missing = erp.get("/api/v1/work-centers/NO-SUCH-WC/dispatch-list/")
    assert missing.status_code == 404
    assert missing["Content-Type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"time_limit_s": 0}, "time_limit_s"),
        ({"time_limit_s": 10**9}, "time_limit_s"),
        ({"time_limit_s": "soon"}, "time_limit_s"),
        ({"objective": "cheapest"}, "objective"),
        ({"site": "NOWHERE"}, "site"),
    ],
)
def test_bad_requests_get_problem_details_and_queue_nothing(api_client_for, body, field):
    small_plant()
    response = api_client_for("erp").post("/api/v1/schedules/", body, format="json")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert field in response.json()["errors"]
    assert not Schedule.objects.exists()


def test_a_failed_run_lists_its_errors_over_the_api(
    api_client_for, runs_in_process, django_capture_on_commit_callbacks
):
    plant = small_plant()
    plant.order("PO-1")
    plant.machines["PACK-1"].is_active = False
    plant.machines["PACK-1"].save()
    erp = api_client_for("erp")
    with django_capture_on_commit_callbacks(execute=True):
        started = erp.post("/api/v1/schedules/", {"time_limit_s": 1}, format="json")
    detail = erp.get(f"/api/v1/schedules/{started.json()['id']}/").json()
    assert detail["status"] == "failed"
    assert detail["errors"] == [
        "Order PO-1, operation 20 (Pack): work center WC-PACK has no active machine."
    ]
    assert erp.post(f"/api/v1/schedules/{detail['id']}/publish/").status_code == 409


def test_reading_needs_a_role_and_unknown_runs_are_404(api_client_for):
    assert api_client_for("readonly").get("/api/v1/schedules/").status_code == 200
    assert api_client_for("readonly").post("/api/v1/schedules/", {}).status_code == 403
    assert api_client_for("erp").get("/api/v1/schedules/999/").status_code == 404
    assert api_client_for("erp").post("/api/v1/schedules/999/cancel/").status_code == 404


@pytest.fixture
def planner(make_person):
    client = Client()
    client.force_login(make_person("planner"))
    return client


def test_the_admin_starts_a_run_shows_the_gantt_and_publishes(
    planner, runs_in_process, django_capture_on_commit_callbacks
):
    plant = small_plant()
    plant.order("PO-LATE", qty="3000", due_in_days=0)  # cannot be on time
    plant.order("PO-OK", due_in_days=5)
    with django_capture_on_commit_callbacks(execute=True):
        started = planner.post(
            reverse("admin:production_schedule_add"),
            {"site": plant.site.pk, "objective": "tardiness", "time_limit_s": 2},
        )
    assert started.status_code == 302
    schedule = Schedule.objects.get()
    page = planner.get(started.url, {"zoom": "week", "day": "2026-11-23"}).content.decode()
    assert 'id="schedule-gantt"><svg' in page
    assert page.count('class="bar late"') >= 2  # both of PO-LATE's operations
    assert 'data-order="PO-OK"' in page and 'class="due"' in page
    assert 'class="non-working"' in page
    assert 'id="tardy-orders">1<' in page
    assert 'id="publish"' in page
    day = planner.get(started.url, {"zoom": "day", "day": "2026-11-23"})
    assert day.status_code == 200
    planner.post(reverse("admin:production_schedule_publish", args=[schedule.pk]))
    schedule.refresh_from_db()
    assert schedule.status == Schedule.Status.PUBLISHED


def test_the_admin_shows_progress_and_refreshes_while_a_run_is_queued(planner):
    plant = small_plant()
    schedule = Schedule.objects.create(site=plant.site, time_limit_s=5, progress=40)
    page = planner.get(reverse("admin:production_schedule_change", args=[schedule.pk]))
    text = page.content.decode()
    assert '<meta http-equiv="refresh" content="2">' in text
    assert 'id="schedule-progress" max="100" value="40"' in text
    planner.post(reverse("admin:production_schedule_cancel", args=[schedule.pk]))
    schedule.refresh_from_db()
    assert schedule.status == Schedule.Status.CANCELLED


def test_the_gantt_draws_rows_bars_dues_and_shading():
    start = datetime(2026, 11, 23, tzinfo=SEOUL)
    bars = [
        Bar("PO-1", start + timedelta(hours=7), start + timedelta(hours=9), "PO-1 / 10", late=True),
        Bar("PO-2", start + timedelta(hours=9), start + timedelta(hours=12), "PO-2 / 10"),
    ]
    svg = gantt_svg(
        [("CUT-1", bars), ("CUT-2", [])],
        start=start,
        end=start + timedelta(days=1),
        working={"CUT-1": [(start + timedelta(hours=6), start + timedelta(hours=22))]},
        dues={"PO-1": start + timedelta(hours=8), "PO-2": start + timedelta(days=3)},
        texts={
            "title": "Schedule",
            "no_data": "none",
            "due": "due",
            "late": "late",
            "non_working": "off",
        },
        clock=lambda moment: f"{moment:%H}",
        tick=timedelta(hours=2),
    )
    assert svg.count('class="bar late"') == 1 and svg.count('class="bar"') == 1
    assert svg.count('class="due"') == 1  # PO-2's due date is after the range
    assert svg.count('class="non-working"') == 2
    assert colour_of("PO-1") in svg and colour_of("PO-1") == colour_of("PO-1")
