from django.utils.translation import gettext as _
from rest_framework import serializers

from inventory.models import Bom, BomLine, Item, Location, StockBalance, StockMove, UnitOfMeasure
from mes.api.viewsets import CodeField, CodeRef, SiteRef

MAX_BOM_LINES = 1000


class UnitOfMeasureSerializer(serializers.ModelSerializer):
    code = CodeField()

    class Meta:
        model = UnitOfMeasure
        fields = ("code", "name", "decimals", "created_at", "updated_at")
        read_only_fields = ("created_at", "updated_at")


class ItemSerializer(serializers.ModelSerializer):
    code = CodeField()
    uom = CodeRef(queryset=UnitOfMeasure.objects.all(), help_text=_("A unit's code."))

    class Meta:
        model = Item
        fields = (
            "code",
            "name",
            "kind",
            "uom",
            "tracking",
            "description",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("created_at", "updated_at")


class BomLineSerializer(serializers.ModelSerializer):
    item = serializers.CharField(source="component.code")
    uom = serializers.CharField(source="uom.code")

    class Meta:
        model = BomLine
        fields = ("line", "item", "qty_per", "uom")


class BomSerializer(serializers.ModelSerializer):
    item = serializers.CharField(source="item.code")
    components = BomLineSerializer(source="lines", many=True)

    class Meta:
        model = Bom
        fields = ("item", "version", "is_active", "created_at", "components")


class BomComponentInputSerializer(serializers.Serializer):
    item = CodeField(help_text=_("The component item's code."))
    qty_per = serializers.DecimalField(max_digits=18, decimal_places=6)
    uom = CodeField(
        required=False,
        allow_null=True,
        help_text=_("The component's own unit; omitted or null means that unit."),
    )

    def validate_qty_per(self, value):
        if value <= 0:
            raise serializers.ValidationError(_("The quantity per unit must be above 0."))
        return value


class BomInputSerializer(serializers.Serializer):
    # Component and unit codes are looked up in two queries for the whole list.

    components = BomComponentInputSerializer(many=True, allow_empty=True, max_length=MAX_BOM_LINES)

    def validate_components(self, components):
        items = Item.objects.select_related("uom").in_bulk(
            {c["item"] for c in components}, field_name="code"
        )
        units = UnitOfMeasure.objects.in_bulk(
            {c["uom"] for c in components if c.get("uom")}, field_name="code"
        )
        errors: list[dict] = []
        resolved = []
        for component in components:
            error = {}
            item = items.get(component["item"])
            uom = units.get(component.get("uom")) if component.get("uom") else None
            if item is None:
                error["item"] = [_("Item '%(code)s' does not exist.") % {"code": component["item"]}]
            if component.get("uom") and uom is None:
                error["uom"] = [_("Unit '%(code)s' does not exist.") % {"code": component["uom"]}]
            errors.append(error)
            resolved.append({"item": item, "qty_per": component["qty_per"], "uom": uom})
        if any(errors):
            raise serializers.ValidationError(errors)
        return resolved


# --- stock -----------------------------------------------------------------------

MAX_SERIALS_PER_RECEIPT = 10_000


class LocationSerializer(serializers.ModelSerializer):
    code = CodeField()
    site = SiteRef(help_text=_("The site's code; empty: a location every site shares."))

    class Meta:
        model = Location
        fields = ("code", "name", "kind", "allow_negative", "site", "created_at", "updated_at")
        read_only_fields = ("created_at", "updated_at")


class ReceiptInputSerializer(serializers.Serializer):
    item = CodeRef(queryset=Item.objects.select_related("uom"), help_text=_("The item's code."))
    qty = serializers.DecimalField(max_digits=18, decimal_places=6)
    location = CodeRef(queryset=Location.objects.all(), help_text=_("The location's code."))
    lot = serializers.CharField(
        required=False,
        allow_null=True,
        max_length=64,
        help_text=_("The lot; required for a lot-tracked item, made if new."),
    )
    serials = serializers.ListField(
        child=serializers.CharField(max_length=64),
        required=False,
        allow_null=True,
        max_length=MAX_SERIALS_PER_RECEIPT,
        help_text=_("Serial numbers, one per unit; required for a serial-tracked item."),
    )
    expires_on = serializers.DateField(
        required=False, allow_null=True, help_text=_("Expiry date of a new lot.")
    )
    reference = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text=_("e.g. the purchase order")
    )

    def validate_qty(self, value):
        if value <= 0:
            raise serializers.ValidationError(_("The quantity must be above 0."))
        return value


class StockMoveSerializer(serializers.ModelSerializer):
    item = serializers.CharField(source="item.code")
    lot = serializers.CharField(source="lot.code", allow_null=True)
    location = serializers.CharField(source="location.code")
    uom = serializers.CharField(source="item.uom.code")
    reverses = serializers.IntegerField(source="reverses_id", allow_null=True)
    created_by = serializers.CharField(source="created_by.username", allow_null=True)

    class Meta:
        model = StockMove
        fields = (
            "id",
            "posting",
            "item",
            "lot",
            "location",
            "qty",
            "uom",
            "reason",
            "reference",
            "client_ref",
            "reverses",
            "created_at",
            "created_by",
        )
        read_only_fields = fields


class PostingSerializer(serializers.Serializer):
    posting = serializers.UUIDField(help_text=_("Shared by the moves written together."))
    moves = StockMoveSerializer(many=True)


class StockBalanceSerializer(serializers.ModelSerializer):
    item = serializers.CharField(source="item.code")
    lot = serializers.CharField(source="lot.code", allow_null=True)
    expires_on = serializers.DateField(source="lot.expires_on", allow_null=True)
    location = serializers.CharField(source="location.code")
    uom = serializers.CharField(source="item.uom.code")

    class Meta:
        model = StockBalance
        fields = ("item", "lot", "expires_on", "location", "qty", "uom", "updated_at")
        read_only_fields = fields
