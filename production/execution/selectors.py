"""Reads of production orders and of lot genealogy (trace)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import F, Max, Prefetch, Q, QuerySet
from django.db.models.functions import TruncDate

from inventory import selectors as inventory_selectors
from inventory.models import BomLine, Item, Lot
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
    return list_material_shortages([order])[order.pk]


def list_material_shortages(orders: Iterable[ProductionOrder]) -> dict[int, list[Shortage]]:
    """Per order id, ``material_shortages`` of each order, in two queries for all of them
    (the BOM lines, the balances of their components)."""
    orders = list(orders)
    step = Decimal(1).scaleb(-QTY_DECIMAL_PLACES)
    lines_of: dict[int, list[BomLine]] = defaultdict(list)
    bom_ids = {order.bom_id for order in orders if order.bom_id is not None}
    for line in BomLine.objects.filter(bom_id__in=bom_ids).select_related("component"):
        lines_of[line.bom_id].append(line)
    at_location = inventory_selectors.list_on_hand_by_location(
        line.component_id for lines in lines_of.values() for line in lines
    )
    anywhere: dict[int, Decimal] = defaultdict(Decimal)
    for (item_id, _location_id), total in at_location.items():
        anywhere[item_id] += total
    found: dict[int, list[Shortage]] = {}
    for order in orders:
        shortages = []
        for line in sorted(lines_of.get(order.bom_id, []), key=lambda line: line.line):
            required = (line.qty_per * order.qty).quantize(step, rounding=ROUND_HALF_UP)
            available = (
                anywhere[line.component_id]
                if order.issue_location_id is None
                else at_location.get((line.component_id, order.issue_location_id), Decimal(0))
            )
            if available < required:
                shortages.append(
                    Shortage(item=line.component, required=required, available=available)
                )
        found[order.pk] = shortages
    return found


def with_delivery_risk(
    orders: QuerySet[ProductionOrder], *, today: date, zone: str
) -> QuerySet[ProductionOrder]:
    """The active ones of ``orders`` that are late (due before ``today``) or at risk (an
    operation is planned to end after the due date, in plant-local days), with
    ``planned_finish``, the last planned end of their operations."""
    return (
        orders.filter(status__in=ProductionOrder.ACTIVE_STATUSES)
        .annotate(planned_finish=Max("operations__planned_end"))
        .annotate(planned_finish_day=TruncDate("planned_finish", tzinfo=ZoneInfo(zone)))
        .filter(Q(due_date__lt=today) | Q(planned_finish_day__gt=F("due_date")))
    )
