"""Nonconformance reports, their dispositions and lot holds (services and API)."""

from decimal import Decimal

import pytest

from inventory import services as inventory_services
from inventory.models import Item, Location, StockMove
from inventory.selectors import get_on_hand
from inventory.tests.factories import ItemFactory, LocationFactory
from mes.errors import InvalidTransition, LotOnHold, NotPermitted
from mes.models import AuditEntry
from production.execution import services as execution
from production.tests.execution_factories import operations_of, released_order
from quality.holds import services as holds
from quality.holds.selectors import held_lot_ids, is_on_hold
from quality.models import LotHold, Nonconformance, NonconformanceEvent
from quality.nonconformances import services

pytestmark = pytest.mark.django_db


def _stocked_lot(qty="100", kind=Location.Kind.STOCK, code="LOT-A"):
    item = ItemFactory(tracking=Item.Tracking.LOT)
    location = LocationFactory(kind=kind)
    inventory_services.receive_stock(
        actor=None, item=item, qty=Decimal(qty), location=location, lot_code=code
    )
    return item.lots.get(code=code), location


def _state():
    return (
        Nonconformance.objects.count(),
        NonconformanceEvent.objects.count(),
        LotHold.objects.count(),
        StockMove.objects.count(),
    )


def test_opening_an_ncr_holds_its_lot_and_use_as_is_frees_it(manager):
    lot, _location = _stocked_lot()
    ncr = services.open_nonconformance(actor=manager, description="burr on edge", lot=lot)
    assert ncr.code == "NCR-000001" and ncr.source == "lot" and ncr.status == "open"
    assert is_on_hold(lot.pk)
    services.investigate(ncr, actor=manager, note="die worn")
    services.set_disposition(ncr, actor=manager, disposition="use_as_is", note="cosmetic")
    assert not is_on_hold(lot.pk)
    services.close_nonconformance(ncr, actor=manager)
    ncr.refresh_from_db()
    assert ncr.status == "closed" and ncr.closed_at is not None
    assert [e.to_status for e in ncr.events.order_by("id")] == [
        "open",
        "investigating",
        "dispositioned",
        "closed",
    ]
    assert AuditEntry.objects.filter(model="quality.nonconformance").count() == 4
    assert services.open_nonconformance(actor=None, description="x", lot=lot).code == "NCR-000002"


def test_scrap_takes_the_stock_out_through_the_ledger():
    lot, _location = _stocked_lot("100")
    ncr = services.open_nonconformance(actor=None, description="cracks", lot=lot, qty="30")
    services.set_disposition(ncr, actor=None, disposition="scrap")
    move = StockMove.objects.get(reason="scrap")
    assert move.qty == Decimal("-30") and move.lot == lot and move.reference == f"NCR {ncr.code}"
    assert get_on_hand(lot.item, lot=lot) == Decimal("70")
    assert not is_on_hold(lot.pk)
    again = services.set_disposition(ncr, actor=None, disposition="scrap")  # a retry
    assert again.status == "dispositioned"
    assert StockMove.objects.filter(reason="scrap").count() == 1


def test_return_to_supplier_and_rework():
    lot, _location = _stocked_lot("50")
    returned = services.open_nonconformance(actor=None, description="wrong grade", lot=lot)
    services.set_disposition(returned, actor=None, disposition="return_to_supplier")
    assert get_on_hand(lot.item, lot=lot) == 0
    assert StockMove.objects.filter(reason="supplier_return").count() == 1

    other, _location = _stocked_lot("10", code="LOT-B")
    rework = services.open_nonconformance(actor=None, description="paint run", lot=other)
    services.set_disposition(rework, actor=None, disposition="rework")
    assert is_on_hold(other.pk)  # until the rework is done and the NCR closed
    services.close_nonconformance(rework, actor=None)
    assert not is_on_hold(other.pk)


@pytest.mark.parametrize(
    ("steps", "bad"),
    [
        ([], lambda ncr: services.close_nonconformance(ncr, actor=None)),
        (
            ["use_as_is"],
            lambda ncr: services.investigate(ncr, actor=None),
        ),
        (
            ["use_as_is"],
            lambda ncr: services.set_disposition(ncr, actor=None, disposition="scrap"),
        ),
    ],
)
def test_steps_out_of_order_change_nothing(steps, bad):
    lot, _location = _stocked_lot()
    ncr = services.open_nonconformance(actor=None, description="x", lot=lot)
    for step in steps:
        services.set_disposition(ncr, actor=None, disposition=step)
    before = _state()
    with pytest.raises(InvalidTransition):
        bad(ncr)
    assert _state() == before


def test_scrap_where_the_lot_is_in_two_places_must_say_where():
    lot, location = _stocked_lot("20")
    elsewhere = LocationFactory()
    inventory_services.transfer_stock(
        actor=None, item=lot.item, qty=Decimal(5), lot=lot,
        from_location=location, to_location=elsewhere,
    )  # fmt: skip
    ncr = services.open_nonconformance(actor=None, description="x", lot=lot, qty="5")
    before = _state()
    with pytest.raises(Exception) as raised:
        services.set_disposition(ncr, actor=None, disposition="scrap")
    assert "location" in raised.value.errors
    assert _state() == before
    services.set_disposition(ncr, actor=None, disposition="scrap", location=elsewhere)
    assert get_on_hand(lot.item, lot=lot, location=elsewhere) == 0


