"""The whole trace of a lot: genealogy both ways, with what quality and shipping know.

Production walks the genealogy (one recursive query per direction); this adds, in
a fixed number of queries whatever the depth or fan-out, the inspections of every
lot and of the orders that made them, the lot's own receipts (a purchased lot's
supplier deliveries), the shipments and customers of the lot and of everything made
from it, the customer returns and the holds.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Prefetch, Q

from inventory.models import Lot, StockMove
from production.execution.selectors import get_trace
from quality.holds.selectors import list_active_holds
from quality.models import Inspection, InspectionResult

from .models import Allocation, CustomerReturn

SHIPPED_OR_PICKED = (Allocation.Status.PICKED, Allocation.Status.SHIPPED)


def _producers(lot: Lot, trace: dict[str, list[dict]]) -> dict[int, set[int]]:
    """lot id → ids of the orders that made it, from the genealogy's edges."""
    made_by: dict[int, set[int]] = defaultdict(set)
    for node in trace["backward"]:
        made_by[node["parent_lot_id"]].add(node["order_id"])
    for node in trace["forward"]:
        made_by[node["lot_id"]].add(node["order_id"])
    return made_by


def _inspections(lot_ids: set[int], order_ids: set[int]) -> list[Inspection]:
    results = InspectionResult.objects.only(
        "id", "inspection_id", "characteristic_code", "in_spec"
    ).order_by("id")
    return list(
        Inspection.objects.filter(Q(lot_id__in=lot_ids) | Q(production_order_id__in=order_ids))
        .select_related(
            "plan_version__plan", "production_order", "operation", "lot__item", "inspected_by"
        )
        .prefetch_related(Prefetch("results", queryset=results))
        .order_by("inspected_at", "id")
    )


def get_full_trace(lot: Lot) -> dict[str, Any]:
    """{item, lot, backward, forward, inspections, receipts (of the lot itself), shipments,
    customers, returns, holds}; every node also lists the ids of its lot's inspections."""
    trace = get_trace(lot)
    backward_ids = {lot.pk} | {node["lot_id"] for node in trace["backward"]}
    forward_ids = {lot.pk} | {node["lot_id"] for node in trace["forward"]}
    made_by = _producers(lot, trace)
    order_ids = {order_id for ids in made_by.values() for order_id in ids}
    inspections = _inspections(backward_ids | forward_ids, order_ids)

    by_lot: dict[int, list[int]] = defaultdict(list)
    by_order: dict[int, list[int]] = defaultdict(list)
    for inspection in inspections:
        if inspection.lot_id:
            by_lot[inspection.lot_id].append(inspection.pk)
        if inspection.production_order_id:
            by_order[inspection.production_order_id].append(inspection.pk)

    def inspections_of(lot_id: int) -> list[int]:
        found = set(by_lot.get(lot_id, []))
        for order_id in made_by.get(lot_id, ()):
            found.update(by_order.get(order_id, []))
        return sorted(found)

    for node in trace["backward"] + trace["forward"]:
        node["inspections"] = inspections_of(node["lot_id"])

    shipped = list(
        Allocation.objects.filter(lot_id__in=forward_ids, status__in=SHIPPED_OR_PICKED)
        .select_related("shipment__sales_order__customer", "item", "lot")
        .order_by("shipment__shipped_at", "id")
    )
    customers = {a.shipment.sales_order.customer for a in shipped}
    returns = list(
        CustomerReturn.objects.filter(lot_id__in=forward_ids)
        .select_related("shipment__sales_order__customer", "item", "lot", "nonconformance")
        .order_by("created_at", "id")
    )
    receipts = list(
        StockMove.objects.filter(lot=lot, reason=StockMove.Reason.RECEIPT)
        .select_related("item", "lot", "location")
        .order_by("created_at", "id")
    )
    holds = list(list_active_holds(backward_ids | forward_ids).order_by("placed_at", "id"))
    return {
        "item": lot.item.code,
        "lot": lot.code,
        "inspections_of_lot": inspections_of(lot.pk),
        **trace,
        "inspections": [_inspection(i) for i in inspections],
        "receipts": [
            {
                "item": m.item.code,
                "lot": m.lot.code,
                "qty": m.qty,
                "location": m.location.code,
                "at": m.created_at,
                "reference": m.reference,
            }
            for m in receipts
        ],
        "shipments": [
            {
                "shipment": a.shipment.code,
                "status": a.status,
                "shipped_at": a.shipment.shipped_at,
                "sales_order": a.shipment.sales_order.code,
                "customer": a.shipment.sales_order.customer.code,
                "item": a.item.code,
                "lot": a.lot.code,
                "qty": a.qty,
            }
            for a in shipped
        ],
        "customers": [
            {"code": c.code, "name": c.name} for c in sorted(customers, key=lambda c: c.code)
        ],
        "returns": [
            {
                "code": r.code,
                "shipment": r.shipment.code,
                "customer": r.shipment.sales_order.customer.code,
                "item": r.item.code,
                "lot": r.lot.code if r.lot else None,
                "qty": r.qty,
                "received_at": r.created_at,
                "nonconformance": r.nonconformance.code if r.nonconformance else None,
            }
            for r in returns
        ],
        "holds": [
            {
                "item": h.lot.item.code,
                "lot": h.lot.code,
                "source": h.source,
                "reason": h.reason,
                "placed_at": h.placed_at,
                "nonconformance": h.nonconformance.code if h.nonconformance else None,
            }
            for h in holds
        ],
    }


def _inspection(inspection: Inspection) -> dict[str, Any]:
    return {
        "id": inspection.pk,
        "plan": inspection.plan_version.plan.code,
        "kind": inspection.plan_version.plan.kind,
        "production_order": inspection.production_order.code
        if inspection.production_order
        else None,
        "seq": inspection.operation.seq if inspection.operation else None,
        "item": inspection.lot.item.code if inspection.lot else None,
        "lot": inspection.lot.code if inspection.lot else None,
        "verdict": inspection.verdict,
        "inspected_at": inspection.inspected_at,
        "inspected_by": inspection.inspected_by.username if inspection.inspected_by else None,
        "failed": [r.characteristic_code for r in inspection.results.all() if not r.in_spec],
    }
