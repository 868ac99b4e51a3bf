"""Lot trace latency over a large synthetic genealogy (issue 4): is p95 under 200 ms?

DATABASE_URL=postgres://…/mes_trace_bench .venv/bin/python bench/trace.py [MOVES] [--explain]

PostgreSQL only. The plant (items of 11 levels, one location, one work center and
machine, one released production order per level, each with one operation) is made
through the services. The history is NOT: it is written with INSERT … SELECT over
generate_series, bypassing the services, because this is benchmark setup and the
services would take hours for a million moves. Every generated row obeys the
constraints, and the ledger stays consistent:

- Many independent trees (about MOVES / 2,517 of them; 398 for the 1,000,000 default).
  Each is one product lot (level 0) made through 10 levels of intermediate lots from
  1,000 raw lots (level 10); lots per level 1, 1, 1, 1, 1, 2, 4, 8, 40, 200, 1000,
  so 1,259 lots and 1,258 genealogy edges per tree, the fan-out at the raw end.
- Each lot enters the ledger once (raw: receipt, others: production receipt, 10 units)
  and each consumed lot leaves it once (consumption, all 10 units); every edge reuses
  the order, operation and machine of its level.
- StockBalance holds the ledger's sum per lot: 10 for the product lots, 0 for the rest.

Then N traces through the API (an ERP key) of product lots (backward: 1,258 nodes over
10 levels) and of raw lots (forward: 10 nodes up to the product), each from another
tree (with 50 trees or more). Prints p50/p95/max in ms, the SQL time inside them, SQL
queries per trace, the time in Python's garbage collector, and the sizes; with
--explain, or when p95 misses the goal, the plans (EXPLAIN ANALYZE) of both recursive
queries for a product lot.
"""

import gc
import random
import sys
import time
from datetime import date
from decimal import Decimal
from math import ceil, prod
from statistics import median, quantiles

from _django import bench_database

# Fan-out from each level to the next: 1 product lot → … → 1,000 raw lots, 10 levels.
FAN_OUT = (1, 1, 1, 1, 2, 2, 2, 5, 5, 5)
LOTS_PER_LEVEL = tuple(prod(FAN_OUT[:level]) for level in range(len(FAN_OUT) + 1))
LOTS_PER_TREE = sum(LOTS_PER_LEVEL)
EDGES_PER_TREE = LOTS_PER_TREE - 1
MOVES_PER_TREE = LOTS_PER_TREE + EDGES_PER_TREE  # one receipt per lot, one issue per edge
LOT_QTY = 10
REQUESTS = 50
GOAL_P95_MS = 200.0


def lot_code_sql(tree: str, index: str) -> str:
    """SQL for the code of lot ``index`` of tree ``tree`` (unique per item)."""
    return f"'T' || lpad(({tree})::text, 5, '0') || '-' || lpad(({index})::text, 4, '0')"


def lot_code(tree: int, index: int) -> str:
    return f"T{tree:05d}-{index:04d}"


def build_plant(actor):
    """Items per level, and per level an order (of the level's item) with one operation."""
    from inventory import services as inventory
    from inventory.models import Item
    from production import services as production
    from production.execution import services as execution

    each, _created = inventory.upsert_uom(actor=actor, code="EA", name="each", decimals=0)
    inventory.create_location(actor=actor, code="STOCK", name="Stock")
    cell = production.create_work_center(actor=actor, code="WC-CELL", name="Cell")
    machine = production.create_machine(
        actor=actor, code="M-CELL-1", name="Cell 1", work_center=cell, ideal_cycle_time_s="20"
    )
    last = len(LOTS_PER_LEVEL) - 1
    items = []
    for level in range(last + 1):
        kind = {0: Item.Kind.PRODUCT, last: Item.Kind.RAW}.get(level, Item.Kind.COMPONENT)
        items.append(
            inventory.create_item(
                actor=actor,
                code=f"L{level:02d}",
                name=f"Level {level}",
                kind=kind,
                uom=each,
                tracking=Item.Tracking.LOT,
            )
        )
    operations = []
    for level, item in enumerate(items[:-1]):
        inventory.set_bom(
            item, actor=actor, components=[{"item": items[level + 1], "qty_per": Decimal(1)}]
        )
        production.set_routing(
            item,
            actor=actor,
            operations=[{"seq": 10, "name": "make", "work_center": cell, "cycle_time_s": "20"}],
        )
        order = execution.create_production_order(
            actor=actor, code=f"PO-L{level:02d}", item=item, qty=LOT_QTY, due_date=date(2026, 12, 1)
        )
        execution.release_production_order(order, actor=actor)
        operation = order.operations.get()
        operations.append(operation)
    return items, operations, machine


