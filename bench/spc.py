"""SPC over 100,000 measurements of one characteristic (issue 5).

.venv/bin/python bench/spc.py [MEASUREMENTS]   (any database; PostgreSQL in earnest)

1. The pure module (quality.spc): X̄-R limits, the Western Electric and Nelson rules
   and Cp/Cpk/Pp/Ppk over MEASUREMENTS values in subgroups of 5 (default 100,000 =
   20,000 subgroups), with a slow drift so that rules fire. Baseline in the same run:
   one pass of plain Python summing the values (the floor any computation pays).
2. The chart endpoint, GET /api/v1/spc/{item}/{characteristic}/ (ERP key): the same
   measurements stored as inspections (bulk-inserted: benchmark setup), the chart of
   the last 200 subgroups (the default) and of all of them (?limit=20000); p50/p95 ms
   and SQL queries per request.
"""

import random
import sys
import time
from datetime import timedelta
from statistics import median, quantiles

from _django import bench_database

SUBGROUP = 5
REQUESTS = 20


def series(measurements: int) -> list[list[float]]:
    """Normal values (σ 0.01 around 10.0, a fixed seed); the last 40 subgroups drift up."""
    rng = random.Random(22400)
    count = measurements // SUBGROUP
    return [
        [10.0 + 0.001 * max(0, index - count + 40) + rng.gauss(0, 0.01) for _ in range(SUBGROUP)]
        for index in range(count)
    ]


def pure(groups: list[list[float]]) -> dict[str, float]:
    from quality import spc

    values = [v for group in groups for v in group]
    started = time.perf_counter()
    total = 0.0
    for value in values:
        total += value
    floor = time.perf_counter() - started

    timings = {}
    started = time.perf_counter()
    limits = spc.compute_limits("xbar_r", spc.ChartData(subgroups=groups))
    timings["limits"] = time.perf_counter() - started
    for rule_set in ("western_electric", "nelson"):
        started = time.perf_counter()
        chart = spc.build_chart(
            "xbar_r", spc.ChartData(subgroups=groups), frozen=limits, rule_set=rule_set
        )
        timings[f"chart + {rule_set} rules"] = time.perf_counter() - started
        timings[f"violations ({rule_set})"] = len(chart.violations)
    started = time.perf_counter()
    spc.capability(values, lsl=9.7, usl=10.3, sigma_within=limits.sigma)
    timings["Cp/Cpk/Pp/Ppk"] = time.perf_counter() - started
    timings["floor (one sum over the values)"] = floor
    return timings


def store(groups: list[list[float]]):
    """Bulk-insert the measurements as inspections of one plan (benchmark setup)."""
    from django.utils import timezone

    from inventory.tests.factories import ItemFactory, UnitOfMeasureFactory
    from quality.inspections import services
    from quality.models import Inspection, InspectionResult

    UnitOfMeasureFactory(code="MM", decimals=3)
    item = ItemFactory(code="BENCH-PART")
    plan, _created = services.upsert_inspection_plan(
        actor=None,
        code="IP-BENCH",
        name="bench",
        item=item,
        kind="in_process",
        characteristics=[
            {
                "code": "DIA",
                "kind": "measure",
                "lsl": "9.7",
                "usl": "10.3",
                "uom": "MM",
                "sample_size": SUBGROUP,
            },
        ],
    )
    version = plan.versions.get()
    characteristic = version.characteristics.get()
    start = timezone.now() - timedelta(minutes=len(groups))
    batch = 5000
    for offset in range(0, len(groups), batch):
        chunk = groups[offset : offset + batch]
        inspections = Inspection.objects.bulk_create(
            [
                Inspection(
                    plan_version=version,
                    verdict="pass",
                    inspected_at=start + timedelta(minutes=offset + i),
                )
                for i in range(len(chunk))
            ]
        )
        InspectionResult.objects.bulk_create(
            [
                InspectionResult(
                    inspection=inspection,
                    characteristic=characteristic,
                    item=item,
                    characteristic_code="DIA",
                    inspected_at=inspection.inspected_at,
                    values=[f"{v:.4f}" for v in group],
                    sample_size=SUBGROUP,
                    in_spec=True,
                )
                for inspection, group in zip(inspections, chunk, strict=True)
            ]
        )
    return item


def endpoint(client, path: str) -> tuple[float, float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(path)  # warm up: the first request pays for imports and caches
    times, queries = [], 0
    for _ in range(REQUESTS):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.content[:300]
        queries = len(captured)
    return median(times), quantiles(times, n=20)[18], queries


def main(measurements: int) -> None:
    groups = series(measurements)
    print(f"SPC over {measurements:,} measurements ({len(groups):,} subgroups of {SUBGROUP})")
    print("\n1. the pure module (quality.spc)")
    timings = pure(groups)
    floor = timings["floor (one sum over the values)"]
    for label, value in timings.items():
        if label.startswith("violations"):
            print(f"   {label:<40} {value:>10,}")
        else:
            print(f"   {label:<40} {value * 1000:>8.1f} ms  ({value / floor:>6.1f}× the floor)")
    with bench_database():
        from rest_framework.test import APIClient

        from mes.services import create_api_key

        started = time.perf_counter()
        item = store(groups)
        print(f"\n2. the chart endpoint ({time.perf_counter() - started:.1f} s to store)")
        _key, raw = create_api_key(actor=None, name="bench", role="erp")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
        base = f"/api/v1/spc/{item.code}/DIA/"
        for label, path in (
            ("last 200 subgroups (default)", base),
            (f"all {len(groups):,} subgroups", f"{base}?limit={len(groups)}"),
        ):
            p50, p95, queries = endpoint(client, path)
            print(f"   {label:<32} p50 {p50:8.1f} ms  p95 {p95:8.1f} ms  {queries} queries")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
