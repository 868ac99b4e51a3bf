import django_filters
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.response import Response

from inventory.models import Item
from mes.api.bulk import VersionBulkView, bulk_schema
from mes.api.filters import UpdatedAfterFilterSet
from mes.api.scoping import get_in_scope
from mes.api.viewsets import CodeRef, CodeResourceViewSet
from mes.errors import NotFound
from production import selectors, services
from production.models import Area, Machine, ReasonCode, Routing, Site, WorkCenter

from .serializers import (
    AreaSerializer,
    MachineSerializer,
    ReasonCodeSerializer,
    RoutingSerializer,
    SiteSerializer,
    WorkCenterSerializer,
)

READ_ONLY_METHODS = ["get", "head", "options"]


class SiteViewSet(CodeResourceViewSet):
    """Sites (plants), kept in the admin."""

    http_method_names = READ_ONLY_METHODS
    queryset = Site.objects.all()
    serializer_class = SiteSerializer
    filterset_class = UpdatedAfterFilterSet


class AreaFilter(UpdatedAfterFilterSet):
    site = django_filters.CharFilter(field_name="site__code")

    class Meta:
        model = Area
        fields = ()


class AreaViewSet(CodeResourceViewSet):
    """Areas of a site, kept in the admin."""

    http_method_names = READ_ONLY_METHODS
    queryset = Area.objects.select_related("site")
    serializer_class = AreaSerializer
    filterset_class = AreaFilter


class WorkCenterFilter(UpdatedAfterFilterSet):
    area = django_filters.CharFilter(field_name="area__code")
    site = django_filters.CharFilter(field_name="area__site__code")

    class Meta:
        model = WorkCenter
        fields = ("is_active",)


class WorkCenterViewSet(CodeResourceViewSet):
    """Work centers: groups of machines that do the same operations; `area` is an area code."""

    queryset = selectors.list_work_centers()
    serializer_class = WorkCenterSerializer
    filterset_class = WorkCenterFilter
    create_service = services.create_work_center
    upsert_service = services.upsert_work_center
    update_service = services.update_work_center


class MachineFilter(UpdatedAfterFilterSet):
    work_center = django_filters.CharFilter(field_name="work_center__code")
    area = django_filters.CharFilter(field_name="work_center__area__code")
    site = django_filters.CharFilter(field_name="work_center__area__site__code")

    class Meta:
        model = Machine
        fields = ("is_active",)


class MachineViewSet(CodeResourceViewSet):
    """Machines of a work center; `ideal_cycle_time_s` is the fastest time per unit (OEE)."""

    queryset = selectors.list_machines()
    serializer_class = MachineSerializer
    filterset_class = MachineFilter
    create_service = services.create_machine
    upsert_service = services.upsert_machine
    update_service = services.update_machine


class ReasonCodeFilter(UpdatedAfterFilterSet):
    class Meta:
        model = ReasonCode
        fields = ("kind", "category", "is_active")


class ReasonCodeViewSet(CodeResourceViewSet):
    """Scrap, downtime and pause reasons; a code is unique across kinds."""

    queryset = ReasonCode.objects.all()
    serializer_class = ReasonCodeSerializer
    filterset_class = ReasonCodeFilter
    create_service = services.create_reason_code
    upsert_service = services.upsert_reason_code
    update_service = services.update_reason_code


class ItemRoutingView(generics.GenericAPIView):
    """The item's active routing; PUT replaces it with a new version (earlier ones kept)."""

    queryset = Routing.objects.all()  # for the role permissions
    serializer_class = RoutingSerializer

    def get(self, request, code: str):
        item = get_in_scope(Item, code)
        routing = selectors.get_active_routing(item)
        if routing is None:
            raise NotFound(_("Item '%(code)s' has no routing.") % {"code": code})
        return Response(self.get_serializer(routing).data)

    @extend_schema(responses={200: RoutingSerializer, 201: RoutingSerializer})
    def put(self, request, code: str):
        item = get_in_scope(Item, code)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        routing, created = services.replace_routing(
            item, actor=request.user, operations=serializer.validated_data["operations"]
        )
        routing = selectors.list_routing_versions(item).get(pk=routing.pk)
        return Response(
            self.get_serializer(routing).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class RoutingRecordSerializer(RoutingSerializer):
    item = CodeRef(queryset=Item.objects.all(), help_text=_("The item's code."))

    class Meta(RoutingSerializer.Meta):
        validators = []  # "one active routing per item": replace_routing keeps it


@extend_schema_view(post=bulk_schema(RoutingRecordSerializer, _("Replace many items' routings")))
class RoutingBulkView(VersionBulkView):
    """Routings in bulk: each record {item, operations} as a PUT on `items/{item}/routing/`."""

    queryset = Routing.objects.all()
    record_serializer_class = RoutingRecordSerializer
    list_field = "operations"
    replace = staticmethod(services.replace_routing)


class ItemRoutingVersionsView(generics.ListAPIView):
    """Every routing version of the item, newest first."""

    queryset = Routing.objects.all()  # for the role permissions
    serializer_class = RoutingSerializer

    def list(self, request, code: str):
        item = get_in_scope(Item, code)
        page = self.paginate_queryset(selectors.list_routing_versions(item))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
