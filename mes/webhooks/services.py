"""Webhook endpoints, the outbox and its delivery.

Domain services call ``record_event`` inside the transaction of their change: the
event and one delivery per subscribed endpoint are committed with it or not at all.
After the commit a worker is asked to deliver (``deliver_due``); a periodic sweep
does the same, so events written while Redis was down go out once it is back.
Deliveries to one endpoint go out in the order they were made: the oldest pending
one is tried first and the others wait behind it until it is delivered or dead.
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from mes import audit
from mes.errors import InvalidInput
from mes.models import QTY_DECIMAL_PLACES, WebhookDelivery, WebhookEndpoint, WebhookEvent

from . import signing

if TYPE_CHECKING:
    from production.models import Site

logger = logging.getLogger(__name__)

EventType = WebhookEndpoint.EventType
Status = WebhookDelivery.Status


# --- endpoints ---------------------------------------------------------------------


def _checked_events(events: Iterable[str]) -> list[str]:
    events = list(dict.fromkeys(events))
    unknown = [name for name in events if name not in EventType.values]
    if unknown:
        raise InvalidInput(
            _("Unknown event types: %(names)s.") % {"names": ", ".join(map(str, unknown))},
            field="events",
        )
    if not events:
        raise InvalidInput(_("Subscribe to at least one event type."), field="events")
    return events


def _checked_secret(secret: str) -> str:
    try:
        signing.secret_key(secret)
    except ValueError:
        raise InvalidInput(
            _("A secret is whsec_ followed by 24 to 64 bytes in base64; leave it out to get one."),
            field="secret",
        ) from None
    return secret


def create_endpoint(
    *,
    actor,
    url: str,
    events: Iterable[str],
    secret: str | None = None,
    description: str = "",
    is_active: bool = True,
    site: Site | None = None,
) -> WebhookEndpoint:
    """A new endpoint, of one site's events (``site``) or every site's; without
    ``secret`` one is made (read it from the result once)."""
    endpoint = WebhookEndpoint(
        site=site,
        url=url,
        events=_checked_events(events),
        secret=_checked_secret(secret) if secret else signing.new_secret(),
        description=description,
        is_active=is_active,
    )
    with transaction.atomic():
        endpoint.save()
        audit.record_create(actor, endpoint)
    return endpoint


def update_endpoint(endpoint: WebhookEndpoint, *, actor, **values: Any) -> WebhookEndpoint:
    """Change url, events, secret, description or is_active. Pausing an endpoint keeps its
    queue; deliveries resume, in order, when it is active again."""
    if "events" in values:
        values["events"] = _checked_events(values["events"])
    if "secret" in values:
        values["secret"] = _checked_secret(values["secret"])
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        before = audit.snapshot(endpoint)
        for name, value in values.items():
            setattr(endpoint, name, value)
        endpoint.save()
        audit.record_update(actor, endpoint, before)
    if endpoint.is_active:
        transaction.on_commit(request_delivery)
    return endpoint


def delete_endpoint(endpoint: WebhookEndpoint, *, actor) -> None:
    """Remove an endpoint and the deliveries still owed to it."""
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        before = audit.snapshot(endpoint)
        endpoint.delete()
        audit.record_delete(actor, endpoint, before)


def replay_deliveries(deliveries: Iterable[WebhookDelivery], *, actor) -> int:
    """Send deliveries again (dead letters, or delivered ones a receiver lost) from the
    first attempt; each keeps its place in its endpoint's order."""
    ids = [delivery.pk for delivery in deliveries]
    with transaction.atomic():
        replayed = list(WebhookDelivery.objects.select_for_update().filter(pk__in=ids))
        for delivery in replayed:
            before = audit.snapshot(delivery)
            delivery.status = Status.PENDING
            delivery.attempts = 0
            delivery.next_attempt_at = timezone.now()
            delivery.last_error = ""
            delivery.save()
            audit.record_update(actor, delivery, before, extra={"replayed": [None, True]})
        transaction.on_commit(request_delivery)
    return len(replayed)


# --- the outbox --------------------------------------------------------------------


def record_event(
    event_type: str, data: Mapping[str, Any], *, site_id: int | None
) -> WebhookEvent | None:
    """Write an event of the site ``site_id`` (None: of no one site) for the active
    endpoints that subscribe to it, in the caller's transaction: endpoints of every site,
    and those limited to the event's site. None (nothing written) when no endpoint wants it."""
    candidates = WebhookEndpoint.objects.filter(is_active=True).only("pk", "events")
    if site_id is not None:
        candidates = candidates.filter(Q(site__isnull=True) | Q(site_id=site_id))
    endpoints = [endpoint for endpoint in candidates if event_type in endpoint.events]
    if not endpoints:
        return None
    event = WebhookEvent.objects.create(
        event_id=f"msg_{uuid.uuid4().hex}",
        type=event_type,
        data=_as_the_api_writes(data),
        site_id=site_id,
    )
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(endpoint=endpoint, event=event, next_attempt_at=event.created_at)
        for endpoint in endpoints
    )
    transaction.on_commit(request_delivery)
    return event


