"""Every answer under /api/ that is not a success is RFC 9457 problem+json; bad input never 500s."""

import json
import re
from io import StringIO

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS
from rest_framework.test import APIClient

from orders.models import Customer

from .factories import CustomerFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers/"
PROBLEM = "application/problem+json"


@pytest.fixture
def erp_no_raise(erp):
    """The ERP client, but a server error comes back as a response instead of raising."""
    client = APIClient(raise_request_exception=False)
    client.credentials(**erp._credentials)
    return client


def assert_problem(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith("urn:mes:problem:")
    assert body["title"] and body["detail"]
    if code:
        assert body["code"] == code
    return body


@pytest.mark.parametrize("path", ["/api/v1/nope/", "/api/v1/nope", "/api/v2/customers/", "/api/"])
def test_unknown_api_path_is_404_problem(erp, path):
    assert_problem(erp.get(path), 404, "not_found")


def test_unknown_customer_is_404_problem(erp):
    assert_problem(erp.get(URL + "NOPE/"), 404, "not_found")
    assert_problem(erp.patch(URL + "NOPE/", {"name": "x"}, format="json"), 404, "not_found")


@pytest.mark.parametrize("role", ["erp", "plant_manager"])
def test_delete_on_a_customer_is_405_whatever_the_role(api_client_for, role):
    CustomerFactory(code="HMC")
    client = api_client_for(role)
    assert_problem(client.delete(URL + "HMC/"), 405, "method_not_allowed")
    assert_problem(client.delete(URL), 405, "method_not_allowed")
    assert Customer.objects.filter(code="HMC").exists()


def test_delete_by_anonymous_is_still_401(erp):
    CustomerFactory(code="HMC")
    assert_problem(APIClient().delete(URL + "HMC/"), 401)


@pytest.mark.parametrize(
    "content_type, body",
    [
        ("application/x-www-form-urlencoded", b"code=X&name=y"),
        ("text/plain", b'{"code": "X", "name": "y"}'),
        ("application/xml", b"<customer code='X'/>"),
    ],
)
def test_a_body_that_is_not_json_is_415(erp, content_type, body):
    response = erp.generic("POST", URL, body, content_type=content_type)
    assert_problem(response, 415, "unsupported_media_type")
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        b'{"code": "X", ',
        b"{'code': 'X'}",
        b'{"code": "X", "name": NaN}',
        b'{"code": "X", "name": "\xff\xfe"}',  # not UTF-8
        b"[" * 100_000 + b"]" * 100_000,  # deeper than Python's parser goes
    ],
)
def test_malformed_json_is_400_parse_error(erp_no_raise, body):
    for method, url in (("POST", URL), ("PUT", URL + "X/"), ("PATCH", URL + "X/")):
        if method == "PATCH":
            CustomerFactory(code="X", name="Before")
        response = erp_no_raise.generic(method, url, body, content_type="application/json")
        assert_problem(response, 400, "parse_error")
    assert list(Customer.objects.values_list("name", flat=True)) == ["Before"]


@pytest.mark.parametrize("body", [b"[1, 2]", b'"text"', b"42", b"null"])
def test_json_that_is_not_an_object_is_400(erp_no_raise, body):
    for method, url in (("POST", URL), ("PUT", URL + "X/")):
        response = erp_no_raise.generic(method, url, body, content_type="application/json")
        assert response.status_code == 400, (method, body, response.content)
        assert response["Content-Type"] == PROBLEM
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    "field, value",
    [
        ("name", "nul\x00byte"),
        ("code", "nul\x00byte"),
        ("name", "x" * 201),
        ("code", "C" * 65),
        ("name", ""),
        ("name", None),
        ("name", {"nested": "object"}),
    ],
)
def test_bad_field_values_are_400_naming_the_field_on_every_write(erp_no_raise, field, value):
    CustomerFactory(code="OLD", name="Old")
    good = {"code": "NEW", "name": "New"}
    writes = [
        ("post", URL, {**good, field: value}),
        ("put", URL + "NEW/", {**good, field: value}),
    ]
    if field == "name":
        writes.append(("patch", URL + "OLD/", {field: value}))
    for method, url, body in writes:
        response = getattr(erp_no_raise, method)(url, body, format="json")
        problem = assert_problem(response, 400, "invalid")
        assert field in problem["errors"], (method, problem)
    assert list(Customer.objects.values_list("code", "name")) == [("OLD", "Old")]


