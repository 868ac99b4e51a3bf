"""Issue 3, done when: in the demo plant a planner creates orders from demand and releases
them, an ERP client runs every operation to completion over the API, and stock,
genealogy and the audit trail show exactly what happened."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from inventory.models import Item, Location, StockMove
from inventory.selectors import get_on_hand, reconcile_balances
from mes.models import AuditEntry
from production.models import OperationEvent, ProductionOrder
from seeds import demo_plant

from .demo_flow import PRODUCT, plan_product_chain, run_order_over_the_api

pytestmark = pytest.mark.django_db


def test_demo_plant_from_demand_to_finished_goods(api_client_for):
    call_command("load_demo", verbosity=0)
    planner = get_user_model().objects.get(username="planner")
    product = Item.objects.get(code=PRODUCT)
    store = Location.objects.get(code="STOCK")

    demand = sum(
        Decimal(qty)
        for order in demo_plant.SALES_ORDERS
        for item, qty, _due in order.lines
        if item == PRODUCT
    )
    # Sub-assemblies first (deepest BOM level first), then the product.
    chain, requirements = plan_product_chain(planner)
    assert sum(o.qty for o in chain if o.item.code == PRODUCT) == demand
    assert len({o.item.code for o in chain}) >= 3  # sub-assemblies got their own orders
    erp = api_client_for("erp")
    for order in chain:
        run_order_over_the_api(erp, order)

    # Every order completed; the finished goods are in stock.
    assert {o.status for o in ProductionOrder.objects.filter(pk__in=[o.pk for o in chain])} == {
        ProductionOrder.Status.COMPLETED
    }
    assert get_on_hand(product, location=store) == demand
    # Raw materials went down by exactly what the BOM explosion says.
    for requirement in requirements:
        if not requirement.is_leaf:
            continue
        raw = Item.objects.get(code=requirement.item)
        opening = Decimal(
            demo_plant.OPENING_STOCK_KG if raw.uom.code == "KG" else demo_plant.OPENING_STOCK_EA
        )
        required = sum(r.qty for r in requirements if r.item == requirement.item and r.is_leaf)
        assert get_on_hand(raw, location=store) == opening - required, raw.code
    assert reconcile_balances() == []

    # Genealogy: the product lot traces back to the first (oldest) coil lot.
    product_lot = StockMove.objects.filter(item=product, reason="production").first().lot
    trace = erp.get(f"/api/v1/lots/{PRODUCT}/{product_lot.code}/trace/")
    assert trace.status_code == 200, trace.content
    backward = trace.json()["backward"]
    coil = [node for node in backward if node["item"] == "RM-SAPH440-4.0"]
    assert coil and coil[0]["lot"] == demo_plant.OPENING_LOTS[0]
    assert max(node["depth"] for node in backward) >= 3
    assert all(node["machine"] for node in backward if node["item"].startswith("SF-"))

    # History: each operation was started, reported and completed, by the ERP client;
    # each order's release is in the audit trail.
    events = OperationEvent.objects.filter(operation__order__in=chain)
    assert events.filter(kind="report").count() == sum(o.operations.count() for o in chain)
    assert set(events.values_list("actor__username", flat=True)) == {erp.user.username}
    released = AuditEntry.objects.filter(
        model="production.productionorder",
        changes__status__1="released",
        object_id__in=[str(o.pk) for o in chain],
    )
    assert released.count() == len(chain)
