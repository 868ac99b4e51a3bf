from rest_framework import serializers

from inventory.models import Item
from mes.api.viewsets import CodeField, CodeRef, SiteRef
from orders.models import Customer, SalesOrder, SalesOrderLine
from production.api.execution import OrderOperationSerializer
from production.models import ProductionOrder


class CustomerSerializer(serializers.ModelSerializer):
    code = CodeField()

    class Meta:
        model = Customer
        fields = ("code", "name", "created_at", "updated_at")
        read_only_fields = ("created_at", "updated_at")


class SalesOrderLineSerializer(serializers.ModelSerializer):
    item = CodeRef(queryset=Item.objects.select_related("uom"))

    class Meta:
        model = SalesOrderLine
        fields = ("line", "item", "qty", "due_date", "shipped_qty")
        read_only_fields = ("shipped_qty",)


class SalesOrderSerializer(serializers.ModelSerializer):
    """A sales order with its lines; `status` and each line's `shipped_qty` are read-only."""

    code = CodeField()
    customer = CodeRef(queryset=Customer.objects.all())
    lines = SalesOrderLineSerializer(many=True, allow_empty=False)

    class Meta:
        model = SalesOrder
        fields = ("code", "customer", "status", "notes", "lines", "created_at", "updated_at")
        read_only_fields = ("status", "created_at", "updated_at")


class ProductionOrderSerializer(serializers.ModelSerializer):
    """A production order; status, made quantities and operations are read-only.

    `sales_order` and `sales_order_line` point at the sales-order line the order
    serves (optional); the line must be for the same item.
    """

    code = CodeField()
    item = CodeRef(queryset=Item.objects.select_related("uom"))
    sales_order = serializers.CharField(
        source="sales_order_code", required=False, allow_blank=True, max_length=64
    )
    sales_order_line = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    site = SiteRef(
        help_text="The site that makes it; default: the client's site, else the only site."
    )
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
            "site",
            "status",
            "qty_good",
            "qty_scrap",
            "operations",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("status", "qty_good", "qty_scrap", "created_at", "updated_at")

    def validate(self, attrs):
        # The services take the API's name for the reference.
        if "sales_order_code" in attrs:
            attrs["sales_order"] = attrs.pop("sales_order_code")
        return attrs
