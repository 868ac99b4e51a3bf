from decimal import Decimal
from typing import ClassVar

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
