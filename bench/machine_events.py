"""REST bulk ingest of machine events (issue 6): events/s through the API beside a raw
psycopg COPY of the same rows into the same table, in the same run.

DATABASE_URL=postgres://…/mes_bench .venv/bin/python bench/machine_events.py [EVENTS]

100 machines, a state change a minute each (every 5th row with counters too), POSTed
in batches of 5,000 through `POST /api/v1/machine-events/` (a gateway key, in-process
test client: no network) into an empty table; then the table is emptied (TRUNCATE) and
the same rows are copied in with COPY. Goal: at least 10,000 events/s through the API.
"""

import sys
import time
from datetime import UTC, datetime, timedelta

from _django import bench_database

MACHINES = 100
BATCH = 5_000
GOAL = 10_000
STATES = ("running", "idle", "down", "setup", "running")


def rows(count: int) -> list[dict]:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=30)
    found = []
    for index in range(count):
        machine, minute = index % MACHINES, index // MACHINES
        row = {
            "machine": f"BM-{machine:03d}",
            "ts": (start + timedelta(minutes=minute)).isoformat(),
            "state": STATES[minute % len(STATES)],
        }
        if minute % 5 == 0:
            row |= {"count_total": minute * 10, "count_reject": minute // 10}
        found.append(row)
    return found


def events_in(batch: list[dict]) -> int:
    return sum(1 + ("count_total" in row) for row in batch)


def main(count: int) -> None:
    with bench_database():
        from django.db import connection
        from rest_framework.test import APIClient

        from mes.services import create_api_key
        from production.models import Machine, MachineEvent
        from production.tests.factories import MachineFactory, WorkCenterFactory

        work_center = WorkCenterFactory(code="BENCH-WC")
        for number in range(MACHINES):
            MachineFactory(code=f"BM-{number:03d}", work_center=work_center)
        _key, raw = create_api_key(actor=None, name="bench", role="gateway")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
        data = rows(count)
        events = events_in(data)

        started = time.perf_counter()
        for offset in range(0, len(data), BATCH):
            response = client.post(
                "/api/v1/machine-events/", data[offset : offset + BATCH], format="json"
            )
            assert response.status_code == 202, response.content[:300]
        api_s = time.perf_counter() - started
        stored = MachineEvent.objects.count()
        assert stored == events, (stored, events)

        machines = dict(Machine.objects.values_list("code", "id"))
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE production_machineevent")
        columns = (
            "machine_id",
            "ts",
            "kind",
            "state",
            "reason_id",
            "count_total",
            "count_reject",
            "source",
            "received_at",
        )
        now = datetime.now(UTC)
        started = time.perf_counter()
        with connection.cursor() as cursor:
            copy_sql = f"COPY production_machineevent ({', '.join(columns)}) FROM STDIN"
            with cursor.cursor.copy(copy_sql) as copy:
                for row in data:
                    machine = machines[row["machine"]]
                    copy.write_row(
                        (machine, row["ts"], "state", row["state"], None, None, None, "api", now)
                    )
                    if "count_total" in row:
                        copy.write_row(
                            (
                                machine,
                                row["ts"],
                                "count",
                                "",
                                None,
                                row["count_total"],
                                row["count_reject"],
                                "api",
                                now,
                            )
                        )
        copy_s = time.perf_counter() - started
        assert MachineEvent.objects.count() == events

    api_rate, copy_rate = events / api_s, events / copy_s
    print(
        f"{events:,} machine events ({len(data):,} rows, {MACHINES} machines), batches of {BATCH:,}"
    )
    print(f"  API   POST /api/v1/machine-events/  {api_s:6.2f} s  {api_rate:10,.0f} events/s")
    print(f"  COPY  psycopg, same rows and table   {copy_s:6.2f} s  {copy_rate:10,.0f} events/s")
    print(f"  API / COPY = {api_rate / copy_rate:.2f}")
    print(f"  goal ≥ {GOAL:,} events/s through the API: {'met' if api_rate >= GOAL else 'NOT met'}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
