"""Embedded mode (no REDIS_URL): Celery runs tasks in-process; the idempotency purge."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from mes.celery import app as celery_app
from mes.models import IdempotencyRecord
from mes.tasks import purge_idempotency_records_task

from .factories import IdempotencyRecordFactory

PROJECT_DIR = Path(__file__).resolve().parents[2]


def celery_settings_with(**env: str) -> list[str]:
    """CELERY_TASK_ALWAYS_EAGER and the broker URL, as a fresh process reads them."""
    environment = {k: v for k, v in os.environ.items() if k != "REDIS_URL"} | env
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.CELERY_TASK_ALWAYS_EAGER, s.CELERY_BROKER_URL)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_DIR,
        env=environment | {"DJANGO_SETTINGS_MODULE": "mes.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.split()


def test_without_redis_url_celery_is_eager_in_memory():
    assert celery_settings_with() == ["True", "memory://"]


def test_with_redis_url_celery_uses_the_broker():
    assert celery_settings_with(REDIS_URL="redis://127.0.0.1:6379/0") == [
        "False",
        "redis://127.0.0.1:6379/0",
    ]


def test_this_process_celery_follows_its_mode():
    # Eager exactly when no Redis is configured (embedded mode); CI runs full mode.
    assert celery_app.conf.task_always_eager is (not settings.REDIS_URL)
    assert settings.CELERY_TASK_ALWAYS_EAGER is (not settings.REDIS_URL)


@pytest.mark.django_db
def test_the_purge_deletes_only_records_older_than_the_ttl(erp):
    now = timezone.now()
    ttl = settings.IDEMPOTENCY_TTL
    ages = {
        "expired-done": (ttl + timedelta(minutes=1), True),
        "expired-abandoned": (ttl + timedelta(days=3), False),
        "fresh-done": (ttl - timedelta(minutes=1), True),
        "fresh-in-flight": (timedelta(0), False),
    }
    for key, (age, completed) in ages.items():
        IdempotencyRecordFactory(owner=erp.user, key=key, created_at=now - age, completed=completed)

    # Eager in embedded mode; apply() runs it here in full mode (REDIS_URL set) too.
    task = purge_idempotency_records_task
    result = task.delay() if settings.CELERY_TASK_ALWAYS_EAGER else task.apply()

    assert result.get(timeout=10) == 2
    assert sorted(IdempotencyRecord.objects.values_list("key", flat=True)) == [
        "fresh-done",
        "fresh-in-flight",
    ]


def test_the_purge_runs_every_hour_in_full_mode():
    schedule = settings.CELERY_BEAT_SCHEDULE["purge-expired-idempotency-records"]
    assert schedule["task"] == purge_idempotency_records_task.name
    assert schedule["schedule"] <= settings.IDEMPOTENCY_TTL
