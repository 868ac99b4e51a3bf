"""Real concurrent postings on PostgreSQL: the row locks, not luck, keep stock right."""

from decimal import Decimal

import pytest
from django.db.models import Sum

from inventory import selectors, services
from inventory.models import Item, Lot, StockMove
from mes.errors import AlreadyExists, InsufficientStock
from mes.testing import run_together

from .factories import ItemFactory, LocationFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def steel():
    return ItemFactory(code="STEEL", tracking=Item.Tracking.LOT)


@pytest.mark.parametrize("named", [False, True], ids=["fifo", "named-lot"])
def test_eight_takers_of_five_units(steel, named):
    store = LocationFactory(code="STORE")
    services.receive_stock(actor=None, item=steel, qty=Decimal(5), location=store, lot_code="H-1")
    lot = Lot.objects.get(code="H-1")
    lots = [(lot, Decimal(1))] if named else None

    def take():
        return services.consume_stock(
            actor=None, item=steel, qty=Decimal(1), location=store, lots=lots
        )

    outcomes = run_together([take] * 8)
    assert sum(isinstance(o, list) for o in outcomes) == 5, outcomes
    assert sum(isinstance(o, InsufficientStock) for o in outcomes) == 3, outcomes
    assert selectors.get_on_hand(steel, lot=lot, location=store) == 0
    assert StockMove.objects.aggregate(total=Sum("qty"))["total"] == 0
    assert selectors.reconcile_balances() == []


def test_postings_in_opposite_orders_never_deadlock(steel):
    """Each thread's posting names the same two balances, half in each order."""
    here, there = LocationFactory(code="HERE"), LocationFactory(code="THERE")
    bolt = ItemFactory(code="BOLT")
    for location in (here, there):
        services.receive_stock(
            actor=None, item=steel, qty=Decimal(100), location=location, lot_code="H-1"
        )
        services.receive_stock(actor=None, item=bolt, qty=Decimal(100), location=location)
    lot = Lot.objects.get(code="H-1")

    def shuffle(first, second):
        def run():
            for _ in range(10):
                services.transfer_stock(
                    actor=None,
                    item=steel,
                    qty=Decimal(1),
                    lot=lot,
                    from_location=first,
                    to_location=second,
                )
                services.post_stock_moves(
                    actor=None,
                    moves=[
                        {
                            "item": bolt,
                            "lot": None,
                            "location": first,
                            "qty": Decimal(-1),
                            "reason": "adjustment",
                        },
                        {
                            "item": steel,
                            "lot": lot,
                            "location": second,
                            "qty": Decimal(-1),
                            "reason": "adjustment",
                        },
                    ],
                )
            return "done"

        return run

    outcomes = run_together([shuffle(here, there), shuffle(there, here)] * 4)
    assert outcomes == ["done"] * 8
    assert selectors.get_on_hand(bolt) == 200 - 80
    assert selectors.get_on_hand(steel) == 200 - 80
    assert selectors.reconcile_balances() == []


def test_concurrent_retries_of_one_client_ref_post_once(steel):
    store = LocationFactory(code="STORE")

    def receive():
        return services.receive_stock(
            actor=None,
            item=steel,
            qty=Decimal(3),
            location=store,
            lot_code="H-1",
            client_ref="erp-receipt-1",
        )

    outcomes = run_together([receive] * 6)
    assert all(isinstance(o, list) for o in outcomes), outcomes
    assert len({tuple(m.pk for m in o) for o in outcomes}) == 1
    assert StockMove.objects.count() == 1
    assert selectors.get_on_hand(steel) == 3


def test_one_serial_received_at_two_places_at_once_is_in_stock_once():
    pump = ItemFactory(code="PUMP", tracking=Item.Tracking.SERIAL)
    services.get_or_create_lot(actor=None, item=pump, code="SN1")
    places = [LocationFactory(code=f"BAY-{n}") for n in range(4)]

    def receive_at(location):
        return lambda: services.receive_stock(
            actor=None, item=pump, qty=Decimal(1), location=location, serials=["SN1"]
        )

    outcomes = run_together([receive_at(place) for place in places])
    assert sum(isinstance(o, list) for o in outcomes) == 1, outcomes
    assert sum(isinstance(o, AlreadyExists) for o in outcomes) == 3, outcomes
    assert selectors.get_on_hand(pump) == 1
