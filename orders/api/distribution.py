"""Distribution over the API: allocations, shipments (pick, ship, cancel), customer returns.

Contract (Inventory and distribution): `shipments/` GET POST, `shipments/{code}/`,
`shipments/{code}/ship/` (409 for a held lot or short stock). Added: `pick/`,
`cancel/`, `delivery-note/` (printable HTML), `allocations/`,
`sales-orders/{code}/allocate/`, `customer-returns/`.
"""

from __future__ import annotations

from django.db.models import Prefetch
from django.urls import re_path
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, mixins, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from inventory.models import Item, Location
from mes.api.filters import UtcIsoDateTimeFilter
from mes.api.scoping import get_in_scope, in_scope
from mes.api.viewsets import (
    CODE_PATH_REGEX,
    ApiViewSetMixin,
    CodeField,
    CodeRef,
    JsonBooleanField,
    RecordViewSet,
)
from mes.errors import NotFound
from mes.models import QTY_DECIMAL_PLACES
from production.api.execution import ChangeOnPostPermissions

from ..distribution import services
from ..distribution.views import delivery_note_response
from ..models import Allocation, CustomerReturn, SalesOrder, Shipment


def _quantity(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=18, decimal_places=QTY_DECIMAL_PLACES, **kwargs)


class AllocationSerializer(serializers.ModelSerializer):
    sales_order = serializers.CharField(source="sales_order_line.order.code", read_only=True)
    line = serializers.IntegerField(source="sales_order_line.line", read_only=True)
    item = serializers.SlugRelatedField(slug_field="code", read_only=True)
    lot = serializers.SlugRelatedField(slug_field="code", read_only=True)
    location = serializers.SlugRelatedField(slug_field="code", read_only=True)
    shipment = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Allocation
        fields = (
            "id",
            "sales_order",
            "line",
            "item",
            "lot",
            "location",
            "qty",
            "status",
            "shipment",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields


class ShipmentLineSerializer(serializers.ModelSerializer):
    line = serializers.IntegerField(source="sales_order_line.line", read_only=True)
    item = serializers.SlugRelatedField(slug_field="code", read_only=True)
    lot = serializers.SlugRelatedField(slug_field="code", read_only=True)
    location = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Allocation
        fields = ("line", "item", "lot", "qty", "location", "status")
        read_only_fields = fields


class ShipmentSerializer(serializers.ModelSerializer):
    sales_order = serializers.SlugRelatedField(slug_field="code", read_only=True)
    customer = serializers.CharField(source="sales_order.customer.code", read_only=True)
    dock = serializers.SlugRelatedField(slug_field="code", read_only=True)
    lines = serializers.SerializerMethodField()

    class Meta:
        model = Shipment
        fields = (
            "code",
            "sales_order",
            "customer",
            "status",
            "dock",
            "notes",
            "lines",
            "picked_at",
            "shipped_at",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields

    @extend_schema_field(ShipmentLineSerializer(many=True))
    def get_lines(self, shipment: Shipment) -> list[dict]:
        lines = [line for line in shipment.lines.all() if line.status != "cancelled"]
        if shipment.status == Shipment.Status.CANCELLED:
            lines = list(shipment.lines.all())
        return ShipmentLineSerializer(lines, many=True).data


class ShipmentLineInputSerializer(serializers.Serializer):
    line = serializers.IntegerField(min_value=1)
    item = CodeField()
    qty = _quantity(min_value=0)
    lot = CodeField(required=False)


class ShipmentInputSerializer(serializers.Serializer):
    code = CodeField(required=False, help_text="Default: the next SHP-000001-style number.")
    sales_order = CodeRef(queryset=SalesOrder.objects.all())
    lines = ShipmentLineInputSerializer(many=True, allow_empty=False, max_length=500)
    dock = CodeRef(queryset=Location.objects.filter(kind=Location.Kind.SHIPPING), required=False)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class ShipmentFilter(filters.FilterSet):
    updated_after = UtcIsoDateTimeFilter(field_name="updated_at", lookup_expr="gt")
    sales_order = filters.CharFilter(field_name="sales_order__code")
    customer = filters.CharFilter(field_name="sales_order__customer__code")

    class Meta:
        model = Shipment
        fields = ("sales_order", "customer", "status")


def _shipments():
    lines = Allocation.objects.select_related("sales_order_line", "item", "lot", "location")
    return Shipment.objects.select_related("sales_order__customer", "dock").prefetch_related(
        Prefetch("lines", queryset=lines.order_by("sales_order_line__line", "id"))
    )


class ShipmentViewSet(RecordViewSet):
    """Shipments of sales orders; each line is a lot (or serial) reserved, picked, shipped."""

    queryset = Shipment.objects.all()
    serializer_class = ShipmentSerializer
    filterset_class = ShipmentFilter
    lookup_field = "code"
    lookup_value_regex = CODE_PATH_REGEX

    def get_queryset(self):
        return _shipments().order_by("updated_at", "id")

    @extend_schema(request=ShipmentInputSerializer, responses={201: ShipmentSerializer})
    def create(self, request, *args, **kwargs):
        given = ShipmentInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        shipment = services.create_shipment(actor=self.actor, **given.validated_data)
        data = self.get_serializer(_shipments().get(pk=shipment.pk)).data
        return Response(data, status=status.HTTP_201_CREATED)


class ShipmentStepView(ApiViewSetMixin, generics.GenericAPIView):
    queryset = Shipment.objects.all()
    serializer_class = serializers.Serializer
    permission_classes = [ChangeOnPostPermissions]

    def step(self, shipment: Shipment) -> Shipment:
        raise NotImplementedError

    def post(self, request, code: str):
        shipment = self.step(get_in_scope(Shipment, code))
        return Response(ShipmentSerializer(_shipments().get(pk=shipment.pk)).data)


@extend_schema(request=None, responses=ShipmentSerializer)
class PickShipmentView(ShipmentStepView):
    """draft → picked: the lines move from their stock locations to the shipping dock."""

    def step(self, shipment):
        return services.pick_shipment(shipment, actor=self.actor)


@extend_schema(request=None, responses=ShipmentSerializer)
class ShipShipmentView(ShipmentStepView):
    """→ shipped (a draft is picked first): stock out, shipped quantities and the sales order's
    status updated. 409 `lot_on_hold` for a held lot, `insufficient_stock` for short stock."""

    def step(self, shipment):
        return services.ship_shipment(shipment, actor=self.actor)


@extend_schema(request=None, responses=ShipmentSerializer)
class CancelShipmentView(ShipmentStepView):
    """draft or picked → cancelled: picked goods go back, the reservations are freed."""

    def step(self, shipment):
        return services.cancel_shipment(shipment, actor=self.actor)


class DeliveryNoteView(generics.GenericAPIView):
    """The shipment's delivery note as printable HTML (`lang=ko` or `en`)."""

    queryset = Shipment.objects.all()
    serializer_class = serializers.Serializer

    @extend_schema(
        parameters=[OpenApiParameter("lang", OpenApiTypes.STR, enum=["ko", "en"])],
        responses={(200, "text/html"): OpenApiTypes.STR},
    )
    def get(self, request, code: str):
        return delivery_note_response(request, get_in_scope(Shipment, code))


# --- allocations ---------------------------------------------------------------------------


class AllocationFilter(filters.FilterSet):
    updated_after = UtcIsoDateTimeFilter(field_name="updated_at", lookup_expr="gt")
    sales_order = filters.CharFilter(field_name="sales_order_line__order__code")
    item = filters.CharFilter(field_name="item__code")
    lot = filters.CharFilter(field_name="lot__code")

    class Meta:
        model = Allocation
        fields = ("sales_order", "item", "lot", "status")


class AllocationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Reservations of stock for sales-order lines (a shipment's lines among them)."""

    queryset = Allocation.objects.all()
    serializer_class = AllocationSerializer
    filterset_class = AllocationFilter

    def get_queryset(self):
        return Allocation.objects.select_related(
            "sales_order_line__order", "item", "lot", "location", "shipment"
        ).order_by("updated_at", "id")


class AllocateLineSerializer(serializers.Serializer):
    line = serializers.IntegerField(min_value=1)
    qty = _quantity(required=False, min_value=0)
    lot = CodeField(required=False)


class AllocateSerializer(serializers.Serializer):
    lines = AllocateLineSerializer(many=True, required=False, max_length=500)


class ShortSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    short = _quantity()


class AllocationResultSerializer(serializers.Serializer):
    allocations = AllocationSerializer(many=True)
    short = ShortSerializer(many=True)


class AllocateView(ApiViewSetMixin, generics.GenericAPIView):
    """Reserve stock for the order's open lines (FEFO where lots expire, else FIFO; held and
    expired lots skipped): all of them as far as stock goes, or the `lines` named."""

    queryset = Allocation.objects.all()
    serializer_class = AllocateSerializer

    @extend_schema(request=AllocateSerializer, responses=AllocationResultSerializer)
    def post(self, request, code: str):
        given = self.get_serializer(data=request.data)
        given.is_valid(raise_exception=True)
        result = services.allocate_sales_order(
            get_in_scope(SalesOrder, code),
            actor=self.actor,
            lines=given.validated_data.get("lines"),
        )
        body = {
            "allocations": result.allocations,
            "short": [{"line": line, "short": qty} for line, qty in result.short],
        }
        return Response(AllocationResultSerializer(body).data)


class CancelAllocationView(ApiViewSetMixin, generics.GenericAPIView):
    """Give a reservation up (one not on a shipment)."""

    queryset = Allocation.objects.all()
    serializer_class = serializers.Serializer
    permission_classes = [ChangeOnPostPermissions]

    @extend_schema(request=None, responses=AllocationSerializer)
    def post(self, request, pk: str):
        allocation = in_scope(Allocation.objects.filter(pk=int(pk))).first()
        if allocation is None:
            raise NotFound(_("No such allocation."))
        return Response(
            AllocationSerializer(services.cancel_allocation(allocation, actor=self.actor)).data
        )


# --- customer returns -------------------------------------------------------------------


class CustomerReturnSerializer(serializers.ModelSerializer):
    shipment = serializers.SlugRelatedField(slug_field="code", read_only=True)
    customer = serializers.CharField(source="shipment.sales_order.customer.code", read_only=True)
    item = serializers.SlugRelatedField(slug_field="code", read_only=True)
    lot = serializers.SlugRelatedField(slug_field="code", read_only=True)
    location = serializers.SlugRelatedField(slug_field="code", read_only=True)
    nonconformance = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = CustomerReturn
        fields = (
            "code",
            "shipment",
            "customer",
            "item",
            "lot",
            "qty",
            "location",
            "reason",
            "nonconformance",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields


class CustomerReturnInputSerializer(serializers.Serializer):
    code = CodeField(required=False)
    shipment = CodeRef(queryset=Shipment.objects.all())
    item = CodeRef(queryset=Item.objects.all())
    lot = CodeField(required=False)
    qty = _quantity(min_value=0)
    reason = serializers.CharField(max_length=2000)
    location = CodeRef(
        queryset=Location.objects.filter(kind=Location.Kind.QUARANTINE), required=False
    )
    open_ncr = JsonBooleanField(default=True)


class CustomerReturnFilter(filters.FilterSet):
    updated_after = UtcIsoDateTimeFilter(field_name="updated_at", lookup_expr="gt")
    shipment = filters.CharFilter(field_name="shipment__code")
    lot = filters.CharFilter(field_name="lot__code")

    class Meta:
        model = CustomerReturn
        fields = ("shipment", "lot")


class CustomerReturnViewSet(RecordViewSet):
    """Goods back from customers, received into quarantine against their shipment."""

    queryset = CustomerReturn.objects.all()
    serializer_class = CustomerReturnSerializer
    filterset_class = CustomerReturnFilter
    lookup_field = "code"
    lookup_value_regex = CODE_PATH_REGEX

    def get_queryset(self):
        return CustomerReturn.objects.select_related(
            "shipment__sales_order__customer", "item", "lot", "location", "nonconformance"
        ).order_by("updated_at", "id")

    @extend_schema(request=CustomerReturnInputSerializer, responses={201: CustomerReturnSerializer})
    def create(self, request, *args, **kwargs):
        given = CustomerReturnInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        returned = services.receive_customer_return(actor=self.actor, **given.validated_data)
        data = self.get_serializer(self.get_queryset().get(pk=returned.pk)).data
        return Response(data, status=status.HTTP_201_CREATED)


router = SimpleRouter()
router.register("shipments", ShipmentViewSet, basename="shipment")
router.register("allocations", AllocationViewSet, basename="allocation")
router.register("customer-returns", CustomerReturnViewSet, basename="customer-return")

SHIPMENT_PATH = rf"^shipments/(?P<code>{CODE_PATH_REGEX})"
urlpatterns = [
    *router.urls,
    re_path(rf"{SHIPMENT_PATH}/pick/$", PickShipmentView.as_view(), name="shipment-pick"),
    re_path(rf"{SHIPMENT_PATH}/ship/$", ShipShipmentView.as_view(), name="shipment-ship"),
    re_path(rf"{SHIPMENT_PATH}/cancel/$", CancelShipmentView.as_view(), name="shipment-cancel"),
    re_path(
        rf"{SHIPMENT_PATH}/delivery-note/$",
        DeliveryNoteView.as_view(),
        name="shipment-delivery-note",
    ),
    re_path(
        rf"^sales-orders/(?P<code>{CODE_PATH_REGEX})/allocate/$",
        AllocateView.as_view(),
        name="sales-order-allocate",
    ),
    re_path(
        r"^allocations/(?P<pk>[0-9]{1,12})/cancel/$",
        CancelAllocationView.as_view(),
        name="allocation-cancel",
    ),
]
