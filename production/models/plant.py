__all__ = ["Area", "Machine", "Site", "WorkCenter"]

from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from mes.models import CodeField, TimeStampedModel, code_check


def validate_time_zone(value: str) -> None:
    """An IANA time zone name that this server knows (e.g. "Asia/Seoul")."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValidationError(
            _("'%(value)s' is not a known IANA time zone (e.g. Asia/Seoul)."),
            code="invalid_time_zone",
            params={"value": value},
        ) from None


class Site(TimeStampedModel):
    """A plant (ISA-95 site); its time zone is the plant-local time of shifts."""

    permission_area = "master_data"

    code = CodeField()
    name = models.CharField(_("name"), max_length=200)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Asia/Seoul", validators=[validate_time_zone]
    )

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        ordering = ["code"]
        constraints = [code_check("site")]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"


class Area(TimeStampedModel):
    permission_area = "master_data"

    code = CodeField()
    name = models.CharField(_("name"), max_length=200)
    site = models.ForeignKey(
        Site, verbose_name=_("site"), on_delete=models.PROTECT, related_name="areas"
    )

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        ordering = ["code"]
        constraints = [code_check("area")]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"


class WorkCenter(TimeStampedModel):
    permission_area = "master_data"

    code = CodeField()
    name = models.CharField(_("name"), max_length=200)
    area = models.ForeignKey(
        Area,
        verbose_name=_("area"),
        on_delete=models.PROTECT,
        related_name="work_centers",
        null=True,
        blank=True,
    )
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Inactive work centers get no new work.")
    )

    class Meta:
        verbose_name = _("work center")
        verbose_name_plural = _("work centers")
        ordering = ["code"]
        constraints = [code_check("workcenter")]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"


class Machine(TimeStampedModel):
    permission_area = "master_data"

    code = CodeField()
    name = models.CharField(_("name"), max_length=200)
    work_center = models.ForeignKey(
        WorkCenter, verbose_name=_("work center"), on_delete=models.PROTECT, related_name="machines"
    )
    ideal_cycle_time_s = models.DecimalField(
        _("ideal cycle time (s)"),
        max_digits=12,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("0.001"))],
        help_text=_("Fastest possible time per unit, for OEE performance."),
    )
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Inactive machines are not scheduled.")
    )

    class Meta:
        verbose_name = _("machine")
        verbose_name_plural = _("machines")
        ordering = ["code"]
        constraints = [
            code_check("machine"),
            models.CheckConstraint(
                condition=models.Q(ideal_cycle_time_s__gt=0), name="machine_cycle_time_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"
