"""`lots/{item}/{lot}/trace/`: the full trace of a lot (contract: Inventory and distribution)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.urls import re_path
from django.utils.translation import gettext as _
from rest_framework import generics, serializers
from rest_framework.response import Response

from inventory.models import Lot
from mes.api.viewsets import CODE_PATH_REGEX
from mes.errors import NotFound
from mes.models import QTY_DECIMAL_PLACES
from production.api.execution import TraceNodeSerializer
from production.models import LotGenealogy

from ..trace import get_full_trace


def _quantity() -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=18, decimal_places=QTY_DECIMAL_PLACES)


class FullTraceNodeSerializer(TraceNodeSerializer):
    inspections = serializers.ListField(
        child=serializers.IntegerField(), help_text="Ids of this lot's inspections."
    )


class TraceInspectionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    plan = serializers.CharField()
    kind = serializers.CharField()
    production_order = serializers.CharField(allow_null=True)
    seq = serializers.IntegerField(allow_null=True)
    item = serializers.CharField(allow_null=True)
    lot = serializers.CharField(allow_null=True)
    verdict = serializers.CharField()
    inspected_at = serializers.DateTimeField()
    inspected_by = serializers.CharField(allow_null=True)
    failed = serializers.ListField(child=serializers.CharField())


class TraceReceiptSerializer(serializers.Serializer):
    item = serializers.CharField()
    lot = serializers.CharField()
    qty = _quantity()
    location = serializers.CharField()
    at = serializers.DateTimeField()
    reference = serializers.CharField()


class TraceShipmentSerializer(serializers.Serializer):
    shipment = serializers.CharField()
    status = serializers.CharField()
    shipped_at = serializers.DateTimeField(allow_null=True)
    sales_order = serializers.CharField()
    customer = serializers.CharField()
    item = serializers.CharField()
    lot = serializers.CharField()
    qty = _quantity()


class TraceCustomerSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class TraceReturnSerializer(serializers.Serializer):
    code = serializers.CharField()
    shipment = serializers.CharField()
    customer = serializers.CharField()
    item = serializers.CharField()
    lot = serializers.CharField(allow_null=True)
    qty = _quantity()
    received_at = serializers.DateTimeField()
    nonconformance = serializers.CharField(allow_null=True)


class TraceHoldSerializer(serializers.Serializer):
    item = serializers.CharField()
    lot = serializers.CharField()
    source = serializers.CharField()
    reason = serializers.CharField()
    placed_at = serializers.DateTimeField()
    nonconformance = serializers.CharField(allow_null=True)


class FullTraceSerializer(serializers.Serializer):
    item = serializers.CharField()
    lot = serializers.CharField()
    inspections_of_lot = serializers.ListField(
        child=serializers.IntegerField(), help_text="Ids of the inspections of the lot itself."
    )
    backward = FullTraceNodeSerializer(many=True, help_text="What the lot was made from.")
    forward = FullTraceNodeSerializer(many=True, help_text="What was made from the lot.")
    inspections = TraceInspectionSerializer(many=True)
    receipts = TraceReceiptSerializer(many=True, help_text="Receipts of the lot itself.")
    shipments = TraceShipmentSerializer(
        many=True, help_text="Shipments of the lot and of what was made from it."
    )
    customers = TraceCustomerSerializer(many=True)
    returns = TraceReturnSerializer(many=True)
    holds = TraceHoldSerializer(many=True, help_text="Active holds on any lot in the trace.")


class LotTraceView(generics.GenericAPIView):
    """Backward (materials, operations, machines, operators, inspections, receipts) and
    forward (lots made from it, shipments, customers, returns) trace of a lot, at every
    depth, in a fixed number of queries."""

    queryset = LotGenealogy.objects.all()  # for the role permissions
    serializer_class = FullTraceSerializer
    pagination_class = None

    def get(self, request, item: str, lot: str):
        found = Lot.objects.filter(item__code=item, code=lot).select_related("item").first()
        if found is None:
            raise NotFound(_("%(item)s has no lot %(lot)s.") % {"item": item, "lot": lot})
        return Response(_plain(get_full_trace(found)))


_DATETIME = serializers.DateTimeField()
_INTERNAL = ("lot_id", "parent_lot_id", "order_id", "operation_id")


def _value(value):
    if isinstance(value, Decimal):
        return f"{value:.{QTY_DECIMAL_PLACES}f}"
    if isinstance(value, datetime):
        return _DATETIME.to_representation(value)
    return value


def _plain(trace: dict) -> dict:
    """The trace as FullTraceSerializer describes it, built directly: a product lot's trace
    has thousands of nodes and receipts, and a serializer per row would be most of its time."""
    for value in trace.values():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            for row in value:  # in place: a copy per row would double the garbage
                for key in _INTERNAL:
                    row.pop(key, None)
                for key, field in row.items():
                    if isinstance(field, Decimal | datetime):
                        row[key] = _value(field)
    return trace


urlpatterns = [
    re_path(
        rf"^lots/(?P<item>{CODE_PATH_REGEX})/(?P<lot>{CODE_PATH_REGEX})/trace/$",
        LotTraceView.as_view(),
        name="lot-trace",
    ),
]
