"""Production order headers and the order state machine: create, upsert, release, cancel, close."""

from datetime import date
from decimal import Decimal

import pytest

from inventory.models import Item
from mes.errors import AlreadyExists, InvalidInput, InvalidTransition
from mes.models import AuditEntry
from production.execution import selectors, services
from production.models import Operation, OperationEvent, ProductionOrder

from .execution_factories import (
    ItemFactory,
    LocationFactory,
    ProductionOrderFactory,
    WorkCenterFactory,
    make_routing,
    operations_of,
    released_order,
)

pytestmark = pytest.mark.django_db

Status = ProductionOrder.Status


def order_values(**changes):
    return {
        "code": "PO-1",
        "item": "GEAR",
        "qty": "100",
        "due_date": date(2026, 12, 1),
        "priority": 2,
        "sales_order_code": "SO-1",
        "sales_order_line": 1,
        **changes,
    }


@pytest.fixture
def gear():
    return ItemFactory(code="GEAR", kind=Item.Kind.PRODUCT)


def test_create_takes_an_item_code_and_audits(gear):
    order = services.create_production_order(actor=None, **order_values())
    assert (order.item, order.qty, order.status) == (gear, Decimal("100"), Status.PLANNED)
    assert AuditEntry.objects.filter(model="production.productionorder").count() == 1
    with pytest.raises(AlreadyExists):
        services.create_production_order(actor=None, **order_values(qty="5"))
    assert ProductionOrder.objects.get().qty == 100


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"qty": "0"}, "qty"),
        ({"qty": "-1"}, "qty"),
        ({"qty": "abc"}, "qty"),
        ({"item": "NOPE"}, "item"),
        ({"sales_order_code": "", "sales_order_line": 3}, "sales_order_line"),
        ({"code": "bad code"}, "code"),
    ],
)
def test_create_refuses_bad_input_naming_the_field(gear, changes, field):
    with pytest.raises(InvalidInput) as refused:
        services.create_production_order(actor=None, **order_values(**changes))
    assert field in refused.value.errors
    assert not ProductionOrder.objects.exists()


def test_upsert_creates_replaces_while_planned_and_repeats_as_no_op(gear):
    order, created = services.upsert_production_order(actor=None, **order_values())
    assert created
    again, created = services.upsert_production_order(actor=None, **order_values())
    assert (again.pk, created) == (order.pk, False)
    assert AuditEntry.objects.filter(model="production.productionorder").count() == 1
    replaced, created = services.upsert_production_order(actor=None, **order_values(qty="120"))
    assert not created and replaced.qty == 120


def test_upsert_of_a_released_order_only_as_no_op(gear):
    make_routing(gear, [WorkCenterFactory()])
    LocationFactory()
    order = services.create_production_order(actor=None, **order_values())
    services.release_production_order(order, actor=None)
    same, created = services.upsert_production_order(actor=None, **order_values())
    assert not created and same.status == Status.RELEASED
    with pytest.raises(InvalidTransition):
        services.upsert_production_order(actor=None, **order_values(qty="7"))
    assert ProductionOrder.objects.get().qty == 100


def test_release_copies_the_routing_as_a_snapshot():
    order = released_order(steps=3)
    routing = order.routing
    assert order.status == Status.RELEASED and order.released_at is not None
    assert (order.issue_location.code, order.receipt_location.code) == ("STOCK", "STOCK")
    copied = [(op.seq, op.name, op.work_center_id) for op in operations_of(order)]
    assert copied == [
        (step.seq, step.name, step.work_center_id) for step in routing.operations.order_by("seq")
    ]
    # A new routing version later changes neither the order nor its operations.
    make_routing(order.item, [WorkCenterFactory()])
    order.refresh_from_db()
    assert order.routing == routing and [op.seq for op in operations_of(order)] == [10, 20, 30]
    assert all(op.status == Operation.Status.PENDING for op in operations_of(order))


