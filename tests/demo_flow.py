"""Running the demo plant's orders over the API, as an ERP client would, inspections included."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal

from inventory.models import Item
from inventory.selectors import explode_bom
from orders.services import plan_production
from production.models import Machine, Operation, ProductionOrder
from seeds import demo_plant

PRODUCT = "54500-P2000"  # lower control arm: painted arm ← welded arm ← panels ← steel coil

# One subgroup of measurements for a characteristic (nominal, spread) for the n-th inspection.
Measure = Callable[[demo_plant.CharacteristicData, int], list[str]]


def on_nominal(characteristic: demo_plant.CharacteristicData, index: int) -> list[str]:
    """A centred, slightly varying subgroup (deterministic)."""
    step = (characteristic.usl - characteristic.lsl) / 60
    return [
        str(characteristic.nominal + step * ((index * 7 + k * 3) % 5 - 2))
        for k in range(characteristic.sample_size)
    ]


def _plans_for(operation: Operation) -> list[demo_plant.InspectionPlanData]:
    return [
        plan
        for plan in demo_plant.INSPECTION_PLANS
        if plan.item == operation.order.item.code and plan.operation_seq == operation.seq
    ]


def inspections_needed(plan: demo_plant.InspectionPlanData, qty_good: Decimal) -> int:
    if plan.every_n_units:
        return max(1, math.ceil(qty_good / plan.every_n_units))
    return 1


def record_inspections(
    erp, operation: Operation, qty_good: Decimal, measure: Measure = on_nominal
) -> list[dict]:
    """POST the inspections the demo plans ask of ``operation``; their responses."""
    recorded = []
    for plan in _plans_for(operation):
        for index in range(inspections_needed(plan, qty_good)):
            results = []
            for characteristic in plan.characteristics:
                if characteristic.kind == "attribute":
                    results.append({"characteristic": characteristic.code, "ok": True})
                elif characteristic.sample_size == 1:
                    value = measure(characteristic, index)[0]
                    results.append({"characteristic": characteristic.code, "value": value})
                else:
                    values = measure(characteristic, index)
                    results.append({"characteristic": characteristic.code, "values": values})
            response = erp.post(
                "/api/v1/inspections/",
                {
                    "production_order": operation.order.code,
                    "seq": operation.seq,
                    "plan": plan.code,
                    "results": results,
                },
                format="json",
            )
            assert response.status_code == 201, response.content
            recorded.append(response.json())
    return recorded


def operation_path(operation: Operation) -> str:
    return f"/api/v1/production-orders/{operation.order.code}/operations/{operation.seq}"


def start_and_report(erp, operation: Operation) -> None:
    """Start on the first machine of its work center and report the whole quantity good."""
    machine = Machine.objects.filter(work_center=operation.work_center).first()
    started = erp.post(
        f"{operation_path(operation)}/start/", {"machine": machine.code}, format="json"
    )
    assert started.status_code == 200, started.content
    qty = {"qty_good": str(operation.order.qty)}
    reported = erp.post(f"{operation_path(operation)}/report/", qty, format="json")
    assert reported.status_code == 200, reported.content


def complete(erp, operation: Operation) -> None:
    completed = erp.post(f"{operation_path(operation)}/complete/", format="json")
    assert completed.status_code == 200, completed.content


def release(erp, order: ProductionOrder) -> list[Operation]:
    released = erp.post(f"/api/v1/production-orders/{order.code}/release/", format="json")
    assert released.status_code == 200, released.content
    return list(order.operations.select_related("order__item", "work_center").order_by("seq"))


def run_order_over_the_api(erp, order: ProductionOrder, measure: Measure = on_nominal) -> None:
    """Release, then start, report all good, inspect as planned and complete every operation."""
    for operation in release(erp, order):
        start_and_report(erp, operation)
        record_inspections(erp, operation, order.qty, measure)
        complete(erp, operation)


def plan_product_chain(planner, product: str = PRODUCT) -> tuple[list[ProductionOrder], list]:
    """Plan production for the demo demand; the orders making ``product`` and its
    sub-assemblies, deepest BOM level first, and the product's BOM explosion."""
    plan = plan_production(actor=planner)
    item = Item.objects.get(code=product)
    demand = sum(
        Decimal(qty)
        for order in demo_plant.SALES_ORDERS
        for code, qty, _due in order.lines
        if code == product
    )
    requirements = explode_bom(item, demand)
    deepest_level: dict[str, int] = defaultdict(int)
    for requirement in requirements:
        deepest_level[requirement.item] = max(deepest_level[requirement.item], requirement.level)
    chain = [o for o in plan.created if o.item.code == product or o.item.code in deepest_level]
    chain.sort(key=lambda o: (-deepest_level.get(o.item.code, 0), o.due_date, o.code))
    return chain, requirements
