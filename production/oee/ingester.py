"""The MQTT ingester: subscribes to machine topics and writes batches of events.

QoS 1 with a persistent session (MQTT 5, clean_start=False and a session expiry) and
manual acknowledgement: a
message is acknowledged only after the batch holding it is committed (or the message
is recorded as rejected), so a crash or a database outage loses nothing — the broker
delivers the unacknowledged messages again, and the natural key stores them once.
paho-mqtt reconnects by itself; a bad message never stops the loop.
"""

from __future__ import annotations

import logging
import queue
import time
from dataclasses import dataclass, field
from urllib.parse import urlparse

import paho.mqtt.client as mqtt
from django.db import DatabaseError, close_old_connections
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from ..models import Machine, MachineEvent, MqttRejection
from . import mqtt as scheme
from .services import ingest_machine_events

log = logging.getLogger("mes.mqtt")

SESSION_EXPIRY_S = 7 * 24 * 3600  # the broker keeps our queue through a week's outage
RECEIVE_MAXIMUM = 65_535  # unacknowledged messages the broker may send us (MQTT 5 maximum)


@dataclass
class Stats:
    received: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    batches: int = 0
    errors: list[str] = field(default_factory=list)


def _reject(message, reason: str) -> MqttRejection:
    log.warning("MQTT message rejected (%s): %s", message.topic, reason)
    payload = message.payload[:2000].decode("utf-8", errors="replace")
    return MqttRejection(topic=message.topic[:300], payload=payload, reason=reason)


def process(messages: list, prefix: str, stats: Stats) -> None:
    """Write one batch: events through the service, bad messages as rejections."""
    parsed, rejections = [], []
    for message in messages:
        try:
            parsed.append((message, scheme.parse_message(prefix, message.topic, message.payload)))
        except scheme.BadMessage as exc:
            rejections.append(_reject(message, str(exc)))
    codes = {p.row["machine"] for _m, p in parsed}
    sites = dict(
        Machine.objects.filter(code__in=codes).values_list("code", "work_center__area__site__code")
    )
    rows, sources = [], []
    for message, p in parsed:
        site = sites.get(p.row["machine"])
        if site is not None and site != p.site:
            rejections.append(
                _reject(message, f"machine {p.row['machine']} is not at site {p.site}")
            )
            continue
        rows.append(p.row)
        sources.append(message)
    result = ingest_machine_events(rows, source=MachineEvent.Source.MQTT) if rows else None
    if result is not None:
        for bad in result.rejected:
            reasons = "; ".join(f"{name}: {' '.join(text)}" for name, text in bad["errors"].items())
            rejections.append(_reject(sources[bad["index"]], reasons))
        stats.stored += result.accepted
        stats.duplicates += result.duplicates
    MqttRejection.objects.bulk_create(rejections)
    stats.rejected += len(rejections)
    stats.received += len(messages)
    stats.batches += 1


def run(
    *,
    url: str,
    prefix: str,
    client_id: str,
    batch: int = 1000,
    flush_s: float = 0.2,
    idle_exit_s: float = 0,
    should_stop=lambda: False,
) -> Stats:
    """Consume until ``should_stop()`` (or ``idle_exit_s`` without messages, if set)."""
    target = urlparse(url)
    inbox: queue.Queue = queue.Queue()
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False)
    if target.username:
        client.username_pw_set(target.username, target.password)
    client.manual_ack_set(True)
    client.reconnect_delay_set(min_delay=1, max_delay=30)

    def on_connect(client, userdata, flags, reason_code, properties=None):
        log.info("MQTT connected to %s (%s)", url, reason_code)
        client.subscribe([(topic, 1) for topic in scheme.subscriptions(prefix)])

    client.on_connect = on_connect
    client.on_message = lambda client, userdata, message: inbox.put(message)
    # MQTT 5: the session outlives a disconnect (the broker keeps our messages), and the
    # broker may have a whole batch in flight, unacknowledged, while we write it.
    properties = Properties(PacketTypes.CONNECT)
    properties.SessionExpiryInterval = SESSION_EXPIRY_S
    properties.ReceiveMaximum = RECEIVE_MAXIMUM
    client.connect_async(
        target.hostname or "127.0.0.1",
        target.port or 1883,
        keepalive=30,
        clean_start=False,
        properties=properties,
    )
    client.loop_start()
    stats, last_message = Stats(), time.monotonic()
    try:
        while not should_stop():
            messages = _collect(inbox, batch, flush_s)
            if not messages:
                if idle_exit_s and time.monotonic() - last_message > idle_exit_s:
                    break
                continue
            last_message = time.monotonic()
            while True:
                try:
                    close_old_connections()
                    process(messages, prefix, stats)
                    break
                except DatabaseError as exc:  # the database is away: keep the batch, retry
                    log.error("MQTT batch not written, retrying: %s", exc)
                    stats.errors.append(str(exc))
                    time.sleep(2)
            for message in messages:
                client.ack(message.mid, message.qos)
    finally:
        client.loop_stop()
        client.disconnect()
    return stats


def _collect(inbox: queue.Queue, batch: int, flush_s: float) -> list:
    messages, deadline = [], time.monotonic() + flush_s
    while len(messages) < batch:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        try:
            messages.append(inbox.get(timeout=remaining))
        except queue.Empty:
            break
    return messages
