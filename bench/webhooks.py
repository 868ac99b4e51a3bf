"""Webhook delivery: events/s delivered to a local receiver, and the delay from the commit
of a change to its delivery, with a real Celery worker (Redis) running.

DATABASE_URL=postgres://…/mes_bench REDIS_URL=redis://127.0.0.1:6379/14 \
    .venv/bin/python bench/webhooks.py [--events 2000] [--rate 20] [--seconds 15]

1. Throughput: EVENTS stock receipts are written (through the inventory service, the
   outbox in their transactions) before the worker starts; the worker then drains them.
   Events/s from the first delivery to the last, for one endpoint (deliveries in order,
   one at a time) and for four endpoints (the worker's two processes share them). The
   baseline: the same bodies POSTed straight to the receiver by one client, no MES.
2. Delay: with the worker running, receipts at RATE per second for SECONDS: the time
   from each commit to the receiver having the event, p50/p95/max.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from _django import bench_database

ROOT = Path(__file__).resolve().parent.parent


class Receiver:
    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    key = f"{self.path} {self.headers['webhook-id']}"  # an event goes to each
                    receiver.arrivals.setdefault(key, time.time())
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def wait_for(self, count: int, timeout: float) -> None:
        deadline = time.time() + timeout
        while len(self.arrivals) < count and time.time() < deadline:
            time.sleep(0.05)
        if len(self.arrivals) < count:
            raise SystemExit(f"only {len(self.arrivals)} of {count} events arrived")


def start_worker(database: str) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database, "MES_WEBHOOK_SWEEP_S": "2"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "mes", "worker", "-B", "-c", "2", "-l", "warning"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return worker


def percentile(values: list[float], share: float) -> float:
    return sorted(values)[min(len(values) - 1, int(len(values) * share))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=20)
    parser.add_argument("--seconds", type=float, default=15)
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL"):
        raise SystemExit("set REDIS_URL: the bench runs a real Celery worker")

    with bench_database() as name:
        from decimal import Decimal

        from django.db import connection, transaction

        from inventory import services as inventory
        from inventory.models import Item, Location, UnitOfMeasure
        from mes.models import WebhookDelivery, WebhookEndpoint
        from mes.webhooks import services as webhooks
        from mes.webhooks.services import payload

        db = connection.settings_dict
        database = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{name}"
        unit, _created = UnitOfMeasure.objects.get_or_create(code="EA", defaults={"name": "ea"})
        item = Item.objects.create(code="BOLT", name="Bolt", kind="raw", uom=unit)
        store = Location.objects.create(code="STOCK", name="Store", kind="stock")
        receipts = iter(range(10**9))

        def receive() -> float:
            with transaction.atomic():
                inventory.receive_stock(
                    actor=None,
                    item=item,
                    qty=Decimal(1),
                    location=store,
                    reference=f"receipt {next(receipts)}",
                )
            return time.time()  # committed

        receiver = Receiver()
        events = [WebhookEndpoint.EventType.STOCK_RECEIVED]

        # the baseline: the receiver alone
        body = b'{"type": "stock.received", "timestamp": "2026-11-30T00:00:00Z", "data": {}}'
        started = time.perf_counter()
        for n in range(args.events):
            request = urllib.request.Request(
                receiver.url, body, {"webhook-id": f"base-{n}", "Content-Type": "application/json"}
            )
            urllib.request.urlopen(request, timeout=10).close()
        baseline = args.events / (time.perf_counter() - started)
        print(f"{'receiver alone (one client, no MES)':<44} {baseline:8.0f} events/s")

        for endpoints in (1, 4):
            WebhookEndpoint.objects.all().delete()
            for n in range(endpoints):
                webhooks.create_endpoint(actor=None, url=f"{receiver.url}/{n}", events=events)
            receiver.arrivals.clear()
            per_endpoint = args.events // endpoints
            for _ in range(per_endpoint):
                receive()
            expected = per_endpoint * endpoints
            worker = start_worker(database)
            try:
                receiver.wait_for(expected, timeout=600)
            finally:
                worker.terminate()
                worker.wait(timeout=60)
            times = sorted(receiver.arrivals.values())
            rate = (len(times) - 1) / (times[-1] - times[0])
            print(
                f"{f'worker, {endpoints} endpoint(s), {expected} queued':<44} {rate:8.0f} "
                f"events/s  ({rate / baseline:.2f}× the receiver alone)"
            )
        body_bytes = len(payload(WebhookDelivery.objects.select_related("event").first().event))

        WebhookEndpoint.objects.all().delete()
        webhooks.create_endpoint(actor=None, url=receiver.url, events=events)
        receiver.arrivals.clear()
        worker = start_worker(database)
        try:
            time.sleep(5)  # the worker is up
            committed: list[float] = []
            gap = 1 / args.rate
            next_at = time.time()
            while len(committed) < args.rate * args.seconds:
                next_at += gap
                committed.append(receive())
                time.sleep(max(0.0, next_at - time.time()))
            receiver.wait_for(len(committed), timeout=120)
        finally:
            worker.terminate()
            worker.wait(timeout=60)
        ids = list(
            WebhookDelivery.objects.filter(endpoint__isnull=False)
            .order_by("event__created_at")
            .values_list("event__event_id", flat=True)
        )
        delays = [
            (receiver.arrivals[f"/hooks {i}"] - c) * 1000
            for i, c in zip(ids, committed, strict=True)
        ]
        print(
            f"{f'commit → delivered at {args.rate:g}/s for {args.seconds:g} s':<44} "
            f"p50 {statistics.median(delays):6.1f} ms  p95 {percentile(delays, 0.95):6.1f} ms  "
            f"max {max(delays):6.1f} ms  ({len(delays)} events, {body_bytes} bytes each)"
        )
        receiver.server.shutdown()


if __name__ == "__main__":
    main()
