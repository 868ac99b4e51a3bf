"""Execution API: order transitions and operation commands (the lot trace is the orders app's).

Every POST is a sub-resource transition calling one service (STYLE.md "REST");
Idempotency-Key is honoured by ApiViewSetMixin. Permissions: release, cancel and
close need `production.change_productionorder`; operation commands need
`production.add_operationevent` (they add to the operation's history).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response

from inventory.models import Item, Lot
from mes.api.permissions import RoleModelPermissions
from mes.api.scoping import get_in_scope
from mes.api.viewsets import ApiViewSetMixin, CodeField, CodeRef
from mes.errors import NotFound
from mes.models import QTY_DECIMAL_PLACES
from production.execution import selectors, services
from production.models import (
    LabourRecord,
    Machine,
    Operation,
    OperationEvent,
    ProductionOrder,
    ReasonCode,
)

User = get_user_model()


def quantity(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=18, decimal_places=QTY_DECIMAL_PLACES, **kwargs)


# --- output ----------------------------------------------------------------------


class OrderOperationSerializer(serializers.ModelSerializer):
    work_center = serializers.SlugRelatedField(slug_field="code", read_only=True)
    machine = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Operation
        fields = (
            "seq",
            "name",
            "work_center",
            "machine",
            "status",
            "qty_good",
            "qty_scrap",
            "planned_start",
            "planned_end",
            "actual_start",
            "actual_end",
        )
        read_only_fields = fields


class ProductionOrderStateSerializer(serializers.ModelSerializer):
    """A production order as execution sees it: status, versions, locations, operations."""

    item = serializers.SlugRelatedField(slug_field="code", read_only=True)
    sales_order = serializers.CharField(source="sales_order_code", read_only=True)
    routing_version = serializers.IntegerField(source="routing.version", default=None)
    bom_version = serializers.IntegerField(source="bom.version", default=None)
    issue_location = serializers.SlugRelatedField(slug_field="code", read_only=True)
    receipt_location = serializers.SlugRelatedField(slug_field="code", read_only=True)
    operations = OrderOperationSerializer(many=True, read_only=True)

    class Meta:
        model = ProductionOrder
        fields = (
            "code",
            "item",
            "qty",
            "due_date",
            "priority",
            "sales_order",
            "sales_order_line",
            "status",
            "qty_good",
            "qty_scrap",
            "routing_version",
            "bom_version",
            "issue_location",
            "receipt_location",
            "released_at",
            "actual_start",
            "actual_end",
            "operations",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields


class ShortageSerializer(serializers.Serializer):
    item = serializers.CharField(source="item.code", read_only=True)
    required = quantity(read_only=True)
    available = quantity(read_only=True)


class ReleaseResultSerializer(ProductionOrderStateSerializer):
    shortages = ShortageSerializer(many=True, read_only=True)

    class Meta(ProductionOrderStateSerializer.Meta):
        fields = (*ProductionOrderStateSerializer.Meta.fields, "shortages")
        read_only_fields = fields


class OperationStateSerializer(OrderOperationSerializer):
    order = serializers.SlugRelatedField(slug_field="code", read_only=True)
    order_status = serializers.CharField(source="order.status", read_only=True)
    operators = serializers.SerializerMethodField(
        help_text="Usernames of the operators clocked on now."
    )

    class Meta(OrderOperationSerializer.Meta):
        fields = ("order", "order_status", *OrderOperationSerializer.Meta.fields, "operators")
        read_only_fields = fields

    def get_operators(self, operation: Operation) -> list[str]:
        return list(
            LabourRecord.objects.filter(operation=operation, ended_at__isnull=True)
            .order_by("operator__username")
            .values_list("operator__username", flat=True)
        )


class ReportResultSerializer(serializers.ModelSerializer):
    scrap_reason = serializers.SlugRelatedField(source="reason", slug_field="code", read_only=True)
    operation = OperationStateSerializer(read_only=True)

    class Meta:
        model = OperationEvent
        fields = (
            "id",
            "kind",
            "at",
            "qty_good",
            "qty_scrap",
            "scrap_reason",
            "client_ref",
            "operation",
        )
        read_only_fields = fields


class TraceNodeSerializer(serializers.Serializer):
    item = serializers.CharField()
    lot = serializers.CharField()
    depth = serializers.IntegerField()
    qty = quantity(help_text="How much of the consumed lot went into the produced one.")
    parent = serializers.DictField(
        child=serializers.CharField(), help_text="{item, lot}: the lot one step nearer."
    )
    order = serializers.CharField()
    operation = serializers.IntegerField(help_text="The sequence number of the operation.")
    machine = serializers.CharField(allow_null=True)
    operators = serializers.ListField(child=serializers.CharField())


class TraceSerializer(serializers.Serializer):
    item = serializers.CharField()
    lot = serializers.CharField()
    backward = TraceNodeSerializer(many=True, help_text="What the lot was made from.")
    forward = TraceNodeSerializer(many=True, help_text="What was made from the lot.")


# --- input -------------------------------------------------------------------------


class StartSerializer(serializers.Serializer):
    machine = CodeRef(queryset=Machine.objects.all(), required=False, allow_null=True)
    operator = CodeRef(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
    )


class PauseSerializer(serializers.Serializer):
    reason = CodeRef(queryset=ReasonCode.objects.filter(is_active=True))


class ConsumedLotSerializer(serializers.Serializer):
    item = CodeRef(queryset=Item.objects.all())
    lot = CodeField()
    qty = quantity(min_value=0)

    def validate(self, attrs):
        lot = Lot.objects.filter(item=attrs["item"], code=attrs["lot"]).first()
        if lot is None:
            message = _("%(item)s has no lot %(lot)s.") % {
                "item": attrs["item"].code,
                "lot": attrs["lot"],
            }
            raise serializers.ValidationError({"lot": [message]})
        return {**attrs, "lot": lot}


class ReportSerializer(serializers.Serializer):
    qty_good = quantity(min_value=0)
    qty_scrap = quantity(min_value=0, default=0)
    scrap_reason = CodeRef(queryset=ReasonCode.objects.filter(is_active=True), required=False)
    consumed_lots = ConsumedLotSerializer(many=True, required=False)
    output_lot = CodeField(required=False)
    client_ref = serializers.CharField(max_length=255, required=False)


class NoBodySerializer(serializers.Serializer):
    pass


# --- views -------------------------------------------------------------------------


class ChangeOnPostPermissions(RoleModelPermissions):
    """A transition of an existing record: POST needs `change`, not `add`."""

    perms_map = {**RoleModelPermissions.perms_map, "POST": ["%(app_label)s.change_%(model_name)s"]}


def _order_state(order: ProductionOrder) -> ProductionOrder:
    return selectors.list_production_orders().get(pk=order.pk)


class OrderCommandView(ApiViewSetMixin, generics.GenericAPIView):
    queryset = ProductionOrder.objects.all()  # for the role permissions
    permission_classes = [ChangeOnPostPermissions]
    serializer_class = ProductionOrderStateSerializer
    service = None

    def post(self, request, code: str):
        order = type(self).service(get_in_scope(ProductionOrder, code), actor=self.actor)
        return Response(self.get_serializer(_order_state(order)).data)


@extend_schema(request=None, responses=ReleaseResultSerializer)
class ReleaseOrderView(OrderCommandView):
    """planned → released: operations copied from the item's active routing, materials checked.

    `shortages` lists the components the issue location holds less of than the
    order needs; they are reported, not refused. Releasing again changes nothing.
    """

    serializer_class = ReleaseResultSerializer

    def post(self, request, code: str):
        result = services.release_production_order(
            get_in_scope(ProductionOrder, code), actor=self.actor
        )
        order = _order_state(result.order)
        order.shortages = result.shortages
        return Response(self.get_serializer(order).data)


@extend_schema(request=None, responses=ProductionOrderStateSerializer)
class CancelOrderView(OrderCommandView):
    """planned or released → cancelled (409 otherwise); cancelling again changes nothing."""

    service = staticmethod(services.cancel_production_order)


@extend_schema(request=None, responses=ProductionOrderStateSerializer)
class CloseOrderView(OrderCommandView):
    """completed → closed (409 otherwise); closing again changes nothing."""

    service = staticmethod(services.close_production_order)


def _operation(code: str, seq: int) -> Operation:
    order = get_in_scope(ProductionOrder, code)
    operation = order.operations.filter(seq=seq).first()
    if operation is None:
        raise NotFound(
            _("Production order %(code)s has no operation %(seq)s.") % {"code": code, "seq": seq}
        )
    return operation


class OperationCommandView(ApiViewSetMixin, generics.GenericAPIView):
    queryset = OperationEvent.objects.all()  # for the role permissions: add_operationevent
    serializer_class = NoBodySerializer

    def command(self, operation: Operation, **values):
        raise NotImplementedError

    def post(self, request, code: str, seq: int):
        operation = _operation(code, int(seq))
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = self.command(operation, **serializer.validated_data)
        return Response(self.respond(result))

    def respond(self, operation: Operation) -> dict:
        operation = Operation.objects.select_related("order", "work_center", "machine").get(
            pk=operation.pk
        )
        return OperationStateSerializer(operation).data


@extend_schema(request=StartSerializer, responses=OperationStateSerializer)
class StartOperationView(OperationCommandView):
    """pending → running, on a machine of its work center if given (409 machine_busy if it
    runs another operation); `operator` (a username) is clocked on."""

    serializer_class = StartSerializer

    def command(self, operation, **values):
        return services.start_operation(operation, actor=self.actor, **values)


@extend_schema(request=PauseSerializer, responses=OperationStateSerializer)
class PauseOperationView(OperationCommandView):
    """running → paused, with a pause or downtime reason code."""

    serializer_class = PauseSerializer

    def command(self, operation, **values):
        return services.pause_operation(operation, actor=self.actor, **values)


@extend_schema(request=None, responses=OperationStateSerializer)
class ResumeOperationView(OperationCommandView):
    """paused → running."""

    def command(self, operation, **values):
        return services.resume_operation(operation, actor=self.actor)


@extend_schema(request=None, responses=OperationStateSerializer)
class CompleteOperationView(OperationCommandView):
    """running or paused → completed, after the operation before it; the last one
    completes the order. Completing again changes nothing."""

    def command(self, operation, **values):
        return services.complete_operation(operation, actor=self.actor)


@extend_schema(request=ReportSerializer, responses=ReportResultSerializer)
class ReportOperationView(OperationCommandView):
    """Good and scrapped units of a running or paused operation.

    The first operation consumes the components (the named lots, else FIFO by the
    BOM); the last receives the good units as `output_lot` (default: the order
    code). 409 quantity_exceeded beyond what the previous operation passed on.
    """

    serializer_class = ReportSerializer

    def command(self, operation, **values):
        return services.report_operation(operation, actor=self.actor, **values)

    def respond(self, event: OperationEvent) -> dict:
        event = OperationEvent.objects.select_related(
            "reason", "operation__order", "operation__work_center", "operation__machine"
        ).get(pk=event.pk)
        return ReportResultSerializer(event).data
