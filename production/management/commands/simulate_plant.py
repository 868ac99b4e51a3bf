"""manage.py simulate_plant: publish a plant's machine signals over MQTT (demo and tests).

Each active machine runs mostly, with idle spells, short breakdowns and setups; while
running its counter grows by its ideal cycle time (a little slower, and about 1 %
rejects). States and counters are published, QoS 1, on the documented topics.
"""

import random
import time
from datetime import UTC, datetime
from urllib.parse import urlparse

import paho.mqtt.client as mqtt
from django.conf import settings
from django.core.management.base import BaseCommand

from production.models import Machine
from production.oee import mqtt as scheme

# Next state, drawn by weight: mostly running, sometimes a stop.
NEXT = {
    "running": (("running", 85), ("idle", 7), ("down", 5), ("setup", 3)),
    "idle": (("running", 80), ("idle", 20)),
    "down": (("running", 60), ("down", 40)),
    "setup": (("running", 70), ("setup", 30)),
}
DOWN_REASONS = ("DT-BREAKDOWN", "DT-MATERIAL", "DT-QUALITY")


class Command(BaseCommand):
    help = "Publish realistic machine signals for the demo plant on MQTT."

    def add_arguments(self, parser):
        parser.add_argument("--url", default=settings.MQTT_URL)
        parser.add_argument("--prefix", default=settings.MES_MQTT_PREFIX)
        parser.add_argument("--interval", type=float, default=5.0, help="seconds between ticks")
        parser.add_argument("--ticks", type=int, default=0, help="stop after this many (0: never)")
        parser.add_argument("--seed", type=int, default=None)

    def handle(self, *args, **options):
        rng = random.Random(options["seed"])
        machines = list(
            Machine.objects.filter(is_active=True).select_related("work_center__area__site")
        )
        target = urlparse(options["url"])
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"mes-sim-{rng.random()}")
        if target.username:
            client.username_pw_set(target.username, target.password)
        client.connect(target.hostname or "127.0.0.1", target.port or 1883)
        client.loop_start()
        states = {m.code: "running" for m in machines}
        counts = {m.code: [0, 0] for m in machines}
        tick, published = 0, 0
        try:
            while not options["ticks"] or tick < options["ticks"]:
                now = datetime.now(UTC).isoformat()
                for machine in machines:
                    published += self._tick(client, options, rng, machine, states, counts, now)
                tick += 1
                if not options["ticks"] or tick < options["ticks"]:
                    time.sleep(options["interval"])
        finally:
            client.loop_stop()
            client.disconnect()
        self.stdout.write(f"published {published} messages for {len(machines)} machines")

    def _tick(self, client, options, rng, machine, states, counts, now) -> int:
        code, site = machine.code, machine.work_center.area.site.code
        prefix, sent = options["prefix"], 0
        choices, weights = zip(*NEXT[states[code]], strict=True)
        state = rng.choices(choices, weights)[0]
        if state != states[code] or rng.random() < 0.05:
            body = {"ts": now, "state": state}
            if state == "down":
                body["reason"] = rng.choice(DOWN_REASONS)
            topic = scheme.topic_for(prefix, site, code, "state")
            client.publish(topic, scheme.payload_for(**body), qos=1).wait_for_publish()
            states[code], sent = state, sent + 1
        if state == "running":
            made = int(
                options["interval"] / float(machine.ideal_cycle_time_s) * rng.uniform(0.8, 1.0)
            )
            counts[code][0] += made
            counts[code][1] += sum(1 for _ in range(made) if rng.random() < 0.01)
        topic = scheme.topic_for(prefix, site, code, "count")
        payload = scheme.payload_for(ts=now, total=counts[code][0], reject=counts[code][1])
        client.publish(topic, payload, qos=1).wait_for_publish()
        return sent + 1
