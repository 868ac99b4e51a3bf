from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from mes.models import CodeField, TimeStampedModel, code_check, code_validator, quantity_field


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


# --- stock: locations, lots, the ledger and its balances ---------------------


class Location(TimeStampedModel):
    """A place stock is kept: a store, the line (WIP), quarantine, shipping."""

    permission_area = "inventory"

    class Kind(models.TextChoices):
        STOCK = "stock", _("stock")
        WIP = "wip", _("work in progress")
        QUARANTINE = "quarantine", _("quarantine")
        SHIPPING = "shipping", _("shipping")

    code = CodeField()
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.STOCK)
    allow_negative = models.BooleanField(
        _("negative stock allowed"),
        default=False,
        help_text=_("Let consumption go below zero here (back-flushed lines whose receipts lag)."),
    )
    site = models.ForeignKey(
        "production.Site",
        verbose_name=_("site"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="locations",
        help_text=_("Empty: shared by every site (a central store)."),
    )

    class Meta:
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        ordering = ["code"]
        constraints = [
            code_check("location"),
            models.CheckConstraint(
                condition=models.Q(kind__in=["stock", "wip", "quarantine", "shipping"]),
                name="location_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"


class Lot(TimeStampedModel):
    """A lot of an item, or one serial-numbered unit (``is_serial``)."""

    permission_area = "inventory"

    item = models.ForeignKey(
        Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="lots"
    )
    code = models.CharField(_("lot / serial number"), max_length=64, validators=[code_validator])
    is_serial = models.BooleanField(_("serial number"), default=False)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)

    class Meta:
        verbose_name = _("lot")
        verbose_name_plural = _("lots")
        ordering = ["item__code", "code"]
        constraints = [
            models.UniqueConstraint(fields=["item", "code"], name="lot_code_unique_per_item"),
            code_check("lot"),
        ]

    def __str__(self) -> str:
        return f"{self.item.code} / {self.code}"


class StockMove(models.Model):
    """One line of the stock ledger. Append-only: the database refuses UPDATE and DELETE.

    A correction is a new move that ``reverses`` the wrong one. Moves posted
    together share a ``posting``; ``client_ref`` makes a retried posting a no-op.
    """

    permission_area = "inventory"

    class Reason(models.TextChoices):
        RECEIPT = "receipt", _("receipt")
        CONSUMPTION = "consumption", _("material issue")
        PRODUCTION = "production", _("production receipt")
        SCRAP = "scrap", _("scrap")
        TRANSFER = "transfer", _("transfer")
        SHIPMENT = "shipment", _("shipment")
        RETURN = "return", _("customer return")
        SUPPLIER_RETURN = "supplier_return", _("return to supplier")
        ADJUSTMENT = "adjustment", _("stock adjustment")
        REVERSAL = "reversal", _("correction (reversal)")

    item = models.ForeignKey(
        Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="stock_moves"
    )
    lot = models.ForeignKey(
        Lot,
        verbose_name=_("lot"),
        on_delete=models.PROTECT,
        related_name="stock_moves",
        null=True,
        blank=True,
    )
    location = models.ForeignKey(
        Location, verbose_name=_("location"), on_delete=models.PROTECT, related_name="stock_moves"
    )
    qty = quantity_field(_("quantity"), help_text=_("Positive in, negative out."))
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    reference = models.CharField(_("reference"), max_length=200, blank=True)
    posting = models.UUIDField(_("posting"), db_index=True)
    client_ref = models.CharField(
        _("client reference"), max_length=255, unique=True, null=True, blank=True
    )
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("reverses"),
        on_delete=models.PROTECT,
        related_name="reversed_by",
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(_("posted at"), auto_now_add=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("posted by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("stock move")
        verbose_name_plural = _("stock moves")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["item", "lot", "location"]),
            models.Index(fields=["lot", "created_at"]),
            # Production finds an operation's moves by reference (genealogy).
            models.Index(fields=["reference", "reason"]),
        ]
        constraints = [
            models.CheckConstraint(condition=~models.Q(qty=0), name="stockmove_qty_not_zero"),
            models.CheckConstraint(
                condition=models.Q(
                    reason__in=[
                        "receipt",
                        "consumption",
                        "production",
                        "scrap",
                        "transfer",
                        "shipment",
                        "return",
                        "supplier_return",
                        "adjustment",
                        "reversal",
                    ]
                ),
                name="stockmove_reason_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(reverses__isnull=True) | models.Q(reason="reversal"),
                name="stockmove_only_reversals_reverse",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.qty:+} {self.item.code} @ {self.location.code}"


class StockBalance(models.Model):
    """On hand per item, lot and location: the sum of the ledger, kept in the same transaction.

    It is the row a posting locks, and the database refuses a negative quantity
    unless the posting that made it negative was allowed to (``negative_allowed``:
    the location allows negative stock, or a receipt raised a balance still below zero).
    """

    permission_area = "inventory"

    item = models.ForeignKey(
        Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="stock_balances"
    )
    lot = models.ForeignKey(
        Lot,
        verbose_name=_("lot"),
        on_delete=models.PROTECT,
        related_name="stock_balances",
        null=True,
        blank=True,
    )
    location = models.ForeignKey(
        Location,
        verbose_name=_("location"),
        on_delete=models.PROTECT,
        related_name="stock_balances",
    )
    qty = quantity_field(_("on hand"), default=0)
    negative_allowed = models.BooleanField(_("negative allowed"), default=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("stock on hand")
        verbose_name_plural = _("stock on hand")
        constraints = [
            models.UniqueConstraint(
                fields=["item", "lot", "location"],
                condition=models.Q(lot__isnull=False),
                name="stockbalance_one_per_lot_location",
            ),
            models.UniqueConstraint(
                fields=["item", "location"],
                condition=models.Q(lot__isnull=True),
                name="stockbalance_one_per_untracked_location",
            ),
            models.CheckConstraint(
                condition=models.Q(qty__gte=0) | models.Q(negative_allowed=True),
                name="stockbalance_not_negative",
            ),
        ]

    def __str__(self) -> str:
        lot = f" / {self.lot.code}" if self.lot_id else ""
        return f"{self.item.code}{lot} @ {self.location.code}: {self.qty}"
