"""Shared pytest fixtures: people and API clients by role.

Tests run on PostgreSQL when DATABASE_URL points at it (CI always), else on
SQLite; tests marked ``postgres`` are skipped on SQLite with the reason given.
"""

from unittest import mock

import pytest
from django.db import connection
from rest_framework.test import APIClient

from mes.append_only import APPEND_ONLY_TABLES, append_only_statements
from mes.roles import MACHINE_ROLES
from mes.services import create_api_key, create_person


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return
    skip = pytest.mark.skip(
        reason="needs PostgreSQL (row locks and concurrent transactions); "
        "set DATABASE_URL=postgres://… to run it"
    )
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def sqlite_flush_keeps_the_ledger_append_only():
    """Let pytest-django empty an SQLite test database between transactional tests.

    SQLite's flush deletes rows, which the append-only tables' triggers refuse
    (PostgreSQL's flush truncates, which they allow). The flush drops them,
    deletes and makes them again: the tables stay append-only for every test.
    """
    if connection.vendor != "sqlite":
        yield
        return
    sql_flush = type(connection.ops).sql_flush

    def flush_around_triggers(self, style, tables, **kwargs):
        statements = sql_flush(self, style, tables, **kwargs)
        guarded = [table for table in APPEND_ONLY_TABLES if table in tables]
        create = [s for table in guarded for s in append_only_statements(table, "sqlite")[0]]
        drop = [s for table in guarded for s in append_only_statements(table, "sqlite")[1]]
        return [*drop, *statements, *create]

    with mock.patch.object(type(connection.ops), "sql_flush", flush_around_triggers):
        yield


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The real hasher costs ~0.5 s per password or PIN; tests hash many.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def no_request_rates(settings):
    # Tests send many requests per client (and user ids repeat across runs while the
    # cache, Redis in CI, remembers counts): throttling is tested on its own, with rates.
    settings.MES_API_RATE = None
    settings.MES_API_GATEWAY_RATE = None


@pytest.fixture
def is_postgres():
    return connection.vendor == "postgresql"


@pytest.fixture
def make_person(db):
    counter = iter(range(1, 10_000))

    def make(role: str, **kwargs):
        username = kwargs.pop("username", f"{role}{next(counter)}")
        return create_person(actor=None, username=username, role=role, **kwargs)

    return make


@pytest.fixture
def api_client_for(db, make_person):
    """An authenticated APIClient for a role: a Token key for machine roles, a session otherwise."""

    def make(role: str) -> APIClient:
        client = APIClient()
        if role in MACHINE_ROLES:
            key, raw = create_api_key(
                actor=None, name=f"{role}-client-{APIClient.__hash__(client)}", role=role
            )
            client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
            client.user = key.user
        else:
            user = make_person(role)
            client.force_authenticate(user)
            client.user = user
        return client

    return make


@pytest.fixture
def erp(api_client_for) -> APIClient:
    return api_client_for("erp")


@pytest.fixture
def manager(make_person):
    return make_person("plant_manager", password="s3cret-Pass-word")


@pytest.fixture(autouse=True)
def webhooks_delivered_by_the_test(settings):
    # Embedded mode's sender thread would race the tests; they call deliver_due themselves.
    settings.MES_WEBHOOK_IN_THREAD = False


@pytest.fixture
def webhook_receiver():
    from mes.tests.webhook_factories import Receiver

    receiver = Receiver()
    yield receiver
    receiver.close()
