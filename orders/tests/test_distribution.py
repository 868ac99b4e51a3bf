"""Allocation, shipments, the delivery note and customer returns."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from inventory.models import Item, Location, StockBalance, StockMove
from inventory.selectors import get_on_hand
from mes.errors import InsufficientStock, InvalidInput, InvalidTransition, LotOnHold
from mes.testing import run_together
from orders.distribution import services
from orders.distribution.selectors import reserved_by_stock
from orders.models import Allocation, CustomerReturn, SalesOrder, Shipment
from quality.holds.selectors import is_on_hold
from quality.holds.services import place_hold

from .factories import order_for, stocked_product

pytestmark = pytest.mark.django_db


def _state():
    return (
        Allocation.objects.count(),
        Shipment.objects.count(),
        StockMove.objects.count(),
        sorted(StockBalance.objects.values_list("qty", flat=True)),
        CustomerReturn.objects.count(),
    )


def _ship(order, qty, lot=None, line=1):
    entry = {"line": line, "item": order.lines.get(line=line).item.code, "qty": qty}
    if lot:
        entry["lot"] = lot
    shipment = services.create_shipment(actor=None, sales_order=order, lines=[entry])
    services.ship_shipment(shipment, actor=None)
    return shipment


# --- allocation ----------------------------------------------------------------------


def test_fifo_without_expiry_fefo_with_it():
    item = stocked_product({"A-OLD": "5", "B-NEW": "5"})
    order = order_for(item, "7")
    result = services.allocate_sales_order(order, actor=None)
    assert [(a.lot.code, a.qty) for a in result.allocations] == [("A-OLD", 5), ("B-NEW", 2)]

    fresh = stocked_product({"X1": "5", "X2": "5"})
    x1, x2 = fresh.lots.get(code="X1"), fresh.lots.get(code="X2")
    x1.expires_on = timezone.localdate() + timedelta(days=60)
    x2.expires_on = timezone.localdate() + timedelta(days=10)
    x1.save()
    x2.save()
    second = services.allocate_sales_order(order_for(fresh, "6"), actor=None)
    assert [(a.lot.code, a.qty) for a in second.allocations] == [("X2", 5), ("X1", 1)]


def test_reservations_are_respected_and_shortage_reported():
    item = stocked_product({"L1": "10"})
    first = services.allocate_sales_order(order_for(item, "8"), actor=None)
    assert first.short == []
    second = services.allocate_sales_order(order_for(item, "5"), actor=None)
    assert sum(a.qty for a in second.allocations) == 2
    assert second.short == [(1, Decimal(3))]
    assert (
        reserved_by_stock([item.pk])[
            (item.pk, item.lots.get().pk, first.allocations[0].location_id)
        ]
        == 10
    )


def test_held_and_expired_lots_are_never_allocated():
    item = stocked_product({"HELD": "5", "OLD": "5", "GOOD": "5"})
    held, old = item.lots.get(code="HELD"), item.lots.get(code="OLD")
    place_hold(held, actor=None, reason="suspect")
    old.expires_on = timezone.localdate() - timedelta(days=1)
    old.save()
    order = order_for(item, "15")
    result = services.allocate_sales_order(order, actor=None)
    assert {a.lot.code for a in result.allocations} == {"GOOD"}
    before = _state()
    with pytest.raises(LotOnHold):
        services.allocate_sales_order(
            order, actor=None, lines=[{"line": 1, "qty": "1", "lot": "HELD"}]
        )
    with pytest.raises(InvalidTransition):
        services.allocate_sales_order(
            order, actor=None, lines=[{"line": 1, "qty": "1", "lot": "OLD"}]
        )
    assert _state() == before


def test_cancelling_a_reservation_frees_the_stock():
    item = stocked_product({"L1": "4"})
    allocation = services.allocate_sales_order(order_for(item, "4"), actor=None).allocations[0]
    services.cancel_allocation(allocation, actor=None)
    assert services.allocate_sales_order(order_for(item, "4"), actor=None).short == []


# --- shipments -------------------------------------------------------------------------


def test_pick_and_ship_move_the_stock_and_the_order_follows():
    item = stocked_product({"L1": "30"})
    order = order_for(item, "20")
    store, dock = Location.objects.get(code="STOCK"), Location.objects.get(code="SHIP-DOCK")
    shipment = services.create_shipment(
        actor=None, sales_order=order, lines=[{"line": 1, "item": item.code, "qty": "12"}]
    )
    assert shipment.code == "SHP-000001" and shipment.status == "draft"
    services.pick_shipment(shipment, actor=None)
    assert get_on_hand(item, location=store) == 18 and get_on_hand(item, location=dock) == 12
    services.ship_shipment(shipment, actor=None)
    services.ship_shipment(shipment, actor=None)  # a retry changes nothing
    assert get_on_hand(item, location=dock) == 0
    assert StockMove.objects.filter(reason="shipment").count() == 1
    order.refresh_from_db()
    assert order.status == SalesOrder.Status.PARTIALLY_SHIPPED
    assert order.lines.get().shipped_qty == 12
    _ship(order, "8")
    order.refresh_from_db()
    assert order.status == SalesOrder.Status.SHIPPED


def test_a_reservation_is_adopted_by_the_shipment_and_split():
    item = stocked_product({"L1": "10"})
    order = order_for(item, "10")
    services.allocate_sales_order(order, actor=None)
    shipment = services.create_shipment(
        actor=None, sales_order=order, lines=[{"line": 1, "item": item.code, "qty": "4"}]
    )
    line = order.lines.get()
    assert [(a.qty, a.shipment_id) for a in line.allocations.order_by("id")] == [
        (4, shipment.pk),
        (6, None),
    ]


@pytest.mark.parametrize(
    ("entry", "error", "field"),
    [
        ({"line": 1, "item": "x", "qty": "25"}, InvalidInput, "lines.0.qty"),
        ({"line": 2, "item": "x", "qty": "1"}, InvalidInput, "lines.0.line"),
        ({"line": 1, "item": "OTHER", "qty": "1"}, InvalidInput, "lines.0.item"),
        ({"line": 1, "item": "x", "qty": "-1"}, InvalidInput, "lines.0.qty"),
        ({"line": 1, "item": "x", "qty": "1", "lot": "NOPE"}, InvalidInput, "lines.0.lot"),
    ],
)
def test_bad_shipment_lines_change_nothing(entry, error, field):
    item = stocked_product({"L1": "30"})
    order = order_for(item, "20")
    if entry["item"] == "x":
        entry = {**entry, "item": item.code}
    before = _state()
    with pytest.raises(error) as raised:
        services.create_shipment(actor=None, sales_order=order, lines=[entry])
    assert field in raised.value.errors
    assert _state() == before


def test_more_than_on_hand_and_held_lots_cannot_ship():
    item = stocked_product({"L1": "5"})
    order = order_for(item, "20")
    before = _state()
    with pytest.raises(InsufficientStock):
        services.create_shipment(
            actor=None, sales_order=order, lines=[{"line": 1, "item": item.code, "qty": "6"}]
        )
    assert _state() == before
    shipment = services.create_shipment(
        actor=None, sales_order=order, lines=[{"line": 1, "item": item.code, "qty": "5"}]
    )
    services.pick_shipment(shipment, actor=None)
    place_hold(item.lots.get(), actor=None, reason="complaint")
    before = _state()
    with pytest.raises(LotOnHold):
        services.ship_shipment(shipment, actor=None)
    assert _state() == before


def test_cancelling_a_picked_shipment_puts_the_goods_back():
    item = stocked_product({"L1": "5"})
    order = order_for(item, "5")
    shipment = services.create_shipment(
        actor=None, sales_order=order, lines=[{"line": 1, "item": item.code, "qty": "5"}]
    )
    services.pick_shipment(shipment, actor=None)
    services.cancel_shipment(shipment, actor=None)
    assert get_on_hand(item, location=Location.objects.get(code="STOCK")) == 5
    assert set(shipment.lines.values_list("status", flat=True)) == {"cancelled"}
    with pytest.raises(InvalidTransition):
        services.ship_shipment(shipment, actor=None)


def test_a_serial_ships_once():
    item = stocked_product({"SN-1": "1", "SN-2": "1"}, tracking=Item.Tracking.SERIAL)
    order = order_for(item, "5")
    _ship(order, "1", lot="SN-1")
    before = _state()
    with pytest.raises(InvalidTransition, match="SN-1"):
        services.create_shipment(
            actor=None,
            sales_order=order,
            lines=[{"line": 1, "item": item.code, "qty": "1", "lot": "SN-1"}],
        )
    assert _state() == before


# --- returns ---------------------------------------------------------------------------


def test_a_return_goes_to_quarantine_held_with_an_ncr():
    item = stocked_product({"L1": "10"})
    shipment = _ship(order_for(item, "10"), "10")
    returned = services.receive_customer_return(
        actor=None, shipment=shipment, item=item, lot="L1", qty="3", reason="rust spots"
    )
    lot = item.lots.get()
    assert get_on_hand(item, lot=lot, location=Location.objects.get(code="QC-HOLD")) == 3
    assert StockMove.objects.get(reason="return").qty == 3
    assert is_on_hold(lot.pk)
    assert returned.nonconformance.source == "customer_return"
    with pytest.raises(InvalidInput, match="7"):
        services.receive_customer_return(
            actor=None, shipment=shipment, item=item, lot="L1", qty="8", reason="x"
        )


def test_a_return_of_a_lot_never_shipped_to_that_customer_is_refused():
    item = stocked_product({"L1": "10", "L2": "10"})
    shipment = _ship(order_for(item, "5"), "5", lot="L1")
    before = _state()
    with pytest.raises(InvalidInput) as raised:
        services.receive_customer_return(
            actor=None, shipment=shipment, item=item, lot="L2", qty="1", reason="x"
        )
    assert "lot" in raised.value.errors
    assert _state() == before


# --- the race for the last units ------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_orders_race_for_the_last_units_of_a_lot():
    item = stocked_product({"LAST": "5"})
    orders = [order_for(item, "5"), order_for(item, "5")]

    def allocate(order):
        return services.allocate_sales_order(order, actor=None, lines=[{"line": 1, "lot": "LAST"}])

    outcomes = run_together([lambda o=o: allocate(o) for o in orders])
    won = [o for o in outcomes if not isinstance(o, Exception)]
    lost = [o for o in outcomes if isinstance(o, Exception)]
    assert len(won) == 1 and len(lost) == 1
    assert isinstance(lost[0], InsufficientStock)
    assert sum(a.qty for a in Allocation.objects.filter(status="reserved")) == 5
