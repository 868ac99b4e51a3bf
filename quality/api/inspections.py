"""Inspection plans, inspections and SPC over the API (contract: Quality).

Plans are code-keyed (POST creates, PUT upserts — a changed characteristic list
makes a new version, earlier ones stay readable under `versions/`). Inspections
are POSTed with their results; the verdict is computed. `spc/{item}/{code}/`
serves the control chart as JSON, `spc/{item}/{code}/svg/` as a picture.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db.models import Prefetch
from django.http import HttpResponse
from django.urls import re_path
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from inventory.models import Item, Lot, UnitOfMeasure
from mes.api.filters import UtcIsoDateTimeFilter
from mes.api.scoping import get_in_scope
from mes.api.viewsets import (
    CODE_PATH_REGEX,
    ApiViewSetMixin,
    CodeField,
    CodeRef,
    CodeResourceViewSet,
    RecordViewSet,
)
from mes.errors import InvalidInput, NotFound
from production.models import ProductionOrder

from ..inspections import selectors, services
from ..models import (
    Characteristic,
    ControlLimits,
    Inspection,
    InspectionPlan,
    InspectionPlanVersion,
    InspectionResult,
)

MEASURE_PLACES = {"max_digits": 18, "decimal_places": 6}


class CharacteristicSerializer(serializers.ModelSerializer):
    code = CodeField()
    uom = CodeRef(queryset=UnitOfMeasure.objects.all(), required=False, allow_null=True)
    nominal = serializers.DecimalField(**MEASURE_PLACES, required=False, allow_null=True)
    lsl = serializers.DecimalField(**MEASURE_PLACES, required=False, allow_null=True)
    usl = serializers.DecimalField(**MEASURE_PLACES, required=False, allow_null=True)
    chart = serializers.ChoiceField(
        choices=Characteristic.Chart.choices,
        required=False,
        help_text="Default: i_mr for single values, xbar_r for subgroups of 2–10, "
        "xbar_s above; p for attributes.",
    )
    sample_size = serializers.IntegerField(min_value=1, max_value=10_000, default=1)

    class Meta:
        model = Characteristic
        fields = ("code", "name", "kind", "nominal", "lsl", "usl", "uom", "sample_size", "chart")
        extra_kwargs = {"name": {"required": False}}


class InspectionPlanSerializer(serializers.ModelSerializer):
    code = CodeField()
    item = CodeRef(queryset=Item.objects.all())
    version = serializers.IntegerField(
        source="active_version.version", read_only=True, default=None
    )
    characteristics = CharacteristicSerializer(
        many=True, source="active_characteristics", allow_empty=False
    )

    class Meta:
        model = InspectionPlan
        fields = (
            "code",
            *services.PLAN_FIELDS,
            "version",
            "characteristics",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("created_at", "updated_at")

    def to_internal_value(self, data):
        values = super().to_internal_value(data)
        if "active_characteristics" in values:
            values["characteristics"] = values.pop("active_characteristics")
        return values


class PlanVersionSerializer(serializers.ModelSerializer):
    characteristics = CharacteristicSerializer(many=True, read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = InspectionPlanVersion
        fields = ("version", "is_active", "created_at", "created_by", "characteristics")


class InspectionPlanFilter(filters.FilterSet):
    updated_after = UtcIsoDateTimeFilter(field_name="updated_at", lookup_expr="gt")
    item = filters.CharFilter(field_name="item__code")

    class Meta:
        model = InspectionPlan
        fields = ("item", "kind", "is_active")


def _plans():
    versions = InspectionPlanVersion.objects.prefetch_related(
        Prefetch("characteristics", queryset=Characteristic.objects.select_related("uom"))
    )
    return InspectionPlan.objects.select_related("item").prefetch_related(
        Prefetch("versions", queryset=versions)
    )


class InspectionPlanViewSet(CodeResourceViewSet):
    """Inspection plans per item (and routing operation); characteristics are versioned."""

    queryset = InspectionPlan.objects.all()
    serializer_class = InspectionPlanSerializer
    filterset_class = InspectionPlanFilter
    create_service = services.create_inspection_plan
    upsert_service = services.upsert_inspection_plan
    update_service = services.update_inspection_plan

    def get_queryset(self):
        return _plans().order_by(*self.ordering)

    def _respond(self, obj, status_code):
        return super()._respond(_plans().get(pk=obj.pk), status_code)


class PlanVersionsView(generics.ListAPIView):
    """Every version of a plan's characteristics, newest first."""

    queryset = InspectionPlanVersion.objects.all()
    serializer_class = PlanVersionSerializer
    pagination_class = None

    def get_queryset(self):
        plan = services.get_plan(self.kwargs["code"])
        return (
            plan.versions.select_related("created_by")
            .prefetch_related("characteristics__uom")
            .order_by("-version")
        )


