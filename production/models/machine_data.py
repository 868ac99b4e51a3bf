"""Signals from machines: state changes and part counters, append-only.

An event's natural key is (machine, ts, kind): the same event sent twice is stored
once. ``ts`` is when the machine says it happened, ``received_at`` when it arrived;
results are computed from ``ts``, so late and out-of-order events are fine.
"""

__all__ = ["DowntimeClassification", "MachineEvent", "MqttRejection"]

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .plant import Machine
from .reasons import ReasonCode


class MachineEvent(models.Model):
    permission_area = "machine_data"

    class Kind(models.TextChoices):
        STATE = "state", _("state change")
        COUNT = "count", _("part counter")

    class State(models.TextChoices):
        RUNNING = "running", _("running")
        IDLE = "idle", _("idle")
        DOWN = "down", _("down")
        SETUP = "setup", _("setup")
        PLANNED_STOP = "planned_stop", _("planned stop")

    class Source(models.TextChoices):
        API = "api", _("REST API")
        MQTT = "mqtt", _("MQTT")

    machine = models.ForeignKey(
        Machine, verbose_name=_("machine"), on_delete=models.PROTECT, related_name="events"
    )
    ts = models.DateTimeField(_("time"))
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, blank=True)
    reason = models.ForeignKey(
        ReasonCode,
        verbose_name=_("reason"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    count_total = models.BigIntegerField(_("total count"), null=True, blank=True)
    count_reject = models.BigIntegerField(_("reject count"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("machine event")
        verbose_name_plural = _("machine events")
        ordering = ["machine", "ts", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["machine", "ts", "kind"], name="machine_event_once"),
            models.CheckConstraint(
                condition=(
                    models.Q(
                        kind="state",
                        state__in=["running", "idle", "down", "setup", "planned_stop"],
                        count_total__isnull=True,
                        count_reject__isnull=True,
                    )
                    | models.Q(
                        kind="count",
                        state="",
                        reason__isnull=True,
                        count_total__isnull=False,
                        count_total__gte=0,
                    )
                ),
                name="machine_event_kind_fields",
            ),
            models.CheckConstraint(
                condition=models.Q(count_reject__isnull=True)
                | models.Q(count_reject__gte=0, count_reject__lte=models.F("count_total")),
                name="machine_event_reject_within_total",
            ),
            models.CheckConstraint(
                condition=models.Q(source__in=["api", "mqtt"]), name="machine_event_source_valid"
            ),
        ]

    def __str__(self) -> str:
        what = (
            self.state
            if self.kind == self.Kind.STATE
            else f"{self.count_total}/{self.count_reject}"
        )
        return f"{self.machine_id} {self.ts:%Y-%m-%d %H:%M:%S} {what}"


class MqttRejection(models.Model):
    """An MQTT message the ingester could not use: kept with the reason, for the admin."""

    permission_area = "machine_data"

    topic = models.CharField(_("topic"), max_length=300)
    payload = models.TextField(_("payload"), help_text=_("The first 2,000 characters."))
    reason = models.TextField(_("reason"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("rejected MQTT message")
        verbose_name_plural = _("rejected MQTT messages")
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.topic}: {self.reason[:80]}"


class DowntimeClassification(models.Model):
    """The reason an operator or supervisor gave a down period the machine sent without one.

    Events are append-only, so the reason lives beside the event it explains: the down
    event of ``machine`` at ``started_at``.
    """

    permission_area = "machine_data"

    machine = models.ForeignKey(
        Machine, verbose_name=_("machine"), on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(_("down since"))
    reason = models.ForeignKey(
        ReasonCode, verbose_name=_("reason"), on_delete=models.PROTECT, related_name="+"
    )
    classified_at = models.DateTimeField(_("classified at"), auto_now=True)
    classified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("classified by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("downtime classification")
        verbose_name_plural = _("downtime classifications")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["machine", "started_at"], name="downtime_classified_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.machine_id} {self.started_at:%Y-%m-%d %H:%M}: {self.reason_id}"
