"""Materials of orders: shortages, back-flush, named lots, finished lots, genealogy, trace."""

from decimal import Decimal

import pytest

from inventory import selectors as inventory_selectors
from inventory import services as inventory_services
from inventory.models import Item, Location, Lot, StockMove
from mes.errors import InsufficientStock, InvalidInput
from production.execution import selectors, services
from production.models import LotGenealogy, OperationEvent, ProductionOrder

from .execution_factories import (
    ItemFactory,
    LocationFactory,
    MachineFactory,
    make_bom,
    operations_of,
    released_order,
    scrap_reason,
)

pytestmark = pytest.mark.django_db

LOT = Item.Tracking.LOT


def receive(item: Item, qty: str, lot: str | None = None) -> None:
    inventory_services.receive_stock(
        actor=None, item=item, qty=Decimal(qty), location=LocationFactory(), lot_code=lot
    )


def on_hand(item: Item, lot: str | None = None) -> Decimal:
    found = Lot.objects.get(item=item, code=lot) if lot else None
    return inventory_selectors.get_on_hand(item, lot=found)


@pytest.fixture
def steel():
    item = ItemFactory(code="STEEL", kind=Item.Kind.RAW, tracking=LOT)
    receive(item, "5", "S-OLD")
    receive(item, "100", "S-NEW")
    return item


@pytest.fixture
def grease():
    item = ItemFactory(code="GREASE", kind=Item.Kind.RAW)
    receive(item, "50")
    return item


def start_all(order: ProductionOrder) -> list:
    operations = operations_of(order)
    for operation in operations:
        services.start_operation(operation, actor=None)
    return operations


def test_release_reports_shortages_without_blocking(steel, grease):
    order = released_order(qty="10", components={steel: "2", grease: "6"})
    result = services.release_production_order(order, actor=None)
    assert order.status == ProductionOrder.Status.RELEASED
    assert [(s.item.code, s.required, s.available) for s in result.shortages] == [
        ("GREASE", Decimal("60"), Decimal("50"))
    ]


def test_first_operation_back_flushes_fifo(steel, grease):
    order = released_order(qty="10", components={steel: "2", grease: "1"})
    first, _last = start_all(order)
    services.report_operation(
        first, actor=None, qty_good=3, qty_scrap=1, scrap_reason=scrap_reason()
    )
    # 4 units made or scrapped: 8 steel, oldest lot first; 4 grease.
    assert (on_hand(steel, "S-OLD"), on_hand(steel, "S-NEW")) == (0, 97)
    assert on_hand(grease) == 46
    moves = StockMove.objects.filter(reason="consumption")
    assert {m.reference for m in moves} == {f"{order.code}/10"}


def test_named_lots_are_consumed_as_given(steel, grease):
    order = released_order(qty="10", components={steel: "2", grease: "1"})
    first, _last = start_all(order)
    new_lot = Lot.objects.get(code="S-NEW")
    services.report_operation(
        first, actor=None, qty_good=3, consumed_lots=[{"item": steel, "lot": new_lot, "qty": 7}]
    )
    assert (on_hand(steel, "S-OLD"), on_hand(steel, "S-NEW")) == (5, 93)
    assert on_hand(grease) == 47  # not named: back-flushed by the BOM


def test_bad_named_lots_and_short_stock_change_nothing(steel, grease):
    order = released_order(qty="10", components={steel: "2", grease: "6"})
    first, _last = start_all(order)
    other = ItemFactory(code="PAINT", tracking=LOT)
    receive(other, "5", "P-1")
    paint = Lot.objects.get(code="P-1")
    steel_lot = Lot.objects.get(code="S-NEW")
    bad = [
        ([{"item": other, "lot": paint, "qty": 1}], "consumed_lots.0.item"),
        ([{"item": steel, "lot": paint, "qty": 1}], "consumed_lots.0.lot"),
        ([{"item": steel, "lot": steel_lot, "qty": -1}], "consumed_lots.0.qty"),
    ]
    for consumed, field in bad:
        with pytest.raises(InvalidInput) as refused:
            services.report_operation(first, actor=None, qty_good=1, consumed_lots=consumed)
        assert field in refused.value.errors
    with pytest.raises(InsufficientStock):
        services.report_operation(first, actor=None, qty_good=10, qty_scrap=0)  # 60 grease
    first.refresh_from_db()
    assert first.qty_good == 0
    assert not OperationEvent.objects.filter(kind="report").exists()
    assert not StockMove.objects.filter(reason="consumption").exists()
    assert (on_hand(steel), on_hand(grease)) == (105, 50)


def test_last_operation_receives_the_finished_lot_and_links_genealogy(steel, grease):
    order = released_order(qty="10", components={steel: "2", grease: "1"})
    first, last = start_all(order)
    services.report_operation(first, actor=None, qty_good=4)  # S-OLD 5, S-NEW 3
    services.report_operation(last, actor=None, qty_good=4, output_lot="FG-1")
    product = order.item
    assert on_hand(product, "FG-1") == 4
    order.refresh_from_db()
    assert order.qty_good == 4
    edges = {
        (e.consumed_lot.code, e.produced_lot.code): e.qty
        for e in LotGenealogy.objects.select_related("consumed_lot", "produced_lot")
    }
    assert edges == {("S-OLD", "FG-1"): 5, ("S-NEW", "FG-1"): 3}
    # Later consumption of a lot already used, and the default output lot (the order code).
    services.report_operation(first, actor=None, qty_good=2)
    services.report_operation(last, actor=None, qty_good=2)
    assert on_hand(product, order.code) == 2
    edges = {
        (e.consumed_lot.code, e.produced_lot.code): e.qty
        for e in LotGenealogy.objects.select_related("consumed_lot", "produced_lot")
    }
    assert edges == {
        ("S-OLD", "FG-1"): 5,
        ("S-NEW", "FG-1"): 7,
        ("S-OLD", order.code): 5,
        ("S-NEW", order.code): 7,
    }
    assert {e.operation for e in LotGenealogy.objects.all()} == {first}


