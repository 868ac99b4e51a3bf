"""OEE over a month of machine events (issue 6): 100 machines × 30 days of one state
change a minute (≈4.3 M events), computed on request by `production.oee.selectors`.

DATABASE_URL=postgres://…/mes_bench .venv/bin/python bench/oee.py [MACHINES] [DAYS]

The events are written with COPY (benchmark setup, not the ingest path); every machine
follows the demo plant's two-shift calendar. Printed: the time to compute OEE per day
for every machine over the whole month (the "full recompute" the roll-ups will store),
the time for the current day of every machine (what an incremental roll-up after new
events recomputes), events per second of computation, and the goals (full under 30 s,
incremental under 1 s). Snapshots and Celery roll-ups are not built yet: these are the
figures of the on-request path they will run.
"""

import sys
import time
from datetime import UTC, date, datetime, timedelta

from _django import bench_database

STATES = ("running",) * 8 + ("idle", "down", "setup", "running")


def main(machines: int, days: int) -> None:
    with bench_database():
        from django.db import connection

        from production.calendars import services as calendars
        from production.models import Machine, MachineEvent
        from production.oee.selectors import get_oee
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
        end = datetime.now(UTC).replace(second=0, microsecond=0)
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

        fleet = list(Machine.objects.select_related("work_center").order_by("code"))
        began = time.perf_counter()
        rows = 0
        for machine in fleet:
            rows += len(get_oee(machine=machine, start=start, end=end, group="day"))
        full_s = time.perf_counter() - began
        today = end - timedelta(hours=24)
        began = time.perf_counter()
        for machine in fleet:
            get_oee(machine=machine, start=today, end=end, group="shift")
        incremental_s = time.perf_counter() - began

    print(
        f"  whole range, per day, all machines  {full_s:7.1f} s  "
        f"({rows:,} rows, {events / full_s:,.0f} events/s)"
        f"  goal < 30 s: {'met' if full_s < 30 else 'NOT met'}"
    )
    print(
        f"  last 24 h, per shift, all machines  {incremental_s:7.2f} s"
        f"  (goal for an incremental roll-up < 1 s: {'met' if incremental_s < 1 else 'NOT met'})"
    )


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    main(*(args + [100, 30][len(args) :]))
