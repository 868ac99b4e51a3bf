"""Reads of orders that are more than a filter."""

from __future__ import annotations

from django.db.models import DecimalField, ExpressionWrapper, F, Prefetch, QuerySet

from mes.models import QTY_DECIMAL_PLACES

from .models import SalesOrder, SalesOrderLine

OPEN_DEMAND_STATUSES = (SalesOrder.Status.OPEN, SalesOrder.Status.PARTIALLY_SHIPPED)


def list_sales_orders() -> QuerySet[SalesOrder]:
    """Orders with customer, lines and the lines' items, in a constant number of queries."""
    lines = SalesOrderLine.objects.select_related("item").order_by("line")
    return SalesOrder.objects.select_related("customer").prefetch_related(
        Prefetch("lines", queryset=lines)
    )


def list_open_demand() -> QuerySet[SalesOrderLine]:
    """Lines still to ship, earliest due first, each annotated with ``open_qty`` (qty − shipped).

    Planning nets this against stock; ``order``, ``order.customer`` and ``item`` come
    with each line.
    """
    open_qty = ExpressionWrapper(
        F("qty") - F("shipped_qty"),
        output_field=DecimalField(max_digits=18, decimal_places=QTY_DECIMAL_PLACES),
    )
    return (
        SalesOrderLine.objects.filter(
            order__status__in=OPEN_DEMAND_STATUSES, qty__gt=F("shipped_qty")
        )
        .annotate(open_qty=open_qty)
        .select_related("order", "order__customer", "item")
        .order_by("due_date", "order__code", "line")
    )
