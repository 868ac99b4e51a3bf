"""API write throughput and queries per request, and what Idempotency-Key costs.

DATABASE_URL=postgres://…/mes_bench .venv/bin/python bench/api_writes.py [N]
"""

import sys
import time

from _django import bench_database


def measure(label, requests, send):
    from django.db import connection

    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        started = time.perf_counter()
        for index in range(requests):
            send(index)
        elapsed = time.perf_counter() - started
    rate = requests / elapsed
    print(f"{label:<38} {rate:8.1f} req/s {queries / requests:6.1f} queries/req")
    return rate


def main(requests: int) -> None:
    with bench_database():
        from django.db import connection
        from rest_framework.test import APIClient

        from mes.services import create_api_key

        _key, raw = create_api_key(actor=None, name="bench", role="erp")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")

        def post(prefix, key=None):
            def send(index):
                headers = {"HTTP_IDEMPOTENCY_KEY": f"{prefix}-{index}"} if key else {}
                body = {"code": f"{prefix}-{index}", "name": f"Customer {index}"}
                response = client.post("/api/v1/customers/", body, format="json", **headers)
                assert response.status_code == 201, response.content

            return send

        def replay(index):
            body = {"code": f"K-{index}", "name": f"Customer {index}"}
            response = client.post(
                "/api/v1/customers/", body, format="json", HTTP_IDEMPOTENCY_KEY=f"K-{index}"
            )
            assert response["Idempotent-Replayed"] == "true"

        def put(prefix, expected, version):
            def send(index):
                body = {"name": f"Customer {index} v{version}"}
                response = client.put(f"/api/v1/customers/{prefix}-{index}/", body, format="json")
                assert response.status_code == expected, response.content

            return send

        def list_page(index):
            assert client.get("/api/v1/customers/", {"page_size": 100}).status_code == 200

        print(f"database: {connection.vendor}, {requests} requests each")
        plain = measure("POST create (baseline)", requests, post("P"))
        keyed = measure("POST create + Idempotency-Key", requests, post("K", key=True))
        replayed = measure("POST replay of a key", requests, replay)
        measure("PUT upsert (create)", requests, put("U", 201, 1))
        measure("PUT upsert (replace, name changed)", requests, put("U", 200, 2))
        measure("PUT upsert (unchanged: no write)", requests, put("U", 200, 2))
        measure("GET list, 100 per page", max(requests // 10, 10), list_page)
        print(f"Idempotency-Key cost: {plain / keyed:.2f}x the time of a plain POST")
        print(f"replay speed: {replayed / plain:.2f}x a plain POST")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
