"""Routings: the operations that make an item, versioned like BOMs.

A new routing is a new version; earlier versions are kept unchanged so that
orders released against them can still be read. At most one version per item
is active.
"""

__all__ = ["Routing", "RoutingOperation"]

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from inventory.models import ItemVersion
from mes.models import TimeStampedModel

from .plant import WorkCenter


class Routing(TimeStampedModel, ItemVersion):
    class Meta(ItemVersion.Meta):
        verbose_name = _("routing")
        verbose_name_plural = _("routings")

    def __str__(self) -> str:
        return _("%(item)s routing v%(version)s") % {
            "item": self.item.code,
            "version": self.version,
        }


class RoutingOperation(models.Model):
    permission_area = "master_data"

    routing = models.ForeignKey(
        Routing, verbose_name=_("routing"), on_delete=models.CASCADE, related_name="operations"
    )
    seq = models.PositiveIntegerField(_("sequence"), validators=[MinValueValidator(1)])
    name = models.CharField(_("name"), max_length=200)
    work_center = models.ForeignKey(
        WorkCenter,
        verbose_name=_("work center"),
        on_delete=models.PROTECT,
        related_name="routing_operations",
    )
    setup_min = models.DecimalField(
        _("setup time (min)"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    cycle_time_s = models.DecimalField(
        _("cycle time (s)"),
        max_digits=12,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("0.001"))],
        help_text=_("Ideal time per unit."),
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("routing operation")
        verbose_name_plural = _("routing operations")
        ordering = ["routing", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["routing", "seq"], name="routing_operation_seq_unique"),
            models.CheckConstraint(
                condition=models.Q(seq__gt=0), name="routing_operation_seq_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(setup_min__gte=0), name="routing_operation_setup_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(cycle_time_s__gt=0), name="routing_operation_cycle_time_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.seq} · {self.name}"
