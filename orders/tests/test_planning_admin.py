"""The "Plan production from open demand" button on the sales-order changelist."""

from datetime import date

import pytest
from django.test import Client

from inventory.models import Item
from production.models import ProductionOrder

from .factories import ItemFactory, SalesOrderFactory, line

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/orders/salesorder/"
PLAN = CHANGELIST + "plan-production/"


def signed_in(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def test_the_button_plans_and_says_what_it_created(make_person):
    planner = signed_in(make_person("planner", password="pw-Planner-1"))
    bracket = ItemFactory(code="BRACKET", kind=Item.Kind.PRODUCT)
    SalesOrderFactory(
        code="SO-1", lines=[line(1, item=bracket, qty="12", due_date=date(2026, 12, 1))]
    )

    listing = planner.get(CHANGELIST)
    assert b"Plan production from open demand" in listing.content

    response = planner.post(PLAN, follow=True)
    assert response.redirect_chain[-1][0] == CHANGELIST
    [order] = ProductionOrder.objects.all()
    assert (order.code, order.qty, order.sales_order_code) == ("PO-BRACKET-20261201", 12, "SO-1")
    messages = [str(m) for m in response.context["messages"]]
    assert messages == ["1 production order planned: PO-BRACKET-20261201 (BRACKET × 12)."]

    again = planner.post(PLAN, follow=True)
    assert [str(m) for m in again.context["messages"]] == [
        "Nothing to plan: stock and open production cover the open demand."
    ]
    assert ProductionOrder.objects.count() == 1


def test_only_people_who_may_add_production_orders_see_and_use_it(make_person):
    supervisor = signed_in(make_person("supervisor", password="pw-Super-1"))
    SalesOrderFactory(code="SO-1")
    assert b"Plan production from open demand" not in supervisor.get(CHANGELIST).content
    assert supervisor.post(PLAN).status_code == 403
    assert not ProductionOrder.objects.exists()


def test_a_get_plans_nothing(make_person):
    planner = signed_in(make_person("planner", password="pw-Planner-1"))
    SalesOrderFactory(code="SO-1")
    assert planner.get(PLAN).status_code == 405
    assert not ProductionOrder.objects.exists()
