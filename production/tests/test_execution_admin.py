"""Production order admin: planners create orders through the service; actions call services."""

import pytest
from django.test import Client

from mes.errors import InvalidTransition
from mes.models import AuditEntry
from production.execution import services
from production.models import ProductionOrder

from .execution_factories import (
    ItemFactory,
    ProductionOrderFactory,
    WorkCenterFactory,
    make_routing,
    operations_of,
    released_order,
)

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/production/productionorder/"


def browser_for(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def test_a_planner_creates_an_order_through_the_service(make_person):
    planner = browser_for(make_person("planner"))
    item = ItemFactory(code="GEAR")
    response = planner.post(
        f"{CHANGELIST}add/",
        {
            "code": "PO-1",
            "item": item.pk,
            "qty": "12",
            "due_date": "2026-12-01",
            "priority": "0",
            "sales_order_code": "",
            "sales_order_line": "",
            "operations-TOTAL_FORMS": "0",
            "operations-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content
    order = ProductionOrder.objects.get(code="PO-1")
    assert (order.qty, order.status, order.created_by.username) == (12, "planned", "planner1")
    assert AuditEntry.objects.filter(model="production.productionorder").count() == 1
    assert planner.get(f"{CHANGELIST}{order.pk}/change/").status_code == 200
    response = planner.post(
        f"{CHANGELIST}{order.pk}/change/",
        {
            "item": item.pk,
            "qty": "20",
            "due_date": "2026-12-02",
            "priority": "1",
            "sales_order_code": "",
            "sales_order_line": "",
            "operations-TOTAL_FORMS": "0",
            "operations-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content
    order.refresh_from_db()
    assert (order.code, order.qty, order.priority) == ("PO-1", 20, 1)
    assert planner.get(f"{CHANGELIST}?status__exact=planned&q=PO-1").status_code == 200


def test_release_cancel_and_close_actions(manager):
    browser = browser_for(manager)
    ready = ProductionOrderFactory(code="PO-READY")
    make_routing(ready.item, [WorkCenterFactory()])
    ProductionOrderFactory(code="PO-NO-ROUTING")
    running = released_order(code="PO-RUNNING", steps=1)
    services.start_operation(operations_of(running)[0], actor=None)
    ids = list(ProductionOrder.objects.values_list("pk", flat=True))

    response = browser.post(CHANGELIST, {"action": "release", "_selected_action": ids}, follow=True)
    messages = [str(m) for m in response.context["messages"]]
    assert any("PO-NO-ROUTING" in m and "routing" in m for m in messages)
    assert any("PO-RUNNING" in m for m in messages)
    assert any("1 order released" in m for m in messages)
    assert ProductionOrder.objects.get(code="PO-READY").status == "released"

    response = browser.post(CHANGELIST, {"action": "cancel", "_selected_action": ids}, follow=True)
    assert dict(ProductionOrder.objects.values_list("code", "status")) == {
        "PO-READY": "cancelled",
        "PO-NO-ROUTING": "cancelled",
        "PO-RUNNING": "in_progress",
    }
    response = browser.post(CHANGELIST, {"action": "close", "_selected_action": ids}, follow=True)
    messages = [str(m) for m in response.context["messages"]]
    assert len(messages) == 3  # none is completed: each refused by name
    assert not ProductionOrder.objects.filter(status="closed").exists()


def test_history_is_read_only(manager):
    browser = browser_for(manager)
    order = released_order(code="PO-9", steps=1)
    for path in ("operation", "operationevent", "labourrecord", "lotgenealogy"):
        assert browser.get(f"/admin/production/{path}/").status_code == 200
        assert browser.get(f"/admin/production/{path}/add/").status_code == 403
    page = browser.get(f"{CHANGELIST}{order.pk}/change/")
    assert page.status_code == 200 and b'name="qty"' not in page.content  # released: read-only


def test_only_planned_orders_can_be_deleted(manager):
    planned = ProductionOrderFactory(code="PO-PLANNED")
    running = released_order(code="PO-RELEASED", steps=1)
    operation = operations_of(running)[0]
    services.start_operation(operation, actor=None)
    events_before = operation.events.count()
    browser = browser_for(manager)

    # A released order's operations and history would go with it: refused, nothing deleted.
    refused = browser.post(
        CHANGELIST,
        {"action": "delete_selected", "post": "yes", "_selected_action": [planned.pk, running.pk]},
    )
    assert refused.status_code == 403
    assert ProductionOrder.objects.filter(code__in=["PO-PLANNED", "PO-RELEASED"]).count() == 2
    assert operation.events.count() == events_before
    with pytest.raises(InvalidTransition):
        services.delete_production_order(running, actor=manager)
    assert ProductionOrder.objects.filter(code="PO-RELEASED").exists()

    deleted = browser.post(
        CHANGELIST, {"action": "delete_selected", "post": "yes", "_selected_action": [planned.pk]}
    )
    assert deleted.status_code == 302
    assert not ProductionOrder.objects.filter(code="PO-PLANNED").exists()
    assert AuditEntry.objects.filter(
        model="production.productionorder", object_id=str(planned.pk), action="delete"
    ).exists()
