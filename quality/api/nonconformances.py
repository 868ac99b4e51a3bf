"""Nonconformance reports, lot holds and quality KPIs over the API.

`nonconformances/` (contract: GET POST PATCH) with POST sub-resources for the
steps (`investigate/`, `disposition/`, `close/`); a `disposition` in a PATCH applies
the disposition step too. `lot-holds/` places holds by hand and releases them
(403 `not_permitted` without the release permission). `quality-kpis/` gives
first-pass yield and scrap ratio per item, operation or work center.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db.models import Q
from django.urls import re_path
from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from inventory.models import Location, Lot
from mes.api.filters import UtcIsoDateTimeFilter
from mes.api.scoping import current_site_id, get_in_scope, in_scope
from mes.api.viewsets import (
    CODE_PATH_REGEX,
    ApiViewSetMixin,
    CodeField,
    CodeRef,
    JsonBooleanField,
    RecordViewSet,
)
from mes.errors import InvalidInput, NotFound
from mes.models import QTY_DECIMAL_PLACES
from production.api.execution import ChangeOnPostPermissions
from production.models import ProductionOrder, ReasonCode, WorkCenter

from .. import kpis
from ..holds import services as hold_services
from ..models import Inspection, LotHold, Nonconformance
from ..nonconformances import services

MAX_KPI_DAYS = 92


def _quantity(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=18, decimal_places=QTY_DECIMAL_PLACES, **kwargs)


def _lot(item: str | None, lot: str | None) -> Lot | None:
    if not lot:
        return None
    if not item:
        raise InvalidInput(_("Name the lot's item."), field="item")
    found = Lot.objects.filter(item__code=item, code=lot).select_related("item").first()
    if found is None:
        raise InvalidInput(
            _("%(item)s has no lot %(lot)s.") % {"item": item, "lot": lot}, field="lot"
        )
    return found


class EventSerializer(serializers.Serializer):
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    note = serializers.CharField()
    at = serializers.DateTimeField()
    by = serializers.CharField(source="by.username", default=None)


class NonconformanceSerializer(serializers.ModelSerializer):
    item = serializers.CharField(source="lot.item.code", default=None, read_only=True)
    lot = serializers.CharField(source="lot.code", default=None, read_only=True)
    production_order = serializers.SlugRelatedField(slug_field="code", read_only=True)
    seq = serializers.IntegerField(source="operation.seq", default=None, read_only=True)
    inspection = serializers.PrimaryKeyRelatedField(read_only=True)
    defect_code = serializers.SlugRelatedField(slug_field="code", read_only=True)
    opened_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    events = EventSerializer(many=True, read_only=True)
    holding = serializers.SerializerMethodField(help_text="Whether it holds its lot now.")

    class Meta:
        model = Nonconformance
        fields = (
            "code",
            "source",
            "status",
            "description",
            "item",
            "lot",
            "production_order",
            "seq",
            "inspection",
            "qty",
            "defect_code",
            "hold_lot",
            "holding",
            "investigation",
            "disposition",
            "disposition_note",
            "opened_by",
            "created_at",
            "updated_at",
            "closed_at",
            "events",
        )
        read_only_fields = fields

    def get_holding(self, ncr: Nonconformance) -> bool:
        return any(hold.released_at is None for hold in ncr.holds.all())


class OpenSerializer(serializers.Serializer):
    code = CodeField(required=False)
    source = serializers.ChoiceField(choices=Nonconformance.Source.choices, required=False)
    item = CodeField(required=False)
    lot = CodeField(required=False)
    production_order = CodeField(required=False)
    seq = serializers.IntegerField(required=False, min_value=1)
    inspection = serializers.IntegerField(required=False, min_value=1)
    qty = _quantity(required=False, allow_null=True, min_value=0)
    defect_code = CodeRef(
        queryset=ReasonCode.objects.filter(kind=ReasonCode.Kind.SCRAP), required=False
    )
    description = serializers.CharField(max_length=5000)
    hold_lot = JsonBooleanField(required=False, allow_null=True, default=None)
    disposition = serializers.ChoiceField(
        choices=Nonconformance.Disposition.choices,
        required=False,
        help_text="Decide at once (the disposition step runs after opening).",
    )


class PatchSerializer(serializers.Serializer):
    description = serializers.CharField(required=False, max_length=5000)
    investigation = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    qty = _quantity(required=False, allow_null=True, min_value=0)
    defect_code = CodeRef(
        queryset=ReasonCode.objects.filter(kind=ReasonCode.Kind.SCRAP),
        required=False,
        allow_null=True,
    )
    disposition = serializers.ChoiceField(
        choices=Nonconformance.Disposition.choices, required=False
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    location = CodeRef(queryset=Location.objects.all(), required=False)


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class DispositionSerializer(NoteSerializer):
    disposition = serializers.ChoiceField(choices=Nonconformance.Disposition.choices)
    location = CodeRef(
        queryset=Location.objects.all(),
        required=False,
        help_text="Where scrapped or returned stock is taken from (default: the one place "
        "that holds the lot, quarantine first).",
    )


class NonconformanceFilter(filters.FilterSet):
    updated_after = UtcIsoDateTimeFilter(field_name="updated_at", lookup_expr="gt")
    lot = filters.CharFilter(field_name="lot__code")
    item = filters.CharFilter(field_name="lot__item__code")
    production_order = filters.CharFilter(field_name="production_order__code")

    class Meta:
        model = Nonconformance
        fields = ("status", "source", "disposition", "lot", "item", "production_order")


def _ncrs():
    return Nonconformance.objects.select_related(
        "lot__item", "production_order", "operation", "defect_code", "opened_by"
    ).prefetch_related("events__by", "holds")


class NonconformanceViewSet(RecordViewSet):
    """Nonconformance reports (NCRs) and their history."""

    queryset = Nonconformance.objects.all()
    serializer_class = NonconformanceSerializer
    filterset_class = NonconformanceFilter
    lookup_field = "code"
    lookup_value_regex = CODE_PATH_REGEX
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return _ncrs().order_by("updated_at", "id")

    def _respond(self, ncr, code=status.HTTP_200_OK):
        return Response(self.get_serializer(_ncrs().get(pk=ncr.pk)).data, status=code)

    @extend_schema(request=OpenSerializer, responses={201: NonconformanceSerializer})
    def create(self, request, *args, **kwargs):
        given = OpenSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = dict(given.validated_data)
        disposition = data.pop("disposition", None)
        order = operation = inspection = None
        if data.get("production_order"):
            order = get_in_scope(ProductionOrder, data.pop("production_order"))
        if "seq" in data:
            seq = data.pop("seq")
            if order is None:
                raise InvalidInput(_("Name the production order of the operation."), field="seq")
            operation = order.operations.filter(seq=seq).first()
            if operation is None:
                raise InvalidInput(_("The order has no such operation."), field="seq")
        if "inspection" in data:
            inspection = in_scope(Inspection.objects.filter(pk=data.pop("inspection"))).first()
            if inspection is None:
                raise InvalidInput(_("No such inspection."), field="inspection")
        lot = _lot(data.pop("item", None), data.pop("lot", None))
        ncr = services.open_nonconformance(
            actor=self.actor,
            lot=lot,
            production_order=order,
            operation=operation,
            inspection=inspection,
            **data,
        )
        if disposition:
            ncr = services.set_disposition(ncr, actor=self.actor, disposition=disposition)
        return self._respond(ncr, status.HTTP_201_CREATED)

    @extend_schema(request=PatchSerializer, responses=NonconformanceSerializer)
    def partial_update(self, request, *args, **kwargs):
        given = PatchSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        ncr = services.update_nonconformance(
            self.get_object(), actor=self.actor, **given.validated_data
        )
        return self._respond(ncr)


class NcrStepView(ApiViewSetMixin, generics.GenericAPIView):
    queryset = Nonconformance.objects.all()
    serializer_class = NoteSerializer
    permission_classes = [ChangeOnPostPermissions]

    def step(self, ncr: Nonconformance, **values) -> Nonconformance:
        raise NotImplementedError

    def post(self, request, code: str):
        ncr = get_in_scope(Nonconformance, code)
        given = self.get_serializer(data=request.data)
        given.is_valid(raise_exception=True)
        ncr = self.step(ncr, **given.validated_data)
        return Response(NonconformanceSerializer(_ncrs().get(pk=ncr.pk)).data)


@extend_schema(request=NoteSerializer, responses=NonconformanceSerializer)
class InvestigateView(NcrStepView):
    """open → investigating."""

    def step(self, ncr, **values):
        return services.investigate(ncr, actor=self.actor, **values)


@extend_schema(request=DispositionSerializer, responses=NonconformanceSerializer)
class DispositionView(NcrStepView):
    """open or investigating → dispositioned: scrap and return to supplier take the stock out
    through the ledger; use as is frees the lot; rework keeps it held until closing."""

    serializer_class = DispositionSerializer

    def step(self, ncr, **values):
        return services.set_disposition(ncr, actor=self.actor, **values)


@extend_schema(request=NoteSerializer, responses=NonconformanceSerializer)
class CloseView(NcrStepView):
    """dispositioned → closed; holds the NCR still has are released."""

    def step(self, ncr, **values):
        return services.close_nonconformance(ncr, actor=self.actor, **values)


# --- lot holds -----------------------------------------------------------------------


class LotHoldSerializer(serializers.ModelSerializer):
    item = serializers.CharField(source="lot.item.code", read_only=True)
    lot = serializers.CharField(source="lot.code", read_only=True)
    nonconformance = serializers.SlugRelatedField(slug_field="code", read_only=True)
    placed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    released_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    active = serializers.BooleanField(source="is_active", read_only=True)

    class Meta:
        model = LotHold
        fields = (
            "id",
            "item",
            "lot",
            "source",
            "reason",
            "active",
            "nonconformance",
            "inspection",
            "placed_at",
            "placed_by",
            "released_at",
            "released_by",
            "release_note",
        )
        read_only_fields = fields


class PlaceHoldSerializer(serializers.Serializer):
    item = CodeField()
    lot = CodeField()
    reason = serializers.CharField(max_length=2000)


class ReleaseSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000)


class LotHoldFilter(filters.FilterSet):
    updated_after = UtcIsoDateTimeFilter(
        method="changed_after", help_text="Holds placed or released after this time."
    )
    item = filters.CharFilter(field_name="lot__item__code")
    lot = filters.CharFilter(field_name="lot__code")
    active = filters.BooleanFilter(field_name="released_at", lookup_expr="isnull")

    class Meta:
        model = LotHold
        fields = ("item", "lot", "source", "active")

    def changed_after(self, queryset, name, value):
        return queryset.filter(Q(placed_at__gt=value) | Q(released_at__gt=value))


class LotHoldViewSet(RecordViewSet):
    """Lot holds: a held lot cannot be allocated, picked, shipped or consumed."""

    queryset = LotHold.objects.all()
    serializer_class = LotHoldSerializer
    filterset_class = LotHoldFilter

    def get_queryset(self):
        return LotHold.objects.select_related(
            "lot__item", "nonconformance", "placed_by", "released_by"
        ).order_by("placed_at", "id")

    @extend_schema(request=PlaceHoldSerializer, responses={201: LotHoldSerializer})
    def create(self, request, *args, **kwargs):
        given = PlaceHoldSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        lot = _lot(given.validated_data["item"], given.validated_data["lot"])
        hold = hold_services.place_hold(
            lot, actor=self.actor, reason=given.validated_data["reason"]
        )
        return Response(self.get_serializer(hold).data, status=status.HTTP_201_CREATED)


@extend_schema(request=ReleaseSerializer, responses=LotHoldSerializer)
class ReleaseHoldView(NcrStepView):
    """Release a hold, with a note; needs the permission to release holds (403 otherwise)."""

    queryset = LotHold.objects.all()
    serializer_class = ReleaseSerializer

    def post(self, request, pk: str):
        hold = LotHold.objects.filter(pk=int(pk)).first()
        if hold is None:
            raise NotFound(_("No such hold."))
        given = self.get_serializer(data=request.data)
        given.is_valid(raise_exception=True)
        hold = hold_services.release_hold(hold, actor=self.actor, note=given.validated_data["note"])
        return Response(LotHoldSerializer(hold).data)


# --- KPIs ----------------------------------------------------------------------------


class KpiQuerySerializer(serializers.Serializer):
    start = serializers.DateField(required=False)
    end = serializers.DateField(required=False)
    group = serializers.ChoiceField(choices=tuple(kpis.GROUPS), default="item")

    def to_internal_value(self, data):
        values = {"start": data.get("from"), "end": data.get("to"), "group": data.get("group")}
        # Given but empty is a 400 naming the parameter, not "the default".
        return super().to_internal_value({k: v for k, v in values.items() if v is not None})

    def validate(self, attrs):
        today = timezone.localdate()
        end = attrs.get("end") or today
        start = attrs.get("start") or end - timedelta(days=6)
        if start > end:
            raise serializers.ValidationError({"from": [_("The start is after the end.")]})
        if (end - start).days + 1 > MAX_KPI_DAYS:
            raise serializers.ValidationError(
                {"from": [_("At most %(days)s days at a time.") % {"days": MAX_KPI_DAYS}]}
            )
        return {**attrs, "start": start, "end": end}


class KpiRowSerializer(serializers.Serializer):
    item = serializers.CharField(required=False)
    seq = serializers.IntegerField(required=False)
    work_center = serializers.CharField(required=False)
    good = _quantity()
    scrap = _quantity()
    total = _quantity()
    reworked = _quantity()
    first_pass_yield = serializers.FloatField(allow_null=True)
    scrap_ratio = serializers.FloatField(allow_null=True)


def kpi_window(start, end) -> tuple[datetime, datetime]:
    """Plant-local days [start, end] as an aware [from, to) range."""
    zone = timezone.get_current_timezone()
    return (
        datetime.combine(start, time.min, tzinfo=zone),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone),
    )


class QualityKpiView(generics.GenericAPIView):
    """First-pass yield and scrap ratio from the operators' reports, per item, operation or
    work center, for plant-local days `from`–`to` (default: the last 7 days; at most 92)."""

    queryset = Nonconformance.objects.all()
    serializer_class = KpiRowSerializer
    pagination_class = None

    @extend_schema(
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE),
            OpenApiParameter("to", OpenApiTypes.DATE),
            OpenApiParameter("group", OpenApiTypes.STR, enum=list(kpis.GROUPS)),
        ],
        responses=KpiRowSerializer(many=True),
    )
    def get(self, request):
        query = KpiQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        start, end = kpi_window(query.validated_data["start"], query.validated_data["end"])
        # A client limited to a site counts the reports of its site's work centers only.
        work_centers = None
        if current_site_id() is not None:
            work_centers = list(in_scope(WorkCenter.objects.all()).values_list("pk", flat=True))
        rows = kpis.first_pass_yield(
            start, end, group=query.validated_data["group"], work_center_ids=work_centers
        )
        return Response(KpiRowSerializer(rows, many=True).data)


router = SimpleRouter()
router.register("nonconformances", NonconformanceViewSet, basename="nonconformance")
router.register("lot-holds", LotHoldViewSet, basename="lot-hold")

NCR_PATH = rf"^nonconformances/(?P<code>{CODE_PATH_REGEX})"
urlpatterns = [
    *router.urls,
    re_path(rf"{NCR_PATH}/investigate/$", InvestigateView.as_view(), name="ncr-investigate"),
    re_path(rf"{NCR_PATH}/disposition/$", DispositionView.as_view(), name="ncr-disposition"),
    re_path(rf"{NCR_PATH}/close/$", CloseView.as_view(), name="ncr-close"),
    re_path(
        r"^lot-holds/(?P<pk>[0-9]{1,12})/release/$",
        ReleaseHoldView.as_view(),
        name="lot-hold-release",
    ),
    re_path(r"^quality-kpis/$", QualityKpiView.as_view(), name="quality-kpis"),
]
