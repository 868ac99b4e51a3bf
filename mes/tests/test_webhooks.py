"""Webhooks: the outbox written with the change, signed delivery, order, retries, dead
letters, replay, the endpoints' API and admin."""

from __future__ import annotations

import base64
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient
from standardwebhooks import Webhook

from mes.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from mes.services import create_api_key
from mes.webhooks import services, signing
from production.execution import services as execution
from production.models import ProductionOrder
from production.tests.execution_factories import (
    LocationFactory,
    ProductionOrderFactory,
    make_routing,
    operations_of,
    released_order,
)
from production.tests.factories import MachineFactory, SiteFactory, WorkCenterFactory

from .webhook_factories import subscribe

pytestmark = pytest.mark.django_db
Status = WebhookDelivery.Status
EventType = WebhookEndpoint.EventType


def due_now() -> None:
    """Let time pass: every pending delivery is due."""
    WebhookDelivery.objects.filter(status=Status.PENDING).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


# --- signing -----------------------------------------------------------------------


def test_a_delivery_verifies_with_the_standard_webhooks_library():
    secret = signing.new_secret()
    body = b'{"type": "stock.received", "data": {"qty": "1.5"}}'
    headers = signing.signed_headers(secret, "msg_1", int(timezone.now().timestamp()), body)
    assert Webhook(secret).verify(body, headers) == {
        "type": "stock.received",
        "data": {"qty": "1.5"},
    }
    headers["webhook-signature"] = signing.signature(secret, "msg_2", 1, body)
    with pytest.raises(Exception, match="No matching signature"):
        Webhook(secret).verify(body, headers)


@pytest.mark.parametrize(
    "secret",
    ["", "whsec_", "secret", "whsec_not base64!", "whsec_" + base64.b64encode(b"x" * 8).decode()],
)
def test_a_secret_that_is_not_a_standard_one_is_refused(secret):
    with pytest.raises(ValueError):
        signing.secret_key(secret)


def test_the_retry_delays_double_up_to_the_cap():
    delays = [signing.retry_delay_s(n, base_s=30, max_s=3600) for n in range(1, 11)]
    assert delays == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]


# --- the outbox --------------------------------------------------------------------


def test_an_event_is_written_with_the_change_and_only_for_subscribers(webhook_receiver):
    released_order(code="PO-NOBODY")  # no endpoint yet: nothing written
    assert not WebhookEvent.objects.exists()
    subscribe(webhook_receiver.url, [EventType.PRODUCTION_ORDER_RELEASED])
    subscribe(webhook_receiver.url, [EventType.STOCK_RECEIVED])
    order = released_order(code="PO-WH-1", qty="5")
    event = WebhookEvent.objects.get(type=EventType.PRODUCTION_ORDER_RELEASED)
    assert event.data["code"] == "PO-WH-1"
    assert Decimal(event.data["qty"]) == order.qty
    assert event.deliveries.count() == 1  # the stock endpoint does not want it


def test_a_change_rolled_back_leaves_no_event(webhook_receiver):
    subscribe(webhook_receiver.url)
    with pytest.raises(RuntimeError), transaction.atomic():
        released_order(code="PO-ROLLED-BACK")
        raise RuntimeError("the business transaction fails after the event")
    assert not WebhookEvent.objects.exists()


def test_a_delivery_is_signed_and_carries_type_timestamp_and_data(webhook_receiver):
    endpoint = subscribe(webhook_receiver.url)
    released_order(code="PO-WH-2")
    assert services.deliver_due() == 1
    (got,) = webhook_receiver.received
    payload = Webhook(endpoint.secret).verify(got.body, got.headers)
    assert payload["type"] == "production_order.released"
    assert payload["data"]["code"] == "PO-WH-2"
    assert payload["timestamp"]
    delivery = WebhookDelivery.objects.get()
    assert got.event_id == delivery.event.event_id
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
        Status.DELIVERED,
        1,
        200,
    )


def test_the_events_of_production_reach_the_receiver(webhook_receiver):
    subscribe(webhook_receiver.url)
    order = released_order(code="PO-WH-3", qty="4", steps=1)
    (operation,) = operations_of(order)
    execution.start_operation(
        operation, actor=None, machine=MachineFactory(work_center=operation.work_center)
    )
    execution.report_operation(operation, actor=None, qty_good=4)
    execution.complete_operation(operation, actor=None)
    services.deliver_due()
    assert webhook_receiver.types() == [
        "production_order.released",
        "stock.received",
        "operation.reported",
        "production_order.completed",
    ]
    reported = webhook_receiver.received[2].json["data"]
    assert (reported["production_order"], reported["seq"], reported["qty_good"]) == (
        "PO-WH-3",
        operation.seq,
        "4.000000",
    )
    assert webhook_receiver.received[3].json["data"]["qty_good"] == "4.000000"


# --- order, retries, dead letters ---------------------------------------------------


def test_a_failing_delivery_holds_back_the_later_ones_of_its_endpoint(webhook_receiver):
    webhook_receiver.answer = lambda n: 500 if n == 1 else 200
    subscribe(webhook_receiver.url)
    for n in range(3):
        released_order(code=f"PO-ORDER-{n}")
    assert services.deliver_due() == 0
    head = WebhookDelivery.objects.order_by("id").first()
    assert head.attempts == 1 and head.last_status_code == 500
    assert head.next_attempt_at > timezone.now() + timedelta(seconds=25)
    assert len(webhook_receiver.received) == 1
    assert services.deliver_due() == 0  # not due yet: nothing overtakes it
    due_now()
    assert services.deliver_due() == 3
    codes = [r.json["data"]["code"] for r in webhook_receiver.received]
    assert codes == ["PO-ORDER-0", "PO-ORDER-0", "PO-ORDER-1", "PO-ORDER-2"]


def test_retries_follow_the_schedule_and_end_as_a_dead_letter(settings, webhook_receiver):
    settings.MES_WEBHOOK_MAX_ATTEMPTS = 4
    webhook_receiver.answer = lambda n: 503
    subscribe(webhook_receiver.url, [EventType.PRODUCTION_ORDER_RELEASED])
    released_order(code="PO-DEAD")
    released_order(code="PO-AFTER-DEAD")
    waits = []
    for _attempt in range(3):
        before = timezone.now()
        services.deliver_due()
        head = WebhookDelivery.objects.order_by("id").first()
        waits.append(round((head.next_attempt_at - before).total_seconds()))
        due_now()
    assert waits == [30, 60, 120]
    webhook_receiver.answer = lambda n: 503 if n <= 4 else 200
    services.deliver_due()  # the 4th attempt fails: dead; the next one goes through
    dead, after = WebhookDelivery.objects.order_by("id")
    assert (dead.status, dead.attempts, "503" in dead.last_error) == (Status.DEAD, 4, True)
    assert after.status == Status.DELIVERED


def test_a_receiver_that_times_out_is_tried_again(settings, webhook_receiver):
    settings.MES_WEBHOOK_TIMEOUT_S = 0.3
    webhook_receiver.answer = lambda n: 1.0 if n == 1 else 200
    subscribe(webhook_receiver.url)
    released_order(code="PO-SLOW")
    assert services.deliver_due() == 0
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == Status.PENDING and "timed out" in delivery.last_error
    due_now()
    assert services.deliver_due() == 1


def test_a_receiver_down_for_an_hour_gets_everything_in_order_when_back(webhook_receiver):
    down = subscribe("http://127.0.0.1:9/hooks")  # nothing listens on the discard port
    for n in range(5):
        released_order(code=f"PO-DOWN-{n}")
    for _hour in range(7):  # 30 s … 32 min: an hour of failed attempts
        services.deliver_due()
        due_now()
    assert WebhookDelivery.objects.filter(status=Status.PENDING).count() == 5
    head = WebhookDelivery.objects.order_by("id").first()
    assert head.attempts == 7 and head.last_status_code is None and head.last_error
    services.update_endpoint(down, actor=None, url=webhook_receiver.url)
    due_now()
    assert services.deliver_due() == 5
    assert [r.json["data"]["code"] for r in webhook_receiver.received] == [
        f"PO-DOWN-{n}" for n in range(5)
    ]


def test_a_paused_endpoint_keeps_its_queue(webhook_receiver):
    endpoint = subscribe(webhook_receiver.url)
    services.update_endpoint(endpoint, actor=None, is_active=False)
    subscribe(webhook_receiver.url, is_active=False)
    released_order(code="PO-PAUSED")
    assert not WebhookEvent.objects.exists()  # no active subscriber: nothing owed
    services.update_endpoint(endpoint, actor=None, is_active=True)
    released_order(code="PO-RESUMED")
    services.update_endpoint(endpoint, actor=None, is_active=False)
    assert services.deliver_due() == 0
    services.update_endpoint(endpoint, actor=None, is_active=True)
    assert services.deliver_due() == 1


def test_replay_sends_a_dead_letter_again(settings, webhook_receiver):
    settings.MES_WEBHOOK_MAX_ATTEMPTS = 1
    webhook_receiver.answer = lambda n: 500 if n == 1 else 200
    subscribe(webhook_receiver.url)
    released_order(code="PO-REPLAY")
    services.deliver_due()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == Status.DEAD
    assert services.replay_deliveries([delivery], actor=None) == 1
    assert services.deliver_due() == 1
    first, second = webhook_receiver.received
    assert first.event_id == second.event_id  # the same event: receivers de-duplicate


def test_old_finished_events_are_purged_and_pending_ones_kept(settings, webhook_receiver):
    subscribe(webhook_receiver.url)
    released_order(code="PO-OLD-1")
    services.deliver_due()
    released_order(code="PO-OLD-2")  # still pending
    WebhookEvent.objects.update(created_at=timezone.now() - timedelta(days=31))
    assert services.purge_delivered_events() > 0
    assert list(WebhookEvent.objects.values_list("data__code", flat=True)) == ["PO-OLD-2"]


# --- API ---------------------------------------------------------------------------


def test_an_erp_registers_an_endpoint_and_gets_its_secret_once(erp, webhook_receiver):
    url = reverse("webhook-endpoint-list")
    response = erp.post(
        url, {"url": webhook_receiver.url, "events": ["shipment.shipped"]}, format="json"
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["secret"].startswith("whsec_")
    assert response["Location"].endswith(f"/webhook-endpoints/{created['id']}/")
    detail = erp.get(response["Location"]).json()
    assert "secret" not in detail and detail["events"] == ["shipment.shipped"]
    assert [e["id"] for e in erp.get(url).json()["results"]] == [created["id"]]
    patched = erp.patch(response["Location"], {"is_active": False}, format="json")
    assert patched.status_code == 200 and patched.json()["is_active"] is False
    assert erp.delete(response["Location"]).status_code == 204
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "http://erp.example/hooks", "events": ["order.eaten"]}, "events.0"),
        ({"url": "http://erp.example/hooks", "events": []}, "events"),
        ({"url": "not a url", "events": ["stock.received"]}, "url"),
        (
            {"url": "http://erp.example/hooks", "events": ["stock.received"], "secret": "x"},
            "secret",
        ),
    ],
)
def test_a_bad_endpoint_is_refused_with_the_field_named(erp, body, field):
    response = erp.post(reverse("webhook-endpoint-list"), body, format="json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert field in response.json()["errors"]
    assert not WebhookEndpoint.objects.exists()


def test_a_bad_change_to_an_endpoint_is_refused_and_changes_nothing(erp, webhook_receiver):
    endpoint = subscribe(webhook_receiver.url, ["stock.received"])
    detail = reverse("webhook-endpoint-detail", kwargs={"pk": endpoint.pk})
    for body, field in (
        ({"secret": "not-a-secret"}, "secret"),
        ({"events": []}, "events"),
        ({"events": ["order.eaten"], "url": "https://elsewhere.example/"}, "events.0"),
    ):
        response = erp.patch(detail, body, format="json")
        assert response.status_code == 400 and field in response.json()["errors"]
    kept = WebhookEndpoint.objects.get()
    assert (kept.secret, kept.events, kept.url) == (
        endpoint.secret,
        ["stock.received"],
        webhook_receiver.url,
    )


def test_deliveries_are_listed_and_replayed_over_the_api(settings, erp, webhook_receiver):
    settings.MES_WEBHOOK_MAX_ATTEMPTS = 1
    webhook_receiver.answer = lambda n: 500 if n == 1 else 200
    endpoint = subscribe(webhook_receiver.url)
    released_order(code="PO-API-REPLAY")
    services.deliver_due()
    base = reverse("webhook-endpoint-detail", kwargs={"pk": endpoint.pk})
    listed = erp.get(f"{base}deliveries/?status=dead").json()["results"]
    assert [(d["type"], d["status"], d["attempts"]) for d in listed] == [
        ("production_order.released", "dead", 1)
    ]
    assert erp.get(f"{base}deliveries/?status=eaten").status_code == 400
    replayed = erp.post(f"{base}deliveries/{listed[0]['id']}/replay/")
    assert replayed.status_code == 202 and replayed.json()["status"] == "pending"
    assert erp.post(f"{base}deliveries/999999/replay/").status_code == 404
    services.deliver_due()
    assert WebhookDelivery.objects.get().status == Status.DELIVERED


def test_only_integration_roles_manage_endpoints(api_client_for):
    body = {"url": "http://erp.example/hooks", "events": ["stock.received"]}
    url = reverse("webhook-endpoint-list")
    assert api_client_for("readonly").get(url).status_code == 200
    assert api_client_for("readonly").post(url, body, format="json").status_code == 403
    assert api_client_for("gateway").get(url).status_code == 403
    assert api_client_for("supervisor").get(url).status_code == 403


# --- admin -------------------------------------------------------------------------


def test_a_manager_makes_an_endpoint_and_replays_dead_letters_in_the_admin(
    client, manager, settings, webhook_receiver
):
    settings.MES_WEBHOOK_MAX_ATTEMPTS = 1
    client.force_login(manager)
    response = client.post(
        reverse("admin:mes_webhookendpoint_add"),
        {
            "url": webhook_receiver.url,
            "events": ["production_order.released"],
            "description": "ERP",
            "is_active": "on",
            "secret": "",
        },
    )
    assert response.status_code == 302, response.content
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret.startswith("whsec_")
    webhook_receiver.answer = lambda n: 500 if n == 1 else 200
    released_order(code="PO-ADMIN")
    services.deliver_due()
    listed = client.get(reverse("admin:mes_webhookdelivery_changelist"), {"status": "dead"})
    assert "PO-ADMIN" not in listed.content.decode() and listed.status_code == 200
    delivery = WebhookDelivery.objects.get()
    client.post(
        reverse("admin:mes_webhookdelivery_changelist"),
        {"action": "replay", "_selected_action": [delivery.pk]},
    )
    services.deliver_due()
    delivery.refresh_from_db()
    assert delivery.status == Status.DELIVERED and delivery.attempts == 1


# --- sites -------------------------------------------------------------------------


def released_at(site, code: str) -> ProductionOrder:
    LocationFactory()
    order = ProductionOrderFactory(code=code, site=site)
    make_routing(order.item, [WorkCenterFactory()])
    execution.release_production_order(order, actor=None)
    return order


def test_an_endpoint_of_one_site_gets_only_that_sites_events(webhook_receiver):
    hs, b = SiteFactory(code="HS"), SiteFactory(code="B")
    subscribe(webhook_receiver.url + "/all")
    subscribe(webhook_receiver.url + "/b", site=b)
    released_at(hs, "PO-SITE-HS")
    b_order = released_at(b, "PO-SITE-B")
    (operation,) = operations_of(b_order)
    execution.start_operation(
        operation, actor=None, machine=MachineFactory(work_center=operation.work_center)
    )
    execution.report_operation(operation, actor=None, qty_good=1)
    services.deliver_due()
    # (the finished goods go to a store of no site: its stock.received goes to both)
    got = sorted(
        (r.path, r.json["type"])
        for r in webhook_receiver.received
        if r.json["type"] != "stock.received"
    )
    assert got == [
        ("/hooks/all", "operation.reported"),
        ("/hooks/all", "production_order.released"),
        ("/hooks/all", "production_order.released"),
        ("/hooks/b", "operation.reported"),
        ("/hooks/b", "production_order.released"),
    ]
    b_codes = {
        r.json["data"].get("code") or r.json["data"]["production_order"]
        for r in webhook_receiver.received
        if r.path == "/hooks/b" and r.json["type"] != "stock.received"
    }
    assert b_codes == {"PO-SITE-B"}


def test_a_client_limited_to_a_site_manages_only_its_sites_endpoints(webhook_receiver):
    hs, b = SiteFactory(code="HS"), SiteFactory(code="B")
    subscribe(webhook_receiver.url, site=hs)
    subscribe(webhook_receiver.url)  # every site's: not shown to a limited client
    _key, raw = create_api_key(actor=None, name="erp-b", role="erp", site=b)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    url = reverse("webhook-endpoint-list")
    body = {"url": webhook_receiver.url, "events": ["stock.received"]}
    created = client.post(url, body, format="json")
    assert created.status_code == 201 and created.json()["site"] == "B"
    assert [e["site"] for e in client.get(url).json()["results"]] == ["B"]
    for site in (None, "HS"):
        refused = client.post(url, {**body, "site": site}, format="json")
        assert refused.status_code == 400 and "site" in refused.json()["errors"]
    others = WebhookEndpoint.objects.exclude(site=b)
    for endpoint in others:
        detail = reverse("webhook-endpoint-detail", kwargs={"pk": endpoint.pk})
        assert (
            client.patch(detail, {"url": "https://evil.example/"}, format="json").status_code == 404
        )
    assert not WebhookEndpoint.objects.filter(url="https://evil.example/").exists()
