"""manage.py ingest_mqtt: the MQTT ingester process (docker-compose service `mqtt-ingester`)."""

import signal

from django.conf import settings
from django.core.management.base import BaseCommand

from production.oee.ingester import run


class Command(BaseCommand):
    help = "Subscribe to machine signals on MQTT (QoS 1, persistent session) and store them."

    def add_arguments(self, parser):
        parser.add_argument("--url", default=settings.MQTT_URL)
        parser.add_argument("--prefix", default=settings.MES_MQTT_PREFIX)
        parser.add_argument("--client-id", default=settings.MES_MQTT_CLIENT_ID)
        parser.add_argument("--batch", type=int, default=1000, help="messages per write")
        parser.add_argument("--flush-ms", type=int, default=200, help="longest wait for a batch")
        parser.add_argument(
            "--idle-exit",
            type=float,
            default=0,
            help="stop after this many idle seconds (0: never)",
        )

    def handle(self, *args, **options):
        stopping = []
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stopping.append(True))
        stats = run(
            url=options["url"],
            prefix=options["prefix"],
            client_id=options["client_id"],
            batch=options["batch"],
            flush_s=options["flush_ms"] / 1000,
            idle_exit_s=options["idle_exit"],
            should_stop=lambda: bool(stopping),
        )
        self.stdout.write(
            f"received {stats.received}, stored {stats.stored}, duplicates {stats.duplicates}, "
            f"rejected {stats.rejected} in {stats.batches} batches"
        )
