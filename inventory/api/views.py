import django_filters
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from inventory import selectors, services
from inventory.models import Bom, Item, Location, Lot, StockBalance, StockMove, UnitOfMeasure
from mes.api.bulk import CodeBulkView, VersionBulkView, bulk_schema
from mes.api.filters import UpdatedAfterFilterSet, UtcIsoDateTimeFilter
from mes.api.scoping import get_in_scope, in_scope
from mes.api.viewsets import ApiViewSetMixin, CodeRef, CodeResourceViewSet
from mes.errors import NotFound

from .serializers import (
    BomInputSerializer,
    BomSerializer,
    ItemSerializer,
    LocationSerializer,
    PostingSerializer,
    ReceiptInputSerializer,
    StockBalanceSerializer,
    StockMoveSerializer,
    UnitOfMeasureSerializer,
)


class UnitOfMeasureFilter(UpdatedAfterFilterSet):
    class Meta:
        model = UnitOfMeasure
        fields = ("code",)


class UnitOfMeasureViewSet(CodeResourceViewSet):
    """Units of measure by code (EA, KG, M …); an item's `uom` names one of them."""

    queryset = UnitOfMeasure.objects.all()
    serializer_class = UnitOfMeasureSerializer
    filterset_class = UnitOfMeasureFilter
    create_service = services.create_uom
    upsert_service = services.upsert_uom
    update_service = services.update_uom


class ItemFilter(UpdatedAfterFilterSet):
    class Meta:
        model = Item
        fields = ("code", "kind", "tracking")


