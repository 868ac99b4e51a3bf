"""Fixtures of the production tests."""

import pytest

from mes.celery import app as celery_app


@pytest.fixture
def tasks_in_process():
    """Run Celery tasks in this process even when REDIS_URL names a broker."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous
