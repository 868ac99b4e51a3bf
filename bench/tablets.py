"""Tablets under load (issue 8): 50 simulated tablets against gunicorn on PostgreSQL.

.venv/bin/python bench/tablets.py [--tablets 50] [--seconds 60] [--workers 4]

Needs DATABASE_URL naming a PostgreSQL server (a database `mes_bench_tablets` is made
afresh on it). The demo plant is loaded, then 50 tablets — each bound to a terminal of
the press or assembly line, each with its own operator signed in by badge and PIN —
work as operators do for the given time: open the dispatch list, open an operation,
report one good unit (with an Idempotency-Key), then think for 5–15 s (``--think``: the
mean, default 10 s — already brisk for one operator) before the next round; tablets start
staggered. gunicorn serves
with several workers. Printed: requests, the server time per tablet action
(p50/p95, measured at the client on localhost, so network time is nil) against the goal
of p95 < 100 ms, the bytes of the first load (page, style, scripts) and of one action,
and the same figures for GET /healthz/ in the same run as a baseline.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
PORT = 8765
BASE = f"http://127.0.0.1:{PORT}"


def fresh_database(url: str) -> str:
    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS mes_bench_tablets WITH (FORCE)")
        conn.execute("CREATE DATABASE mes_bench_tablets")
    return urlunsplit(parts._replace(path="/mes_bench_tablets"))


def manage(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


SETUP = """
from mes.services import create_person
from production.models import Terminal, WorkCenter
from production.shopfloor import services
for number in range({tablets}):
    create_person(actor=None, username=f"bench{{number}}", role="operator",
                  badge_id=f"BB-{{number}}", pin=f"{{9000 + number}}")
for code in ("WC-PRESS", "WC-ASSY"):
    wc = WorkCenter.objects.get(code=code)
    for n in range({tablets} // 2 + 1):
        services.create_terminal(actor=None, code=f"BT-{{code}}-{{n}}", name="bench",
                                 work_center=wc)
print(",".join(str(pk) for pk in Terminal.objects.filter(code__startswith="BT-")
               .order_by("pk").values_list("pk", flat=True)))
"""


def signed_cookie(env: dict, terminal_id: int) -> str:
    code = (
        "from django.core import signing;from django.http import HttpResponse;"
        "from production.shopfloor.views import TERMINAL_COOKIE, TERMINAL_SALT;"
        f"r=HttpResponse();r.set_signed_cookie(TERMINAL_COOKIE,{terminal_id},salt=TERMINAL_SALT);"
        "print(r.cookies[TERMINAL_COOKIE].value)"
    )
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip().splitlines()[-1]


class Tablet:
    def __init__(self, number: int, cookie: str):
        self.session = requests.Session()
        self.session.cookies.set("mes_terminal", cookie)
        self.number = number
        self.times: list[float] = []
        self.bytes_first = 0
        self.bytes_action = 0

    def timed(self, method: str, path: str, **kwargs) -> requests.Response:
        began = time.perf_counter()
        response = self.session.request(method, BASE + path, timeout=30, **kwargs)
        self.times.append(time.perf_counter() - began)
        return response

    def sign_in(self) -> None:
        first = self.session.get(BASE + "/floor/")
        self.bytes_first = len(first.content)
        for asset in (
            "/static/shopfloor/floor.css",
            "/static/shopfloor/queue.js",
            "/static/django_htmx/htmx.min.js",
        ):
            self.bytes_first += len(self.session.get(BASE + asset).content)
        token = self.session.cookies.get("csrftoken")
        self.session.post(
            BASE + "/floor/sign-in/",
            data={
                "badge": f"BB-{self.number}",
                "pin": str(9000 + self.number),
                "csrfmiddlewaretoken": token,
            },
            headers={"Referer": BASE + "/floor/"},
        ).raise_for_status()

    def work(self, until: float, errors: list, think: float) -> None:
        rng = random.Random(self.number)
        token = self.session.cookies.get("csrftoken")
        headers = {"Referer": BASE + "/floor/", "Accept": "application/json"}
        time.sleep(rng.uniform(0, think))  # tablets do not all start in the same instant
        while time.monotonic() < until:
            page = self.timed("GET", "/floor/").text
            links = [p.split('"')[0] for p in page.split('href="/floor/operations/')[1:]]
            if not links:
                errors.append("no operations")
                return
            path = "/floor/operations/" + rng.choice(links[:4])
            self.timed("GET", path)
            for action in ("start", "report"):
                response = self.timed(
                    "POST",
                    f"{path}{action}/",
                    data={"qty_good": "1", "csrfmiddlewaretoken": token},
                    headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
                )
                if action == "report":
                    self.bytes_action = len(response.content)
                if response.status_code >= 500:
                    errors.append(f"{response.status_code} {path}{action}")
            time.sleep(rng.uniform(0.5 * think, 1.5 * think))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tablets", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--think", type=float, default=10.0)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL server (postgres://…).")
    env = {
        **os.environ,
        "DATABASE_URL": fresh_database(os.environ["DATABASE_URL"]),
        "REDIS_URL": "",
        "DEBUG": "0",
    }
    manage(env, "migrate", "-v0")
    manage(env, "load_demo", "-v0")
    manage(env, "collectstatic", "--noinput", "-v0")
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SETUP.format(tablets=args.tablets)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    terminals = [int(pk) for pk in out.stdout.strip().splitlines()[-1].split(",")]
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "mes.wsgi",
            "-b",
            f"127.0.0.1:{PORT}",
            "-w",
            str(args.workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        for _ in range(100):
            try:
                requests.get(BASE + "/healthz/", timeout=5).raise_for_status()
                break
            except requests.RequestException:
                time.sleep(0.2)
        tablets = [
            Tablet(n, signed_cookie(env, terminals[n % len(terminals)]))
            for n in range(args.tablets)
        ]
        for tablet in tablets:
            tablet.sign_in()
        baseline = Tablet(-1, "")
        for _ in range(200):
            baseline.timed("GET", "/healthz/")
        errors: list[str] = []
        until = time.monotonic() + args.seconds
        threads = [
            threading.Thread(target=t.work, args=(until, errors, args.think)) for t in tablets
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        server.terminate()
        server.wait()
    times = [s for t in tablets for s in t.times]
    p50, p95 = percentile(times, 0.5) * 1000, percentile(times, 0.95) * 1000
    b50 = percentile(baseline.times, 0.5) * 1000
    b95 = percentile(baseline.times, 0.95) * 1000
    print(
        f"{args.tablets} tablets, {args.seconds:g} s, gunicorn {args.workers} workers, PostgreSQL"
    )
    print(
        f"  tablet actions   {len(times):6d} requests  p50 {p50:6.1f} ms  p95 {p95:6.1f} ms"
        f"  goal p95 < 100 ms: {'met' if p95 < 100 else 'NOT met'}"
    )
    print(
        f"  /healthz/ alone  {len(baseline.times):6d} requests  p50 {b50:6.1f} ms"
        f"  p95 {b95:6.1f} ms  (tablet p50 is {p50 / b50:.1f}× it)"
    )
    print(
        f"  first load {tablets[0].bytes_first:,} bytes (page, style, scripts); "
        f"one action {tablets[0].bytes_action:,} bytes; server errors: {len(errors)}"
    )


if __name__ == "__main__":
    main()
