from rest_framework import serializers

from mes.api.viewsets import CodeField
from orders.models import Customer


class CustomerSerializer(serializers.ModelSerializer):
    code = CodeField()

    class Meta:
        model = Customer
        fields = ("code", "name", "created_at", "updated_at")
        read_only_fields = ("created_at", "updated_at")