# --- inspections -------------------------------------------------------------------


class InspectionResultSerializer(serializers.ModelSerializer):
    characteristic = serializers.CharField(source="characteristic_code")
    defect_code = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = InspectionResult
        fields = (
            "characteristic",
            "values",
            "sample_size",
            "defectives",
            "defects",
            "defect_code",
            "in_spec",
        )
        read_only_fields = fields


class InspectionSerializer(serializers.ModelSerializer):
    plan = serializers.CharField(source="plan_version.plan.code", read_only=True)
    plan_version = serializers.IntegerField(source="plan_version.version", read_only=True)
    item = serializers.CharField(source="plan_version.plan.item.code", read_only=True)
    production_order = serializers.SlugRelatedField(slug_field="code", read_only=True)
    seq = serializers.IntegerField(source="operation.seq", read_only=True, default=None)
    lot = serializers.SlugRelatedField(slug_field="code", read_only=True)
    inspected_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    results = InspectionResultSerializer(many=True, read_only=True)

    class Meta:
        model = Inspection
        fields = (
            "id",
            "plan",
            "plan_version",
            "item",
            "production_order",
            "seq",
            "lot",
            "verdict",
            "inspected_at",
            "inspected_by",
            "recorded_at",
            "notes",
            "results",
        )
        read_only_fields = fields


class InspectionInputSerializer(serializers.Serializer):
    plan = CodeField(required=False, help_text="Default: the active plan for the operation.")
    production_order = CodeField(required=False)
    seq = serializers.IntegerField(required=False, min_value=1)
    lot = CodeField(required=False, help_text="A lot of the plan's item.")
    inspected_at = serializers.DateTimeField(required=False)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    results = serializers.ListField(
        child=serializers.DictField(),
        allow_empty=False,
        max_length=200,
        help_text='[{"characteristic", "value" | "values": [...] | "ok" | "defectives" | '
        '"defects", "sample_size"?, "defect_code"?, "uom"?}]',
    )


class InspectionFilter(filters.FilterSet):
    updated_after = UtcIsoDateTimeFilter(
        field_name="recorded_at",
        lookup_expr="gt",
        help_text="Inspections recorded after this time (they never change).",
    )
    production_order = filters.CharFilter(field_name="production_order__code")
    item = filters.CharFilter(field_name="plan_version__plan__item__code")
    lot = filters.CharFilter(field_name="lot__code")
    plan = filters.CharFilter(field_name="plan_version__plan__code")

    class Meta:
        model = Inspection
        fields = ("production_order", "item", "lot", "plan", "verdict")


class InspectionViewSet(RecordViewSet):
    """Inspections with their results, newest last (`updated_after` is the recording time)."""

    queryset = Inspection.objects.all()
    serializer_class = InspectionSerializer
    filterset_class = InspectionFilter

    def get_queryset(self):
        return selectors.list_inspections().order_by("recorded_at", "id")

    @extend_schema(request=InspectionInputSerializer, responses={201: InspectionSerializer})
    def create(self, request, *args, **kwargs):
        given = InspectionInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = dict(given.validated_data)
        plan = services.get_plan(data.pop("plan")) if "plan" in data else None
        order = operation = None
        if "production_order" in data:
            order = get_in_scope(ProductionOrder, data.pop("production_order"))
        if "seq" in data:
            seq = data.pop("seq")
            if order is None:
                raise InvalidInput(_("Name the production order of the operation."), field="seq")
            operation = order.operations.filter(seq=seq).first()
            if operation is None:
                raise InvalidInput(
                    _("Production order %(code)s has no operation %(seq)s.")
                    % {"code": order.code, "seq": seq},
                    field="seq",
                )
        lot = None
        if "lot" in data:
            item_id = plan.item_id if plan else (order.item_id if order else None)
            lot = Lot.objects.filter(item_id=item_id, code=data.pop("lot")).first()
            if lot is None:
                raise InvalidInput(_("No such lot of the plan's item."), field="lot")
        inspection = services.record_inspection(
            actor=self.actor,
            plan=plan,
            production_order=order,
            operation=operation,
            lot=lot,
            **data,
        )
        inspection = selectors.list_inspections().get(pk=inspection.pk)
        return Response(self.get_serializer(inspection).data, status=status.HTTP_201_CREATED)


