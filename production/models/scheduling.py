"""Schedule versions: a run of the scheduler over a site's open orders, its result (an
operation's machine and planned times) and whether it is the published one."""

__all__ = ["Schedule", "ScheduledOperation"]

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mes.models import TimeStampedModel

from .execution import Operation
from .plant import Machine, Site


class Schedule(TimeStampedModel):
    permission_area = "orders"

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")  # ready to compare and publish
        FAILED = "failed", _("failed")
        CANCELLED = "cancelled", _("cancelled")
        PUBLISHED = "published", _("published")
        SUPERSEDED = "superseded", _("superseded")  # published once, replaced since

    class Objective(models.TextChoices):
        TARDINESS = "tardiness", _("weighted tardiness, then makespan")
        MAKESPAN = "makespan", _("makespan")

    site = models.ForeignKey(
        Site, verbose_name=_("site"), on_delete=models.PROTECT, related_name="schedules"
    )
    objective = models.CharField(
        _("objective"), max_length=16, choices=Objective.choices, default=Objective.TARDINESS
    )
    time_limit_s = models.PositiveIntegerField(_("time limit (s)"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    objective_value = models.FloatField(
        _("objective value"),
        null=True,
        blank=True,
        help_text=_("Weighted tardiness in minutes, or the makespan in minutes."),
    )
    bound = models.FloatField(
        _("best bound"),
        null=True,
        blank=True,
        help_text=_("No schedule can do better than this (empty: not known)."),
    )
    solver_status = models.CharField(_("solver status"), max_length=16, blank=True)
    origin = models.DateTimeField(_("planned from"), null=True, blank=True)
    horizon_end = models.DateTimeField(_("calendar until"), null=True, blank=True)
    makespan_end = models.DateTimeField(_("last operation ends"), null=True, blank=True)
    orders = models.PositiveIntegerField(_("orders"), default=0)
    tardy_orders = models.PositiveIntegerField(_("late orders"), default=0)
    tardiness_min = models.PositiveIntegerField(_("total lateness (min)"), default=0)
    # Per machine code: {"busy_min", "available_min"} up to the schedule's last end.
    machine_load = models.JSONField(_("machine load"), default=dict, blank=True)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    cancel_requested = models.BooleanField(_("cancel requested"), default=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("schedule")
        verbose_name_plural = _("schedules")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["site"],
                condition=models.Q(status="published"),
                name="schedule_one_published_per_site",
            ),
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="schedule_progress"),
            models.CheckConstraint(
                condition=models.Q(time_limit_s__gte=1), name="schedule_time_limit_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(
                    status__in=[
                        "queued",
                        "running",
                        "done",
                        "failed",
                        "cancelled",
                        "published",
                        "superseded",
                    ]
                ),
                name="schedule_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return _("Schedule %(id)s (%(status)s)") % {
            "id": self.pk,
            "status": self.get_status_display(),
        }

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)


class ScheduledOperation(models.Model):
    """Where and when a schedule puts one operation."""

    permission_area = "orders"

    schedule = models.ForeignKey(
        Schedule, verbose_name=_("schedule"), on_delete=models.CASCADE, related_name="assignments"
    )
    operation = models.ForeignKey(
        Operation, verbose_name=_("operation"), on_delete=models.CASCADE, related_name="+"
    )
    machine = models.ForeignKey(
        Machine, verbose_name=_("machine"), on_delete=models.PROTECT, related_name="+"
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    fixed = models.BooleanField(
        _("already running"), default=False, help_text=_("Kept where it runs, not planned.")
    )

    class Meta:
        verbose_name = _("scheduled operation")
        verbose_name_plural = _("scheduled operations")
        ordering = ["schedule", "start", "machine"]
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "operation"], name="scheduled_operation_once"
            ),
            models.CheckConstraint(
                condition=models.Q(end__gte=models.F("start")), name="scheduled_operation_span"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.schedule_id}: {self.operation_id} on {self.machine_id}"
