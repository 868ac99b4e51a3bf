import pytest
from django.test import Client

from orders.models import SalesOrder, SalesOrderLine

from .factories import SalesOrderFactory, line

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/orders/salesorder/"


@pytest.fixture
def browser(manager) -> Client:
    client = Client()
    client.force_login(manager)
    return client


def test_orders_are_shown_with_their_lines_but_not_edited(browser):
    order = SalesOrderFactory(code="SO-1", lines=[line(1), line(2)])
    listing = browser.get(CHANGELIST)
    assert listing.status_code == 200
    assert b"SO-1" in listing.content and b"from the ERP" in listing.content

    page = browser.get(f"{CHANGELIST}{order.pk}/change/")
    assert page.status_code == 200
    assert b'name="_save"' not in page.content  # view only: no form to save
    assert browser.get(f"{CHANGELIST}add/").status_code == 403
    assert browser.get(f"{CHANGELIST}{order.pk}/history/").status_code == 200


def test_cancel_action_goes_through_the_service(browser):
    shipped = SalesOrderFactory(code="SO-SHIPPED")
    SalesOrderLine.objects.filter(order=shipped).update(shipped_qty=1)
    SalesOrderFactory(code="SO-OPEN")
    ids = list(SalesOrder.objects.values_list("pk", flat=True))
    response = browser.post(
        CHANGELIST, {"action": "cancel_orders", "_selected_action": ids}, follow=True
    )
    assert response.status_code == 200
    assert dict(SalesOrder.objects.values_list("code", "status")) == {
        "SO-OPEN": "cancelled",
        "SO-SHIPPED": "open",
    }
    messages = [str(m) for m in response.context["messages"]]
    assert any("SO-SHIPPED" in m for m in messages)
    assert any("1 order cancelled" in m for m in messages)
