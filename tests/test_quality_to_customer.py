"""Issues 4 and 5, done when: in the demo plant an order is made and inspected in process
(a drift in the process breaks a control-chart rule), an NCR holds its lot and its
disposition scraps part of it and frees the rest; the goods are allocated, picked and
shipped; the trace of a raw material lot reaches the customer and back, with the
inspections on the way."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from inventory.models import Item, Location, StockMove
from inventory.selectors import get_on_hand, reconcile_balances
from orders.models import SalesOrder
from quality.models import LotHold, QualityAlarm
from seeds import demo_plant

from .demo_flow import (
    PRODUCT,
    complete,
    inspections_needed,
    on_nominal,
    operation_path,
    plan_product_chain,
    record_inspections,
    release,
    run_order_over_the_api,
    start_and_report,
)

pytestmark = pytest.mark.django_db

PRESS_FIT = next(p for p in demo_plant.INSPECTION_PLANS if p.code == "IP-54500-PRESSFIT")


def drifting_after(first_drifting: int):
    """The press-fit depth drifts up 0.12 mm from the given subgroup on: still inside the
    specification (±0.3 mm), far outside the process's own control limits."""

    def measure(characteristic, index):
        values = on_nominal(characteristic, index)
        if characteristic.code != "PRESS-DEPTH" or index < first_drifting:
            return values
        return [str(Decimal(value) + Decimal("0.12")) for value in values]

    return measure


def test_demo_plant_from_inspection_to_customer_and_back(api_client_for):
    call_command("load_demo", verbosity=0)
    planner = get_user_model().objects.get(username="planner")
    erp = api_client_for("erp")
    store = Location.objects.get(code="STOCK")
    product = Item.objects.get(code=PRODUCT)
    chain, _requirements = plan_product_chain(planner)
    for order in chain:
        if order.item != product:
            run_order_over_the_api(erp, order)
    first, *others = [order for order in chain if order.item == product]

    # The press-fit cannot complete before its in-process inspections are recorded.
    press_fit, *rest = release(erp, first)
    start_and_report(erp, press_fit)
    refused = erp.post(f"{operation_path(press_fit)}/complete/", format="json")
    assert refused.status_code == 409, refused.content
    assert refused.json()["code"] == "inspection_required"
    needed = inspections_needed(PRESS_FIT, first.qty)
    drifting = drifting_after(needed - 3)
    record_inspections(erp, press_fit, first.qty, drifting)
    complete(erp, press_fit)
    for operation in rest:
        start_and_report(erp, operation)
        record_inspections(erp, operation, first.qty, drifting)
        complete(erp, operation)
    for order in others:
        run_order_over_the_api(erp, order)

    # The control chart flags the drift; the alarm is in the admin's list.
    chart = erp.get(f"/api/v1/spc/{PRODUCT}/PRESS-DEPTH/")
    assert chart.status_code == 200, chart.content
    body = chart.json()
    assert 1 in {v["rule"] for v in body["violations"] if v["chart"] == "primary"}
    assert body["capability"]["cpk"] is not None
    assert QualityAlarm.objects.filter(characteristic_code="PRESS-DEPTH", kind="rule").exists()

    # An NCR on the first order's lot holds it: that lot cannot ship.
    lot_code = StockMove.objects.filter(item=product, reason="production").first().lot.code
    ncr = erp.post(
        "/api/v1/nonconformances/",
        {"item": PRODUCT, "lot": lot_code, "qty": "10", "description": "press-fit drift"},
        format="json",
    )
    assert ncr.status_code == 201, ncr.content
    ncr_code = ncr.json()["code"]
    assert LotHold.objects.filter(lot__code=lot_code, released_at__isnull=True).exists()
    sales_order = SalesOrder.objects.get(code="SO-DEMO-0003")
    held = erp.post(
        "/api/v1/shipments/",
        {
            "sales_order": sales_order.code,
            "lines": [{"line": 1, "item": PRODUCT, "qty": "1", "lot": lot_code}],
        },
        format="json",
    )
    assert held.status_code == 409 and held.json()["code"] == "lot_on_hold"

    # Disposition: scrap the ten suspect units, which frees the lot.
    on_hand = get_on_hand(product, location=store)
    scrapped = erp.post(
        f"/api/v1/nonconformances/{ncr_code}/disposition/",
        {"disposition": "scrap", "note": "depth out of control", "location": "STOCK"},
        format="json",
    )
    assert scrapped.status_code == 200, scrapped.content
    assert get_on_hand(product, location=store) == on_hand - 10
    assert not LotHold.objects.filter(lot__code=lot_code, released_at__isnull=True).exists()
    assert erp.post(f"/api/v1/nonconformances/{ncr_code}/close/", format="json").status_code == 200

    # Allocate, pick and ship the Kia order's arms.
    line_qty = sales_order.lines.get(line=1).qty
    allocated = erp.post(f"/api/v1/sales-orders/{sales_order.code}/allocate/", format="json")
    assert allocated.status_code == 200, allocated.content
    created = erp.post(
        "/api/v1/shipments/",
        {
            "sales_order": sales_order.code,
            "lines": [{"line": 1, "item": PRODUCT, "qty": str(line_qty)}],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    shipment = created.json()["code"]
    assert erp.post(f"/api/v1/shipments/{shipment}/pick/", format="json").status_code == 200
    shipped = erp.post(f"/api/v1/shipments/{shipment}/ship/", format="json")
    assert shipped.status_code == 200, shipped.content
    sales_order.refresh_from_db()
    assert sales_order.lines.get(line=1).shipped_qty == line_qty
    assert sales_order.status == SalesOrder.Status.PARTIALLY_SHIPPED
    assert reconcile_balances() == []

    # The coil lot reaches the customer, and the shipped lot leads back to the coil,
    # its inspections on the way.
    coil = demo_plant.OPENING_LOTS[0]
    forward = erp.get(f"/api/v1/lots/RM-SAPH440-4.0/{coil}/trace/").json()
    assert "KIA" in {customer["code"] for customer in forward["customers"]}
    shipped_lot = created.json()["lines"][0]["lot"]
    backward = erp.get(f"/api/v1/lots/{PRODUCT}/{shipped_lot}/trace/").json()
    coils = {node["lot"] for node in backward["backward"] if node["item"] == "RM-SAPH440-4.0"}
    assert coil in coils
    assert {"IP-54500-PRESSFIT", "IP-54500-FINAL"} <= {i["plan"] for i in backward["inspections"]}
    assert set(backward["inspections_of_lot"]) == {
        i["id"] for i in backward["inspections"] if i["production_order"] == first.code
    }