def test_an_untracked_product_is_received_without_a_lot(grease):
    product = ItemFactory(code="WASHER", kind=Item.Kind.PRODUCT)
    order = released_order(qty="5", steps=1, item=product, components={grease: "1"})
    [operation] = start_all(order)
    with pytest.raises(InvalidInput) as refused:
        services.report_operation(operation, actor=None, qty_good=1, output_lot="X")
    assert "output_lot" in refused.value.errors
    services.report_operation(operation, actor=None, qty_good=5)
    assert on_hand(product) == 5 and on_hand(grease) == 45
    assert not LotGenealogy.objects.exists()


def test_a_serial_product_is_reported_one_unit_at_a_time():
    product = ItemFactory(code="ECU", kind=Item.Kind.PRODUCT, tracking=Item.Tracking.SERIAL)
    order = released_order(qty="2", steps=1, item=product)
    [operation] = start_all(order)
    with pytest.raises(InvalidInput) as refused:
        services.report_operation(operation, actor=None, qty_good=2, output_lot="SN-1")
    assert "output_lot" in refused.value.errors
    services.report_operation(operation, actor=None, qty_good=1, output_lot="SN-1")
    assert Lot.objects.get(item=product, code="SN-1").is_serial


def produce(product: Item, *, qty: str, output_lot: str, operator=None) -> ProductionOrder:
    """An order of one operation on a machine, fully executed (its BOM made beforehand)."""
    order = released_order(qty=qty, steps=1, item=product)
    [operation] = operations_of(order)
    machine = MachineFactory(code=f"M-{product.code}", work_center=operation.work_center)
    services.start_operation(operation, actor=None, machine=machine, operator=operator)
    services.report_operation(operation, actor=None, qty_good=qty, output_lot=output_lot)
    services.complete_operation(operation, actor=None)
    return order


def chain(levels: int, operator=None) -> list[Item]:
    """Raw → level 1 → … → level ``levels``, one lot each (L0, L1, …)."""
    items = [ItemFactory(code="RAW", kind=Item.Kind.RAW, tracking=LOT)]
    receive(items[0], "10", "L0")
    for level in range(1, levels + 1):
        item = ItemFactory(code=f"LEVEL-{level}", kind=Item.Kind.COMPONENT, tracking=LOT)
        make_bom(item, {items[-1]: "1"})
        produce(item, qty="2", output_lot=f"L{level}", operator=operator)
        items.append(item)
    return items


def test_three_level_trace_both_ways(make_person):
    kim = make_person("operator", username="kim")
    raw, sub, product = chain(2, operator=kim)
    product_lot = Lot.objects.get(item=product, code="L2")
    trace = selectors.get_trace(product_lot)
    assert [(n["item"], n["lot"], n["depth"], n["parent"]["lot"]) for n in trace["backward"]] == [
        ("LEVEL-1", "L1", 1, "L2"),
        ("RAW", "L0", 2, "L1"),
    ]
    node = trace["backward"][0]
    assert (node["qty"], node["machine"], node["operators"]) == (2, "M-LEVEL-2", ["kim"])
    assert node["order"] == ProductionOrder.objects.get(item=product).code
    assert node["operation"] == 10
    assert trace["forward"] == []
    forward = selectors.get_trace(Lot.objects.get(item=raw, code="L0"))["forward"]
    assert [(n["item"], n["lot"], n["depth"]) for n in forward] == [
        ("LEVEL-1", "L1", 1),
        ("LEVEL-2", "L2", 2),
    ]
    assert selectors.get_trace(Lot.objects.get(item=sub, code="L1"))["backward"][0]["lot"] == "L0"


def test_trace_is_a_constant_number_of_queries_at_any_depth(django_assert_num_queries):
    items = chain(5)
    top = Lot.objects.get(item=items[-1], code="L5")
    with django_assert_num_queries(3):  # backward, forward, the operators of all operations
        trace = selectors.get_trace(top)
    assert [n["depth"] for n in trace["backward"]] == [1, 2, 3, 4, 5]
    bottom = Lot.objects.get(item=items[0], code="L0")
    with django_assert_num_queries(3):
        assert len(selectors.get_trace(bottom)["forward"]) == 5


def test_locations_come_from_settings(settings, grease):
    settings.MES_ISSUE_LOCATION = "LINE-1"
    line = Location.objects.create(code="LINE-1", name="Line 1", kind=Location.Kind.WIP)
    inventory_services.receive_stock(actor=None, item=grease, qty=3, location=line)
    order = released_order(qty="3", steps=1, components={grease: "1"})
    assert (order.issue_location, order.receipt_location.code) == (line, "STOCK")
    [operation] = start_all(order)
    services.report_operation(operation, actor=None, qty_good=3, output_lot="FG-9")
    assert inventory_selectors.get_on_hand(grease, location=line) == 0
    assert on_hand(grease) == 50
