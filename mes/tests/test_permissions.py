"""The role matrix on the API, read from MATRIX itself, and how clients authenticate."""

import pytest
from rest_framework.test import APIClient

from mes.roles import MACHINE_ROLES, MATRIX, Role, area_of
from mes.services import create_api_key, revoke_api_key
from orders.models import Customer

from .factories import CustomerFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers/"
PROBLEM = "application/problem+json"

# What each request needs from the matrix letters, and what it does when granted.
REQUESTS = {
    "GET list": ("r", "get", URL, None, 200),
    "POST": ("w", "post", URL, {"code": "NEW", "name": "New"}, 201),
    "PUT": ("w", "put", URL + "OLD/", {"name": "Replaced"}, 200),
    "PATCH": ("w", "patch", URL + "OLD/", {"name": "Patched"}, 200),
}


def test_customer_is_master_data():
    assert area_of(Customer) == "master_data"


@pytest.mark.parametrize("request_name", REQUESTS)
@pytest.mark.parametrize("role", list(Role))
def test_every_role_may_do_on_customers_exactly_what_the_matrix_grants(
    api_client_for, role, request_name
):
    letter, method, url, body, granted_status = REQUESTS[request_name]
    CustomerFactory(code="OLD", name="Old")
    client = api_client_for(role)

    response = getattr(client, method)(url, body, format="json")

    if letter in MATRIX[role].get(area_of(Customer), ""):
        assert response.status_code == granted_status, response.content
    else:
        assert response.status_code == 403, response.content
        assert response["Content-Type"] == PROBLEM
        assert response.json()["code"] == "permission_denied"
        assert list(Customer.objects.values_list("code", "name")) == [("OLD", "Old")]


def test_machine_roles_are_the_api_key_roles_and_people_the_rest():
    assert {Role.ERP, Role.GATEWAY, Role.READONLY} == MACHINE_ROLES


def test_operator_cannot_change_master_data(api_client_for):
    CustomerFactory(code="OLD", name="Old")
    operator = api_client_for(Role.OPERATOR)
    assert operator.get(URL + "OLD/").status_code == 200
    assert operator.patch(URL + "OLD/", {"name": "x"}, format="json").status_code == 403
    assert operator.put(URL + "OLD/", {"name": "x"}, format="json").status_code == 403
    assert operator.post(URL, {"code": "N", "name": "x"}, format="json").status_code == 403
    assert list(Customer.objects.values_list("code", "name")) == [("OLD", "Old")]


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete", "head", "options"])
def test_anonymous_is_401_problem_with_www_authenticate(method):
    CustomerFactory(code="OLD")
    url = URL if method in {"get", "post", "head", "options"} else URL + "OLD/"
    response = getattr(APIClient(), method)(url, {"code": "N", "name": "x"}, format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response["Content-Type"] == PROBLEM
    if method != "head":
        assert response.json()["status"] == 401
    assert Customer.objects.count() == 1


def test_revoked_key_is_401():
    key, raw = create_api_key(actor=None, name="old-erp", role=Role.ERP)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    assert client.get(URL).status_code == 200

    revoke_api_key(key, actor=None)

    response = client.get(URL)
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    assert response["WWW-Authenticate"] == "Token"
    assert client.post(URL, {"code": "N", "name": "x"}, format="json").status_code == 401
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    "header",
    [
        "Token",  # no key
        "Token two parts",
        "Token mes_not-a-real-key",
        "Token \xff\xfe",  # not ASCII
        "Bearer abc",  # another scheme: no credentials at all
        "Basic dXNlcjpwYXNz",
    ],
)
def test_malformed_or_unknown_authorization_is_401_problem(header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    for response in (
        client.get(URL),
        client.post(URL, {"code": "N", "name": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="k"),
    ):
        assert response.status_code == 401
        assert response["Content-Type"] == PROBLEM
        assert response["WWW-Authenticate"] == "Token"
        assert response.json()["code"] in {"authentication_failed", "not_authenticated"}
    assert not Customer.objects.exists()


def test_session_signed_in_person_is_held_to_the_same_matrix_and_needs_csrf(make_person):
    planner = make_person(Role.PLANNER)
    inspector = make_person(Role.QUALITY_INSPECTOR)
    for user, granted in ((planner, True), (inspector, False)):
        client = APIClient(enforce_csrf_checks=True)
        client.force_login(user)
        client.get("/admin/")  # the admin (its sign-out form) hands out the CSRF cookie
        token = client.cookies["csrftoken"].value
        body = {"code": f"BY-{user.username}", "name": "x"}

        assert client.get(URL).status_code == 200
        assert client.post(URL, body, format="json").status_code == 403  # no CSRF token
        response = client.post(URL, body, format="json", HTTP_X_CSRFTOKEN=token)
        assert response.status_code == (201 if granted else 403)
    assert list(Customer.objects.values_list("code", flat=True)) == [f"BY-{planner.username}"]