class ItemViewSet(CodeResourceViewSet):
    """Items by their ERP code; each item's versioned BOM is under `items/{code}/bom/`."""

    queryset = Item.objects.select_related("uom")
    serializer_class = ItemSerializer
    filterset_class = ItemFilter
    create_service = services.create_item
    upsert_service = services.upsert_item
    update_service = services.update_item

    def _item(self) -> Item:
        # The path's item only: list filters in the query string do not apply here.
        return get_in_scope(Item, self.kwargs["code"])

    def _bom_response(self, bom, status_code=status.HTTP_200_OK) -> Response:
        return Response(BomSerializer(bom).data, status=status_code)

    @extend_schema(
        methods=["GET"],
        summary=_("The item's active BOM"),
        responses={200: BomSerializer, 404: OpenApiResponse(description=_("No active BOM."))},
    )
    @extend_schema(
        methods=["PUT"],
        summary=_("Replace the active BOM with a new version (earlier versions kept)"),
        request=BomInputSerializer,
        responses={
            201: OpenApiResponse(BomSerializer, description=_("A new version was made.")),
            200: OpenApiResponse(BomSerializer, description=_("Same as the active version.")),
        },
    )
    @action(detail=True, methods=["get", "put"], url_path="bom")
    def bom(self, request, code=None):
        """The active BOM (GET), or a new version of it (PUT).

        PUT replaces the active BOM: the body's components become a new version
        (201) and earlier versions are kept, inactive. A body equal to the active
        version changes nothing (200). `uom` may be omitted: it is the
        component's own unit. An empty list makes an empty version (the item
        has no components). A BOM that would contain its own item, directly or
        through other items' BOMs, is refused with 400 `bom_cycle`.
        """
        item = self._item()
        if request.method == "GET":
            bom = selectors.get_active_bom(item)
            if bom is None:
                raise NotFound(_("%(item)s has no active BOM.") % {"item": item.code})
            return self._bom_response(bom)
        serializer = BomInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        bom, created = services.replace_bom(
            item, actor=self.actor, components=serializer.validated_data["components"]
        )
        return self._bom_response(bom, status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(
        summary=_("Every version of the item's BOM, newest first"),
        responses=BomSerializer(many=True),
    )
    @action(detail=True, methods=["get"], url_path="bom/versions", filter_backends=[])
    def bom_versions(self, request, code=None):
        """Every version of the item's BOM, newest first; `is_active` marks the one in use."""
        versions = selectors.list_bom_versions(self._item())
        page = self.paginate_queryset(versions)
        return self.get_paginated_response(BomSerializer(page, many=True).data)

    @extend_schema(summary=_("One version of the item's BOM"), responses=BomSerializer)
    @action(detail=True, methods=["get"], url_path=r"bom/versions/(?P<version>[0-9]{1,9})")
    def bom_version(self, request, code=None, version=None):
        """One version of the item's BOM, by its number."""
        return self._bom_response(selectors.get_bom_version(self._item(), int(version)))


@extend_schema_view(post=bulk_schema(ItemSerializer, _("Upsert many items")))
class ItemBulkView(CodeBulkView):
    """Items in bulk: each record as a PUT on `items/{code}/` (see `mes/api/bulk.py`)."""

    queryset = Item.objects.all()
    record_serializer_class = ItemSerializer
    resource = ItemViewSet


class BomRecordSerializer(BomInputSerializer):
    item = CodeRef(queryset=Item.objects.all(), help_text=_("The parent item's code."))


@extend_schema_view(post=bulk_schema(BomRecordSerializer, _("Replace many items' BOMs")))
class BomBulkView(VersionBulkView):
    """BOMs in bulk: each record {item, components} as a PUT on `items/{item}/bom/`."""

    queryset = Bom.objects.all()
    record_serializer_class = BomRecordSerializer
    list_field = "components"
    replace = staticmethod(services.replace_bom)


# --- stock -----------------------------------------------------------------------


class LocationFilter(UpdatedAfterFilterSet):
    class Meta:
        model = Location
        fields = ("code", "kind")


class LocationViewSet(CodeResourceViewSet):
    """Places stock is kept (store, WIP at the line, quarantine, shipping), by code.

    `allow_negative` lets consumption there go below zero (back-flushed lines).
    """

    queryset = Location.objects.all()
    serializer_class = LocationSerializer
    filterset_class = LocationFilter
    http_method_names = ["get", "post", "put", "head", "options"]
    create_service = services.create_location
    upsert_service = services.upsert_location


class ReceiptViewSet(ApiViewSetMixin, viewsets.GenericViewSet):
    queryset = StockMove.objects.all()  # receiving is adding to the ledger: add_stockmove
    serializer_class = ReceiptInputSerializer
    filter_backends = []
    pagination_class = None

    @extend_schema(
        summary=_("Receive material into stock"),
        description=_(
            "Purchased material in: a lot-tracked item needs `lot` (made if new, with "
            "`expires_on`), a serial-tracked item `serials` (one per unit: one move of +1 "
            "each), an untracked item neither. Answers with the moves written (one "
            "posting). Send an `Idempotency-Key` to make a retry safe."
        ),
        request=ReceiptInputSerializer,
        responses={201: PostingSerializer},
    )
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        moves = services.receive_stock(
            actor=self.actor,
            item=data["item"],
            qty=data["qty"],
            location=data["location"],
            lot_code=data.get("lot"),
            serials=data.get("serials"),
            expires_on=data.get("expires_on"),
            reference=data.get("reference", ""),
        )
        body = {"posting": moves[0].posting, "moves": moves}
        return Response(PostingSerializer(body).data, status=status.HTTP_201_CREATED)


class _StockFilter(UpdatedAfterFilterSet):
    # Unknown codes are a 400 naming the filter, not an empty list that looks like "no stock".
    item = django_filters.ModelChoiceFilter(
        queryset=Item.objects.all(), to_field_name="code", help_text=_("An item's code.")
    )
    location = django_filters.ModelChoiceFilter(
        queryset=lambda request: in_scope(Location.objects.all()),
        to_field_name="code",
        help_text=_("A location's code."),
    )
    lot = django_filters.CharFilter(
        method="filter_lot", help_text=_("A lot or serial number (of any item; add `item`).")
    )

    def filter_lot(self, queryset, name, value):
        if not Lot.objects.filter(code=value).exists():
            raise serializers.ValidationError(
                {"lot": [gettext("Lot '%(code)s' does not exist.") % {"code": value}]}
            )
        return queryset.filter(lot__code=value)


class StockFilter(_StockFilter):
    class Meta:
        model = StockBalance
        fields = ("item", "lot", "location")


class StockViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """On hand per item, lot and location (zero balances left out), from the balances the
    ledger keeps in step. Ordered by `updated_at`: `updated_after` gives what changed."""

    queryset = StockBalance.objects.all()
    serializer_class = StockBalanceSerializer
    filterset_class = StockFilter

    def get_queryset(self):
        return selectors.list_stock().order_by("updated_at", "id")


class StockMoveFilter(_StockFilter):
    updated_after = UtcIsoDateTimeFilter(
        field_name="created_at",
        lookup_expr="gt",
        help_text=_("Moves posted after this time (moves never change, so this is created_at)."),
    )
    reason = django_filters.ChoiceFilter(choices=StockMove.Reason.choices)
    posting = django_filters.UUIDFilter()

    class Meta:
        model = StockMove
        fields = ("item", "lot", "location", "reason", "posting")


class StockMoveViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The stock ledger, read-only and oldest first.

    Moves are never changed or deleted (the database refuses it); a correction
    is a new move with reason `reversal` whose `reverses` names the move it
    undoes. `updated_after` filters on `created_at`, since a move never changes.
    """

    queryset = StockMove.objects.all()
    serializer_class = StockMoveSerializer
    filterset_class = StockMoveFilter
    http_method_names = ["get", "head", "options"]

    def get_queryset(self):
        return selectors.list_stock_moves()