def test_release_again_is_a_no_op():
    order = released_order()
    result = services.release_production_order(order, actor=None)
    assert result.order.status == Status.RELEASED and result.shortages == []
    assert order.operations.count() == 2


def test_release_without_routing_changes_nothing():
    LocationFactory()
    order = ProductionOrderFactory()
    with pytest.raises(InvalidTransition, match="routing"):
        services.release_production_order(order, actor=None)
    order.refresh_from_db()
    assert order.status == Status.PLANNED and not order.operations.exists()


def test_release_names_a_missing_location(settings):
    settings.MES_RECEIPT_LOCATION = "FG"
    LocationFactory(code="STOCK")
    order = ProductionOrderFactory()
    make_routing(order.item, [WorkCenterFactory()])
    with pytest.raises(InvalidTransition, match="FG"):
        services.release_production_order(order, actor=None)
    order.refresh_from_db()
    assert order.status == Status.PLANNED and not order.operations.exists()
    assert order.receipt_location is None


def put_order_in(status: str) -> ProductionOrder:
    """An order of one operation, driven to ``status`` through the services."""
    if status == Status.PLANNED:
        return ProductionOrderFactory()
    order = released_order(steps=1)
    if status == Status.CANCELLED:
        services.cancel_production_order(order, actor=None)
    elif status != Status.RELEASED:
        [operation] = operations_of(order)
        services.start_operation(operation, actor=None)
        if status in {Status.COMPLETED, Status.CLOSED}:
            services.complete_operation(operation, actor=None)
        if status == Status.CLOSED:
            services.close_production_order(order, actor=None)
    order.refresh_from_db()
    assert order.status == status
    return order


ORDER_COMMANDS = {
    "release": (services.release_production_order, Status.RELEASED),
    "cancel": (services.cancel_production_order, Status.CANCELLED),
    "close": (services.close_production_order, Status.CLOSED),
}


@pytest.mark.parametrize("command", ORDER_COMMANDS)
@pytest.mark.parametrize("status", Status.values)
def test_order_state_machine(status, command):
    """Every order command from every status: the table's moves, repeats as no-ops, else 409."""
    service, target = ORDER_COMMANDS[command]
    order = put_order_in(status)
    if command == "release" and status == Status.PLANNED:
        make_routing(order.item, [WorkCenterFactory()])
        LocationFactory()
    audit_before = AuditEntry.objects.count()
    legal = target in ProductionOrder.TRANSITIONS[status]
    if legal or status == target:
        service(order, actor=None)
        order.refresh_from_db()
        assert order.status == target
        assert (AuditEntry.objects.count() > audit_before) == legal
    else:
        with pytest.raises(InvalidTransition):
            service(order, actor=None)
        order.refresh_from_db()
        assert order.status == status
        assert AuditEntry.objects.count() == audit_before


def test_cancel_cancels_the_pending_operations_with_history():
    order = released_order(steps=2)
    services.cancel_production_order(order, actor=None)
    assert {op.status for op in operations_of(order)} == {Operation.Status.CANCELLED}
    events = OperationEvent.objects.filter(operation__order=order)
    assert [(e.kind, e.from_status, e.to_status) for e in events] == [
        ("cancel", "pending", "cancelled")
    ] * 2


def test_update_in_admin_only_while_planned(gear):
    order = services.create_production_order(actor=None, **order_values())
    values = {**order_values(qty="50"), "item": gear}
    values.pop("code")
    assert services.update_production_order(order, actor=None, **values).qty == 50


def test_list_production_orders_loads_operations_in_constant_queries(django_assert_num_queries):
    for _ in range(3):
        released_order(steps=3)
    with django_assert_num_queries(2):
        orders = list(selectors.list_production_orders())
        assert [op.work_center.code for op in orders[0].operations.all()]
        assert all(len(order.operations.all()) == 3 for order in orders)
