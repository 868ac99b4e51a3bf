"""locations/, receipts/, stock/ and stock-moves/ as the contract describes them."""

from decimal import Decimal

import pytest

from inventory import services
from inventory.models import Item, Location, Lot, StockBalance, StockMove

from .factories import ItemFactory, LocationFactory, UnitOfMeasureFactory

pytestmark = pytest.mark.django_db

RECEIPTS, STOCK, MOVES, LOCATIONS = (
    "/api/v1/receipts/",
    "/api/v1/stock/",
    "/api/v1/stock-moves/",
    "/api/v1/locations/",
)


@pytest.fixture
def store():
    return LocationFactory(code="STORE")


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


def nothing_written():
    return not StockMove.objects.exists() and not StockBalance.objects.exists()


# --- locations -------------------------------------------------------------------


def test_locations_post_put_get(erp):
    created = erp.post(LOCATIONS, {"code": "STORE", "name": "Main store"}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["kind"] == "stock" and created.json()["allow_negative"] is False
    put = erp.put(
        LOCATIONS + "LINE-1/",
        {"name": "Line 1", "kind": "wip", "allow_negative": True},
        format="json",
    )
    assert put.status_code == 201
    assert erp.get(LOCATIONS, {"kind": "wip"}).json()["count"] == 1
    assert erp.post(LOCATIONS, {"code": "STORE", "name": "x"}, format="json").status_code == 409
    bad = erp.post(LOCATIONS, {"code": "X", "name": "x", "kind": "attic"}, format="json")
    assert bad.status_code == 400 and "kind" in bad.json()["errors"]
    assert set(Location.objects.values_list("code", flat=True)) == {"STORE", "LINE-1"}


# --- receipts --------------------------------------------------------------------


def test_receipt_of_a_lot_is_201_with_its_moves(erp, steel, store):
    body = {
        "item": "STEEL",
        "qty": "12.5",
        "lot": "H-1",
        "location": "STORE",
        "expires_on": "2027-05-01",
        "reference": "PO-7",
    }
    response = erp.post(RECEIPTS, body, format="json")
    assert response.status_code == 201, response.content
    [move] = response.json()["moves"]
    assert move["posting"] == response.json()["posting"]
    assert (move["item"], move["lot"], move["location"], move["reason"]) == (
        "STEEL",
        "H-1",
        "STORE",
        "receipt",
    )
    assert Decimal(move["qty"]) == Decimal("12.5") and move["uom"] == "KG"
    assert move["created_by"].startswith("api:")
    assert str(Lot.objects.get(code="H-1").expires_on) == "2027-05-01"


def test_receipt_of_serials(erp, pump, store):
    body = {"item": "PUMP", "qty": 2, "serials": ["SN1", "SN2"], "location": "STORE"}
    response = erp.post(RECEIPTS, body, format="json")
    assert response.status_code == 201, response.content
    assert [m["lot"] for m in response.json()["moves"]] == ["SN1", "SN2"]
    again = erp.post(RECEIPTS, {**body, "serials": ["SN2", "SN3"]}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "already_exists"
    assert StockMove.objects.count() == 2


def test_replay_with_idempotency_key_receives_once(erp, bolt, store):
    body = {"item": "BOLT", "qty": "100", "location": "STORE"}
    first = erp.post(RECEIPTS, body, format="json", HTTP_IDEMPOTENCY_KEY="rcpt-1")
    second = erp.post(RECEIPTS, body, format="json", HTTP_IDEMPOTENCY_KEY="rcpt-1")
    assert first.status_code == second.status_code == 201
    assert second["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    assert StockMove.objects.count() == 1
    assert StockBalance.objects.get().qty == 100


@pytest.mark.parametrize(
    "body, field",
    [
        ({"item": "STEEL", "qty": "-5", "lot": "H-1", "location": "STORE"}, "qty"),
        ({"item": "STEEL", "qty": "0", "lot": "H-1", "location": "STORE"}, "qty"),
        ({"item": "STEEL", "qty": "abc", "lot": "H-1", "location": "STORE"}, "qty"),
        ({"item": "STEEL", "lot": "H-1", "location": "STORE"}, "qty"),
        ({"item": "NOPE", "qty": "5", "lot": "H-1", "location": "STORE"}, "item"),
        ({"item": "STEEL", "qty": "5", "lot": "H-1", "location": "NOWHERE"}, "location"),
        ({"item": "STEEL", "qty": "5", "location": "STORE"}, "lot"),
        ({"item": "STEEL", "qty": "5", "lot": "bad lot!", "location": "STORE"}, "lot"),
        (
            {"item": "STEEL", "qty": "5", "lot": "H-1", "location": "STORE", "expires_on": "x"},
            "expires_on",
        ),
        ({"item": "BOLT", "qty": "5", "lot": "H-1", "location": "STORE"}, "lot"),
        ({"item": "BOLT", "qty": "5.5", "location": "STORE"}, "qty"),
        ({"item": "PUMP", "qty": "2", "serials": ["SN1"], "location": "STORE"}, "serials"),
        ({"item": "PUMP", "qty": "1", "location": "STORE"}, "serials"),
    ],
)
def test_bad_receipts_are_400_naming_the_field(erp, steel, bolt, pump, store, body, field):
    response = erp.post(RECEIPTS, body, format="json")
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert field in response.json()["errors"]
    assert nothing_written() and not Lot.objects.exists()


def test_operator_cannot_receive_and_readonly_reads_stock(api_client_for, bolt, store):
    services.receive_stock(actor=None, item=bolt, qty=Decimal(3), location=store)
    operator, readonly = api_client_for("operator"), api_client_for("readonly")
    body = {"item": "BOLT", "qty": "1", "location": "STORE"}
    assert operator.post(RECEIPTS, body, format="json").status_code == 403
    assert readonly.post(RECEIPTS, body, format="json").status_code == 403
    assert StockMove.objects.count() == 1
    assert readonly.get(STOCK).json()["count"] == 1
    assert readonly.get(MOVES).json()["count"] == 1
    assert operator.get(STOCK).status_code == 200


# --- stock and the ledger ------------------------------------------------------------


@pytest.fixture
def some_stock(steel, bolt, store):
    line = LocationFactory(code="LINE")
    for lot, qty, location in (("H-1", 4, store), ("H-2", 5, store), ("H-1", 2, line)):
        services.receive_stock(
            actor=None, item=steel, qty=Decimal(qty), location=location, lot_code=lot
        )
    services.receive_stock(actor=None, item=bolt, qty=Decimal(10), location=store)
    services.consume_stock(actor=None, item=steel, qty=Decimal(4), location=store)  # H-1 → 0
    return line


def test_stock_lists_on_hand_with_filters(erp, some_stock):
    listing = erp.get(STOCK).json()
    assert set(listing) == {"count", "next", "previous", "results"}
    rows = {(r["item"], r["lot"], r["location"]): Decimal(r["qty"]) for r in listing["results"]}
    assert rows == {
        ("STEEL", "H-2", "STORE"): 5,
        ("STEEL", "H-1", "LINE"): 2,
        ("BOLT", None, "STORE"): 10,
    }
    assert all(r["updated_at"] for r in listing["results"])
    assert erp.get(STOCK, {"item": "BOLT"}).json()["count"] == 1
    assert erp.get(STOCK, {"item": "STEEL", "location": "STORE"}).json()["count"] == 1
    assert erp.get(STOCK, {"lot": "H-1"}).json()["results"][0]["location"] == "LINE"


def test_stock_updated_after_gives_what_changed(erp, some_stock, bolt, store):
    latest = erp.get(STOCK).json()["results"][-1]["updated_at"]
    assert erp.get(STOCK, {"updated_after": latest}).json()["count"] == 0
    services.receive_stock(actor=None, item=bolt, qty=Decimal(1), location=store)
    changed = erp.get(STOCK, {"updated_after": latest}).json()["results"]
    assert [(r["item"], r["qty"]) for r in changed] == [("BOLT", "11.000000")]


@pytest.mark.parametrize("url", [STOCK, MOVES])
@pytest.mark.parametrize(
    "params, field",
    [
        ({"item": "NOPE"}, "item"),
        ({"location": "NOWHERE"}, "location"),
        ({"lot": "NO-LOT"}, "lot"),
        ({"updated_after": "yesterday"}, "updated_after"),
    ],
)
def test_unknown_codes_in_filters_are_400(erp, some_stock, url, params, field):
    response = erp.get(url, params)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_stock_moves_is_the_ledger_with_filters(erp, some_stock):
    moves = erp.get(MOVES).json()
    assert moves["count"] == 5
    assert [m["reason"] for m in moves["results"]] == ["receipt"] * 4 + ["consumption"]
    assert erp.get(MOVES, {"reason": "consumption"}).json()["count"] == 1
    assert erp.get(MOVES, {"item": "STEEL", "lot": "H-1"}).json()["count"] == 3
    assert erp.get(MOVES, {"location": "LINE"}).json()["count"] == 1
    third = moves["results"][2]
    newer = erp.get(MOVES, {"updated_after": third["created_at"]}).json()["results"]
    assert [m["id"] for m in newer] == [m["id"] for m in moves["results"][3:]]
    detail = erp.get(f"{MOVES}{third['id']}/")
    assert detail.status_code == 200 and detail.json() == third


def test_stock_moves_are_read_only(erp, some_stock):
    move = StockMove.objects.first()
    detail = f"{MOVES}{move.pk}/"
    assert erp.post(MOVES, {}, format="json").status_code == 405
    assert erp.put(detail, {}, format="json").status_code == 405
    assert erp.patch(detail, {}, format="json").status_code == 405
    assert erp.delete(detail).status_code == 405
    assert erp.get(RECEIPTS).status_code == 405
    assert StockMove.objects.count() == 5


def test_list_queries_are_bounded(erp, some_stock, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        assert erp.get(STOCK).status_code == 200
    with django_assert_max_num_queries(8):
        assert erp.get(MOVES).status_code == 200
