"""Limits that protect the API: per-client request rates (429 with Retry-After), the page
size and request body caps, and `check --deploy` with the production settings."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache.backends.locmem import LocMemCache

from mes.api.throttling import ClientRateThrottle

from .factories import CustomerFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers/"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def rates(settings, monkeypatch):
    """Rates switched on, counted in a cache of this test's own."""
    monkeypatch.setattr(ClientRateThrottle, "cache", LocMemCache("throttle-test", {}))
    settings.MES_API_RATE = "3/minute"
    settings.MES_API_GATEWAY_RATE = "5/minute"
    return settings


def test_a_client_over_its_rate_gets_429_problem_with_retry_after(rates, api_client_for):
    client = api_client_for("erp")
    for _ in range(3):
        assert client.get(URL).status_code == 200
    response = client.get(URL)
    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "throttled"
    assert 0 < int(response["Retry-After"]) <= 60


def test_each_client_has_its_own_budget(rates, api_client_for):
    first, second = api_client_for("erp"), api_client_for("plant_manager")
    for _ in range(3):
        first.get(URL)
    assert first.get(URL).status_code == 429
    assert second.get(URL).status_code == 200


def test_gateways_have_the_machine_data_rate(rates, api_client_for):
    gateway = api_client_for("gateway")
    statuses = [gateway.get("/api/v1/machines/").status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]


def test_requests_refused_before_the_throttle_do_not_count(rates, api_client_for):
    client = api_client_for("readonly")
    for _ in range(5):
        assert client.post(URL, {"code": "X", "name": "x"}, format="json").status_code == 403
    assert client.get(URL).status_code == 200  # the refusals used none of the budget


def test_off_means_no_limit(rates, api_client_for):
    rates.MES_API_RATE = None
    client = api_client_for("erp")
    assert {client.get(URL).status_code for _ in range(10)} == {200}


def test_page_size_is_1_to_1000(erp):
    CustomerFactory.create_batch(3)
    assert len(erp.get(URL, {"page_size": 1000}).json()["results"]) == 3
    page = erp.get(URL, {"page_size": 1}).json()
    assert len(page["results"]) == 1 and page["next"]
    for bad in ("1001", "0", "-1", "abc", "", "１"):
        response = erp.get(URL, {"page_size": bad})
        assert response.status_code == 400, bad
        assert list(response.json()["errors"]) == ["page_size"]
    assert erp.get(URL + "?page_size=5&page_size=6").status_code == 400
    assert erp.get(URL + "?page=").status_code == 400


@pytest.mark.parametrize(
    "query,name",
    [
        ("updated_after=", "updated_after"),
        ("status=", "status"),
        ("is_active=maybe", "is_active"),
        ("code=A&code=B", "code"),
    ],
)
def test_a_filter_given_empty_twice_or_wrong_is_400(erp, query, name):
    path = "/api/v1/sales-orders/" if name == "status" else "/api/v1/machines/"
    if name == "code":
        path = URL
    response = erp.get(f"{path}?{query}")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [name]


def test_the_request_body_limit_is_a_setting(settings):
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 4 * 1024 * 1024


def test_check_deploy_is_clean_with_the_production_settings():
    env = {
        **os.environ,
        "MES_ENV": "production",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "mes.plant.local",
        "CSRF_TRUSTED_ORIGINS": "https://mes.plant.local",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