def _as_the_api_writes(data: Mapping[str, Any]) -> dict[str, Any]:
    """Quantities as the API shows them: decimal strings with every decimal place."""

    def plain(value: Any) -> Any:
        if isinstance(value, Decimal):
            return f"{value:.{QTY_DECIMAL_PLACES}f}"
        if isinstance(value, Mapping):
            return {key: plain(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [plain(item) for item in value]
        return value

    return plain(data)


def request_delivery() -> None:
    """Ask a worker to deliver now, without making the caller wait for the broker: with
    Redis down the periodic sweep delivers once it is back (the events are in the
    database). Requests made while one is waiting to be queued are one request."""
    global _delivery_requested
    if settings.CELERY_TASK_ALWAYS_EAGER:
        if settings.MES_WEBHOOK_IN_THREAD:
            _embedded_sender.wake()
        else:
            deliver_due()
        return
    with _request_lock:
        if _delivery_requested:
            return
        _delivery_requested = True
    _requester.submit(_queue_delivery_task)


def _queue_delivery_task() -> None:
    global _delivery_requested
    from .tasks import deliver_webhooks_task

    with _request_lock:
        _delivery_requested = False  # a commit from now on asks again
    try:
        deliver_webhooks_task.apply_async(retry=False)
    except Exception:  # the broker's errors are many (kombu, redis, OSError)
        logger.warning("Webhook delivery not queued (broker down); the sweep will deliver.")


_request_lock = threading.Lock()
_delivery_requested = False
_requester = ThreadPoolExecutor(max_workers=1, thread_name_prefix="webhook-request")


# --- delivery ----------------------------------------------------------------------


def deliver_due() -> int:
    """Deliver what is due, endpoint by endpoint; returns the number delivered."""
    endpoint_ids = (
        WebhookDelivery.objects.filter(status=Status.PENDING, endpoint__is_active=True)
        .values_list("endpoint_id", flat=True)
        .distinct()
    )
    return sum(_deliver_to(endpoint_id) for endpoint_id in list(endpoint_ids))


def _deliver_to(endpoint_id: int) -> int:
    delivered = 0
    while True:
        with transaction.atomic():
            # One sender per endpoint at a time keeps its order; another worker skips it.
            endpoint = (
                WebhookEndpoint.objects.select_for_update(skip_locked=True)
                .filter(pk=endpoint_id, is_active=True)
                .first()
            )
            if endpoint is None:
                return delivered
            head = (
                WebhookDelivery.objects.filter(endpoint=endpoint, status=Status.PENDING)
                .select_related("event")
                .order_by("id")
                .first()
            )
            if head is None or head.next_attempt_at > timezone.now():
                return delivered
            if not _attempt(endpoint, head):
                return delivered
            delivered += 1


def payload(event: WebhookEvent) -> bytes:
    body = {"type": event.type, "timestamp": event.created_at, "data": event.data}
    return json.dumps(body, cls=DjangoJSONEncoder, ensure_ascii=False).encode()


def _attempt(endpoint: WebhookEndpoint, delivery: WebhookDelivery) -> bool:
    body = payload(delivery.event)
    now = timezone.now()
    headers = signing.signed_headers(
        endpoint.secret, delivery.event.event_id, int(now.timestamp()), body
    )
    status_code, error = _post(endpoint.url, body, headers)
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.last_status_code = status_code
    ok = status_code is not None and 200 <= status_code < 300
    if ok:
        delivery.status = Status.DELIVERED
        delivery.delivered_at = timezone.now()
        delivery.last_error = ""
    else:
        delivery.last_error = error[:500]
        if delivery.attempts >= settings.MES_WEBHOOK_MAX_ATTEMPTS:
            delivery.status = Status.DEAD
            logger.warning("Webhook %s to %s is a dead letter.", delivery.event, endpoint.url)
        else:
            delivery.next_attempt_at = now + timedelta(
                seconds=signing.retry_delay_s(
                    delivery.attempts,
                    base_s=settings.MES_WEBHOOK_RETRY_BASE_S,
                    max_s=settings.MES_WEBHOOK_RETRY_MAX_S,
                )
            )
    delivery.save()
    # A dead letter no longer holds up the deliveries behind it.
    return ok or delivery.status == Status.DEAD


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=settings.MES_WEBHOOK_TIMEOUT_S) as response:
            return response.status, ""
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code} {exc.reason}"
    except (OSError, ValueError) as exc:  # refused, timed out, DNS, bad URL
        return None, str(exc) or type(exc).__name__


def purge_delivered_events() -> int:
    """Drop events older than MES_WEBHOOK_KEEP_DAYS whose deliveries are all finished."""
    cutoff = timezone.now() - timedelta(days=settings.MES_WEBHOOK_KEEP_DAYS)
    old = WebhookEvent.objects.filter(created_at__lt=cutoff).exclude(
        deliveries__status=Status.PENDING
    )
    deleted, _by_model = old.delete()
    return deleted


class _EmbeddedSender:
    """Embedded mode's worker: a daemon thread that delivers when woken and sweeps every
    MES_WEBHOOK_SWEEP_S seconds for retries."""

    def __init__(self) -> None:
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
        self._wake.set()
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="webhook-sender", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while True:
            self._wake.wait(timeout=settings.MES_WEBHOOK_SWEEP_S)
            self._wake.clear()
            try:
                deliver_due()
            except Exception:
                logger.exception("Webhook delivery failed; trying again at the next sweep.")
            finally:
                connection.close()


_embedded_sender = _EmbeddedSender()
