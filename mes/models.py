from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

CODE_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"
code_validator = RegexValidator(
    CODE_PATTERN, _("Use 1–64 characters: letters, digits, '.', '_' or '-'.")
)


class CodeField(models.CharField):
    """The ERP's own key of a record: unique, 1–64 chars of A-Z a-z 0-9 . _ -."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("unique", True)
        kwargs.setdefault("verbose_name", _("code"))
        kwargs.setdefault("validators", [code_validator])
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("validators", None)
        return name, path, args, kwargs


def code_check(model_name: str, field: str = "code") -> models.CheckConstraint:
    """The database's own guard on the code format."""
    return models.CheckConstraint(
        condition=Q(**{f"{field}__regex": CODE_PATTERN}),
        name=f"{model_name}_{field}_format",
    )


# Quantities everywhere: 12 integer digits and 6 decimals (the finest unit allows 6).
QTY_DECIMAL_PLACES = 6


def quantity_field(verbose_name, **kwargs) -> models.DecimalField:
    return models.DecimalField(
        verbose_name, max_digits=18, decimal_places=QTY_DECIMAL_PLACES, **kwargs
    )


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_index=True)

    class Meta:
        abstract = True


class AuditEntry(models.Model):
    """Append-only record of a change to master data: who, when, what, old and new."""

    class Action(models.TextChoices):
        CREATE = "create", _("created")
        UPDATE = "update", _("changed")
        DELETE = "delete", _("deleted")

    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_label = models.CharField(_("who (name)"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    model = models.CharField(_("record type"), max_length=100, db_index=True)
    object_id = models.CharField(_("record id"), max_length=64, db_index=True)
    object_repr = models.CharField(_("record"), max_length=200)
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["model", "object_id", "-at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_repr}"


def site_scope_field() -> models.ForeignKey:
    """The one site a person or an API key is limited to over the API; empty: all sites."""
    return models.ForeignKey(
        "production.Site",
        verbose_name=_("site"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Over the API this client sees and changes only this site's data."),
    )


class UserProfile(models.Model):
    """What a person needs beyond Django's user: badge and PIN for the tablet, language."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    badge_id = models.CharField(_("badge id"), max_length=64, unique=True, null=True, blank=True)
    pin_hash = models.CharField(_("PIN (hashed)"), max_length=128, blank=True)
    failed_pin_attempts = models.PositiveSmallIntegerField(default=0)
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Empty: follow the browser."),
    )
    site = site_scope_field()

    class Meta:
        verbose_name = _("user profile")
        verbose_name_plural = _("user profiles")

    def __str__(self) -> str:
        return str(self.user)


class ApiKey(models.Model):
    """A machine client's key. Only a SHA-256 of the key is kept."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_key"
    )
    prefix = models.CharField(_("key prefix"), max_length=16, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    role = models.CharField(_("role"), max_length=32)
    site = site_scope_field()
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class IdempotencyRecord(models.Model):
    """A POST's Idempotency-Key and the response it got, per client."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(db_index=True)
    completed = models.BooleanField(default=False)
    status_code = models.PositiveSmallIntegerField(null=True)
    response_body = models.BinaryField(null=True)
    content_type = models.CharField(max_length=100, blank=True)
    location = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "key"], name="idempotency_key_per_owner")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.status_code or _('in flight')})"


class WebhookEndpoint(TimeStampedModel):
    """An ERP's receiver: where events of the types it subscribes to are POSTed."""

    permission_area = "integration"

    class EventType(models.TextChoices):
        PRODUCTION_ORDER_RELEASED = "production_order.released", _("production order released")
        PRODUCTION_ORDER_COMPLETED = "production_order.completed", _("production order completed")
        OPERATION_REPORTED = "operation.reported", _("operation reported")
        STOCK_RECEIVED = "stock.received", _("stock received")
        SHIPMENT_SHIPPED = "shipment.shipped", _("shipment shipped")
        NONCONFORMANCE_OPENED = "nonconformance.opened", _("nonconformance opened")
        SCHEDULE_PUBLISHED = "schedule.published", _("schedule published")

    url = models.URLField(_("URL"), max_length=500)
    # Kept as given: every delivery is signed with it (Standard Webhooks `whsec_…`).
    secret = models.CharField(_("secret"), max_length=100)
    events = models.JSONField(_("events"), default=list, help_text=_("The event types sent."))
    description = models.CharField(_("description"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    site = models.ForeignKey(
        "production.Site",
        verbose_name=_("site"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Only this site's events; empty: every site's."),
    )

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self) -> str:
        return self.url


class WebhookEvent(models.Model):
    """The outbox: one row per event, written in the transaction of the change."""

    permission_area = "integration"

    event_id = models.CharField(_("event id"), max_length=40, unique=True, editable=False)
    type = models.CharField(_("type"), max_length=64, choices=WebhookEndpoint.EventType.choices)
    data = models.JSONField(_("data"), encoder=DjangoJSONEncoder)
    site = models.ForeignKey(
        "production.Site",
        verbose_name=_("site"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class WebhookDelivery(models.Model):
    """One event for one endpoint: pending until the receiver answers 2xx, dead after
    MES_WEBHOOK_MAX_ATTEMPTS failed attempts."""

    permission_area = "integration"

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        DELIVERED = "delivered", _("delivered")
        DEAD = "dead", _("dead letter")

    endpoint = models.ForeignKey(
        WebhookEndpoint,
        verbose_name=_("endpoint"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    event = models.ForeignKey(
        WebhookEvent, verbose_name=_("event"), on_delete=models.CASCADE, related_name="deliveries"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(
        _("last HTTP status"), null=True, blank=True
    )
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event"], name="one_delivery_per_endpoint")
        ]
        indexes = [
            # The worker's question: an endpoint's oldest pending delivery.
            models.Index(
                fields=["endpoint", "id"],
                condition=Q(status="pending"),
                name="webhook_pending_per_endpoint",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint} ({self.status})"
