"""MQTT ingest (issue 6): messages/s at QoS 1 from a local publisher through the
ingester into PostgreSQL, and zero messages lost across a restart of the ingester.

DATABASE_URL=postgres://…/mes_bench .venv/bin/python bench/mqtt.py [MESSAGES]

The ingester (production.oee.ingester.run, as `manage.py ingest_mqtt` runs it) works in
a thread of this process on a throw-away test database and the local Mosquitto. A
publisher sends MESSAGES counter readings at QoS 1 (100 machines); a third of the way
in the ingester is stopped, and started again while the publisher goes on — the broker
keeps the messages for its persistent session. Printed: publish and ingest rates, the
stored events against the messages sent (they must be equal), and the rate of the REST
bulk ingest of the same rows as a baseline in the same run. Goal: 3,000 messages/s.
"""

import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

from _django import bench_database

MACHINES = 100
GOAL = 3_000


def main(count: int) -> None:
    with bench_database():
        import paho.mqtt.client as mqtt
        from django.conf import settings
        from django.db import connections

        from production.models import MachineEvent
        from production.oee import mqtt as scheme
        from production.oee.ingester import run
        from production.oee.services import ingest_machine_events
        from production.tests.factories import MachineFactory, WorkCenterFactory

        work_center = WorkCenterFactory(code="BENCH-WC")
        for number in range(MACHINES):
            MachineFactory(code=f"BM-{number:03d}", work_center=work_center)
        site = work_center.area.site.code
        prefix, client_id = (
            f"bench-{uuid.uuid4().hex[:6]}",
            f"bench-ingester-{uuid.uuid4().hex[:6]}",
        )
        stop = threading.Event()

        def ingester(results: list) -> None:
            try:
                results.append(
                    run(
                        url=settings.MQTT_URL,
                        prefix=prefix,
                        client_id=client_id,
                        should_stop=stop.is_set,
                    )
                )
            finally:
                connections.close_all()

        def start_ingester(results: list) -> threading.Thread:
            thread = threading.Thread(target=ingester, args=(results,))
            thread.start()
            time.sleep(1.0)  # connected and subscribed
            return thread

        results: list = []
        thread = start_ingester(results)
        target = urlparse(settings.MQTT_URL)
        publisher = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{uuid.uuid4().hex[:6]}"
        )
        publisher.max_inflight_messages_set(1000)
        publisher.connect(target.hostname, target.port or 1883)
        publisher.loop_start()
        start = datetime.now(UTC) - timedelta(days=1)
        rows = []
        began = time.perf_counter()
        pending = []
        for index in range(count):
            machine, minute = index % MACHINES, index // MACHINES
            ts = (start + timedelta(seconds=minute)).isoformat()
            topic = scheme.topic_for(prefix, site, f"BM-{machine:03d}", "count")
            pending.append(publisher.publish(topic, scheme.payload_for(ts=ts, total=minute), qos=1))
            rows.append({"machine": f"BM-{machine:03d}", "ts": ts, "count_total": minute})
            if index == count // 3:  # restart the ingester while messages keep coming
                stop.set()
                thread.join()
                stop.clear()
                thread = start_ingester(results)
        for info in pending:
            info.wait_for_publish()
        published_s = time.perf_counter() - began
        publisher.loop_stop()
        publisher.disconnect()
        while MachineEvent.objects.count() < count and time.perf_counter() - began < 300:
            time.sleep(0.2)
        ingest_s = time.perf_counter() - began
        stored = MachineEvent.objects.count()
        stop.set()
        thread.join()

        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE production_machineevent")
        began = time.perf_counter()
        for offset in range(0, len(rows), 5000):
            ingest_machine_events(rows[offset : offset + 5000])
        service_s = time.perf_counter() - began

    print(f"{count:,} counter messages at QoS 1, {MACHINES} machines, ingester restarted once")
    print(f"  published in {published_s:6.2f} s  {count / published_s:10,.0f} messages/s")
    rate = count / ingest_s
    print(f"  stored in    {ingest_s:6.2f} s  {rate:10,.0f} messages/s  (from the first publish)")
    lost = "none lost" if stored == count else f"{count - stored:,} LOST"
    print(f"  stored {stored:,} of {count:,} sent: {lost}")
    print(
        f"  baseline: the ingest service on the same rows {count / service_s:10,.0f} events/s "
        f"(MQTT / service = {service_s / ingest_s:.2f})"
    )
    print(f"  goal ≥ {GOAL:,} messages/s: {'met' if count / ingest_s >= GOAL else 'NOT met'}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30_000)
