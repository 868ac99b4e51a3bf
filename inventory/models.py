from django.db import models
from django.utils.translation import gettext_lazy as _

from mes.models import CodeField, TimeStampedModel, code_check


class UnitOfMeasure(TimeStampedModel):
    permission_area = "master_data"

    code = CodeField()
    name = models.CharField(_("name"), max_length=100)
    decimals = models.PositiveSmallIntegerField(
        _("decimal places"), default=3, help_text=_("0 for units counted in whole pieces.")
    )

    class Meta:
        verbose_name = _("unit of measure")
        verbose_name_plural = _("units of measure")
        ordering = ["code"]
        constraints = [
            code_check("uom"),
            models.CheckConstraint(condition=models.Q(decimals__lte=6), name="uom_decimals_max_6"),
        ]

    def __str__(self) -> str:
        return self.code


class Item(TimeStampedModel):
    permission_area = "master_data"

    class Kind(models.TextChoices):
        RAW = "raw", _("raw material")
        COMPONENT = "component", _("semi-finished")
        PRODUCT = "product", _("finished product")

    class Tracking(models.TextChoices):
        NONE = "none", _("not tracked")
        LOT = "lot", _("by lot")
        SERIAL = "serial", _("by serial number")

    code = CodeField()
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    uom = models.ForeignKey(
        UnitOfMeasure, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="items"
    )
    tracking = models.CharField(
        _("tracking"), max_length=8, choices=Tracking.choices, default=Tracking.NONE
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("item")
        verbose_name_plural = _("items")
        ordering = ["code"]
        constraints = [
            code_check("item"),
            models.CheckConstraint(
                condition=models.Q(kind__in=["raw", "component", "product"]), name="item_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(tracking__in=["none", "lot", "serial"]),
                name="item_tracking_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"
