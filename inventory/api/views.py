from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from inventory import selectors, services
from inventory.models import Item, UnitOfMeasure
from mes.api.filters import UpdatedAfterFilterSet
from mes.api.viewsets import CodeResourceViewSet
from mes.errors import NotFound
from mes.services import get_by_code

from .serializers import BomInputSerializer, BomSerializer, ItemSerializer, UnitOfMeasureSerializer


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
        return get_by_code(Item, self.kwargs["code"])

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
