"""Reads of production orders and of lot genealogy (trace)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection
from django.db.models import F, Prefetch, QuerySet

from inventory import selectors as inventory_selectors
from inventory.models import Item, Lot
from mes.models import QTY_DECIMAL_PLACES

from ..models import LabourRecord, LotGenealogy, Operation, ProductionOrder, WorkCenter

# A genealogy is a DAG, but a bad import could still make a loop; the walk stops here.
MAX_TRACE_DEPTH = 100


def list_production_orders() -> QuerySet[ProductionOrder]:
    """Orders with their item and their operations (work center, machine) in seq order."""
    operations = Operation.objects.select_related("work_center", "machine").order_by("seq")
    return ProductionOrder.objects.select_related(
        "item", "routing", "bom", "issue_location", "receipt_location"
    ).prefetch_related(Prefetch("operations", queryset=operations))


def _trace_sql(direction: str) -> str:
    """One recursive query: the edges reachable from a lot, one direction, with their depth.

    Backward follows produced → consumed (what the lot was made from); forward
    follows consumed → produced (what was made from it).
    """
    near, far = ("produced_lot_id", "consumed_lot_id")
    if direction == "forward":
        near, far = far, near
    table = LotGenealogy._meta.db_table
    lot_table = Lot._meta.db_table
    item_table = Lot._meta.get_field("item").related_model._meta.db_table
    order_table = ProductionOrder._meta.db_table
    operation_table = Operation._meta.db_table
    machine_table = Operation._meta.get_field("machine").related_model._meta.db_table
    return f"""
        WITH RECURSIVE walk(edge_id, lot_id, parent_lot_id, depth) AS (
            SELECT g.id, g.{far}, g.{near}, 1 FROM {table} g WHERE g.{near} = %s
            UNION
            SELECT g.id, g.{far}, g.{near}, walk.depth + 1
            FROM {table} g JOIN walk ON g.{near} = walk.lot_id
            WHERE walk.depth < %s
        )
        SELECT walk.depth, item.code, lot.code, parent_item.code, parent.code, g.qty,
               po.code, op.seq, op.id, machine.code, lot.id, parent.id, po.id
        FROM walk
        JOIN {table} g ON g.id = walk.edge_id
        JOIN {lot_table} lot ON lot.id = walk.lot_id
        JOIN {item_table} item ON item.id = lot.item_id
        JOIN {lot_table} parent ON parent.id = walk.parent_lot_id
        JOIN {item_table} parent_item ON parent_item.id = parent.item_id
        JOIN {order_table} po ON po.id = g.order_id
        JOIN {operation_table} op ON op.id = g.operation_id
        LEFT JOIN {machine_table} machine ON machine.id = g.machine_id
        ORDER BY walk.depth, item.code, lot.code, parent_item.code, parent.code
    """


def get_trace(lot: Lot) -> dict[str, list[dict[str, Any]]]:
    """Backward (materials) and forward (where used) genealogy of ``lot``, full depth.

    Each node: {item, lot, depth, qty, parent: {item, lot}, order, operation (seq),
    machine, operators}; ``parent`` is the lot one step nearer to ``lot`` (for depth 1,
    ``lot`` itself), ``qty`` how much of the consumed lot went in. Nodes also carry
    the ids ``lot_id``, ``parent_lot_id``, ``order_id`` and ``operation_id`` for
    callers that add to the trace. One recursive query per direction whatever the
    depth, and one for the operators of all operations.
    """
    rows: dict[str, list[tuple]] = {}
    with connection.cursor() as cursor:
        for direction in ("backward", "forward"):
            cursor.execute(_trace_sql(direction), [lot.pk, MAX_TRACE_DEPTH])
            rows[direction] = cursor.fetchall()
    operation_ids = {row[8] for found in rows.values() for row in found}
    operators: dict[int, list[str]] = defaultdict(list)
    labour = (
        LabourRecord.objects.filter(operation_id__in=operation_ids)
        .order_by("operator__username")
        .values_list("operation_id", "operator__username")
        .distinct()
    )
    for operation_id, username in labour:
        operators[operation_id].append(username)
    return {
        direction: [
            {
                "item": item,
                "lot": lot_code,
                "depth": depth,
                "qty": Decimal(str(qty)),  # SQLite returns numbers, not decimals
                "parent": {"item": parent_item, "lot": parent_lot},
                "order": order,
                "operation": seq,
                "machine": machine,
                "operators": operators.get(operation_id, []),
                "lot_id": lot_id,
                "parent_lot_id": parent_lot_id,
                "order_id": order_id,
                "operation_id": operation_id,
            }
            for (
                depth,
                item,
                lot_code,
                parent_item,
                parent_lot,
                qty,
                order,
                seq,
                operation_id,
                machine,
                lot_id,
                parent_lot_id,
                order_id,
            ) in found
        ]
        for direction, found in rows.items()
    }


def list_dispatch(work_center: WorkCenter) -> QuerySet[Operation]:
    """A work center's dispatch list: its operations still to run or running, of released
    and in-progress orders, in the published schedule's order (planned start), then —
    for those no schedule placed — by priority, due date, order and sequence."""
    return (
        Operation.objects.filter(
            work_center=work_center,
            status__in=Operation.OPEN_STATUSES,
            order__status__in=ProductionOrder.ACTIVE_STATUSES,
        )
        .select_related("order__item", "machine", "planned_machine")
        .order_by(
            F("planned_start").asc(nulls_last=True),
            "-order__priority",
            "order__due_date",
            "order__code",
            "seq",
        )
    )


@dataclass(frozen=True)
class Shortage:
    item: Item
    required: Decimal
    available: Decimal


def material_shortages(order: ProductionOrder) -> list[Shortage]:
    """The BOM components the issue location holds less of than the whole order needs."""
    if order.bom_id is None:
        return []
    step = Decimal(1).scaleb(-QTY_DECIMAL_PLACES)
    shortages = []
    for line in order.bom.lines.select_related("component").order_by("line"):
        required = (line.qty_per * order.qty).quantize(step, rounding=ROUND_HALF_UP)
        available = inventory_selectors.get_on_hand(line.component, location=order.issue_location)
        if available < required:
            shortages.append(Shortage(item=line.component, required=required, available=available))
    return shortages
