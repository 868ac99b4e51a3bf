from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from mes.models import CodeField, TimeStampedModel, code_check


class UnitOfMeasure(TimeStampedModel):
    permission_area = "master_data"

    code = CodeField()
    name = models.CharField(_("name"), max_length=100)
    decimals = models.PositiveSmallIntegerField(
        _("decimal places"),
        default=3,
        validators=[MaxValueValidator(6)],
        help_text=_("0 for units counted in whole pieces."),
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


class ItemVersion(models.Model):
    """One version of a definition of an item (its BOM, its routing).

    Versions are numbered 1, 2, … per item and kept; at most one is active.
    ``services.open_next_version`` is the only code that makes one.
    """

    permission_area = "master_data"

    item = models.ForeignKey(
        Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="%(class)ss"
    )
    version = models.PositiveIntegerField(_("version"))
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        abstract = True
        ordering = ["item__code", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "version"], name="%(class)s_item_version_unique"
            ),
            models.UniqueConstraint(
                fields=["item"],
                condition=models.Q(is_active=True),
                name="%(class)s_one_active_per_item",
            ),
            models.CheckConstraint(
                condition=models.Q(version__gte=1), name="%(class)s_version_positive"
            ),
        ]


class Bom(ItemVersion):
    """One version of an item's bill of materials; a version's lines never change."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta(ItemVersion.Meta):
        verbose_name = _("bill of materials")
        verbose_name_plural = _("bills of materials")

    def __str__(self) -> str:
        return _("%(item)s BOM v%(version)s") % {"item": self.item.code, "version": self.version}


class BomLine(models.Model):
    permission_area = "master_data"

    bom = models.ForeignKey(
        Bom, verbose_name=_("BOM"), on_delete=models.CASCADE, related_name="lines"
    )
    # The BOM's own item, repeated on the line so the database can refuse a
    # component equal to it (a check constraint sees one row only).
    parent = models.ForeignKey(
        Item, verbose_name=_("parent item"), on_delete=models.PROTECT, related_name="+"
    )
    line = models.PositiveIntegerField(_("line"))
    component = models.ForeignKey(
        Item, verbose_name=_("component"), on_delete=models.PROTECT, related_name="used_in"
    )
    qty_per = models.DecimalField(
        _("quantity per unit"),
        max_digits=18,
        decimal_places=6,
        help_text=_("How much of the component one unit of the parent item needs."),
    )
    uom = models.ForeignKey(
        UnitOfMeasure, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("BOM line")
        verbose_name_plural = _("BOM lines")
        ordering = ["bom", "line"]
        constraints = [
            models.UniqueConstraint(fields=["bom", "line"], name="bomline_line_unique"),
            models.UniqueConstraint(fields=["bom", "component"], name="bomline_component_once"),
            models.CheckConstraint(condition=models.Q(qty_per__gt=0), name="bomline_qty_positive"),
            models.CheckConstraint(condition=models.Q(line__gte=1), name="bomline_line_positive"),
            models.CheckConstraint(
                condition=~models.Q(component=models.F("parent")), name="bomline_not_own_parent"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.line}: {self.qty_per} {self.uom.code} {self.component.code}"
