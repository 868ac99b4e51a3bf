"""Shift handovers: the supervisor's summary of a shift, which the next shift acknowledges."""

__all__ = ["ShiftHandover"]

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class ShiftHandover(models.Model):
    """One shift of a site handed over: the daily report of that shift as it stood when it
    was written (``summary``), the supervisor's notes, and who took it over."""

    permission_area = "execution"

    site = models.ForeignKey(
        "production.Site", verbose_name=_("site"), on_delete=models.PROTECT, related_name="+"
    )
    production_day = models.DateField(_("production day"))
    shift_code = models.CharField(_("shift"), max_length=64)
    shift_start = models.DateTimeField(_("shift start"))
    shift_end = models.DateTimeField(_("shift end"))
    summary = models.JSONField(
        _("summary"), default=dict, help_text=_("The shift's report when it was handed over.")
    )
    notes = models.TextField(_("notes"), blank=True)
    handed_over_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handed over by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    handed_over_at = models.DateTimeField(_("handed over at"))
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledgement_note = models.TextField(_("acknowledgement note"), blank=True)

    class Meta:
        verbose_name = _("shift handover")
        verbose_name_plural = _("shift handovers")
        ordering = ["-shift_start", "site_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "production_day", "shift_code"], name="handover_once_per_shift"
            ),
            models.CheckConstraint(
                condition=Q(shift_end__gt=F("shift_start")), name="handover_shift_valid"
            ),
            models.CheckConstraint(
                condition=Q(acknowledged_by__isnull=True, acknowledged_at__isnull=True)
                | Q(acknowledged_by__isnull=False, acknowledged_at__isnull=False),
                name="handover_acknowledged_by_whom_and_when",
            ),
            models.CheckConstraint(
                condition=Q(acknowledged_by__isnull=True) | ~Q(acknowledged_by=F("handed_over_by")),
                name="handover_acknowledged_by_another",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.production_day} {self.shift_code}"

    @property
    def is_acknowledged(self) -> bool:
        return self.acknowledged_at is not None
