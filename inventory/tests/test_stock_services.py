"""The stock ledger's services: receipts, consumption, reversals, transfers, retries."""

from datetime import date
from decimal import Decimal

import pytest

from inventory import selectors, services
from inventory.models import Item, Location, Lot, StockBalance, StockMove
from mes.errors import AlreadyExists, InsufficientStock, InvalidInput, InvalidTransition
from mes.models import AuditEntry

from .factories import ItemFactory, LocationFactory, LotFactory, UnitOfMeasureFactory

pytestmark = pytest.mark.django_db

D = Decimal


def ledger_and_balances():
    """Everything the ledger holds, to assert that a refusal wrote nothing."""
    moves = list(StockMove.objects.values_list("id", flat=True))
    balances = sorted(StockBalance.objects.values_list("item_id", "lot_id", "location_id", "qty"))
    return moves, balances, Lot.objects.count()


@pytest.fixture
def store():
    return LocationFactory(code="STORE")


@pytest.fixture
def line():
    return LocationFactory(code="LINE", kind=Location.Kind.WIP, allow_negative=True)


@pytest.fixture
def steel():
    kg = UnitOfMeasureFactory(code="KG", decimals=3)
    return ItemFactory(code="STEEL", kind=Item.Kind.RAW, tracking=Item.Tracking.LOT, uom=kg)


@pytest.fixture
def bolt():
    return ItemFactory(code="BOLT", kind=Item.Kind.RAW)


@pytest.fixture
def pump():
    return ItemFactory(code="PUMP", kind=Item.Kind.PRODUCT, tracking=Item.Tracking.SERIAL)


def receive(item, qty, location, **kwargs):
    return services.receive_stock(actor=None, item=item, qty=D(qty), location=location, **kwargs)


def consume(item, qty, location, **kwargs):
    return services.consume_stock(actor=None, item=item, qty=D(qty), location=location, **kwargs)


# --- locations and lots -------------------------------------------------------


def test_locations_are_audited_master_data(manager):
    location = services.create_location(
        actor=manager, code="QA", name="Quarantine", kind="quarantine"
    )
    services.update_location(location, actor=manager, allow_negative=True)
    _same, created = services.upsert_location(actor=manager, code="QA", name="QA cage")
    assert created is False
    entries = AuditEntry.objects.filter(model="inventory.location").order_by("id")
    assert [e.action for e in entries] == ["create", "update", "update"]
    assert entries[1].changes == {"allow_negative": [False, True]}


def test_location_of_unknown_kind_is_refused():
    with pytest.raises(InvalidInput) as refused:
        services.create_location(actor=None, code="X", name="X", kind="attic")
    assert "kind" in refused.value.errors
    assert not Location.objects.exists()


def test_get_or_create_lot(steel, pump, bolt):
    lot = services.get_or_create_lot(
        actor=None, item=steel, code="H-1", expires_on=date(2027, 1, 1)
    )
    assert (lot.is_serial, lot.expires_on) == (False, date(2027, 1, 1))
    assert services.get_or_create_lot(actor=None, item=steel, code="H-1") == lot
    assert services.get_or_create_lot(actor=None, item=pump, code="SN1").is_serial
    with pytest.raises(InvalidInput) as untracked:
        services.get_or_create_lot(actor=None, item=bolt, code="L1")
    with pytest.raises(InvalidInput) as bad_code:
        services.get_or_create_lot(actor=None, item=steel, code="bad code")
    assert "lot" in untracked.value.errors and "lot" in bad_code.value.errors
    assert Lot.objects.count() == 2


# --- receipts -------------------------------------------------------------------


def test_receipt_of_a_lot(steel, store, manager):
    [move] = receive(
        steel, "12.5", store, lot_code="H-1", reference="PO-7", expires_on=date(2027, 5, 1)
    )
    assert (move.qty, move.reason, move.reference, move.created_by) == (
        D("12.5"),
        "receipt",
        "PO-7",
        None,
    )
    lot = Lot.objects.get(item=steel, code="H-1")
    assert lot.expires_on == date(2027, 5, 1)
    assert selectors.get_on_hand(steel, lot=lot, location=store) == D("12.5")
    again = services.receive_stock(
        actor=manager, item=steel, qty=D(3), location=store, lot_code="H-1"
    )
    assert again[0].created_by == manager
    assert selectors.get_on_hand(steel) == D("15.5")


