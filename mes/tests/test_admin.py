"""The admin: who may sign in, the matrix on admin pages, and the read-only audit trail."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from mes.models import AuditEntry
from mes.roles import Role
from mes.services import create_api_key
from orders import services as customer_services
from orders.models import Customer

pytestmark = pytest.mark.django_db

PASSWORD = "Correct-Horse-2026!"
CUSTOMERS = "/admin/orders/customer/"


def sign_in(username: str, password: str = PASSWORD) -> tuple[Client, object]:
    client = Client()
    response = client.post(
        "/admin/login/", {"username": username, "password": password, "next": "/admin/"}
    )
    return client, response


def assert_refused_sign_in(response):
    assert response.status_code == 200  # the login form again, with an error
    assert response.context["form"].errors
    assert "_auth_user_id" not in response.wsgi_request.session


def assert_sent_to_login(client: Client, url: str = "/admin/"):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_erp_key_user_cannot_sign_in_to_the_admin():
    key, raw = create_api_key(actor=None, name="erp", role=Role.ERP)
    assert not key.user.has_usable_password() and not key.user.is_staff

    for password in ("", raw, "anything"):
        _client, response = sign_in(key.user.username, password)
        if password:
            assert_refused_sign_in(response)

    client = Client()
    client.force_login(key.user)  # even a session for it: the admin wants staff
    assert_sent_to_login(client)
    assert_sent_to_login(client, CUSTOMERS)


def test_planner_signs_in_and_sees_and_changes_customers(make_person):
    planner = make_person(Role.PLANNER, password=PASSWORD)
    customer = customer_services.create_customer(actor=None, code="HMC", name="Hyundai")

    client, response = sign_in(planner.username)
    assert response.status_code == 302 and response["Location"] == "/admin/"
    listing = client.get(CUSTOMERS)
    assert listing.status_code == 200
    assert "HMC" in listing.content.decode()

    response = client.post(f"{CUSTOMERS}{customer.pk}/change/", {"code": "HMC", "name": "Mobis"})
    assert response.status_code == 302, response.content
    assert Customer.objects.get(code="HMC").name == "Mobis"
    change = AuditEntry.objects.get(model="orders.customer", action="update")
    assert change.changes == {"name": ["Hyundai", "Mobis"]}
    assert change.actor == planner

    response = client.post(f"{CUSTOMERS}add/", {"code": "KIA", "name": "Kia"})
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="create", object_repr__startswith="KIA").exists()


def test_admin_create_of_an_existing_code_is_a_form_error_not_a_500(make_person):
    planner = make_person(Role.PLANNER)
    customer_services.create_customer(actor=None, code="HMC", name="Hyundai")
    client = Client()
    client.force_login(planner)
    response = client.post(f"{CUSTOMERS}add/", {"code": "HMC", "name": "Other"})
    assert response.status_code in (200, 302)
    assert Customer.objects.get(code="HMC").name == "Hyundai"


def test_operator_cannot_use_the_admin(make_person):
    operator = make_person(Role.OPERATOR, password=PASSWORD)
    assert not operator.is_staff
    _client, response = sign_in(operator.username)
    assert_refused_sign_in(response)
    client = Client()
    client.force_login(operator)
    assert_sent_to_login(client)
    assert_sent_to_login(client, CUSTOMERS)


def test_quality_inspector_views_customers_but_cannot_add_or_change(make_person):
    inspector = make_person(Role.QUALITY_INSPECTOR)
    customer = customer_services.create_customer(actor=None, code="HMC", name="Hyundai")
    client = Client()
    client.force_login(inspector)

    assert client.get(CUSTOMERS).status_code == 200
    assert client.get(f"{CUSTOMERS}{customer.pk}/change/").status_code == 200  # view only
    assert client.get(f"{CUSTOMERS}add/").status_code == 403
    assert client.post(f"{CUSTOMERS}add/", {"code": "KIA", "name": "Kia"}).status_code == 403
    response = client.post(f"{CUSTOMERS}{customer.pk}/change/", {"code": "HMC", "name": "X"})
    assert response.status_code == 403
    assert list(Customer.objects.values_list("code", "name")) == [("HMC", "Hyundai")]


@pytest.fixture
def superuser():
    return get_user_model().objects.create_superuser("root", password=PASSWORD)


@pytest.mark.parametrize("role", [None, Role.PLANT_MANAGER])
def test_audit_entries_are_read_only_for_everyone(make_person, superuser, role):
    customer = customer_services.create_customer(actor=None, code="HMC", name="Hyundai")
    entry = AuditEntry.objects.get(model="orders.customer", object_id=str(customer.pk))
    user = superuser if role is None else make_person(role)
    client = Client()
    client.force_login(user)
    url = f"/admin/mes/auditentry/{entry.pk}/"
    entries_before = AuditEntry.objects.count()

    assert client.get("/admin/mes/auditentry/").status_code == 200
    page = client.get(f"{url}change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert client.post(f"{url}change/", {"actor_label": "forged"}).status_code == 403
    assert client.get("/admin/mes/auditentry/add/").status_code == 403
    assert client.post(f"{url}delete/", {"post": "yes"}).status_code == 403
    bulk_delete = client.post(
        "/admin/mes/auditentry/", {"action": "delete_selected", "_selected_action": [entry.pk]}
    )
    assert bulk_delete.status_code in (200, 302)
    entry.refresh_from_db()
    assert entry.actor_label == "system"
    assert AuditEntry.objects.count() == entries_before


def test_customer_history_page_shows_the_audit_trail_old_to_new(make_person):
    planner = make_person(Role.PLANNER)
    customer = customer_services.create_customer(actor=planner, code="HMC", name="Hyundai")
    customer_services.update_customer(customer, actor=planner, name="Hyundai Mobis")
    client = Client()
    client.force_login(planner)

    response = client.get(f"{CUSTOMERS}{customer.pk}/history/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<strong>name</strong>: Hyundai → Hyundai Mobis" in html
    assert "<strong>name</strong>: — → Hyundai" in html  # the create
    assert html.count(planner.username) >= 2


def test_history_of_a_missing_record_redirects_instead_of_failing(make_person):
    client = Client()
    client.force_login(make_person(Role.PLANNER))
    response = client.get(f"{CUSTOMERS}999999/history/")
    assert response.status_code == 302
