"""Random sequences of postings keep the ledger and the balances in step.

Two lot-tracked items × three lots × two locations (STORE forbids negative
stock, LINE allows it); receipts, FIFO and named consumption, reversals and
transfers in any order. After every step: each balance equals the sum of its
moves, STORE is never below zero, an accepted step changed the item's on hand by
exactly its quantity, and a refused step changed nothing.
"""

from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from inventory import selectors, services
from inventory.models import Item, Lot, StockBalance, StockMove
from mes.errors import DomainError

from .factories import ItemFactory, LocationFactory

pytestmark = pytest.mark.django_db

ITEMS, LOTS, LOCATIONS = range(2), range(3), range(2)
qty = st.integers(min_value=1, max_value=6).map(Decimal)
steps = st.lists(
    st.one_of(
        st.tuples(
            st.just("receive"),
            st.sampled_from(ITEMS),
            st.sampled_from(LOTS),
            st.sampled_from(LOCATIONS),
            qty,
        ),
        st.tuples(st.just("fifo"), st.sampled_from(ITEMS), st.sampled_from(LOCATIONS), qty),
        st.tuples(
            st.just("named"),
            st.sampled_from(ITEMS),
            st.sampled_from(LOTS),
            st.sampled_from(LOCATIONS),
            qty,
        ),
        st.tuples(st.just("reverse"), st.integers(min_value=0, max_value=100)),
        st.tuples(
            st.just("transfer"),
            st.sampled_from(ITEMS),
            st.sampled_from(LOTS),
            st.sampled_from(LOCATIONS),
            qty,
        ),
    ),
    max_size=15,
)


@pytest.fixture
def world():
    items = [ItemFactory(code=f"P{n}", tracking=Item.Tracking.LOT) for n in ITEMS]
    lots = [
        [services.get_or_create_lot(actor=None, item=item, code=f"L{n}") for n in LOTS]
        for item in items
    ]
    locations = [
        LocationFactory(code="STORE"),
        LocationFactory(code="LINE", allow_negative=True),
    ]
    return items, lots, locations


def state():
    moves = list(StockMove.objects.order_by("id").values_list("id", flat=True))
    balances = sorted(StockBalance.objects.values_list("item_id", "lot_id", "location_id", "qty"))
    return moves, balances


def run_step(step, items, lots, locations) -> tuple[Item | None, dict[int, Decimal]]:
    """Post one step; return its item and the expected change of on hand per location."""
    kind = step[0]
    if kind == "reverse":
        moves = list(StockMove.objects.order_by("id"))
        if not moves:
            return None, {}
        move = moves[step[1] % len(moves)]
        services.reverse_stock_move(move, actor=None)
        return move.item, {move.location_id: -move.qty}
    item = items[step[1]]
    if kind == "receive":
        _, _, lot, loc, q = step
        services.receive_stock(
            actor=None, item=item, qty=q, location=locations[loc], lot_code=f"L{lot}"
        )
        return item, {locations[loc].pk: q}
    if kind == "fifo":
        _, _, loc, q = step
        services.consume_stock(actor=None, item=item, qty=q, location=locations[loc])
        return item, {locations[loc].pk: -q}
    if kind == "named":
        _, _, lot, loc, q = step
        services.consume_stock(
            actor=None, item=item, qty=q, location=locations[loc], lots=[(lots[step[1]][lot], q)]
        )
        return item, {locations[loc].pk: -q}
    _, _, lot, loc, q = step
    source, target = locations[loc], locations[1 - loc]
    services.transfer_stock(
        actor=None,
        item=item,
        qty=q,
        lot=lots[step[1]][lot],
        from_location=source,
        to_location=target,
    )
    return item, {source.pk: -q, target.pk: q}


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=steps)
def test_balances_always_equal_the_ledger(world, steps):
    items, lots, locations = world
    store = locations[0]
    with transaction.atomic():
        for step in steps:
            before = state()
            on_hand_before = {
                (item.pk, loc.pk): selectors.get_on_hand(item, location=loc)
                for item in items
                for loc in locations
            }
            try:
                item, expected = run_step(step, items, lots, locations)
            except DomainError as refusal:
                event(f"refused {step[0]}: {refusal.code}")
                assert state() == before, step  # refused: nothing written
                continue
            event(f"posted {step[0]}")
            assert selectors.reconcile_balances() == [], step
            assert not StockBalance.objects.filter(location=store, qty__lt=0).exists(), step
            for loc in locations:
                for other in items:
                    change = expected.get(loc.pk, Decimal(0)) if other == item else Decimal(0)
                    now = selectors.get_on_hand(other, location=loc)
                    assert now == on_hand_before[(other.pk, loc.pk)] + change, step
        assert Lot.objects.count() == 6  # receipts reuse the lots
        transaction.set_rollback(True)