def test_receipt_of_serials_is_one_move_each(pump, store):
    moves = receive(pump, 3, store, serials=["SN1", "SN2", "SN3"], reason="production")
    assert [(m.lot.code, m.qty, m.reason) for m in moves] == [
        ("SN1", 1, "production"),
        ("SN2", 1, "production"),
        ("SN3", 1, "production"),
    ]
    assert len({m.posting for m in moves}) == 1
    assert all(lot.is_serial for lot in Lot.objects.filter(item=pump))


def test_receipt_of_untracked_item(bolt, store):
    [move] = receive(bolt, 100, store)
    assert move.lot is None
    assert selectors.get_on_hand(bolt, location=store) == 100


@pytest.mark.parametrize(
    "item_name, kwargs, field",
    [
        ("steel", {"qty": 5}, "lot"),
        ("steel", {"qty": 5, "lot_code": "H-1", "serials": ["S"]}, "serials"),
        ("steel", {"qty": 0, "lot_code": "H-1"}, "qty"),
        ("steel", {"qty": -2, "lot_code": "H-1"}, "qty"),
        ("steel", {"qty": "1.0000001", "lot_code": "H-1"}, "qty"),
        ("steel", {"qty": "NaN", "lot_code": "H-1"}, "qty"),
        ("steel", {"qty": 5, "lot_code": "bad lot!"}, "lot"),
        ("steel", {"qty": 5, "lot_code": "H-1", "reference": "x" * 201}, "reference"),
        ("bolt", {"qty": 5, "lot_code": "L"}, "lot"),
        ("bolt", {"qty": "1.5"}, "qty"),  # EA counts whole units
        ("pump", {"qty": 2, "serials": ["SN1"]}, "serials"),
        ("pump", {"qty": 2, "serials": ["SN1", "SN1"]}, "serials"),
        ("pump", {"qty": 1}, "serials"),
        ("pump", {"qty": 1, "lot_code": "L1", "serials": ["SN1"]}, "lot"),
    ],
)
def test_bad_receipts_name_the_field_and_write_nothing(request, store, item_name, kwargs, field):
    item = request.getfixturevalue(item_name)
    before = ledger_and_balances()
    with pytest.raises(InvalidInput) as refused:
        services.receive_stock(actor=None, location=store, item=item, **kwargs)
    assert field in refused.value.errors
    assert ledger_and_balances() == before


def test_a_serial_in_stock_cannot_be_received_again(pump, store, line):
    receive(pump, 1, store, serials=["SN1"])
    before = ledger_and_balances()
    with pytest.raises(AlreadyExists):
        receive(pump, 2, line, serials=["SN2", "SN1"])
    assert ledger_and_balances() == before
    consume(pump, 1, store)
    receive(pump, 1, line, serials=["SN1"])  # out and back in: fine
    assert selectors.get_on_hand(pump, location=line) == 1


# --- consumption ------------------------------------------------------------------


def test_fifo_takes_the_oldest_lots_first(steel, store):
    for code, qty in (("H-1", 4), ("H-2", 5), ("H-3", 6)):
        receive(steel, qty, store, lot_code=code)
    moves = consume(steel, 7, store, reference="MO-1")
    assert [(m.lot.code, m.qty, m.reason) for m in moves] == [
        ("H-1", -4, "consumption"),
        ("H-2", -3, "consumption"),
    ]
    assert [(lot.code, qty) for lot, qty in selectors.list_lots_fifo(steel, store)] == [
        ("H-2", 2),
        ("H-3", 6),
    ]


