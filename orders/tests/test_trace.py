"""The full trace: genealogy both ways with inspections, receipts, shipments, customers,
returns and holds, in a number of queries that does not grow with depth."""

from decimal import Decimal

import pytest

from inventory.models import Item, Location, Lot
from inventory.tests.factories import LocationFactory
from orders.distribution import services as distribution
from orders.trace import get_full_trace
from production.models import ProductionOrder
from production.tests.test_execution_materials import chain
from quality.holds.services import place_hold
from quality.tests.factories import inspect, make_plan

from .factories import SalesOrderFactory, line

pytestmark = pytest.mark.django_db


def _ship(item: Item, lot_code: str, qty: str, customer_code: str):
    LocationFactory(code="SHIP-DOCK", kind=Location.Kind.SHIPPING)
    LocationFactory(code="QC-HOLD", kind=Location.Kind.QUARANTINE)
    order = SalesOrderFactory(lines=[line(1, item=item, qty=qty)], customer__code=customer_code)
    shipment = distribution.create_shipment(
        actor=None,
        sales_order=order,
        lines=[{"line": 1, "item": item.code, "qty": qty, "lot": lot_code}],
    )
    return distribution.ship_shipment(shipment, actor=None)


def _inspected_chain(levels: int):
    items = chain(levels)
    top = items[-1]
    order = ProductionOrder.objects.get(item=top)
    plan = make_plan(item=top, operation_seq=10, kind="final")
    inspect(plan, production_order=order, operation=order.operations.get())
    return items


def test_raw_material_reaches_the_customer_and_back():
    raw, _middle, top = _inspected_chain(2)
    shipment = _ship(top, "L2", "1", "ACME")
    distribution.receive_customer_return(
        actor=None, shipment=shipment, item=top, lot="L2", qty="1", reason="noise"
    )
    forward = get_full_trace(Lot.objects.get(item=raw, code="L0"))
    assert [(n["item"], n["lot"]) for n in forward["forward"]] == [
        ("LEVEL-1", "L1"),
        ("LEVEL-2", "L2"),
    ]
    assert [c["code"] for c in forward["customers"]] == ["ACME"]
    assert forward["shipments"][0]["shipment"] == shipment.code
    assert forward["returns"][0]["lot"] == "L2"
    assert [r["lot"] for r in forward["receipts"]] == ["L0"]
    assert {h["lot"] for h in forward["holds"]} == {"L2"}  # the return holds it

    backward = get_full_trace(Lot.objects.get(item=top, code="L2"))
    assert [n["lot"] for n in backward["backward"]] == ["L1", "L0"]
    assert [i["verdict"] for i in backward["inspections"]] == ["pass"]
    assert backward["inspections_of_lot"] == [backward["inspections"][0]["id"]]
    assert backward["receipts"] == []  # made here, not received


# Two recursive walks, the operators, the inspections (and their results), shipments,
# returns, receipts and holds: the same at any depth.
TRACE_QUERIES = 9


@pytest.mark.parametrize("levels", [2, 6])
def test_the_number_of_queries_does_not_grow_with_depth(levels, django_assert_num_queries):
    items = _inspected_chain(levels)
    _ship(items[-1], f"L{levels}", "1", "C1")
    bottom = Lot.objects.select_related("item").get(item=items[0], code="L0")
    top = Lot.objects.select_related("item").get(item=items[-1], code=f"L{levels}")
    with django_assert_num_queries(TRACE_QUERIES):
        forward = get_full_trace(bottom)
    with django_assert_num_queries(TRACE_QUERIES):
        backward = get_full_trace(top)
    assert len(forward["forward"]) == len(backward["backward"]) == levels


def test_trace_api_and_its_errors(erp):
    raw, _middle, top = _inspected_chain(2)
    _ship(top, "L2", "1", "ACME")
    found = erp.get(f"/api/v1/lots/{raw.code}/L0/trace/")
    assert found.status_code == 200
    body = found.json()
    assert body["customers"] == [{"code": "ACME", "name": "Customer ACME"}]
    assert body["forward"][-1]["inspections"] == [body["inspections"][0]["id"]]
    assert body["shipments"][0]["qty"] == "1.000000"
    missing = erp.get(f"/api/v1/lots/{raw.code}/NOPE/trace/")
    assert missing.status_code == 404
    assert missing.headers["Content-Type"].startswith("application/problem+json")


def test_holds_show_on_the_trace():
    raw, _middle, top = _inspected_chain(2)
    place_hold(Lot.objects.get(item=raw, code="L0"), actor=None, reason="supplier recall")
    trace = get_full_trace(Lot.objects.get(item=top, code="L2"))
    assert [h["reason"] for h in trace["holds"]] == ["supplier recall"]
    assert Decimal(trace["backward"][0]["qty"]) == 2
