"""plan_production: open sales-order demand netted against stock and open production."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command

from inventory import services as inventory_services
from inventory.models import Item, Location
from inventory.tests.factories import UnitOfMeasureFactory
from mes.models import AuditEntry
from mes.testing import run_together
from orders.services import plan_production
from production.execution import services as execution
from production.models import ProductionOrder

from .factories import ItemFactory, SalesOrderFactory, line

TODAY = date(2026, 11, 20)
DEC_1, DEC_10 = date(2026, 12, 1), date(2026, 12, 10)


@pytest.fixture
def store(db):
    return inventory_services.create_location(actor=None, code="STOCK", name="Stock")


def receive(item: Item, qty: str, store: Location) -> None:
    inventory_services.receive_stock(actor=None, item=item, qty=Decimal(qty), location=store)


def open_order(code: str, item: Item, qty: str, due_date=DEC_1) -> ProductionOrder:
    return execution.create_production_order(
        actor=None, code=code, item=item, qty=Decimal(qty), due_date=due_date
    )


def orders_made():
    """(code, item, qty, due date, sales order, line) of every order, by code."""
    return [
        (o.code, o.item.code, o.qty, o.due_date, o.sales_order_code, o.sales_order_line)
        for o in ProductionOrder.objects.select_related("item").order_by("code")
    ]


@pytest.fixture
def pump(db):
    """PUMP (product) = 1 HOUSING + 2 ROTOR (semi-finished) + 4 SCREW (raw).

    ROTOR = 0.5 kg STEEL (raw); HOUSING has no BOM (made from nothing we track).
    """
    kg = UnitOfMeasureFactory(code="KG", name="kilogram", decimals=3)
    pump = ItemFactory(code="PUMP", kind=Item.Kind.PRODUCT)
    housing = ItemFactory(code="HOUSING", kind=Item.Kind.COMPONENT)
    rotor = ItemFactory(code="ROTOR", kind=Item.Kind.COMPONENT)
    screw = ItemFactory(code="SCREW", kind=Item.Kind.RAW)
    steel = ItemFactory(code="STEEL", kind=Item.Kind.RAW, uom=kg)
    inventory_services.set_bom(
        pump,
        actor=None,
        components=[
            {"item": housing, "qty_per": Decimal(1), "uom": None},
            {"item": rotor, "qty_per": Decimal(2), "uom": None},
            {"item": screw, "qty_per": Decimal(4), "uom": None},
        ],
    )
    inventory_services.set_bom(
        rotor, actor=None, components=[{"item": steel, "qty_per": Decimal("0.5"), "uom": None}]
    )
    return pump


# --- single level ---------------------------------------------------------------


def test_demand_is_netted_against_stock_and_open_production(store):
    bracket = ItemFactory(code="BRACKET", kind=Item.Kind.PRODUCT)
    SalesOrderFactory(code="SO-1", lines=[line(1, item=bracket, qty="100", due_date=DEC_1)])
    receive(bracket, "30", store)
    open_order("PO-OPEN", bracket, "20")

    result = plan_production(actor=None, today=TODAY)

    [order] = result.created
    assert (order.code, order.qty, order.due_date, order.status) == (
        "PO-BRACKET-20261201",
        Decimal(50),
        DEC_1,
        ProductionOrder.Status.PLANNED,
    )
    assert (order.sales_order_code, order.sales_order_line) == ("SO-1", 1)
    assert result.shortages == []
    [entry] = AuditEntry.objects.filter(model="production.productionorder", object_repr=order.code)
    assert entry.action == "create"


def test_shipped_quantity_is_not_demand_and_made_goods_are_not_open_production(store):
    bracket = ItemFactory(code="BRACKET", kind=Item.Kind.PRODUCT)
    SalesOrderFactory(code="SO-1", lines=[line(1, item=bracket, qty="100", due_date=DEC_1)])
    # Shipping arrives in another issue; the open quantity is what the line has not shipped.
    bracket.sales_order_lines.update(shipped_qty=Decimal(40))
    running = open_order("PO-OPEN", bracket, "30")
    ProductionOrder.objects.filter(pk=running.pk).update(status="in_progress", qty_good=10)

    [order] = plan_production(actor=None, today=TODAY).created
    assert order.qty == Decimal(40)  # 60 open − (30 − 10 made good) still to come


def test_stock_in_quarantine_is_not_available(store):
    bracket = ItemFactory(code="BRACKET", kind=Item.Kind.PRODUCT)
    SalesOrderFactory(code="SO-1", lines=[line(1, item=bracket, qty="100", due_date=DEC_1)])
    quarantine = inventory_services.create_location(
        actor=None, code="QUARANTINE", name="Quarantine", kind=Location.Kind.QUARANTINE
    )
    receive(bracket, "30", quarantine)
    receive(bracket, "25", store)

    [order] = plan_production(actor=None, today=TODAY).created
    assert order.qty == Decimal(75)


def test_cancelled_orders_are_not_open_production(store):
    bracket = ItemFactory(code="BRACKET", kind=Item.Kind.PRODUCT)
    SalesOrderFactory(code="SO-1", lines=[line(1, item=bracket, qty="100", due_date=DEC_1)])
    cancelled = open_order("PO-CANCELLED", bracket, "100")
    execution.cancel_production_order(cancelled, actor=None)

    [order] = plan_production(actor=None, today=TODAY).created
    assert order.qty == Decimal(100)


def test_demand_is_served_in_due_date_order_each_order_naming_its_line(store):
    bracket = ItemFactory(code="BRACKET", kind=Item.Kind.PRODUCT)
    SalesOrderFactory(code="SO-LATE", lines=[line(1, item=bracket, qty="40", due_date=DEC_10)])
    SalesOrderFactory(
        code="SO-EARLY",
        lines=[line(1, item=bracket, qty="30", due_date=DEC_1), line(2, qty="5", due_date=DEC_1)],
    )
    receive(bracket, "10", store)

    plan_production(actor=None, today=TODAY)

    products = [row for row in orders_made() if row[1] == "BRACKET"]
    assert products == [
        ("PO-BRACKET-20261201", "BRACKET", Decimal(20), DEC_1, "SO-EARLY", 1),
        ("PO-BRACKET-20261210", "BRACKET", Decimal(40), DEC_10, "SO-LATE", 1),
    ]


def test_two_orders_for_one_item_and_day_get_numbered_codes(store):
    bracket = ItemFactory(code="BRACKET", kind=Item.Kind.PRODUCT)
    SalesOrderFactory(code="SO-A", lines=[line(1, item=bracket, qty="5", due_date=DEC_1)])
    SalesOrderFactory(code="SO-B", lines=[line(1, item=bracket, qty="7", due_date=DEC_1)])

    plan_production(actor=None, today=TODAY)

    assert orders_made() == [
        ("PO-BRACKET-20261201", "BRACKET", Decimal(5), DEC_1, "SO-A", 1),
        ("PO-BRACKET-20261201-2", "BRACKET", Decimal(7), DEC_1, "SO-B", 1),
    ]


def test_nothing_to_plan_when_stock_covers_the_demand(store):
    bracket = ItemFactory(code="BRACKET", kind=Item.Kind.PRODUCT)
    SalesOrderFactory(code="SO-1", lines=[line(1, item=bracket, qty="10")])
    receive(bracket, "10", store)
    result = plan_production(actor=None, today=TODAY)
    assert (result.created, result.shortages) == ([], [])
    assert not ProductionOrder.objects.exists()


# --- multi level ------------------------------------------------------------------


def test_sub_assemblies_get_earlier_orders_and_raw_materials_are_reported_short(store, pump):
    SalesOrderFactory(code="SO-1", lines=[line(1, item=pump, qty="10", due_date=DEC_10)])
    receive(Item.objects.get(code="ROTOR"), "5", store)
    receive(Item.objects.get(code="SCREW"), "15", store)

    result = plan_production(actor=None, today=TODAY)

    sub_due = date(2026, 12, 8)  # MES_PLANNING_SUBASSEMBLY_LEAD_DAYS = 2 days earlier
    assert orders_made() == [
        ("PO-HOUSING-20261208", "HOUSING", Decimal(10), sub_due, "", None),
        ("PO-PUMP-20261210", "PUMP", Decimal(10), DEC_10, "SO-1", 1),
        ("PO-ROTOR-20261208", "ROTOR", Decimal(15), sub_due, "", None),
    ]
    assert [order.item.code for order in result.created] == ["PUMP", "HOUSING", "ROTOR"]
    assert [(s.item, s.qty, s.due_date) for s in result.shortages] == [
        ("SCREW", Decimal(25), sub_due),
        ("STEEL", Decimal("7.5"), date(2026, 12, 6)),
    ]


def test_lead_time_is_a_setting_and_no_order_is_due_before_today(store, pump, settings):
    settings.MES_PLANNING_SUBASSEMBLY_LEAD_DAYS = 5
    SalesOrderFactory(code="SO-1", lines=[line(1, item=pump, qty="1", due_date=DEC_10)])
    plan_production(actor=None, today=date(2026, 12, 7))
    due = {row[1]: row[3] for row in orders_made()}
    assert due == {"PUMP": DEC_10, "HOUSING": date(2026, 12, 7), "ROTOR": date(2026, 12, 7)}


def test_running_twice_creates_nothing_twice(store, pump):
    SalesOrderFactory(code="SO-1", lines=[line(1, item=pump, qty="10", due_date=DEC_10)])
    first = plan_production(actor=None, today=TODAY)
    made = orders_made()

    second = plan_production(actor=None, today=TODAY)

    assert len(first.created) == 3 and second.created == []
    assert orders_made() == made
    # The materials are still to buy: the planned orders still need them.
    assert second.shortages == first.shortages


def test_components_of_existing_planned_orders_are_demand(store, pump):
    open_order("PO-ERP", pump, "3", due_date=DEC_10)  # from the ERP, no sales order behind it
    plan_production(actor=None, today=TODAY)
    made = {row[1]: row[2] for row in orders_made()}
    assert made == {"PUMP": Decimal(3), "HOUSING": Decimal(3), "ROTOR": Decimal(6)}


# --- the management command ------------------------------------------------------


def test_command_plans_and_reports(store, pump, capsys):
    SalesOrderFactory(code="SO-1", lines=[line(1, item=pump, qty="2", due_date=DEC_10)])
    call_command("plan_production", "--today", "2026-11-20")
    out = capsys.readouterr().out
    assert "created PO-PUMP-20261210: 2 PUMP due 2026-12-10 for SO-1/1" in out
    assert "to buy: 8 SCREW by 2026-12-08" in out
    assert out.strip().endswith("3 production orders created, 2 raw material shortages.")
    assert ProductionOrder.objects.count() == 3


# --- two planning runs at once (PostgreSQL) --------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_create_each_order_once(pump):
    inventory_services.create_location(actor=None, code="STOCK", name="Stock")
    SalesOrderFactory(code="SO-1", lines=[line(1, item=pump, qty="10", due_date=DEC_10)])

    def plan():
        return plan_production(actor=None, today=TODAY)

    outcomes = run_together([plan] * 2)
    created = sorted(len(outcome.created) for outcome in outcomes)
    assert created == [0, 3], outcomes
    assert [row[1] for row in orders_made()] == ["HOUSING", "PUMP", "ROTOR"]
