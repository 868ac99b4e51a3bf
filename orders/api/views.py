import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action

from mes.api.bulk import CodeBulkView, bulk_schema
from mes.api.filters import UpdatedAfterFilterSet
from mes.api.viewsets import CodeResourceViewSet
from orders import selectors, services
from orders.models import Customer, SalesOrder
from production.execution import selectors as execution_selectors
from production.models import ProductionOrder

from .serializers import CustomerSerializer, ProductionOrderSerializer, SalesOrderSerializer


class CustomerFilter(UpdatedAfterFilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Customer
        fields = ("code",)


class CustomerViewSet(CodeResourceViewSet):
    """Customers (거래처), keyed by the ERP's customer code."""

    queryset = Customer.objects.all()
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilter
    create_service = services.create_customer
    upsert_service = services.upsert_customer
    update_service = services.update_customer


@extend_schema_view(post=bulk_schema(CustomerSerializer, _("Upsert many customers")))
class CustomerBulkView(CodeBulkView):
    """Customers in bulk: each record as a PUT on `customers/{code}/`."""

    queryset = Customer.objects.all()
    record_serializer_class = CustomerSerializer
    resource = CustomerViewSet


class SalesOrderFilter(UpdatedAfterFilterSet):
    customer = django_filters.CharFilter(field_name="customer__code")

    class Meta:
        model = SalesOrder
        fields = ("status",)


class SalesOrderViewSet(CodeResourceViewSet):
    """Sales orders from the ERP: POST creates, PUT replaces header and lines (no PATCH)."""

    serializer_class = SalesOrderSerializer
    filterset_class = SalesOrderFilter
    http_method_names = ["get", "post", "put", "head", "options"]
    create_service = services.create_sales_order
    upsert_service = services.upsert_sales_order

    def get_queryset(self):
        return selectors.list_sales_orders().order_by(*self.ordering)

    def _respond(self, obj, status_code):
        # Render what the database now holds, lines and items included.
        return super()._respond(self.get_queryset().get(pk=obj.pk), status_code)

    @extend_schema(
        request=None,
        responses=SalesOrderSerializer,
        description="Cancel an order nothing of which has shipped (409 otherwise); "
        "cancelling again changes nothing.",
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, code=None):
        order = services.cancel_sales_order(self.get_object(), actor=self.actor)
        return self._respond(order, status.HTTP_200_OK)


class ProductionOrderFilter(UpdatedAfterFilterSet):
    item = django_filters.CharFilter(field_name="item__code")
    sales_order = django_filters.CharFilter(field_name="sales_order_code")

    class Meta:
        model = ProductionOrder
        fields = ("status",)


class ProductionOrderViewSet(CodeResourceViewSet):
    """Production orders: POST creates a planned order, PUT replaces it while it is planned.

    Status changes are the sub-resources (`release/`, `cancel/`, operations' `start/` …).
    """

    queryset = ProductionOrder.objects.all()  # the model, for permissions and scoping
    serializer_class = ProductionOrderSerializer
    filterset_class = ProductionOrderFilter
    http_method_names = ["get", "post", "put", "head", "options"]
    create_service = services.create_production_order
    upsert_service = services.upsert_production_order

    def get_queryset(self):
        return execution_selectors.list_production_orders().order_by(*self.ordering)

    def _respond(self, obj, status_code):
        # Render what the database now holds, operations included.
        return super()._respond(self.get_queryset().get(pk=obj.pk), status_code)