def build_history(trees: int, items, operations, machine) -> None:
    """Lots, genealogy edges, stock moves and balances of ``trees`` trees, in bulk SQL."""
    from django.db import connection

    from inventory.models import Location, Lot, StockBalance, StockMove
    from production.models import LotGenealogy, ProductionOrder

    lot_table = Lot._meta.db_table
    move_table = StockMove._meta.db_table
    stock = Location.objects.get(code="STOCK")
    with connection.cursor() as cursor:
        for item, lots in zip(items, LOTS_PER_LEVEL, strict=True):
            cursor.execute(
                f"""
                INSERT INTO {lot_table} (item_id, code, is_serial, created_at, updated_at)
                SELECT %s, {lot_code_sql("t", "i")}, false, now(), now()
                FROM generate_series(0, %s) t, generate_series(0, %s) i
                """,
                [item.pk, trees - 1, lots - 1],
            )
        for level in range(1, len(items)):
            operation = operations[level - 1]  # the order that consumed this level's lots
            cursor.execute(
                f"""
                INSERT INTO {LotGenealogy._meta.db_table}
                    (produced_lot_id, consumed_lot_id, qty, order_id, operation_id, machine_id,
                     created_at)
                SELECT produced.id, consumed.id, %s, %s, %s, %s, now()
                FROM generate_series(0, %s) t CROSS JOIN generate_series(0, %s) i
                JOIN {lot_table} consumed
                    ON consumed.item_id = %s AND consumed.code = {lot_code_sql("t", "i")}
                JOIN {lot_table} produced
                    ON produced.item_id = %s AND produced.code = {lot_code_sql("t", "i / %s")}
                """,
                [
                    LOT_QTY,
                    operation.order_id,
                    operation.pk,
                    machine.pk,
                    trees - 1,
                    LOTS_PER_LEVEL[level] - 1,
                    items[level].pk,
                    items[level - 1].pk,
                    FAN_OUT[level - 1],
                ],
            )
        raw = items[-1]
        move_columns = "item_id, lot_id, location_id, qty, reason, reference, posting, created_at"
        cursor.execute(
            f"""
            INSERT INTO {move_table} ({move_columns})
            SELECT lot.item_id, lot.id, %s, %s,
                   CASE WHEN lot.item_id = %s THEN 'receipt' ELSE 'production' END,
                   'bench', gen_random_uuid(), now()
            FROM {lot_table} lot WHERE lot.item_id = ANY(%s)
            """,
            [stock.pk, LOT_QTY, raw.pk, [item.pk for item in items]],
        )
        cursor.execute(
            f"""
            INSERT INTO {move_table} ({move_columns})
            SELECT lot.item_id, lot.id, %s, -edge.qty, 'consumption', po.code,
                   gen_random_uuid(), now()
            FROM {LotGenealogy._meta.db_table} edge
            JOIN {lot_table} lot ON lot.id = edge.consumed_lot_id
            JOIN {ProductionOrder._meta.db_table} po ON po.id = edge.order_id
            """,
            [stock.pk],
        )
        cursor.execute(
            f"""
            INSERT INTO {StockBalance._meta.db_table}
                (item_id, lot_id, location_id, qty, negative_allowed, updated_at)
            SELECT item_id, lot_id, location_id, sum(qty), false, now()
            FROM {move_table} GROUP BY item_id, lot_id, location_id
            """
        )
        cursor.execute("ANALYZE")


class Timer:
    """Counts queries and the time spent in them."""

    def __init__(self):
        self.queries = 0
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        self.queries += 1
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started


class CollectorPauses:
    """Time spent in Python's cyclic garbage collector, per generation, while active."""

    def __init__(self):
        self.seconds = {0: 0.0, 1: 0.0, 2: 0.0}
        self.runs = {0: 0, 1: 0, 2: 0}
        self.started = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self.started = time.perf_counter()
        else:
            self.seconds[info["generation"]] += time.perf_counter() - self.started
            self.runs[info["generation"]] += 1

    def __enter__(self):
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc_info):
        gc.callbacks.remove(self)


def p95_of(values: list[float]) -> float:
    return quantiles(values, n=20, method="inclusive")[-1]


