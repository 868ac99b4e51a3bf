#!/usr/bin/env python3
"""An ERP's side of the MES integration, in plain Python (standard library only).

    python erp_client.py --url http://127.0.0.1:8000 --token KEY sync demo-plant.json
    python erp_client.py --url http://127.0.0.1:8000 --token KEY follow \
        --listen 127.0.0.1:8765 --until-completed PO-DEMO-0011

`sync` pushes master data and orders in the order they depend on each other
(units, locations, work centers, machines, items, BOMs, routings, customers, opening
stock, sales orders, production orders) and releases the production orders. Every
write is safe to repeat: PUT is an upsert, bulk upserts answer `unchanged`, POSTs carry
an Idempotency-Key derived from what they do.

`follow` registers a webhook endpoint at --listen, checks every delivery's signature
(Standard Webhooks: HMAC-SHA256 over "id.timestamp.body" with the endpoint's secret)
and prints it, de-duplicated by webhook-id, and polls production orders changed since
the last poll (`updated_after`) for confirmations. Output: one JSON object per line.
It stops when the completion of every order named by --until-completed has come by
webhook, or at --timeout.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import hmac
import json
import queue
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

EVENTS = [
    "production_order.released",
    "production_order.completed",
    "operation.reported",
    "stock.received",
    "shipment.shipped",
    "nonconformance.opened",
    "schedule.published",
]
SIGNATURE_TOLERANCE_S = 300


class ApiError(Exception):
    def __init__(self, status: int, problem: dict):
        super().__init__(f"{status} {problem.get('code')}: {problem.get('detail')}")
        self.status, self.problem = status, problem


class Mes:
    def __init__(self, url: str, token: str):
        self.base = url.rstrip("/") + "/api/v1/"
        self.token = token

    def call(self, method: str, path: str, body=None, key: str | None = None) -> dict:
        headers = {"Authorization": f"Token {self.token}", "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if key:
            headers["Idempotency-Key"] = key
        request = urllib.request.Request(self.base + path, data, headers, method=method)
        for attempt in range(5):  # network trouble and 429/503: wait and try the same again
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    raw = response.read()
                    return json.loads(raw) if raw else {}
            except urllib.error.HTTPError as exc:
                if exc.code in (429, 503) and attempt < 4:
                    time.sleep(float(exc.headers.get("Retry-After") or 2**attempt))
                    continue
                raise ApiError(exc.code, json.loads(exc.read() or b"{}")) from None
            except urllib.error.URLError:
                if attempt == 4:
                    raise
                time.sleep(2**attempt)
        raise AssertionError("unreachable")


def emit(**line) -> None:
    print(json.dumps(line, ensure_ascii=False), flush=True)


# --- sync ----------------------------------------------------------------------------


def sync(mes: Mes, data: dict) -> None:
    today = dt.date.today()

    def due(days: int) -> str:
        return (today + dt.timedelta(days=days)).isoformat()

    for path, records in (
        ("uoms", data["uoms"]),
        ("locations", data["locations"]),
        ("work-centers", data["work_centers"]),
        ("machines", data["machines"]),
    ):
        for record in records:
            mes.call("PUT", f"{path}/{record['code']}/", record)
        emit(step=path, upserted=len(records))
    for path, records in (
        ("bulk/items/", data["items"]),
        ("bulk/boms/", data["boms"]),
        ("bulk/routings/", data["routings"]),
        ("bulk/customers/", data["customers"]),
    ):
        result = mes.call("POST", path, {"records": records})
        errors = [r for r in result["results"] if r["status"] == "error"]
        emit(step=path, **{k: result[k] for k in ("created", "updated", "unchanged", "error")})
        for error in errors:
            emit(step=path, key=error["key"], problem=error["error"])
    for receipt in data["receipts"]:
        key = f"opening-stock:{receipt['item']}:{receipt.get('lot') or '-'}"
        mes.call("POST", "receipts/", receipt, key=key)
    emit(step="receipts", posted=len(data["receipts"]))
    for order in data["sales_orders"]:
        lines = [
            {
                "line": ln["line"],
                "item": ln["item"],
                "qty": ln["qty"],
                "due_date": due(ln["due_in_days"]),
            }
            for ln in order["lines"]
        ]
        upsert_order(
            mes, "sales-orders", order["code"], {"customer": order["customer"], "lines": lines}
        )
    emit(step="sales-orders", upserted=len(data["sales_orders"]))
    for order in data["production_orders"]:
        body = {k: v for k, v in order.items() if k not in ("code", "due_in_days")}
        body["due_date"] = due(order["due_in_days"])
        current = upsert_order(mes, "production-orders", order["code"], body)
        if current and current["status"] == "planned":
            mes.call("POST", f"production-orders/{order['code']}/release/")
    emit(step="production-orders", upserted_and_released=len(data["production_orders"]))


def upsert_order(mes: Mes, path: str, code: str, body: dict) -> dict | None:
    """PUT an order; one the plant has started on keeps its header (409): say so, go on."""
    try:
        return mes.call("PUT", f"{path}/{code}/", body)
    except ApiError as exc:
        if exc.status != 409:
            raise
        emit(step=path, key=code, kept=exc.problem.get("detail"))
        return None


# --- follow ----------------------------------------------------------------------------


def verify(secret: str, headers, body: bytes) -> bool:
    """Standard Webhooks: v1 HMAC-SHA256 of "id.timestamp.body", timestamp within 5 min."""
    message_id, timestamp = headers.get("webhook-id", ""), headers.get("webhook-timestamp", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > SIGNATURE_TOLERANCE_S:
        return False
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(
        hmac.compare_digest(expected, given.split(",", 1)[1])
        for given in headers.get("webhook-signature", "").split()
        if given.startswith("v1,")
    )


def receive(listen: str, secret_box: dict, inbox: queue.Queue) -> ThreadingHTTPServer:
    host, port = listen.rsplit(":", 1)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            ok = "secret" in secret_box and verify(secret_box["secret"], self.headers, body)
            if ok:
                inbox.put((self.headers["webhook-id"], json.loads(body)))
            self.send_response(204 if ok else 401)  # 401: the MES tries again later
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer((host, int(port)), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def follow(
    mes: Mes, listen: str, public_url: str | None, until: set[str], timeout: float, poll: float
) -> int:
    secret_box: dict = {}
    inbox: queue.Queue = queue.Queue()
    server = receive(listen, secret_box, inbox)
    url = public_url or f"http://{listen}/mes-webhooks"
    endpoint = mes.call(
        "POST", "webhook-endpoints/", {"url": url, "events": EVENTS}, key=f"follow:{url}"
    )
    secret_box["secret"] = endpoint["secret"]
    emit(step="webhook-endpoint", id=endpoint["id"], url=url)
    seen: set[str] = set()
    since = dt.datetime.now(dt.UTC)
    completed: set[str] = set()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and not until <= completed:
            try:
                event_id, event = inbox.get(timeout=poll)
            except queue.Empty:
                pass
            else:
                if event_id not in seen:  # at least once: a retry may bring it again
                    seen.add(event_id)
                    emit(webhook=event["type"], id=event_id, data=event["data"])
                    if event["type"] == "production_order.completed":
                        completed.add(event["data"]["code"])
            query = urllib.parse.urlencode({"updated_after": since.isoformat(), "page_size": 1000})
            for order in mes.call("GET", f"production-orders/?{query}")["results"]:
                since = max(since, dt.datetime.fromisoformat(order["updated_at"]))
                emit(
                    confirmation=order["code"],
                    status=order["status"],
                    qty_good=order["qty_good"],
                    qty_scrap=order["qty_scrap"],
                )
    finally:
        mes.call("DELETE", f"webhook-endpoints/{endpoint['id']}/")
        server.shutdown()
    missing = sorted(until - completed)
    emit(step="done", completed=sorted(completed & until), missing=missing)
    return 1 if missing else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="the MES, e.g. http://127.0.0.1:8000")
    parser.add_argument("--token", required=True, help="an API key of role erp")
    commands = parser.add_subparsers(dest="command", required=True)
    push = commands.add_parser("sync", help="push master data and orders")
    push.add_argument("data", help="JSON file, e.g. demo-plant.json")
    watch = commands.add_parser("follow", help="receive webhooks and poll confirmations")
    watch.add_argument("--listen", default="127.0.0.1:8765", help="host:port to receive on")
    watch.add_argument("--public-url", help="the URL the MES posts to (default: from --listen)")
    watch.add_argument("--until-completed", nargs="*", default=[], help="order codes")
    watch.add_argument("--timeout", type=float, default=600)
    watch.add_argument("--poll", type=float, default=2, help="seconds between polls")
    args = parser.parse_args(argv)
    mes = Mes(args.url, args.token)
    try:
        if args.command == "sync":
            with open(args.data, encoding="utf-8") as file:
                sync(mes, json.load(file))
            return 0
        return follow(
            mes, args.listen, args.public_url, set(args.until_completed), args.timeout, args.poll
        )
    except ApiError as exc:
        emit(error=exc.status, problem=exc.problem)
        return 2


if __name__ == "__main__":
    sys.exit(main())
