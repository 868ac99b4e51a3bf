"""docs/examples/erp_client.py against a live server: it syncs the demo plant's master data
and orders into a fresh install, follows production through webhooks and polls the
confirmations; run twice, it creates nothing twice."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from inventory.models import Bom, Item, StockMove
from mes.models import WebhookEndpoint
from mes.services import create_api_key
from mes.webhooks import services as webhooks
from orders.models import Customer, SalesOrder
from production import services as production_services
from production.models import Machine, ProductionOrder, Routing
from seeds.erp_export import demo_plant_for_erp

ROOT = Path(__file__).resolve().parent.parent
CLIENT = ROOT / "docs" / "examples" / "erp_client.py"
DATA = ROOT / "docs" / "examples" / "demo-plant.json"
FOLLOWED = "PO-DEMO-0011"  # two press operations


def test_the_example_data_is_the_demo_plant():
    assert json.loads(DATA.read_text(encoding="utf-8")) == demo_plant_for_erp(), (
        "regenerate it: python manage.py export_erp_data > docs/examples/demo-plant.json"
    )


def run_client(url: str, token: str, *args: str, timeout: float = 300) -> list[dict]:
    done = subprocess.run(
        [sys.executable, str(CLIENT), "--url", url, "--token", token, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fresh_install_with_the_site_from_the_admin() -> None:
    data = demo_plant_for_erp()["site_and_areas_in_the_admin"]
    site = production_services.create_site(actor=None, code=data["site"], name="Hwaseong")
    for code in data["areas"]:
        production_services.create_area(actor=None, code=code, name=code, site=site)


def run_production(client: APIClient, code: str) -> None:
    """The shop floor: every operation started, reported in full and completed."""
    order = client.get(reverse("production-order-detail", kwargs={"code": code})).json()
    for operation in order["operations"]:
        path = f"/api/v1/production-orders/{code}/operations/{operation['seq']}"
        machine = Machine.objects.filter(work_center__code=operation["work_center"]).first()
        for step, body in (
            ("start", {"machine": machine.code}),
            ("report", {"qty_good": order["qty"], "qty_scrap": "0"}),
            ("complete", {}),
        ):
            response = client.post(f"{path}/{step}/", body, format="json")
            assert response.status_code == 200, response.content


@pytest.mark.django_db(transaction=True)
def test_the_erp_client_syncs_the_demo_plant_and_follows_production(live_server):
    fresh_install_with_the_site_from_the_admin()
    _key, token = create_api_key(actor=None, name="erp-example", role="erp")
    data = demo_plant_for_erp()

    synced = run_client(live_server.url, token, "sync", str(DATA))
    assert not [line for line in synced if "problem" in line or line.get("error")], synced
    assert Item.objects.count() == len(data["items"])
    assert Bom.objects.filter(is_active=True).count() == len(data["boms"])
    assert Routing.objects.filter(is_active=True).count() == len(data["routings"])
    assert Customer.objects.count() == len(data["customers"])
    assert SalesOrder.objects.count() == len(data["sales_orders"])
    assert set(ProductionOrder.objects.values_list("status", flat=True)) == {"released"}
    moves = StockMove.objects.count()
    assert moves == len(data["receipts"])

    again = run_client(live_server.url, token, "sync", str(DATA))
    bulk_lines = [line for line in again if line["step"].startswith("bulk/")]
    assert all(line["created"] == 0 and line["error"] == 0 for line in bulk_lines), bulk_lines
    assert StockMove.objects.count() == moves  # the receipts' keys: not received twice
    assert ProductionOrder.objects.count() == len(data["production_orders"])

    listen = f"127.0.0.1:{free_port()}"
    follower = subprocess.Popen(
        [
            sys.executable,
            str(CLIENT),
            "--url",
            live_server.url,
            "--token",
            token,
            "follow",
            "--listen",
            listen,
            "--until-completed",
            FOLLOWED,
            "--timeout",
            "120",
            "--poll",
            "0.5",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    stop = threading.Event()

    def worker() -> None:  # what the Celery worker does on each commit and sweep
        while not stop.is_set():
            webhooks.deliver_due()
            time.sleep(0.2)
        connection.close()

    sender = threading.Thread(target=worker, daemon=True)
    try:
        deadline = time.monotonic() + 60
        while not WebhookEndpoint.objects.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        sender.start()
        shop_floor = APIClient()
        shop_floor.credentials(
            HTTP_AUTHORIZATION=f"Token {create_api_key(actor=None, name='mes', role='erp')[1]}"
        )
        run_production(shop_floor, FOLLOWED)
        out, err = follower.communicate(timeout=150)
    finally:
        stop.set()
        if follower.poll() is None:
            follower.kill()
        if sender.is_alive():
            sender.join(timeout=30)
    assert follower.returncode == 0, out + err
    lines = [json.loads(line) for line in out.splitlines()]
    received = [
        (line["webhook"], line["data"].get("production_order") or line["data"].get("code"))
        for line in lines
        if "webhook" in line
    ]
    assert ("operation.reported", FOLLOWED) in received
    assert ("production_order.completed", FOLLOWED) in received
    assert len({line["id"] for line in lines if "webhook" in line}) == len(received)
    confirmations = [line for line in lines if line.get("confirmation") == FOLLOWED]
    assert confirmations[-1]["status"] == "completed"
    assert lines[-1] == {"step": "done", "completed": [FOLLOWED], "missing": []}
    assert not WebhookEndpoint.objects.exists()  # the client removed its endpoint
