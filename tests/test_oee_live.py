"""Issue 6, done when: the demo plant's simulator feeds its machines over MQTT, and the
OEE of the running shift in the dashboard follows within a minute."""

import re
import uuid
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from production.calendars import services as calendars
from production.models import Holiday, MachineEvent, Site
from production.tests.mqtt_support import skip_without_broker

TILE = re.compile(
    r'data-work-center="(?P<code>[^"]+)" data-run-s="(?P<run>\d+)" data-total="(?P<total>\d+)"'
)


def tiles(client: Client) -> dict[str, tuple[int, int]]:
    page = client.get(reverse("admin:oee_dashboard")).content.decode()
    return {m["code"]: (int(m["run"]), int(m["total"])) for m in TILE.finditer(page)}


@pytest.mark.django_db(transaction=True)
def test_the_simulator_feeds_the_dashboard_within_a_minute(make_person):
    skip_without_broker()
    call_command("load_demo", stdout=StringIO())
    # The plant works round the clock, so a shift runs whenever this test does.
    site = Site.objects.get()
    pattern = calendars.set_shift_pattern(
        actor=None,
        code="ROUND-THE-CLOCK",
        name="round the clock",
        site=site,
        shifts=[
            {"code": code, "name": code, "weekdays": list(range(7)), "start": start, "end": end}
            for code, start, end in (("A", "00:00", "12:00"), ("B", "12:00", "00:00"))
        ],
    )
    calendars.assign_calendar(  # from yesterday: last night's shift is round the clock too
        actor=None, pattern=pattern, site=site, valid_from=timezone.localdate() - timedelta(days=1)
    )
    Holiday.objects.filter(site=site).delete()
    manager = Client()
    manager.force_login(make_person("plant_manager"))
    before = tiles(manager)

    prefix, client_id = f"mes-live-{uuid.uuid4().hex[:8]}", f"ingester-{uuid.uuid4().hex[:8]}"
    stored = MachineEvent.objects.count()
    call_command("ingest_mqtt", prefix=prefix, client_id=client_id, idle_exit=1, stdout=StringIO())
    call_command("simulate_plant", prefix=prefix, ticks=5, interval=2, seed=11, stdout=StringIO())
    call_command("ingest_mqtt", prefix=prefix, client_id=client_id, idle_exit=2, stdout=StringIO())
    live = MachineEvent.objects.filter(source="mqtt").count()
    assert live and live == MachineEvent.objects.count() - stored

    after = tiles(manager)  # seconds later, without waiting for the beat
    assert {"WC-PRESS", "WC-WELD", "WC-PAINT", "WC-CNC"} <= set(after)
    for code, (run_s, _total) in after.items():
        assert run_s >= before.get(code, (0, 0))[0], code
    # The presses (2.5–6 s a part) made parts in those seconds: counted in this shift.
    assert after["WC-PRESS"][1] > before.get("WC-PRESS", (0, 0))[1]
