"""Full mode: a task travels through Redis to a real Celery worker and back."""

from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.conf import settings
from django.db import connection
from django.utils import timezone

from mes import celery_app
from mes.models import IdempotencyRecord
from mes.tasks import purge_idempotency_records_task

pytestmark = pytest.mark.skipif(
    not settings.REDIS_URL, reason="needs Redis: set REDIS_URL=redis://… (CI does)"
)


@pytest.mark.django_db(transaction=True)
def test_purge_task_runs_on_a_worker_through_redis(make_person):
    owner = make_person("planner")
    now = timezone.now()
    for key, age in (("old", timedelta(hours=25)), ("fresh", timedelta(hours=1))):
        IdempotencyRecord.objects.create(
            owner=owner, key=key, request_hash="x", created_at=now - age, completed=True
        )
    assert celery_app.conf.task_always_eager is False
    celery_app.loader.import_module("celery.contrib.testing.tasks")

    def close_worker_connection(**kwargs):
        # The worker thread's connection would outlive the test database otherwise.
        connection.close()

    task_postrun.connect(close_worker_connection, weak=False)
    try:
        with start_worker(celery_app, pool="solo", perform_ping_check=True, shutdown_timeout=10):
            result = purge_idempotency_records_task.delay()
            assert result.get(timeout=30) == 1
    finally:
        task_postrun.disconnect(close_worker_connection)
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["fresh"]