# --- SPC ---------------------------------------------------------------------------


class LimitsSerializer(serializers.Serializer):
    centre = serializers.FloatField()
    lcl = serializers.FloatField(allow_null=True)
    ucl = serializers.FloatField(allow_null=True)
    spread_centre = serializers.FloatField(allow_null=True)
    spread_lcl = serializers.FloatField(allow_null=True)
    spread_ucl = serializers.FloatField(allow_null=True)
    sigma = serializers.FloatField(allow_null=True)
    frozen = serializers.BooleanField()
    baseline_from = serializers.DateTimeField(allow_null=True)
    baseline_to = serializers.DateTimeField(allow_null=True)


class PointSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    inspection = serializers.IntegerField()
    inspected_at = serializers.DateTimeField()
    lot = serializers.CharField(allow_null=True)
    value = serializers.FloatField(allow_null=True, help_text="X̄, I, p, np, c or u.")
    spread = serializers.FloatField(allow_null=True, help_text="R, S or MR.")
    lcl = serializers.FloatField(allow_null=True)
    ucl = serializers.FloatField(allow_null=True)
    violations = serializers.ListField(child=serializers.IntegerField())


class ViolationSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    rule = serializers.IntegerField()
    chart = serializers.CharField(help_text="primary (X̄/I/p…) or secondary (R/S/MR).")
    description = serializers.CharField()


class CapabilitySerializer(serializers.Serializer):
    n = serializers.IntegerField()
    mean = serializers.FloatField()
    sigma_within = serializers.FloatField(allow_null=True)
    sigma_overall = serializers.FloatField()
    cp = serializers.FloatField(allow_null=True)
    cpk = serializers.FloatField(allow_null=True)
    pp = serializers.FloatField(allow_null=True)
    ppk = serializers.FloatField(allow_null=True)


class SpcSerializer(serializers.Serializer):
    item = serializers.CharField()
    characteristic = serializers.CharField()
    name = serializers.CharField()
    chart = serializers.CharField()
    unit = serializers.CharField(allow_null=True)
    nominal = serializers.DecimalField(**MEASURE_PLACES, allow_null=True)
    lsl = serializers.DecimalField(**MEASURE_PLACES, allow_null=True)
    usl = serializers.DecimalField(**MEASURE_PLACES, allow_null=True)
    rule_set = serializers.CharField()
    limits = LimitsSerializer(allow_null=True)
    points = PointSerializer(many=True)
    violations = ViolationSerializer(many=True)
    capability = CapabilitySerializer(allow_null=True)
    message = serializers.CharField(
        help_text="Why there are no limits or indices yet (too few points); empty otherwise."
    )


class WindowSerializer(serializers.Serializer):
    start = serializers.DateTimeField(required=False, source="from")
    end = serializers.DateTimeField(required=False, source="to")
    limit = serializers.IntegerField(required=False, min_value=2, max_value=100_000)

    def to_internal_value(self, data):
        data = {"start": data.get("from"), "end": data.get("to"), "limit": data.get("limit")}
        return super().to_internal_value({k: v for k, v in data.items() if v not in (None, "")})


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _item(code: str) -> Item:
    item = Item.objects.filter(code=code).first()
    if item is None:
        raise NotFound(_("Item %(code)s does not exist.") % {"code": code})
    return item