@pytest.mark.parametrize(
    "params, field",
    [
        ({"updated_after": "yesterday"}, "updated_after"),
        ({"updated_after": "2026-13-01T00:00:00Z"}, "updated_after"),
        ({"code": "a\x00b"}, "code"),
        ({"name": "a\x00b"}, "name"),
    ],
)
def test_bad_filters_are_400_naming_the_parameter(erp_no_raise, params, field):
    assert field in assert_problem(erp_no_raise.get(URL, params), 400, "invalid")["errors"]


@pytest.mark.parametrize(
    "updated_after, expect_old",
    [
        ("0001-01-01", True),  # before year 1 in UTC when read in Seoul time
        ("0001-01-01T00:00:00+14:00", True),
        ("9999-12-31T23:59:59-14:00", False),  # after year 9999 in UTC
        ("9999-12-31", False),
    ],
)
def test_updated_after_at_the_ends_of_the_calendar_is_not_a_500(
    erp_no_raise, updated_after, expect_old
):
    CustomerFactory(code="OLD")
    response = erp_no_raise.get(URL, {"updated_after": updated_after})
    assert response.status_code == 200, response.content
    assert [r["code"] for r in response.json()["results"]] == (["OLD"] if expect_old else [])


@pytest.mark.parametrize("params", [{"page": "abc"}, {"page": "99999999999999999999"}])
def test_a_page_that_does_not_exist_is_404_problem(erp, params):
    assert_problem(erp.get(URL, params), 404, "not_found")


def test_a_body_over_the_upload_limit_is_413_problem(erp, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"code": "BIG", "name": "x" * 2000}).encode()
    for headers in ({}, {"HTTP_IDEMPOTENCY_KEY": "big"}):
        response = erp.generic("POST", URL, body, content_type="application/json", **headers)
        assert_problem(response, 413, "too_large")
    assert not Customer.objects.exists()


def test_html_only_accept_is_406_problem(erp):
    assert_problem(erp.get(URL, HTTP_ACCEPT="text/html"), 406)


def test_an_unexpected_error_is_a_500_problem_without_details(erp_no_raise, monkeypatch):
    def crash(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("orders.services.create_record", crash)
    response = erp_no_raise.post(URL, {"code": "X", "name": "y"}, format="json")
    body = assert_problem(response, 500, "server_error")
    assert "secret" not in json.dumps(body)


# --- the OpenAPI schema and its UI --------------------------------------------


def test_the_openapi_schema_renders_and_lists_customers(erp):
    response = erp.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    assert {"/api/v1/customers/", "/api/v1/customers/{code}/"} <= set(schema["paths"])
    assert "TokenAuth" in schema["components"]["securitySchemes"]


def test_the_openapi_schema_is_valid_without_warnings(tmp_path):
    GENERATOR_STATS.reset()  # warnings of earlier schema builds in this process
    out = tmp_path / "openapi.yaml"
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(out), stderr=StringIO()
    )
    assert "/api/v1/customers/{code}/" in out.read_text()


def test_swagger_ui_is_served_from_the_sidecar_without_any_cdn(erp):
    response = erp.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert not re.search(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", html)
    assert "cdn" not in html.lower()
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "swagger-ui-standalone-preset.js"):
        assert finders.find(f"drf_spectacular_sidecar/swagger-ui-dist/{asset}"), asset
