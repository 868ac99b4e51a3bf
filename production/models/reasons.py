"""Reason codes for scrap, machine downtime and operation pauses.

A code is unique across all kinds (not per kind) so that `reason-codes/{code}/`
names exactly one record; the kind is fixed once the code exists.
"""

__all__ = ["ReasonCode"]

from django.db import models
from django.utils.translation import gettext_lazy as _

from mes.models import CodeField, TimeStampedModel, code_check


class ReasonCode(TimeStampedModel):
    permission_area = "master_data"

    class Kind(models.TextChoices):
        SCRAP = "scrap", _("scrap")
        DOWNTIME = "downtime", _("downtime")
        PAUSE = "pause", _("pause")

    code = CodeField()
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    category = models.CharField(
        _("category"),
        max_length=64,
        blank=True,
        help_text=_("A free group for reports, e.g. mechanical, material, quality, changeover."),
    )
    affects_availability = models.BooleanField(
        _("counts as availability loss"),
        default=True,
        help_text=_(
            "Downtime only: untick for planned stops (breaks, planned maintenance), "
            "which OEE does not count as a loss."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("reason code")
        verbose_name_plural = _("reason codes")
        ordering = ["kind", "code"]
        constraints = [
            code_check("reasoncode"),
            models.CheckConstraint(
                condition=models.Q(kind__in=["scrap", "downtime", "pause"]),
                name="reasoncode_kind_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="downtime") | models.Q(affects_availability=False),
                name="reasoncode_availability_only_for_downtime",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"
