"""Complete production orders per second through the services, and whether their cost grows.

DATABASE_URL=postgres://…/mes_bench .venv/bin/python bench/orders_flow.py [N]

A small plant (PUMP = 2 ROTOR + 4 SCREW, ROTOR = 0.5 kg STEEL; a 3-operation
routing on one work center and machine; the materials in stock), then N orders
each created, released, and every operation started, reported all good and
completed; the last report receives the finished lot. Prints orders per second,
queries per order, and queries per report for the first orders against the last:
a ratio of ~1.0 means a report costs the same however many orders and stock
moves already exist.
"""

import sys
import time
from datetime import date
from decimal import Decimal

from _django import bench_database

ORDER_QTY = Decimal(10)
SAMPLE = 10  # orders whose reports are averaged at the start and at the end
STEPS = ("create", "release", "start", "report", "complete")


class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def build_plant(actor, orders: int):
    from inventory import services as inventory
    from inventory.models import Item
    from production import services as production

    # The migrations may already have made the common units.
    each, _created = inventory.upsert_uom(actor=actor, code="EA", name="each", decimals=0)
    kg, _created = inventory.upsert_uom(actor=actor, code="KG", name="kilogram", decimals=3)

    def item(code, kind, uom=each, tracking=Item.Tracking.NONE):
        return inventory.create_item(
            actor=actor, code=code, name=code.title(), kind=kind, uom=uom, tracking=tracking
        )

    pump = item("PUMP", Item.Kind.PRODUCT, tracking=Item.Tracking.LOT)
    rotor = item("ROTOR", Item.Kind.COMPONENT, tracking=Item.Tracking.LOT)
    screw = item("SCREW", Item.Kind.RAW)
    steel = item("STEEL", Item.Kind.RAW, uom=kg)
    inventory.set_bom(
        pump,
        actor=actor,
        components=[
            {"item": rotor, "qty_per": Decimal(2), "uom": None},
            {"item": screw, "qty_per": Decimal(4), "uom": None},
        ],
    )
    inventory.set_bom(
        rotor, actor=actor, components=[{"item": steel, "qty_per": Decimal("0.5"), "uom": None}]
    )
    cell = production.create_work_center(actor=actor, code="WC-CELL", name="Assembly cell")
    machine = production.create_machine(
        actor=actor, code="M-CELL-1", name="Cell 1", work_center=cell, ideal_cycle_time_s="20"
    )
    production.set_routing(
        pump,
        actor=actor,
        operations=[
            {"seq": 10, "name": "assemble", "work_center": cell, "cycle_time_s": "20"},
            {"seq": 20, "name": "test", "work_center": cell, "cycle_time_s": "15"},
            {"seq": 30, "name": "pack", "work_center": cell, "cycle_time_s": "5"},
        ],
    )
    # MES_ISSUE_LOCATION and MES_RECEIPT_LOCATION default to STOCK.
    stock = inventory.create_location(actor=actor, code="STOCK", name="Stock")
    needed = ORDER_QTY * orders
    inventory.receive_stock(
        actor=actor, item=rotor, qty=2 * needed, location=stock, lot_code="ROTOR-LOT-1"
    )
    inventory.receive_stock(actor=actor, item=screw, qty=4 * needed, location=stock)
    inventory.receive_stock(actor=actor, item=steel, qty=needed, location=stock)
    return pump, machine


def run_order(number: int, pump, machine, actor, steps, reports: QueryCounter) -> None:
    """One order from creation to completion; queries counted per step (and reports apart)."""
    from django.db import connection

    from production.execution import services as execution

    def step(name, call, *args, **kwargs):
        with connection.execute_wrapper(steps[name]):
            return call(*args, actor=actor, **kwargs)

    order = step(
        "create",
        execution.create_production_order,
        code=f"PO-{number:06d}",
        item=pump,
        qty=ORDER_QTY,
        due_date=date(2026, 12, 1),
    )
    order = step("release", execution.release_production_order, order).order
    for operation in order.operations.order_by("seq"):
        step("start", execution.start_operation, operation, machine=machine)
        with connection.execute_wrapper(reports):
            step("report", execution.report_operation, operation, qty_good=ORDER_QTY)
        step("complete", execution.complete_operation, operation)


def main(orders: int) -> None:
    with bench_database():
        from django.db import connection

        from inventory.models import StockMove
        from mes.services import create_person
        from production.models import ProductionOrder

        actor = create_person(actor=None, username="bench", role="supervisor")
        pump, machine = build_plant(actor, orders)
        print(f"database: {connection.vendor}, {orders} orders of {ORDER_QTY} PUMP, 3 operations")

        total = QueryCounter()
        steps = {name: QueryCounter() for name in STEPS}
        first_reports, last_reports, other_reports = QueryCounter(), QueryCounter(), QueryCounter()
        started = time.perf_counter()
        with connection.execute_wrapper(total):
            for number in range(orders):
                if number < SAMPLE:
                    reports = first_reports
                elif number >= orders - SAMPLE:
                    reports = last_reports
                else:
                    reports = other_reports
                run_order(number, pump, machine, actor, steps, reports)
        elapsed = time.perf_counter() - started

        assert ProductionOrder.objects.filter(status="completed").count() == orders
        moves = StockMove.objects.count()
        per_report_first = first_reports.count / (SAMPLE * 3)
        per_report_last = last_reports.count / (SAMPLE * 3)
        print(f"complete orders per second       {orders / elapsed:8.1f}")
        print(f"queries per order                {total.count / orders:8.1f}")
        for name, counter in steps.items():
            calls = orders * (1 if name in {"create", "release"} else 3)
            print(f"  queries per {name:<8}             {counter.count / calls:8.1f}")
        print(f"queries per report, first {SAMPLE:<3}    {per_report_first:8.1f}")
        print(f"queries per report, last {SAMPLE:<3}     {per_report_last:8.1f}")
        ratio = per_report_last / per_report_first
        print(f"report cost after {orders} orders / at start: {ratio:.2f}")
        print(f"stock moves in the ledger at the end: {moves}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
