"""OEE stored per machine and shift, kept fresh by roll-ups (see production/oee/rollup.py).

A snapshot holds a shift's times and quantities, not its ratios: days, weeks and work
centers add them up and take the ratios of the sums. A mark says a machine's snapshots
from ``since`` on are stale (new events, reports or classifications); the roll-up
recomputes them and removes the mark unless it changed meanwhile (``generation``).
"""

__all__ = ["OeeMark", "OeeRecompute", "OeeRecomputeMachine", "OeeSnapshot"]

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .plant import Machine, WorkCenter


class OeeSnapshot(models.Model):
    permission_area = "machine_data"

    machine = models.ForeignKey(
        Machine, verbose_name=_("machine"), on_delete=models.CASCADE, related_name="+"
    )
    production_day = models.DateField(_("production day"))
    shift_code = models.CharField(_("shift"), max_length=32)
    period_start = models.DateTimeField(_("shift start"))
    period_end = models.DateTimeField(_("shift end"))
    computed_until = models.DateTimeField(
        _("computed until"), help_text=_("The shift's end, or the time it was computed at.")
    )
    planned_time_s = models.FloatField(_("planned busy time (s)"))
    run_time_s = models.FloatField(_("actual production time (s)"))
    down_time_s = models.FloatField(_("down (s)"))
    setup_time_s = models.FloatField(_("setup (s)"))
    idle_time_s = models.FloatField(_("idle (s)"))
    unknown_time_s = models.FloatField(_("unknown (s)"))
    planned_stop_s = models.FloatField(_("planned stop (s)"))
    total = models.FloatField(_("produced"))
    good = models.FloatField(_("good"))
    startup_reject = models.FloatField(
        _("start-up rejects"), help_text=_("Rejects counted just after a setup.")
    )
    ideal_cycle_time_s = models.FloatField(_("ideal cycle time (s)"))
    down_by_reason = models.JSONField(
        _("down by reason (s)"),
        default=dict,
        help_text=_('Seconds down in planned time per reason code; "" is unclassified.'),
    )
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("OEE snapshot")
        verbose_name_plural = _("OEE snapshots")
        ordering = ["-period_start", "machine"]
        constraints = [
            models.UniqueConstraint(fields=["machine", "period_start"], name="oee_snapshot_once"),
            models.CheckConstraint(
                condition=models.Q(period_end__gt=models.F("period_start")),
                name="oee_snapshot_period_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(good__lte=models.F("total"), good__gte=0),
                name="oee_snapshot_good_within_total",
            ),
        ]
        indexes = [models.Index(fields=["period_start"], name="oee_snapshot_start")]

    def __str__(self) -> str:
        return f"{self.machine_id} {self.production_day} {self.shift_code}"


class OeeMark(models.Model):
    """A machine whose snapshots from ``since`` on are to be recomputed."""

    permission_area = "machine_data"

    machine = models.OneToOneField(
        Machine, verbose_name=_("machine"), on_delete=models.CASCADE, related_name="+"
    )
    since = models.DateTimeField(_("stale since"))
    generation = models.BigIntegerField(_("generation"), default=1)

    class Meta:
        verbose_name = _("OEE roll-up mark")
        verbose_name_plural = _("OEE roll-up marks")

    def __str__(self) -> str:
        return f"{self.machine_id} since {self.since:%Y-%m-%d %H:%M}"


class OeeRecompute(models.Model):
    """A manager's full recompute of a time range, run by a worker machine by machine."""

    permission_area = "machine_data"

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    start = models.DateTimeField(_("from"))
    end = models.DateTimeField(_("to"))
    work_center = models.ForeignKey(
        WorkCenter,
        verbose_name=_("work center"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: every machine."),
    )
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.QUEUED
    )
    machines_total = models.PositiveIntegerField(_("machines"), default=0)
    machines_done = models.PositiveIntegerField(_("machines done"), default=0)
    snapshots = models.PositiveIntegerField(_("shifts computed"), default=0)
    error = models.TextField(_("error"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("OEE recompute")
        verbose_name_plural = _("OEE recomputes")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="oee_recompute_range_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(machines_done__lte=models.F("machines_total")),
                name="oee_recompute_progress_valid",
            ),
        ]

    def __str__(self) -> str:
        first = timezone.localtime(self.start)
        last = timezone.localtime(self.end - timedelta(microseconds=1))  # the end is excluded
        return f"{first:%Y-%m-%d} – {last:%Y-%m-%d} ({self.get_status_display()})"

    @property
    def progress_pct(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return self.machines_done * 100 // self.machines_total if self.machines_total else 0


class OeeRecomputeMachine(models.Model):
    """One machine of a recompute still to do: the work queue the workers share."""

    permission_area = "machine_data"

    recompute = models.ForeignKey(
        OeeRecompute, verbose_name=_("OEE recompute"), on_delete=models.CASCADE, related_name="+"
    )
    machine = models.ForeignKey(
        Machine, verbose_name=_("machine"), on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        verbose_name = _("machine to recompute")
        verbose_name_plural = _("machines to recompute")
        constraints = [
            models.UniqueConstraint(
                fields=["recompute", "machine"], name="oee_recompute_machine_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.recompute_id}: {self.machine_id}"
