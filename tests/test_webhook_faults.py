"""Webhook faults: Redis down during API writes, a Celery worker killed with SIGKILL while
delivering."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.conf import settings
from django.db import connection
from django.urls import reverse

from mes import celery_app
from mes.models import WebhookDelivery
from mes.tests.webhook_factories import subscribe
from mes.webhooks import services
from mes.webhooks.tasks import deliver_webhooks_task
from production.execution.services import release_production_order
from production.tests.execution_factories import (
    LocationFactory,
    ProductionOrderFactory,
    make_routing,
)
from production.tests.factories import WorkCenterFactory

ROOT = Path(__file__).resolve().parent.parent
Status = WebhookDelivery.Status
needs_redis = pytest.mark.skipif(
    not settings.REDIS_URL, reason="needs Redis: set REDIS_URL=redis://… (CI does)"
)


@contextmanager
def broker_down():
    """Celery's broker is a port nobody listens on, as when Redis is down."""
    previous = (celery_app.conf.broker_url, celery_app._pool, celery_app.amqp._producer_pool)
    celery_app.conf.broker_url = "redis://127.0.0.1:1/0"
    celery_app._pool = celery_app.amqp._producer_pool = None  # new connections: to nowhere
    try:
        yield
    finally:
        services._requester.submit(lambda: None).result(timeout=60)  # the request was tried
        celery_app.pool.force_close_all()
        celery_app.conf.broker_url, celery_app._pool, celery_app.amqp._producer_pool = previous


def planned_order(code: str):
    LocationFactory()  # the stock the order draws from and receives into
    order = ProductionOrderFactory(code=code)
    make_routing(order.item, [WorkCenterFactory()])
    return order


@needs_redis
@pytest.mark.django_db(transaction=True)
def test_api_writes_go_on_with_redis_down_and_are_delivered_when_it_is_back(erp, webhook_receiver):
    assert celery_app.conf.task_always_eager is False
    subscribe(webhook_receiver.url)
    orders = [planned_order(f"PO-REDIS-{n}") for n in range(3)]
    with broker_down():
        for order in orders:
            url = reverse("production-order-release", kwargs={"code": order.code})
            assert erp.post(url).status_code == 200
    assert WebhookDelivery.objects.filter(status=Status.PENDING).count() == 3
    assert webhook_receiver.received == []

    def close_worker_connection(**kwargs):
        connection.close()

    task_postrun.connect(close_worker_connection, weak=False)
    try:  # Redis is back: the beat's sweep reaches a worker
        with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            deliver_webhooks_task.delay().get(timeout=30)
    finally:
        task_postrun.disconnect(close_worker_connection)
    assert [r.json["data"]["code"] for r in webhook_receiver.received] == [
        "PO-REDIS-0",
        "PO-REDIS-1",
        "PO-REDIS-2",
    ]


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@needs_redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_during_delivery_leaves_it_for_later_and_sends_it_twice_at_most(
    webhook_receiver,
):
    webhook_receiver.answer = lambda n: 30.0 if n == 1 else 200  # the first one hangs
    subscribe(webhook_receiver.url)
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "mes", "worker", "--pool", "solo", "-l", "warning"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": _database_url()},
    )
    try:  # the commit asks the worker, through Redis, to deliver
        release_production_order(planned_order("PO-KILLED"), actor=None)
        deadline = time.monotonic() + 90
        while not webhook_receiver.received and time.monotonic() < deadline:
            time.sleep(0.1)
        assert webhook_receiver.received, "the worker never reached the receiver"
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (Status.PENDING, 0)
    assert services.deliver_due() == 1  # the next sweep: the lock died with the worker
    first, second = webhook_receiver.received
    assert first.event_id == second.event_id == delivery.event.event_id
    delivery.refresh_from_db()
    assert delivery.status == Status.DELIVERED
