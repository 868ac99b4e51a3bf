"""OEE roll-ups over a month of machine events (issue 6): 100 machines × 30 days of one
state change a minute (≈4.3 M events) and a counter reading every 15 minutes.

DATABASE_URL=postgres://…/mes_bench .venv/bin/python bench/oee.py [MACHINES] [DAYS]

The events are written with COPY (benchmark setup, not the ingest path); every machine
follows a two-shift calendar. Printed: a full recompute of the month (the admin's
task: every machine's shifts computed and stored) by one worker, then by two worker
processes sharing its queue (as two Celery workers do), then one incremental roll-up after
five minutes of new events from every machine written through the ingest service, and a
roll-up with nothing new (a beat tick: each machine's open shift brought up to now),
with the goals (full under 30 s, incremental under 1 s) and their ratio.
"""

import multiprocessing
import sys
import time
from datetime import UTC, date, datetime, timedelta

from _django import bench_database

WORKERS = 2  # this machine's cores, as the docker-compose worker's concurrency
STATES = ("running",) * 8 + ("idle", "down", "setup", "running")


def main(machines: int, days: int) -> None:
    with bench_database():
        from django.db import connection, connections

        from production.calendars import services as calendars
        from production.models import Machine, MachineEvent
        from production.tests.factories import MachineFactory, WorkCenterFactory

        work_center = WorkCenterFactory(code="BENCH-WC")
        pattern = calendars.set_shift_pattern(
            actor=None,
            code="BENCH-2SHIFT",
            name="two shifts",
            site=work_center.area.site,
            shifts=[
                {
                    "code": "DAY",
                    "name": "day",
                    "weekdays": list(range(6)),
                    "start": "08:00",
                    "end": "20:00",
                    "breaks": [{"name": "lunch", "start": "12:00", "end": "13:00"}],
                },
                {
                    "code": "NIGHT",
                    "name": "night",
                    "weekdays": list(range(6)),
                    "start": "20:00",
                    "end": "08:00",
                    "breaks": [{"name": "meal", "start": "00:00", "end": "01:00"}],
                },
            ],
        )
        calendars.assign_calendar(
            actor=None, pattern=pattern, site=work_center.area.site, valid_from=date(2020, 1, 1)
        )
        for number in range(machines):
            MachineFactory(code=f"BM-{number:03d}", work_center=work_center, ideal_cycle_time_s=20)
        ids = list(Machine.objects.order_by("code").values_list("id", flat=True))
        # Five minutes are left before now for the "new" events.
        end = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=5)
        start = end - timedelta(days=days)
        minutes = days * 24 * 60
        began = time.perf_counter()
        now = datetime.now(UTC)
        with connection.cursor() as cursor:
            columns = "machine_id, ts, kind, state, count_total, count_reject, source, received_at"
            with cursor.cursor.copy(f"COPY production_machineevent ({columns}) FROM STDIN") as copy:
                for machine_id in ids:
                    for minute in range(minutes):
                        ts = start + timedelta(minutes=minute)
                        state = STATES[(minute * 7 + machine_id) % len(STATES)]
                        copy.write_row((machine_id, ts, "state", state, None, None, "api", now))
                        if minute % 15 == 0:
                            copy.write_row(
                                (machine_id, ts, "count", "", minute * 2, minute // 50, "api", now)
                            )
        events = MachineEvent.objects.count()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE production_machineevent")
        written_s = time.perf_counter() - began
        print(f"{events:,} events, {machines} machines × {days} days, written in {written_s:.1f} s")

        from production.models import OeeSnapshot
        from production.oee import tasks
        from production.oee.rollup import roll_up_oee, run_oee_recompute, start_oee_recompute
        from production.oee.services import ingest_machine_events

        tasks.recompute_oee_task.delay = lambda job_id: None  # this script is the workers
        job = start_oee_recompute(actor=None, start=start, end=end)
        began = time.perf_counter()
        job = run_oee_recompute(job.pk)
        one_worker_s = time.perf_counter() - began
        job = start_oee_recompute(actor=None, start=start, end=end)
        connections.close_all()  # each worker process opens its own connection
        workers = [
            multiprocessing.get_context("fork").Process(target=run_oee_recompute, args=(job.pk,))
            for _ in range(WORKERS)
        ]
        began = time.perf_counter()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        full_s = time.perf_counter() - began
        job.refresh_from_db()
        assert job.status == "done", job.error
        roll_up_oee()  # snapshots now up to date: what the beat keeps them at
        # Five minutes of new events from every machine, through the ingest service (which
        # marks the machines), then one roll-up.
        codes = dict(Machine.objects.values_list("id", "code"))
        new_events = [
            {
                "machine": codes[machine_id],
                "ts": (end + timedelta(minutes=minute)).isoformat(),
                "state": STATES[(minute * 5 + machine_id) % len(STATES)],
                "count_total": (minutes + minute) * 2,
                "count_reject": (minutes + minute) // 50,
            }
            for machine_id in ids
            for minute in range(5)
        ]
        ingest_machine_events(new_events)
        began = time.perf_counter()
        done = roll_up_oee()
        incremental_s = time.perf_counter() - began
        began = time.perf_counter()
        idle = roll_up_oee()
        idle_s = time.perf_counter() - began
        snapshots = OeeSnapshot.objects.count()

    print(
        f"  full recompute, 1 worker                 {one_worker_s:7.1f} s  "
        f"({events / one_worker_s:,.0f} events/s)"
    )
    print(
        f"  full recompute, {WORKERS} workers sharing it       {full_s:7.1f} s  "
        f"({job.snapshots:,} shifts, {events / full_s:,.0f} events/s, "
        f"{one_worker_s / full_s:.2f}× one worker)  "
        f"goal < 30 s: {'met' if full_s < 30 else 'NOT met'}"
    )
    print(
        f"  roll-up after 5 min of new events   {incremental_s:7.2f} s  "
        f"({done.machines} machines, {done.snapshots} shifts)"
        f"  goal < 1 s: {'met' if incremental_s < 1 else 'NOT met'}"
    )
    print(f"  roll-up with nothing new (beat tick) {idle_s:7.2f} s  ({idle.snapshots} shifts)")
    print(f"  full / incremental: {full_s / incremental_s:,.0f}×; {snapshots:,} snapshots stored")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    main(*(args + [100, 30][len(args) :]))