def test_fifo_follows_lot_age_not_code(steel, store):
    receive(steel, 1, store, lot_code="Z-OLD")
    receive(steel, 1, store, lot_code="A-NEW")
    [move] = consume(steel, 1, store)
    assert move.lot.code == "Z-OLD"


def test_named_lots(steel, store):
    receive(steel, 4, store, lot_code="H-1")
    receive(steel, 5, store, lot_code="H-2")
    h1, h2 = Lot.objects.order_by("code")
    moves = consume(steel, 3, store, lots=[(h2, D(2)), (h1, D(1))])
    assert [(m.lot.code, m.qty) for m in moves] == [("H-2", -2), ("H-1", -1)]
    with pytest.raises(InvalidInput) as mismatch:
        consume(steel, 3, store, lots=[(h2, D(1))])
    assert "lots" in mismatch.value.errors


def test_lot_of_another_item_is_refused(steel, store):
    other = LotFactory(code="X-1")
    receive(steel, 4, store, lot_code="H-1")
    before = ledger_and_balances()
    with pytest.raises(InvalidInput) as refused:
        consume(steel, 1, store, lots=[(other, D(1))])
    assert "lot" in refused.value.errors
    assert ledger_and_balances() == before


def test_short_stock_is_409_naming_item_lot_location_and_writes_nothing(steel, store):
    receive(steel, 4, store, lot_code="H-1")
    receive(steel, 2, store, lot_code="H-2")
    before = ledger_and_balances()
    with pytest.raises(InsufficientStock) as fifo:
        consume(steel, 7, store)
    assert "STEEL" in fifo.value.message and "STORE" in fifo.value.message
    assert "6" in fifo.value.message and "7" in fifo.value.message
    h1 = Lot.objects.get(code="H-1")
    with pytest.raises(InsufficientStock) as named:
        consume(steel, 5, store, lots=[(h1, D(5))])
    assert all(word in named.value.message for word in ("STEEL", "H-1", "STORE", "4", "5"))
    assert fifo.value.status == 409
    assert ledger_and_balances() == before


def test_untracked_short_stock(bolt, store):
    receive(bolt, 2, store)
    with pytest.raises(InsufficientStock):
        consume(bolt, 3, store)
    assert selectors.get_on_hand(bolt) == 2


def test_negative_allowed_location(bolt, steel, line, store):
    [move] = consume(bolt, 5, line)
    assert move.qty == -5
    assert selectors.get_on_hand(bolt, location=line) == -5
    receive(bolt, 2, line)
    assert selectors.get_on_hand(bolt, location=line) == -3

    receive(steel, 2, line, lot_code="H-1")
    receive(steel, 3, line, lot_code="H-2")
    moves = consume(steel, 8, line)
    # what the lots lack is charged to the newest lot at the location
    assert [(m.lot.code, m.qty) for m in moves] == [("H-1", -2), ("H-2", -6)]
    assert selectors.get_on_hand(steel, location=line) == -3
    with pytest.raises(InsufficientStock):  # no lot at all here yet: nothing to charge
        consume(steel, 1, LocationFactory(code="LINE-2", allow_negative=True))
    assert not StockBalance.objects.filter(location=store).exists()


def test_location_that_stops_allowing_negative_keeps_its_deficit(bolt, line):
    consume(bolt, 5, line)
    services.update_location(line, actor=None, allow_negative=False)
    line.refresh_from_db()
    receive(bolt, 2, line)  # raising a deficit is fine
    with pytest.raises(InsufficientStock):
        consume(bolt, 1, line)
    assert selectors.get_on_hand(bolt, location=line) == -3


# --- reversals, transfers, retries ---------------------------------------------------


def test_reversal_is_a_new_move_and_happens_once(steel, store):
    [receipt] = receive(steel, 4, store, lot_code="H-1", reference="PO-1")
    reversal = services.reverse_stock_move(receipt, actor=None)
    assert (reversal.qty, reversal.reason, reversal.reverses, reversal.reference) == (
        D(-4),
        "reversal",
        receipt,
        "PO-1",
    )
    assert selectors.get_on_hand(steel) == 0
    before = ledger_and_balances()
    with pytest.raises(InvalidTransition):
        services.reverse_stock_move(receipt, actor=None)
    assert ledger_and_balances() == before


