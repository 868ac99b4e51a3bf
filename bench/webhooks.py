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
import time
import urllib.request
from pathlib import Path

from _django import bench_database

ROOT = Path(__file__).resolve().parent.parent


def wait_for(receiver, count: int, timeout: float) -> dict[str, float]:
    """Until `count` distinct (path, webhook-id) have arrived: their first arrival times."""
    deadline = time.time() + timeout
    while True:
        with receiver.lock:
            arrivals: dict[str, float] = {}
            for got in receiver.received:
                arrivals.setdefault(f"{got.path} {got.event_id}", got.at)
        if len(arrivals) >= count:
            return arrivals
        if time.time() > deadline:
            raise SystemExit(f"only {len(arrivals)} of {count} events arrived")
        time.sleep(0.05)


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

        from mes.tests.webhook_factories import Receiver

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
            receiver.received.clear()
            per_endpoint = args.events // endpoints
            for _ in range(per_endpoint):
                receive()
            expected = per_endpoint * endpoints
            worker = start_worker(database)
            try:
                arrivals = wait_for(receiver, expected, timeout=600)
            finally:
                worker.terminate()
                worker.wait(timeout=60)
            times = sorted(arrivals.values())
            rate = (len(times) - 1) / (times[-1] - times[0])
            print(
                f"{f'worker, {endpoints} endpoint(s), {expected} queued':<44} {rate:8.0f} "
                f"events/s  ({rate / baseline:.2f}× the receiver alone)"
            )
        body_bytes = len(payload(WebhookDelivery.objects.select_related("event").first().event))

        WebhookEndpoint.objects.all().delete()
        webhooks.create_endpoint(actor=None, url=receiver.url, events=events)
        receiver.received.clear()
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
            arrivals = wait_for(receiver, len(committed), timeout=120)
        finally:
            worker.terminate()
            worker.wait(timeout=60)
        ids = list(
            WebhookDelivery.objects.filter(endpoint__isnull=False)
            .order_by("event__created_at")
            .values_list("event__event_id", flat=True)
        )
        delays = [(arrivals[f"/hooks {i}"] - c) * 1000 for i, c in zip(ids, committed, strict=True)]
        print(
            f"{f'commit → delivered at {args.rate:g}/s for {args.seconds:g} s':<44} "
            f"p50 {statistics.median(delays):6.1f} ms  p95 {percentile(delays, 0.95):6.1f} ms  "
            f"max {max(delays):6.1f} ms  ({len(delays)} events, {body_bytes} bytes each)"
        )
        receiver.close()


if __name__ == "__main__":
    main()
