"""The plant overview on the admin home (issue 10) at two plant sizes.

DATABASE_URL=postgres://…/mes_bench .venv/bin/python bench/plant_overview.py \
    [MACHINES] [ORDERS] [DAYS]

Two sites in one database, shaped like the demo plant (two areas, six work centers, a
two-shift calendar): a small one (a fifth of the machines and orders) and a large one
(default 50 machines, 500 open orders), each machine with DAYS (30) of one state change a
minute and a counter reading every 15 minutes (written with COPY: benchmark setup, not the
ingest path). Orders are released or in progress with one or two operations each, planned
around now, some late or at risk, every product short of a component; one operation runs
on each machine with reports this shift. The OEE of the last two days is rolled up first,
as the beat keeps it.

Printed per site: the admin home's server time (Django's test client in-process: the view,
its queries and the template, no network; what is loaded is frozen out of the garbage
collector's reach first, as gunicorn.conf.py does in each worker) p50/p95 over the
requests, its SQL queries, and the same for the stock machine list of that site as a
baseline measured in the same run; the admin home again with the OEE roll-up due on every
request (without a beat, a page reloaded every 60 s finds its machines' OEE older than the
30 s a read accepts, so it rolls them up first); then the large site's figures as a ratio
to the small one's. Goal: overview p95 < 300 ms and the same number of queries at both
sizes.
"""

import gc
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from _django import bench_database

REQUESTS = 30
STATES = ("running",) * 8 + ("idle", "down", "setup", "running")
CENTERS = (("HS-PW", "WC-PRESS"), ("HS-PW", "WC-WELD"), ("HS-PW", "WC-PAINT"))
CENTERS += (("HS-MA", "WC-CNC"), ("HS-MA", "WC-ASSY"), ("HS-MA", "WC-INSP"))