class SpcView(generics.GenericAPIView):
    """The control chart of an item's characteristic: points, centre line, limits (frozen
    ones if any), rule violations and Cp/Cpk/Pp/Ppk. `from`/`to` bound the window,
    `limit` (default 200) keeps the last points; `.../svg/` gives the picture."""

    queryset = InspectionResult.objects.all()
    serializer_class = SpcSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATETIME),
            OpenApiParameter("to", OpenApiTypes.DATETIME),
            OpenApiParameter("limit", OpenApiTypes.INT),
        ]
    )
    def get(self, request, item: str, characteristic: str):
        window = WindowSerializer(data=request.query_params)
        window.is_valid(raise_exception=True)
        values = window.validated_data
        body = selectors.get_spc(
            _item(item),
            characteristic,
            start=values.get("from"),
            end=values.get("to"),
            limit=values.get("limit", selectors.DEFAULT_POINTS),
        )
        return self.respond(body)

    def respond(self, body: dict) -> Response | HttpResponse:
        # Thousands of points: plain values, not a serializer per point (SpcSerializer
        # documents the same shape).
        points = [
            {**point, "inspected_at": point["inspected_at"].isoformat()} for point in body["points"]
        ]
        plain = {key: value for key, value in body.items() if key != "chart_object"}
        for key in ("nominal", "lsl", "usl"):
            plain[key] = None if body[key] is None else f"{body[key]:f}"
        if body["limits"]:
            plain["limits"] = {
                **body["limits"],
                "baseline_from": _iso(body["limits"]["baseline_from"]),
                "baseline_to": _iso(body["limits"]["baseline_to"]),
            }
        plain["violations"] = [
            {**v, "description": str(v["description"])} for v in body["violations"]
        ]
        return Response({**plain, "points": points})


class SpcSvgView(SpcView):
    """The same control chart as an SVG picture (no external resources)."""

    def respond(self, body: dict) -> HttpResponse:
        return HttpResponse(selectors.chart_svg(body), content_type="image/svg+xml")


class BaselineSerializer(serializers.Serializer):
    start = serializers.DateTimeField(source="from")
    end = serializers.DateTimeField(source="to")

    def to_internal_value(self, data):
        if isinstance(data, Mapping):  # anything else is refused by the serializer (400)
            data = {"start": data.get("from"), "end": data.get("to")}
        return super().to_internal_value(data)


class FrozenLimitsSerializer(serializers.ModelSerializer):
    item = serializers.SlugRelatedField(slug_field="code", read_only=True)
    frozen_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ControlLimits
        exclude = ("id",)


class FreezeLimitsView(ApiViewSetMixin, generics.GenericAPIView):
    """Freeze the control limits computed from the results between `from` and `to`; later
    points are judged against them until frozen again or unfrozen."""

    queryset = ControlLimits.objects.all()
    serializer_class = BaselineSerializer

    @extend_schema(request=BaselineSerializer, responses={201: FrozenLimitsSerializer})
    def post(self, request, item: str, characteristic: str):
        given = self.get_serializer(data=request.data)
        given.is_valid(raise_exception=True)
        frozen = services.freeze_control_limits(
            actor=self.actor,
            item=_item(item),
            characteristic_code=characteristic,
            start=given.validated_data["from"],
            end=given.validated_data["to"],
        )
        return Response(FrozenLimitsSerializer(frozen).data, status=status.HTTP_201_CREATED)


class UnfreezeLimitsView(ApiViewSetMixin, generics.GenericAPIView):
    """Go back to limits computed from the data (the frozen ones stay on record)."""

    queryset = ControlLimits.objects.all()
    serializer_class = serializers.Serializer

    @extend_schema(request=None, responses={200: OpenApiTypes.OBJECT})
    def post(self, request, item: str, characteristic: str):
        released = services.unfreeze_control_limits(
            actor=self.actor, item=_item(item), characteristic_code=characteristic
        )
        return Response({"unfrozen": released})


router = SimpleRouter()
router.register("inspection-plans", InspectionPlanViewSet, basename="inspection-plan")
router.register("inspections", InspectionViewSet, basename="inspection")

SPC_PATH = rf"^spc/(?P<item>{CODE_PATH_REGEX})/(?P<characteristic>{CODE_PATH_REGEX})"
urlpatterns = [
    re_path(
        rf"^inspection-plans/(?P<code>{CODE_PATH_REGEX})/versions/$",
        PlanVersionsView.as_view(),
        name="inspection-plan-versions",
    ),
    *router.urls,
    re_path(rf"{SPC_PATH}/$", SpcView.as_view(), name="spc"),
    re_path(rf"{SPC_PATH}/svg/$", SpcSvgView.as_view(), name="spc-svg"),
    re_path(rf"{SPC_PATH}/freeze/$", FreezeLimitsView.as_view(), name="spc-freeze"),
    re_path(rf"{SPC_PATH}/unfreeze/$", UnfreezeLimitsView.as_view(), name="spc-unfreeze"),
]
