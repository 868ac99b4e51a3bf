from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from inventory.models import Item
from mes.models import CodeField, TimeStampedModel, code_check, quantity_field


class Customer(TimeStampedModel):
    permission_area = "master_data"

    code = CodeField()
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["code"]
        constraints = [code_check("customer")]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"


# Quantities are kept to the finest unit precision a UnitOfMeasure allows (6 places).
class SalesOrder(TimeStampedModel):
    """A customer's order, kept by the ERP; its lines are the demand planning works from."""

    permission_area = "orders"

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        PARTIALLY_SHIPPED = "partially_shipped", _("partially shipped")
        SHIPPED = "shipped", _("shipped")
        CANCELLED = "cancelled", _("cancelled")
        CLOSED = "closed", _("closed")

    # The state machine: the statuses each status may move to. A status with no
    # way out is final: the order can no longer be changed.
    TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        Status.OPEN: frozenset(
            {Status.PARTIALLY_SHIPPED, Status.SHIPPED, Status.CANCELLED, Status.CLOSED}
        ),
        Status.PARTIALLY_SHIPPED: frozenset({Status.SHIPPED, Status.CLOSED}),
        # back to partially shipped when the ERP adds a line or raises a quantity
        Status.SHIPPED: frozenset({Status.PARTIALLY_SHIPPED, Status.CLOSED}),
        Status.CANCELLED: frozenset(),
        Status.CLOSED: frozenset(),
    }

    code = CodeField()
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="sales_orders",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("sales order")
        verbose_name_plural = _("sales orders")
        ordering = ["code"]
        constraints = [
            code_check("sales_order"),
            models.CheckConstraint(
                condition=models.Q(
                    status__in=["open", "partially_shipped", "shipped", "cancelled", "closed"]
                ),
                name="sales_order_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_final(self) -> bool:
        return not self.TRANSITIONS[self.status]


class SalesOrderLine(models.Model):
    permission_area = "orders"

    order = models.ForeignKey(
        SalesOrder, verbose_name=_("sales order"), on_delete=models.CASCADE, related_name="lines"
    )
    line = models.PositiveIntegerField(_("line"), validators=[MinValueValidator(1)])
    item = models.ForeignKey(
        Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="sales_order_lines"
    )
    qty = quantity_field(_("quantity"))
    due_date = models.DateField(_("due date"))
    shipped_qty = quantity_field(_("shipped quantity"), default=Decimal(0))

    class Meta:
        verbose_name = _("sales order line")
        verbose_name_plural = _("sales order lines")
        ordering = ["order", "line"]
        constraints = [
            models.UniqueConstraint(fields=["order", "line"], name="sales_order_line_unique"),
            models.CheckConstraint(
                condition=models.Q(line__gt=0), name="sales_order_line_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(qty__gt=0), name="sales_order_line_qty_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(shipped_qty__gte=0), name="sales_order_line_shipped_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(shipped_qty__lte=models.F("qty")),
                name="sales_order_line_shipped_within_qty",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order.code}/{self.line}"


# --- distribution: reservations, shipments, customer returns ---------------------


class Shipment(TimeStampedModel):
    """Goods leaving for a customer against one sales order: draft → picked → shipped.

    Its lines are allocations: stock reserved at a stock location (draft), moved
    to the shipping dock (picked), then taken out of stock (shipped).
    """

    permission_area = "inventory"

    class Status(models.TextChoices):
        DRAFT = "draft", _("to pick")
        PICKED = "picked", _("picked")
        SHIPPED = "shipped", _("shipped")
        CANCELLED = "cancelled", _("cancelled")

    TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        Status.DRAFT: frozenset({Status.PICKED, Status.CANCELLED}),
        Status.PICKED: frozenset({Status.SHIPPED, Status.CANCELLED}),
        Status.SHIPPED: frozenset(),
        Status.CANCELLED: frozenset(),
    }

    code = CodeField()
    sales_order = models.ForeignKey(
        SalesOrder,
        verbose_name=_("sales order"),
        on_delete=models.PROTECT,
        related_name="shipments",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    dock = models.ForeignKey(
        "inventory.Location",
        verbose_name=_("shipping location"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Where picked goods wait for the truck."),
    )
    notes = models.TextField(_("notes"), blank=True)
    picked_at = models.DateTimeField(_("picked at"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        ordering = ["-created_at", "-id"]
        constraints = [
            code_check("shipment"),
            models.CheckConstraint(
                condition=models.Q(status__in=["draft", "picked", "shipped", "cancelled"]),
                name="shipment_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="shipped") | models.Q(shipped_at__isnull=False),
                name="shipment_shipped_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class Allocation(models.Model):
    """Stock reserved for a sales-order line: so much of a lot (or of untracked stock)
    at a stock location. Other allocations see it as reserved until it is picked,
    shipped or cancelled. With a shipment it is that shipment's line.
    """

    permission_area = "inventory"

    class Status(models.TextChoices):
        RESERVED = "reserved", _("reserved")
        PICKED = "picked", _("picked")
        SHIPPED = "shipped", _("shipped")
        CANCELLED = "cancelled", _("cancelled")

    sales_order_line = models.ForeignKey(
        SalesOrderLine,
        verbose_name=_("sales order line"),
        on_delete=models.PROTECT,
        related_name="allocations",
    )
    shipment = models.ForeignKey(
        Shipment,
        verbose_name=_("shipment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lines",
    )
    item = models.ForeignKey(
        Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="+"
    )
    lot = models.ForeignKey(
        "inventory.Lot",
        verbose_name=_("lot"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="allocations",
    )
    location = models.ForeignKey(
        "inventory.Location",
        verbose_name=_("picked from"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    qty = quantity_field(_("quantity"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.RESERVED
    )
    created_at = models.DateTimeField(_("allocated at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("allocated by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        ordering = ["sales_order_line", "id"]
        indexes = [
            models.Index(
                fields=["item", "lot", "location"],
                condition=models.Q(status="reserved"),
                name="allocation_reserved_stock",
            )
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(qty__gt=0), name="allocation_qty_positive"),
            models.CheckConstraint(
                condition=models.Q(status__in=["reserved", "picked", "shipped", "cancelled"]),
                name="allocation_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["reserved", "cancelled"])
                | models.Q(shipment__isnull=False),
                name="allocation_picked_on_a_shipment",
            ),
        ]

    def __str__(self) -> str:
        lot = f" / {self.lot.code}" if self.lot_id else ""
        return f"{self.qty} {self.item.code}{lot} @ {self.location.code}"


class CustomerReturn(TimeStampedModel):
    """Goods a customer sent back, received into quarantine against the shipment line
    they left on; the lot is held until quality decides.
    """

    permission_area = "inventory"

    code = CodeField()
    shipment = models.ForeignKey(
        Shipment, verbose_name=_("shipment"), on_delete=models.PROTECT, related_name="returns"
    )
    allocation = models.ForeignKey(
        Allocation,
        verbose_name=_("shipment line"),
        on_delete=models.PROTECT,
        related_name="returns",
    )
    item = models.ForeignKey(
        Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="+"
    )
    lot = models.ForeignKey(
        "inventory.Lot",
        verbose_name=_("lot"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="customer_returns",
    )
    qty = quantity_field(_("quantity"))
    location = models.ForeignKey(
        "inventory.Location",
        verbose_name=_("received into"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.TextField(_("reason"))
    nonconformance = models.ForeignKey(
        "quality.Nonconformance",
        verbose_name=_("nonconformance report"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="customer_returns",
    )
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("received by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("customer return")
        verbose_name_plural = _("customer returns")
        ordering = ["-created_at", "-id"]
        constraints = [
            code_check("customer_return"),
            models.CheckConstraint(
                condition=models.Q(qty__gt=0), name="customer_return_qty_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.code