def measure(label: str, client, lots: list[tuple[str, str]], check) -> float:
    """Time one trace request per lot; print p50/p95/max, SQL, queries, GC. Returns p95."""
    from django.db import connection

    client.get(f"/api/v1/lots/{lots[0][0]}/{lots[0][1]}/trace/")  # warm up
    latencies, sql_ms, queries = [], [], set()
    with CollectorPauses() as pauses:
        for item, lot in lots:
            timer = Timer()
            with connection.execute_wrapper(timer):
                started = time.perf_counter()
                response = client.get(f"/api/v1/lots/{item}/{lot}/trace/")
                latencies.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.content
            check(response.json())
            sql_ms.append(timer.seconds * 1000)
            queries.add(timer.queries)
    p95 = p95_of(latencies)
    count = "/".join(str(number) for number in sorted(queries))
    print(f"{label}, {len(lots)} requests, {count} SQL queries per trace")
    print(f"  latency  p50 {median(latencies):6.1f}  p95 {p95:6.1f}  max {max(latencies):6.1f} ms")
    sql_p95 = p95_of(sql_ms)
    print(f"  in SQL   p50 {median(sql_ms):6.1f}  p95 {sql_p95:6.1f}  max {max(sql_ms):6.1f} ms")
    collected = sum(pauses.seconds.values()) * 1000
    print(
        f"  Python GC: {pauses.runs[2]} full (gen 2) collections, "
        f"{pauses.seconds[2] * 1000:.0f} ms; all generations {collected:.0f} ms"
    )
    return p95


def explain(lot_id: int) -> None:
    from django.db import connection

    from production.execution.selectors import MAX_TRACE_DEPTH, _trace_sql

    with connection.cursor() as cursor:
        for direction in ("backward", "forward"):
            cursor.execute(
                f"EXPLAIN (ANALYZE, BUFFERS) {_trace_sql(direction)}", [lot_id, MAX_TRACE_DEPTH]
            )
            print(f"\nEXPLAIN ANALYZE, {direction} trace of lot id {lot_id}:")
            print("\n".join(row[0] for row in cursor.fetchall()))


def main(moves: int, explain_plans: bool) -> None:
    with bench_database():
        from django.db import connection
        from rest_framework.test import APIClient

        from inventory.models import Lot, StockBalance, StockMove
        from mes.services import create_api_key, create_person
        from production.models import LotGenealogy

        if connection.vendor != "postgresql":
            sys.exit("bench/trace.py builds its history with PostgreSQL SQL: set DATABASE_URL.")
        trees = ceil(moves / MOVES_PER_TREE)
        actor = create_person(actor=None, username="bench", role="supervisor")
        items, operations, machine = build_plant(actor)
        started = time.perf_counter()
        build_history(trees, items, operations, machine)
        built = time.perf_counter() - started
        print(
            f"database: {connection.vendor}; {trees} trees, {len(FAN_OUT)} levels, "
            f"{LOTS_PER_LEVEL[-1]} raw lots per product lot; built in {built:.1f} s"
        )
        print(
            f"stock moves {StockMove.objects.count():,}  lots {Lot.objects.count():,}  "
            f"genealogy edges {LotGenealogy.objects.count():,}  "
            f"balances {StockBalance.objects.count():,}"
        )

        _key, raw_key = create_api_key(actor=None, name="bench", role="erp")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {raw_key}")
        picked = random.Random(4)
        sample = [tree * trees // REQUESTS for tree in range(REQUESTS)]
        product, raw = items[0].code, items[-1].code

        def full_tree(trace):
            assert len(trace["backward"]) == EDGES_PER_TREE and not trace["forward"], trace

        def up_to_product(trace):
            assert len(trace["forward"]) == len(FAN_OUT) and not trace["backward"], trace

        p95s = [
            measure(
                f"backward, product lot ({EDGES_PER_TREE} nodes)",
                client,
                [(product, lot_code(tree, 0)) for tree in sample],
                full_tree,
            ),
            measure(
                f"forward, raw lot ({len(FAN_OUT)} nodes)",
                client,
                [(raw, lot_code(tree, picked.randrange(LOTS_PER_LEVEL[-1]))) for tree in sample],
                up_to_product,
            ),
        ]
        met = max(p95s) < GOAL_P95_MS
        print(f"goal p95 < {GOAL_P95_MS:.0f} ms: {'met' if met else 'NOT met'}")
        if not met or explain_plans:
            explain(Lot.objects.get(item=items[0], code=lot_code(0, 0)).pk)


if __name__ == "__main__":
    arguments = [argument for argument in sys.argv[1:] if argument != "--explain"]
    main(int(arguments[0]) if arguments else 1_000_000, explain_plans="--explain" in sys.argv)
