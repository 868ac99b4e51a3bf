from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from mes.api.viewsets import CodeField, CodeRef, JsonBooleanField
from production.models import Area, Machine, ReasonCode, Routing, Site, WorkCenter

PG_MAX_INT = 2_147_483_647


class SiteSerializer(serializers.ModelSerializer):
    code = CodeField()

    class Meta:
        model = Site
        fields = ("code", "name", "time_zone", "created_at", "updated_at")
        read_only_fields = fields


class AreaSerializer(serializers.ModelSerializer):
    code = CodeField()
    site = CodeRef(read_only=True)

    class Meta:
        model = Area
        fields = ("code", "name", "site", "created_at", "updated_at")
        read_only_fields = fields


class WorkCenterSerializer(serializers.ModelSerializer):
    code = CodeField()
    area = CodeRef(queryset=Area.objects.all(), required=False, allow_null=True)

    class Meta:
        model = WorkCenter
        fields = ("code", "name", "area", "is_active", "created_at", "updated_at")
        read_only_fields = ("created_at", "updated_at")


class MachineSerializer(serializers.ModelSerializer):
    code = CodeField()
    work_center = CodeRef(queryset=WorkCenter.objects.all())
    ideal_cycle_time_s = serializers.DecimalField(
        max_digits=12, decimal_places=3, min_value=Decimal("0.001")
    )

    class Meta:
        model = Machine
        fields = (
            "code",
            "name",
            "work_center",
            "ideal_cycle_time_s",
            "is_active",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("created_at", "updated_at")


class ReasonCodeSerializer(serializers.ModelSerializer):
    code = CodeField()
    affects_availability = JsonBooleanField(
        required=False,
        allow_null=True,
        help_text=_("Downtime only (default true); always false for scrap and pause."),
    )

    class Meta:
        model = ReasonCode
        fields = (
            "code",
            "name",
            "kind",
            "category",
            "affects_availability",
            "is_active",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("created_at", "updated_at")


class RoutingOperationSerializer(serializers.Serializer):
    seq = serializers.IntegerField(min_value=1, max_value=PG_MAX_INT)
    name = serializers.CharField(max_length=200)
    work_center = CodeRef(queryset=WorkCenter.objects.all())
    setup_min = serializers.DecimalField(
        max_digits=10, decimal_places=2, min_value=Decimal("0"), default=Decimal("0")
    )
    cycle_time_s = serializers.DecimalField(
        max_digits=12,
        decimal_places=3,
        min_value=Decimal("0.001"),
        help_text=_("Ideal time per unit."),
    )
    description = serializers.CharField(required=False, allow_blank=True, default="")


class RoutingSerializer(serializers.ModelSerializer):
    item = CodeRef(read_only=True)
    operations = RoutingOperationSerializer(many=True, allow_empty=False)

    class Meta:
        model = Routing
        fields = ("item", "version", "is_active", "created_at", "operations")
        read_only_fields = ("version", "is_active", "created_at")
