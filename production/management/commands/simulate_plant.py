"""manage.py simulate_plant: publish a plant's machine signals over MQTT (demo and tests).

Each active machine runs mostly, with idle spells, short breakdowns and setups, and
stands idle in breaks and outside the shifts; while running its counter grows by its
ideal cycle time (a little slower, and about 1 % rejects). See production.oee.simulation.
States and counters are published, QoS 1, on the documented topics.
"""

import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

import paho.mqtt.client as mqtt
from django.conf import settings
from django.core.management.base import BaseCommand

from production.calendars.selectors import get_working_windows
from production.models import Machine
from production.oee import mqtt as scheme
from production.oee.simulation import PlantSimulator


class Command(BaseCommand):
    help = "Publish realistic machine signals for the demo plant on MQTT."

    def add_arguments(self, parser):
        parser.add_argument("--url", default=settings.MQTT_URL)
        parser.add_argument("--prefix", default=settings.MES_MQTT_PREFIX)
        parser.add_argument("--interval", type=float, default=5.0, help="seconds between ticks")
        parser.add_argument("--ticks", type=int, default=0, help="stop after this many (0: never)")
        parser.add_argument("--seed", type=int, default=None)

    def handle(self, *args, **options):
        machines = list(
            Machine.objects.filter(is_active=True).select_related("work_center__area__site")
        )
        sites = {m.code: m.work_center.area.site.code for m in machines}
        plant = PlantSimulator(
            [(m.code, float(m.ideal_cycle_time_s)) for m in machines], seed=options["seed"]
        )
        target = urlparse(options["url"])
        client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=f"mes-sim-{plant.rng.random()}"
        )
        if target.username:
            client.username_pw_set(target.username, target.password)
        client.connect(target.hostname or "127.0.0.1", target.port or 1883)
        client.loop_start()
        tick, published = 0, 0
        try:
            while not options["ticks"] or tick < options["ticks"]:
                now = datetime.now(UTC)
                for row in plant.step(now, options["interval"], self._resting(machines, now)):
                    published += self._publish(client, options["prefix"], sites, row)
                tick += 1
                if not options["ticks"] or tick < options["ticks"]:
                    time.sleep(options["interval"])
        finally:
            client.loop_stop()
            client.disconnect()
        self.stdout.write(f"published {published} messages for {len(machines)} machines")

    def _resting(self, machines: list[Machine], now: datetime) -> list[str]:
        """Machines whose work center's calendar has no working time now (a break)."""
        working: dict[int, bool] = {}
        for machine in machines:
            if machine.work_center_id not in working:
                working[machine.work_center_id] = bool(
                    get_working_windows(
                        work_center=machine.work_center, start=now, end=now + timedelta(seconds=1)
                    )
                )
        return [m.code for m in machines if not working[m.work_center_id]]

    def _publish(self, client, prefix: str, sites: dict[str, str], row: dict) -> int:
        """A row as the messages a gateway sends: its state (if any), then its counters."""
        code, sent = row["machine"], 0
        if "state" in row:
            body = {"ts": row["ts"], "state": row["state"]}
            if "reason" in row:
                body["reason"] = row["reason"]
            topic = scheme.topic_for(prefix, sites[code], code, "state")
            client.publish(topic, scheme.payload_for(**body), qos=1).wait_for_publish()
            sent += 1
        topic = scheme.topic_for(prefix, sites[code], code, "count")
        payload = scheme.payload_for(
            ts=row["ts"], total=row["count_total"], reject=row["count_reject"]
        )
        client.publish(topic, payload, qos=1).wait_for_publish()
        return sent + 1