def test_release_needs_the_permission_and_is_audited(make_person):
    lot, _location = _stocked_lot()
    hold = holds.place_hold(lot, actor=None, reason="suspect supplier batch")
    supervisor = make_person("supervisor")
    with pytest.raises(NotPermitted):
        holds.release_hold(hold, actor=supervisor, note="looks fine")
    assert is_on_hold(lot.pk)
    inspector = make_person("quality_inspector")
    holds.release_hold(hold, actor=inspector, note="re-inspected, fine")
    hold.refresh_from_db()
    assert hold.released_by == inspector and hold.release_note == "re-inspected, fine"
    assert AuditEntry.objects.filter(model="quality.lothold", action="update").exists()


def test_two_holds_keep_a_lot_held_until_both_are_released(manager):
    lot, _location = _stocked_lot()
    by_hand = holds.place_hold(lot, actor=manager, reason="customer complaint")
    ncr = services.open_nonconformance(actor=manager, description="x", lot=lot)
    services.set_disposition(ncr, actor=manager, disposition="use_as_is")
    assert held_lot_ids([lot.pk]) == {lot.pk}
    holds.release_hold(by_hand, actor=manager, note="complaint withdrawn")
    assert held_lot_ids([lot.pk]) == set()


def test_production_never_consumes_a_held_lot():
    component = ItemFactory(tracking=Item.Tracking.LOT)
    order = released_order(components={component: "1"})
    store = order.issue_location
    for code in ("OLD", "NEW"):
        inventory_services.receive_stock(
            actor=None, item=component, qty=Decimal(10), location=store, lot_code=code
        )
    old = component.lots.get(code="OLD")
    holds.place_hold(old, actor=None, reason="suspect")
    first = operations_of(order)[0]
    execution.start_operation(first, actor=None)
    with pytest.raises(LotOnHold):
        execution.report_operation(
            first, actor=None, qty_good="2",
            consumed_lots=[{"item": component, "lot": old, "qty": "2"}],
        )  # fmt: skip
    # Back-flush skips the held (older) lot.
    execution.report_operation(first, actor=None, qty_good="3")
    assert get_on_hand(component, lot=old) == 10
    assert get_on_hand(component, lot=component.lots.get(code="NEW")) == 7


# --- API -----------------------------------------------------------------------


def test_ncr_api_lifecycle(erp):
    lot, _location = _stocked_lot("40")
    opened = erp.post(
        "/api/v1/nonconformances/",
        {"item": lot.item.code, "lot": lot.code, "qty": "4", "description": "dent"},
        format="json",
    )
    assert opened.status_code == 201, opened.content
    body = opened.json()
    assert body["holding"] is True and body["status"] == "open"
    code = body["code"]
    patched = erp.patch(
        f"/api/v1/nonconformances/{code}/", {"investigation": "handling"}, format="json"
    )
    assert patched.status_code == 200 and patched.json()["investigation"] == "handling"
    out_of_order = erp.post(f"/api/v1/nonconformances/{code}/close/", format="json")
    assert out_of_order.status_code == 409
    assert out_of_order.json()["code"] == "invalid_transition"
    decided = erp.patch(f"/api/v1/nonconformances/{code}/", {"disposition": "scrap"}, format="json")
    assert decided.status_code == 200, decided.content
    assert decided.json()["holding"] is False
    assert get_on_hand(lot.item, lot=lot) == 36
    closed = erp.post(f"/api/v1/nonconformances/{code}/close/", {"note": "ok"}, format="json")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    listed = erp.get("/api/v1/nonconformances/", {"status": "closed"})
    assert [n["code"] for n in listed.json()["results"]] == [code]


def test_ncr_api_bad_input(erp):
    missing = erp.post("/api/v1/nonconformances/", {"description": "x"}, format="json")
    assert missing.status_code == 400
    unknown = erp.post(
        "/api/v1/nonconformances/",
        {"item": "NOPE", "lot": "L1", "description": "x"},
        format="json",
    )
    assert unknown.status_code == 400 and "lot" in unknown.json()["errors"]
    assert Nonconformance.objects.count() == 0


def test_hold_api_place_and_release(api_client_for):
    lot, _location = _stocked_lot()
    inspector = api_client_for("quality_inspector")
    placed = inspector.post(
        "/api/v1/lot-holds/",
        {"item": lot.item.code, "lot": lot.code, "reason": "supplier alert"},
        format="json",
    )
    assert placed.status_code == 201, placed.content
    hold = placed.json()["id"]
    erp = api_client_for("erp")  # may write quality records, may not release holds
    refused = erp.post(f"/api/v1/lot-holds/{hold}/release/", {"note": "x"}, format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "not_permitted"
    released = inspector.post(
        f"/api/v1/lot-holds/{hold}/release/", {"note": "cleared"}, format="json"
    )
    assert released.status_code == 200 and released.json()["active"] is False
    listed = inspector.get("/api/v1/lot-holds/", {"active": "false"})
    assert listed.json()["count"] == 1