def test_reversal_that_would_make_stock_negative_is_refused(steel, store):
    [receipt] = receive(steel, 4, store, lot_code="H-1")
    consume(steel, 3, store)
    before = ledger_and_balances()
    with pytest.raises(InsufficientStock):
        services.reverse_stock_move(receipt, actor=None)
    assert ledger_and_balances() == before
    assert not StockMove.objects.filter(reverses=receipt).exists()


def test_client_ref_makes_a_retry_return_the_same_moves(pump, store):
    first = receive(pump, 2, store, serials=["SN1", "SN2"], client_ref="tablet-42")
    assert [m.client_ref for m in first] == ["tablet-42", "tablet-42#1"]
    again = receive(pump, 2, store, serials=["SN1", "SN2"], client_ref="tablet-42")
    assert [m.pk for m in again] == [m.pk for m in first]
    assert StockMove.objects.count() == 2
    consumed = consume(pump, 2, store, client_ref="c-1")
    assert consume(pump, 2, store, client_ref="c-1") == consumed  # not short: a replay
    assert selectors.get_on_hand(pump) == 0


def test_transfer_moves_stock_in_one_posting(steel, pump, store, line):
    receive(steel, 5, store, lot_code="H-1")
    lot = Lot.objects.get(code="H-1")
    out, into = services.transfer_stock(
        actor=None, item=steel, qty=D(2), lot=lot, from_location=store, to_location=line
    )
    assert (out.qty, out.location, into.qty, into.location) == (-2, store, 2, line)
    assert out.posting == into.posting and out.reason == into.reason == "transfer"
    assert selectors.get_on_hand(steel, location=store) == 3
    assert selectors.get_on_hand(steel, location=line) == 2

    receive(pump, 1, store, serials=["SN1"])
    serial = Lot.objects.get(code="SN1")
    services.transfer_stock(
        actor=None, item=pump, qty=D(1), lot=serial, from_location=store, to_location=line
    )
    assert selectors.get_on_hand(pump, lot=serial, location=line) == 1
    with pytest.raises(InvalidInput) as same_place:
        services.transfer_stock(
            actor=None, item=steel, qty=D(1), lot=lot, from_location=line, to_location=line
        )
    assert "to_location" in same_place.value.errors


def test_post_stock_moves_refusals(steel, bolt, store):
    lot = LotFactory(item=steel, code="H-1")

    def refused(**move):
        move = {
            "item": steel,
            "lot": lot,
            "location": store,
            "qty": D(1),
            "reason": "receipt",
        } | move
        with pytest.raises(InvalidInput) as error:
            services.post_stock_moves(actor=None, moves=[move])
        return set(error.value.errors)

    assert refused(qty=D(0)) == {"qty"}
    assert refused(lot=None) == {"lot"}
    assert refused(item=bolt) == {"lot"}
    assert refused(reason="gift") == {"reason"}
    assert refused(location=None) == {"location"}
    with pytest.raises(InvalidInput):
        services.post_stock_moves(actor=None, moves=[])
    assert not StockMove.objects.exists() and not StockBalance.objects.exists()


def test_reconcile_finds_a_balance_that_differs_from_the_ledger(bolt, store):
    from inventory.tasks import reconcile_stock_task

    receive(bolt, 5, store)
    assert selectors.reconcile_balances() == []
    StockBalance.objects.update(qty=7)  # what a bug or a hand edit would do
    [mismatch] = selectors.reconcile_balances()
    assert (mismatch.ledger_qty, mismatch.balance_qty) == (5, 7)
    assert reconcile_stock_task.apply().get() == 1


def test_list_stock_hides_zero_balances(steel, store):
    receive(steel, 2, store, lot_code="H-1")
    receive(steel, 2, store, lot_code="H-2")
    consume(steel, 2, store)
    assert [b.lot.code for b in selectors.list_stock(item=steel)] == ["H-2"]
