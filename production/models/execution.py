"""Production orders and their execution: operations, their history, labour, genealogy.

The order header lives here with its operations, not in orders/: execution drives
the order's status, and dependencies run orders → production → inventory. An order
points at the sales order it serves by code and line (the ERP's keys).
"""

__all__ = [
    "LabourRecord",
    "LotGenealogy",
    "Operation",
    "OperationEvent",
    "ProductionOrder",
]

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mes.models import CodeField, TimeStampedModel, code_check, quantity_field

from .plant import Machine, WorkCenter
from .reasons import ReasonCode
from .routing import Routing


class ProductionOrder(TimeStampedModel):
    permission_area = "orders"

    class Status(models.TextChoices):
        PLANNED = "planned", _("planned")
        RELEASED = "released", _("released")
        IN_PROGRESS = "in_progress", _("in progress")
        COMPLETED = "completed", _("completed")
        CLOSED = "closed", _("closed")
        CANCELLED = "cancelled", _("cancelled")

    # The only moves a status may make; services go through one helper that checks this.
    TRANSITIONS = {
        Status.PLANNED: {Status.RELEASED, Status.CANCELLED},
        Status.RELEASED: {Status.IN_PROGRESS, Status.CANCELLED},
        Status.IN_PROGRESS: {Status.COMPLETED},
        Status.COMPLETED: {Status.CLOSED},
        Status.CLOSED: set(),
        Status.CANCELLED: set(),
    }

    # Orders with work on the floor: scheduled, dispatched.
    ACTIVE_STATUSES = (Status.RELEASED, Status.IN_PROGRESS)

    code = CodeField()
    item = models.ForeignKey(
        "inventory.Item",
        verbose_name=_("item"),
        on_delete=models.PROTECT,
        related_name="production_orders",
    )
    qty = quantity_field(_("quantity"))
    due_date = models.DateField(_("due date"))
    priority = models.IntegerField(_("priority"), default=0, help_text=_("Higher goes first."))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PLANNED, db_index=True
    )
    sales_order_code = models.CharField(_("sales order"), max_length=64, blank=True)
    sales_order_line = models.PositiveIntegerField(_("sales order line"), null=True, blank=True)
    site = models.ForeignKey(
        "production.Site",
        verbose_name=_("site"),
        on_delete=models.PROTECT,
        related_name="production_orders",
        null=True,
        blank=True,
        help_text=_("The plant that makes it. Empty only where no site was known."),
    )
    routing = models.ForeignKey(
        Routing,
        verbose_name=_("routing version"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text=_("The routing version the operations were copied from at release."),
    )
    bom = models.ForeignKey(
        "inventory.Bom",
        verbose_name=_("BOM version"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text=_("The BOM version materials are consumed by, fixed at release."),
    )
    # Fixed at release from settings MES_ISSUE_LOCATION / MES_RECEIPT_LOCATION.
    issue_location = models.ForeignKey(
        "inventory.Location",
        verbose_name=_("issue location"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text=_("Where the components are consumed from."),
    )
    receipt_location = models.ForeignKey(
        "inventory.Location",
        verbose_name=_("receipt location"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text=_("Where the finished goods are received into."),
    )
    qty_good = quantity_field(_("good quantity"), default=0)
    qty_scrap = quantity_field(_("scrap quantity"), default=0)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    actual_start = models.DateTimeField(_("actual start"), null=True, blank=True)
    actual_end = models.DateTimeField(_("actual end"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("production order")
        verbose_name_plural = _("production orders")
        ordering = ["due_date", "-priority", "code"]
        constraints = [
            code_check("productionorder"),
            models.CheckConstraint(condition=models.Q(qty__gt=0), name="productionorder_qty_pos"),
            models.CheckConstraint(
                condition=models.Q(qty_good__gte=0, qty_scrap__gte=0),
                name="productionorder_quantities_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    status__in=[
                        "planned",
                        "released",
                        "in_progress",
                        "completed",
                        "closed",
                        "cancelled",
                    ]
                ),
                name="productionorder_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(sales_order_line__isnull=True) | ~models.Q(sales_order_code=""),
                name="productionorder_line_needs_sales_order",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class Operation(TimeStampedModel):
    """One step of a released order: a copy of its routing operation, and its progress."""

    permission_area = "execution"

    class Status(models.TextChoices):
        PENDING = "pending", _("not started")
        RUNNING = "running", _("running")
        PAUSED = "paused", _("paused")
        COMPLETED = "completed", _("completed")
        CANCELLED = "cancelled", _("cancelled")

    TRANSITIONS = {
        Status.PENDING: {Status.RUNNING, Status.CANCELLED},
        Status.RUNNING: {Status.PAUSED, Status.COMPLETED},
        Status.PAUSED: {Status.RUNNING, Status.COMPLETED},
        Status.COMPLETED: set(),
        Status.CANCELLED: set(),
    }
    # Still to run or running: scheduled, dispatched, planned times written on publish.
    OPEN_STATUSES = (Status.PENDING, Status.RUNNING, Status.PAUSED)

    order = models.ForeignKey(
        ProductionOrder,
        verbose_name=_("production order"),
        on_delete=models.CASCADE,
        related_name="operations",
    )
    seq = models.PositiveIntegerField(_("sequence"))
    name = models.CharField(_("name"), max_length=200)
    work_center = models.ForeignKey(
        WorkCenter, verbose_name=_("work center"), on_delete=models.PROTECT, related_name="+"
    )
    setup_min = models.DecimalField(_("setup (min)"), max_digits=9, decimal_places=2, default=0)
    cycle_time_s = models.DecimalField(_("cycle time (s)"), max_digits=12, decimal_places=3)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    machine = models.ForeignKey(
        Machine,
        verbose_name=_("machine"),
        on_delete=models.PROTECT,
        related_name="operations",
        null=True,
        blank=True,
    )
    qty_good = quantity_field(_("good quantity"), default=0)
    qty_scrap = quantity_field(_("scrap quantity"), default=0)
    planned_start = models.DateTimeField(_("planned start"), null=True, blank=True)
    planned_end = models.DateTimeField(_("planned end"), null=True, blank=True)
    planned_machine = models.ForeignKey(
        Machine,
        verbose_name=_("planned machine"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
        help_text=_("Where the published schedule puts it."),
    )
    actual_start = models.DateTimeField(_("actual start"), null=True, blank=True)
    actual_end = models.DateTimeField(_("actual end"), null=True, blank=True)

    class Meta:
        verbose_name = _("operation")
        verbose_name_plural = _("operations")
        ordering = ["order", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["order", "seq"], name="operation_seq_unique"),
            # At most one operation runs on a machine at a time.
            models.UniqueConstraint(
                fields=["machine"],
                condition=models.Q(status="running"),
                name="operation_one_running_per_machine",
            ),
            models.CheckConstraint(
                condition=models.Q(qty_good__gte=0, qty_scrap__gte=0),
                name="operation_quantities_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    status__in=["pending", "running", "paused", "completed", "cancelled"]
                ),
                name="operation_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order.code}/{self.seq} {self.name}"


class OperationEvent(models.Model):
    """What happened to an operation, append-only: transitions and quantity reports."""

    permission_area = "execution"

    class Kind(models.TextChoices):
        START = "start", _("start")
        PAUSE = "pause", _("pause")
        RESUME = "resume", _("resume")
        REPORT = "report", _("report")
        COMPLETE = "complete", _("complete")
        CANCEL = "cancel", _("cancel")

    operation = models.ForeignKey(
        Operation, verbose_name=_("operation"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    # Set by the services: now, or when the shop floor says it happened (a late record).
    at = models.DateTimeField(_("when"), default=timezone.now, editable=False, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    from_status = models.CharField(_("from"), max_length=16, blank=True)
    to_status = models.CharField(_("to"), max_length=16, blank=True)
    machine = models.ForeignKey(
        Machine, verbose_name=_("machine"), on_delete=models.PROTECT, null=True, blank=True
    )
    reason = models.ForeignKey(
        ReasonCode, verbose_name=_("reason"), on_delete=models.PROTECT, null=True, blank=True
    )
    qty_good = quantity_field(_("good quantity"), default=0)
    qty_scrap = quantity_field(_("scrap quantity"), default=0)
    note = models.CharField(_("note"), max_length=500, blank=True)
    client_ref = models.CharField(
        _("client reference"), max_length=255, unique=True, null=True, blank=True
    )

    class Meta:
        verbose_name = _("operation event")
        verbose_name_plural = _("operation events")
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(qty_good__gte=0, qty_scrap__gte=0),
                name="operationevent_quantities_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.operation} {self.kind}"


class LabourRecord(models.Model):
    """An operator clocked on an operation, from when to when (open while ``ended_at`` is null)."""

    permission_area = "execution"

    operation = models.ForeignKey(
        Operation, verbose_name=_("operation"), on_delete=models.CASCADE, related_name="labour"
    )
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("operator"),
        on_delete=models.PROTECT,
        related_name="labour_records",
    )
    started_at = models.DateTimeField(_("clocked on"))
    ended_at = models.DateTimeField(_("clocked off"), null=True, blank=True)

    class Meta:
        verbose_name = _("labour record")
        verbose_name_plural = _("labour records")
        ordering = ["started_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["operation", "operator"],
                condition=models.Q(ended_at__isnull=True),
                name="labour_one_open_clock_per_operator_and_operation",
            ),
            models.CheckConstraint(
                condition=models.Q(ended_at__isnull=True)
                | models.Q(ended_at__gte=models.F("started_at")),
                name="labour_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.operator} on {self.operation}"


class LotGenealogy(models.Model):
    """An edge of the genealogy: ``consumed_lot`` went into ``produced_lot``.

    Written when an order receives its output lot: every lot the order consumed
    becomes a parent of it, with the operation that consumed it. Trace walks
    these edges both ways with one recursive query.
    """

    permission_area = "execution"

    produced_lot = models.ForeignKey(
        "inventory.Lot",
        verbose_name=_("produced lot"),
        on_delete=models.PROTECT,
        related_name="made_from",
    )
    consumed_lot = models.ForeignKey(
        "inventory.Lot",
        verbose_name=_("consumed lot"),
        on_delete=models.PROTECT,
        related_name="went_into",
    )
    qty = quantity_field(_("quantity consumed"))
    order = models.ForeignKey(
        ProductionOrder,
        verbose_name=_("production order"),
        on_delete=models.PROTECT,
        related_name="genealogy",
    )
    operation = models.ForeignKey(
        Operation, verbose_name=_("operation"), on_delete=models.PROTECT, related_name="+"
    )
    machine = models.ForeignKey(
        Machine,
        verbose_name=_("machine"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The machine of the consuming operation."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("genealogy link")
        verbose_name_plural = _("genealogy links")
        constraints = [
            models.UniqueConstraint(
                fields=["produced_lot", "consumed_lot", "operation"],
                name="genealogy_edge_once_per_operation",
            ),
            models.CheckConstraint(
                condition=~models.Q(produced_lot=models.F("consumed_lot")),
                name="genealogy_not_own_parent",
            ),
            models.CheckConstraint(condition=models.Q(qty__gt=0), name="genealogy_qty_positive"),
        ]
        indexes = [models.Index(fields=["consumed_lot"])]

    def __str__(self) -> str:
        return f"{self.consumed_lot} → {self.produced_lot}"
