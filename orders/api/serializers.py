from rest_framework import serializers

from inventory.models import Item
from mes.api.viewsets import CodeField, CodeRef
from orders.models import Customer, SalesOrder, SalesOrderLine


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