def build_site(code: str, machines: int, orders: int, days: int, now: datetime):
    """A site of ``machines`` machines over six work centers and ``orders`` open orders."""
    from django.db import connection

    from inventory.models import Item
    from production.calendars import services as calendars
    from production.models import Machine, Operation, OperationEvent, ProductionOrder
    from production.tests.execution_factories import (
        ItemFactory,
        LocationFactory,
        make_bom,
        make_routing,
    )
    from production.tests.factories import (
        AreaFactory,
        MachineFactory,
        SiteFactory,
        WorkCenterFactory,
    )

    site = SiteFactory(code=code, name=f"Bench plant {code}")
    centers = []
    for area_code, center_code in CENTERS:
        area = AreaFactory(code=f"{code}-{area_code}", site=site)
        centers.append(WorkCenterFactory(code=f"{code}-{center_code}", area=area))
    pattern = calendars.set_shift_pattern(
        actor=None,
        code=f"{code}-2SHIFT",
        name="two shifts",
        site=site,
        shifts=[
            {
                "code": "DAY",
                "name": "day",
                "weekdays": list(range(7)),
                "start": "08:00",
                "end": "20:00",
                "breaks": [{"name": "lunch", "start": "12:00", "end": "13:00"}],
            },
            {
                "code": "NIGHT",
                "name": "night",
                "weekdays": list(range(7)),
                "start": "20:00",
                "end": "08:00",
            },
        ],
    )
    calendars.assign_calendar(actor=None, pattern=pattern, site=site, valid_from=date(2020, 1, 1))
    for number in range(machines):
        MachineFactory(
            code=f"{code}-M{number:03d}", work_center=centers[number % 6], ideal_cycle_time_s=20
        )
    location = LocationFactory()
    steel = ItemFactory(code=f"{code}-STEEL", kind=Item.Kind.RAW)
    products = []
    for number in range(10):
        product = ItemFactory(code=f"{code}-P{number}", kind=Item.Kind.PRODUCT)
        make_routing(product, centers[number % 6 : number % 6 + 2])
        products.append((product, make_bom(product, {steel: "2"})))
    today = now.date()
    made = ProductionOrder.objects.bulk_create(
        ProductionOrder(
            code=f"{code}-PO{number:05d}",
            item=products[number % 10][0],
            bom=products[number % 10][1],
            qty=Decimal(100),
            due_date=today + timedelta(days=number % 7 - 2),
            status="in_progress" if number < machines else "released",
            issue_location=location,
            receipt_location=location,
        )
        for number in range(orders)
    )
    operations = []
    for number, order in enumerate(made):
        start = now + timedelta(hours=number % 72 - 24)
        for step in range(1 + number % 2):
            operations.append(
                Operation(
                    order=order,
                    seq=10 * (step + 1),
                    name=f"Step {step + 1}",
                    work_center=centers[(number + step) % 6],
                    cycle_time_s=Decimal(20),
                    planned_start=start + timedelta(hours=8 * step),
                    planned_end=start + timedelta(hours=8 * step + 8),
                )
            )
    Operation.objects.bulk_create(operations)
    running = []
    for machine in Machine.objects.filter(work_center__area__site=site).order_by("code"):
        operation = (
            Operation.objects.filter(order__code__startswith=code, work_center=machine.work_center)
            .filter(status="pending", order__status="in_progress")
            .first()
        )
        if operation:
            operation.status, operation.machine, operation.qty_good = "running", machine, 40
            running.append(operation)
    Operation.objects.bulk_update(running, ["status", "machine", "qty_good"])
    OperationEvent.objects.bulk_create(
        OperationEvent(operation=operation, kind="report", qty_good=40, qty_scrap=1)
        for operation in running
    )
    ids = list(
        Machine.objects.filter(work_center__area__site=site)
        .order_by("code")
        .values_list("id", flat=True)
    )
    first = now.replace(second=0, microsecond=0) - timedelta(days=days)
    with connection.cursor() as cursor:
        columns = "machine_id, ts, kind, state, count_total, count_reject, source, received_at"
        with cursor.cursor.copy(f"COPY production_machineevent ({columns}) FROM STDIN") as copy:
            for machine_id in ids:
                for minute in range(days * 24 * 60):
                    ts = first + timedelta(minutes=minute)
                    state = STATES[(minute * 7 + machine_id) % len(STATES)]
                    copy.write_row((machine_id, ts, "state", state, None, None, "api", now))
                    if minute % 15 == 0:
                        copy.write_row(
                            (machine_id, ts, "count", "", minute * 2, minute // 50, "api", now)
                        )
    return site


def measure(client, url: str) -> tuple[float, float, int, float]:
    """p50 and p95 server time (ms), SQL queries and the time spent in them (ms) of GET
    ``url``."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm: templates compiled, the running shift rolled up
    gc.collect()
    gc.freeze()  # as a gunicorn worker does after loading (gunicorn.conf.py)
    times = []
    for _ in range(REQUESTS):
        began = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, url
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    sql_ms = sum(float(query["time"]) for query in captured) * 1000
    return statistics.median(times), statistics.quantiles(times, n=20)[18], len(captured), sql_ms


def main(machines: int, orders: int, days: int) -> None:
    with bench_database():
        from django.db import connection
        from django.test import Client

        from cockpit.selectors import orders_at
        from mes.services import create_person
        from production.models import Machine, MachineEvent
        from production.oee import rollup, tasks
        from production.oee.rollup import run_oee_recompute, start_oee_recompute

        now = datetime.now(UTC)
        began = time.perf_counter()
        sizes = {
            "small": build_site("S", max(machines // 5, 6), orders // 5, days, now),
            "large": build_site("L", machines, orders, days, now),
        }
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        events = MachineEvent.objects.count()
        tasks.recompute_oee_task.delay = lambda job_id: None  # this script is the worker
        run_oee_recompute(
            start_oee_recompute(actor=None, start=now - timedelta(days=2), end=now).pk
        )
        print(
            f"{events:,} machine events, sites S and L built in {time.perf_counter() - began:.0f} s"
        )
        manager = create_person(actor=None, username="bench-manager", role="plant_manager")
        client = Client()
        client.force_login(manager)
        figures = {}
        for size, site in sizes.items():
            machines_at = Machine.objects.filter(work_center__area__site=site).count()
            open_orders = orders_at(site).filter(status__in=["released", "in_progress"]).count()
            overview = measure(client, f"/admin/?site={site.pk}")
            baseline = measure(
                client, f"/admin/production/machine/?work_center__area__site__id__exact={site.pk}"
            )
            fresh_for, rollup.READ_FRESH_FOR = rollup.READ_FRESH_FOR, timedelta(0)
            rolling = measure(client, f"/admin/?site={site.pk}")
            rollup.READ_FRESH_FOR = fresh_for
            figures[size] = overview
            print(f"  {size:5} site {site.code}: {machines_at} machines, {open_orders} open orders")
            print(
                f"    admin home (overview)   p50 {overview[0]:6.1f} ms  p95 {overview[1]:6.1f} ms"
                f"  {overview[2]} queries ({overview[3]:.0f} ms SQL)   goal p95 < 300 ms: "
                f"{'met' if overview[1] < 300 else 'NOT met'}"
            )
            print(
                f"    admin home, roll-up due p50 {rolling[0]:6.1f} ms  p95 {rolling[1]:6.1f} ms"
                f"  {rolling[2]} queries ({rolling[3]:.0f} ms SQL)"
            )
            print(
                f"    machine list (baseline) p50 {baseline[0]:6.1f} ms  p95 {baseline[1]:6.1f} ms"
                f"  {baseline[2]} queries ({baseline[3]:.0f} ms SQL)   overview / baseline p50: "
                f"{overview[0] / baseline[0]:.1f}×"
            )
        small, large = figures["small"], figures["large"]
        print(
            f"  large / small: p50 {large[0] / small[0]:.2f}×, queries {large[2]} / {small[2]}"
            f" ({'constant' if large[2] == small[2] else 'NOT constant'})"
        )


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    main(*(args + [50, 500, 30][len(args) :]))
