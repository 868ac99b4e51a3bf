"""MQTT: the topic scheme, and the ingester against the real Mosquitto broker."""

import uuid
from datetime import timedelta
from io import StringIO
from urllib.parse import urlparse

import paho.mqtt.client as mqtt
import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from production.models import MachineEvent, MqttRejection
from production.oee import mqtt as scheme
from production.tests.mqtt_support import skip_without_broker

from .factories import MachineFactory


def test_parsing_good_and_bad_messages():
    state = scheme.parse_message(
        "mes", "mes/HS/PRESS-01/state", b'{"ts": "2026-11-24T09:00:00+09:00", "state": "down"}'
    )
    assert state.site == "HS"
    assert state.row == {"machine": "PRESS-01", "ts": "2026-11-24T09:00:00+09:00", "state": "down"}
    count = scheme.parse_message(
        "mes", "mes/HS/PRESS-01/count", b'{"ts": "x", "total": 5, "reject": 1}'
    )
    assert count.row["count_total"] == 5 and count.row["count_reject"] == 1
    for topic, payload, reason in [
        ("mes/HS/PRESS-01/temperature", b"{}", "topic"),
        ("other/HS/PRESS-01/state", b"{}", "topic"),
        ("mes/HS/PRESS-01/state", b"not json", "JSON"),
        ("mes/HS/PRESS-01/state", b"\xff\xfe", "JSON"),
        ("mes/HS/PRESS-01/state", b"[1, 2]", "object"),
        ("mes/HS/PRESS-01/state", b'{"ts": "x"}', "state"),
        ("mes/HS/PRESS-01/count", b'{"ts": "x"}', "total"),
    ]:
        with pytest.raises(scheme.BadMessage, match=reason):
            scheme.parse_message("mes", topic, payload)


@pytest.mark.django_db(transaction=True)
def test_the_ingester_loses_nothing_across_a_restart():
    skip_without_broker()
    machine = MachineFactory(code="PRESS-01")
    site = machine.work_center.area.site.code
    prefix, client_id = f"mes-test-{uuid.uuid4().hex[:8]}", f"ingester-{uuid.uuid4().hex[:8]}"

    def ingest(idle: float) -> str:
        out = StringIO()
        call_command(
            "ingest_mqtt",
            prefix=prefix,
            client_id=client_id,
            idle_exit=idle,
            flush_ms=100,
            stdout=out,
        )
        return out.getvalue()

    ingest(idle=1)  # the persistent session exists; the ingester is now "down"
    target = urlparse(settings.MQTT_URL)
    publisher = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2, client_id=f"pub-{uuid.uuid4().hex[:8]}"
    )
    publisher.connect(target.hostname, target.port or 1883)
    publisher.loop_start()
    start = timezone.now() - timedelta(hours=1)
    sent = 0
    for minute in range(50):
        ts = (start + timedelta(minutes=minute)).isoformat()
        state = "running" if minute % 10 else "down"
        for kind, body in (
            ("state", {"ts": ts, "state": state}),
            ("count", {"ts": ts, "total": minute * 10, "reject": 0}),
        ):
            topic = scheme.topic_for(prefix, site, "PRESS-01", kind)
            publisher.publish(topic, scheme.payload_for(**body), qos=1).wait_for_publish()
            sent += 1
    for topic, payload in [
        (scheme.topic_for(prefix, site, "PRESS-01", "state"), b"garbage"),
        (
            scheme.topic_for(prefix, site, "NOPE", "state"),
            scheme.payload_for(ts=start.isoformat(), state="idle"),
        ),
        (
            scheme.topic_for(prefix, "ELSEWHERE", "PRESS-01", "state"),
            scheme.payload_for(ts=start.isoformat(), state="idle"),
        ),
    ]:
        publisher.publish(topic, payload, qos=1).wait_for_publish()
    publisher.loop_stop()
    publisher.disconnect()

    summary = ingest(idle=2)  # back up: everything queued while it was away arrives
    assert "rejected 3" in summary, summary
    assert MachineEvent.objects.filter(source="mqtt").count() == sent
    reasons = list(MqttRejection.objects.values_list("reason", flat=True))
    assert any("JSON" in r for r in reasons) and any("Unknown machine" in r for r in reasons)
    assert any("not at site" in r for r in reasons)
    assert "received 0" in ingest(idle=1)  # all acknowledged: nothing comes twice


@pytest.mark.django_db(transaction=True)
def test_the_simulator_feeds_the_ingester():
    skip_without_broker()
    MachineFactory(code="SIM-01", ideal_cycle_time_s=1)
    prefix, client_id = f"mes-sim-{uuid.uuid4().hex[:8]}", f"ingester-{uuid.uuid4().hex[:8]}"
    call_command("ingest_mqtt", prefix=prefix, client_id=client_id, idle_exit=1, stdout=StringIO())
    out = StringIO()
    call_command("simulate_plant", prefix=prefix, ticks=3, interval=1.1, seed=7, stdout=out)
    assert "for 1 machines" in out.getvalue()
    call_command("ingest_mqtt", prefix=prefix, client_id=client_id, idle_exit=2, stdout=StringIO())
    assert MachineEvent.objects.filter(machine__code="SIM-01", kind="count").count() == 3
    assert MachineEvent.objects.filter(machine__code="SIM-01", kind="state").exists()
