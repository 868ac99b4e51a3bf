"""The OEE dashboard and the full recompute in the admin."""

from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from production.calendars import services as calendars
from production.models import DowntimeClassification, OeeRecompute, OeeSnapshot, ReasonCode
from production.oee.services import ingest_machine_events

from .factories import MachineFactory, WorkCenterFactory
from .oee_factories import one_shift_press, worked_example

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(make_person):
    client = Client()
    client.force_login(make_person("plant_manager"))
    return client


def test_the_dashboard_draws_the_plant_from_the_snapshots(manager):
    press = one_shift_press()
    worked_example()
    url = reverse("admin:oee_dashboard")
    day = "2026-11-23"
    response = manager.get(
        url, {"start": day, "end": day, "day": day, "work_center": press.work_center.pk}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert OeeSnapshot.objects.filter(machine=press).exists()  # rolled up before drawing
    for part in ("oee-trend", "oee-factors", "oee-losses", "oee-pareto", "oee-timeline"):
        assert f'id="{part}"><svg' in page, part
    assert '<meta http-equiv="refresh" content="60">' in page
    # The worked example: availability 93.3 %, performance 95.2 %, quality 98 %.
    assert "93.3%" in page and "95.2%" in page and "98.0%" in page
    assert "Breakdowns" in page and "Reduced speed" in page
    assert 'class="state-down"' in page and 'class="state-running"' in page
    assert "unclassified" in page  # the down period has no reason yet
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")


def test_the_dashboard_shows_the_running_shift(manager):
    work_center = WorkCenterFactory(code="WC-ROUND")
    pattern = calendars.set_shift_pattern(
        actor=None,
        code="ROUND-THE-CLOCK",
        name="two twelve-hour shifts",
        site=work_center.area.site,
        shifts=[
            {"code": code, "name": code, "weekdays": list(range(7)), "start": start, "end": end}
            for code, start, end in (("A", "00:00", "12:00"), ("B", "12:00", "00:00"))
        ],
    )
    calendars.assign_calendar(
        actor=None, pattern=pattern, site=work_center.area.site, valid_from=date(2026, 1, 1)
    )
    MachineFactory(code="LATHE-01", work_center=work_center, ideal_cycle_time_s=10)
    started = timezone.now() - timedelta(minutes=10)
    ingest_machine_events([{"machine": "LATHE-01", "ts": started.isoformat(), "state": "running"}])
    page = manager.get(reverse("admin:oee_dashboard")).content.decode()
    assert 'data-work-center="WC-ROUND"' in page  # the shift so far, as of this minute
    assert "0 good of 0" in page


def test_a_bad_range_says_so(manager):
    url = reverse("admin:oee_dashboard")
    reversed_range = manager.get(url, {"start": "2026-11-23", "end": "2026-11-01"})
    assert "The start is after the end." in reversed_range.content.decode()
    too_long = manager.get(url, {"start": "2026-01-01", "end": "2026-11-01"})
    assert "At most 92 days at a time." in too_long.content.decode()


def test_people_without_machine_data_cannot_see_it(make_person):
    client = Client()
    client.force_login(make_person("operator"))
    assert client.get(reverse("admin:oee_dashboard")).status_code in (302, 403)


def test_a_manager_starts_a_recompute_and_watches_it(
    manager,
    tasks_in_process,
    django_capture_on_commit_callbacks,
):
    press = one_shift_press()
    worked_example()
    add = reverse("admin:production_oeerecompute_add")
    refused = manager.post(add, {"start": "2026-11-24", "end": "2026-11-23"})
    assert "The start is after the end." in refused.content.decode()
    with django_capture_on_commit_callbacks(execute=True):  # the task is queued on commit
        response = manager.post(
            add, {"start": "2026-11-23", "end": "2026-11-23", "work_center": press.work_center.pk}
        )
    job = OeeRecompute.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:production_oeerecompute_change", args=[job.pk])
    page = manager.get(response["Location"]).content.decode()
    assert '<progress max="100" value="100"' in page
    assert 'http-equiv="refresh"' not in page  # done: no more reloading
    assert (job.status, job.snapshots) == ("done", 1)


def test_a_supervisor_classifies_a_down_period_in_the_admin(make_person):
    press = one_shift_press()
    worked_example()  # down 09:00–09:30 without a reason
    supervisor = Client()
    supervisor.force_login(make_person("supervisor"))
    url = reverse("admin:downtime_to_classify")
    page = supervisor.get(url, {"days": 31}).content.decode()
    assert "PRESS-01" in page and "2026-11-23 09:00" in page
    reason = ReasonCode.objects.get(code="DT-BREAKDOWN")
    no_reason = supervisor.post(
        f"{url}?days=31", {"machine": press.pk, "started_at": "2026-11-23 09:00:00"}, follow=True
    )
    assert "Choose a downtime reason." in no_reason.content.decode()
    assert not DowntimeClassification.objects.exists()
    response = supervisor.post(
        f"{url}?days=31",
        {"machine": press.pk, "started_at": "2026-11-23 09:00:00", "reason": reason.pk},
    )
    assert response.status_code == 302
    assert DowntimeClassification.objects.get(machine=press).reason == reason
    page = supervisor.get(url, {"days": 31}).content.decode()
    assert "Every down period has its reason." in page
    listed = supervisor.get(reverse("admin:production_downtimeclassification_changelist"))
    assert "Down periods to classify" in listed.content.decode()
