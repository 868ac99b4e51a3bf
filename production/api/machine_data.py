"""`machine-events/`: bulk ingest of machine signals for PLC gateways; `oee/` (contract:
Machine data, OEE).

POST a list of `{machine, ts, state?, reason?, count_total?, count_reject?}` (up to
10,000): 202 `{accepted, duplicates, rejected}`. Good rows are kept when others are
bad; `rejected` names each bad row by its index with the reasons. A batch in which no
row is good is 400 (problem+json, errors keyed `<index>.<field>`).
"""

from __future__ import annotations

from django.urls import re_path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from mes.api.scoping import in_scope
from mes.api.viewsets import ApiViewSetMixin, CodeRef
from mes.errors import InvalidInput

from ..models import DowntimeClassification, Machine, MachineEvent, ReasonCode, WorkCenter
from ..oee import model as oee_model
from ..oee.rollup import roll_up_for_reading
from ..oee.selectors import MAX_RANGE_DAYS, get_oee, list_downtime
from ..oee.services import MAX_BATCH, classify_downtime, ingest_machine_events


class MachineEventInputSerializer(serializers.Serializer):
    machine = serializers.CharField(help_text="The machine's code.")
    ts = serializers.DateTimeField(help_text="When it happened, ISO 8601 with offset.")
    state = serializers.ChoiceField(choices=MachineEvent.State.choices, required=False)
    reason = serializers.CharField(required=False, help_text="A downtime or pause reason code.")
    count_total = serializers.IntegerField(required=False, min_value=0)
    count_reject = serializers.IntegerField(required=False, min_value=0)


class RejectedSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class IngestResultSerializer(serializers.Serializer):
    accepted = serializers.IntegerField(help_text="Events stored now.")
    duplicates = serializers.IntegerField(help_text="Events already stored (skipped).")
    rejected = RejectedSerializer(many=True)


class MachineEventIngestView(generics.GenericAPIView):
    """Store machine events in bulk; the same event (machine, time, kind) is stored once."""

    queryset = MachineEvent.objects.all()
    serializer_class = MachineEventInputSerializer

    @extend_schema(
        request=MachineEventInputSerializer(many=True),
        responses={202: IngestResultSerializer},
        examples=[
            OpenApiExample(
                "A state change and a counter reading",
                value=[
                    {
                        "machine": "PRESS-01",
                        "ts": "2026-11-24T09:00:00+09:00",
                        "state": "down",
                        "reason": "DT-BREAKDOWN",
                    },
                    {
                        "machine": "PRESS-01",
                        "ts": "2026-11-24T09:05:00+09:00",
                        "count_total": 1520,
                        "count_reject": 12,
                    },
                ],
                request_only=True,
            )
        ],
    )
    def post(self, request):
        rows = request.data
        if not isinstance(rows, list):
            raise InvalidInput(_("Send a list of events."), field="non_field_errors")
        if len(rows) > MAX_BATCH:
            raise InvalidInput(
                _("At most %(max)s events per request.") % {"max": MAX_BATCH},
                field="non_field_errors",
            )
        result = ingest_machine_events(rows, machines=in_scope(Machine.objects.all()))
        if rows and len(result.rejected) == len(rows):
            errors = {
                f"{bad['index']}.{name}": messages
                for bad in result.rejected
                for name, messages in bad["errors"].items()
            }
            raise InvalidInput(_("No event in the batch is valid."), errors=errors)
        body = {
            "accepted": result.accepted,
            "duplicates": result.duplicates,
            "rejected": result.rejected,
        }
        return Response(body, status=status.HTTP_202_ACCEPTED)


urlpatterns = [
    re_path(r"^machine-events/$", MachineEventIngestView.as_view(), name="machine-events"),
]


# --- OEE ---------------------------------------------------------------------------

# The query parameters OEE and downtime share: what, and over which time.
MACHINE_WINDOW = [
    OpenApiParameter("machine", OpenApiTypes.STR),
    OpenApiParameter("work_center", OpenApiTypes.STR),
    OpenApiParameter("from", OpenApiTypes.DATETIME, required=True),
    OpenApiParameter("to", OpenApiTypes.DATETIME, required=True),
]


class OeeQuerySerializer(serializers.Serializer):
    machine = CodeRef(queryset=Machine.objects.select_related("work_center"), required=False)
    work_center = CodeRef(queryset=WorkCenter.objects.all(), required=False)
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    group = serializers.ChoiceField(choices=oee_model.GROUPS, default="shift")

    def to_internal_value(self, data):
        values = {key: data.get(key) for key in ("machine", "work_center", "group")}
        values |= {"start": data.get("from"), "end": data.get("to")}
        return super().to_internal_value({k: v for k, v in values.items() if v is not None})

    def validate(self, attrs):
        if bool(attrs.get("machine")) == bool(attrs.get("work_center")):
            raise serializers.ValidationError(
                {"machine": [_("Name a machine or a work center (one of them).")]}
            )
        if attrs["start"] >= attrs["end"]:
            raise serializers.ValidationError({"from": [_("The start is after the end.")]})
        if (attrs["end"] - attrs["start"]).days > MAX_RANGE_DAYS:
            raise serializers.ValidationError(
                {"from": [_("At most %(days)s days at a time.") % {"days": MAX_RANGE_DAYS}]}
            )
        return attrs


class OeeRowSerializer(serializers.Serializer):
    period = serializers.CharField(help_text="2026-11-24 DAY, 2026-11-24 or 2026-W48.")
    period_start = serializers.DateTimeField()
    period_end = serializers.DateTimeField()
    planned_time_s = serializers.FloatField(help_text="Planned busy time.")
    run_time_s = serializers.FloatField(help_text="Actual production time.")
    down_time_s = serializers.FloatField()
    setup_time_s = serializers.FloatField()
    idle_time_s = serializers.FloatField()
    unknown_time_s = serializers.FloatField()
    availability = serializers.FloatField(allow_null=True)
    performance = serializers.FloatField(allow_null=True)
    quality = serializers.FloatField(allow_null=True)
    oee = serializers.FloatField(allow_null=True)
    good = serializers.FloatField()
    total = serializers.FloatField()
    computed_until = serializers.DateTimeField(
        help_text="The figures hold up to this time (a running shift: up to now)."
    )


class OeeView(generics.GenericAPIView):
    """OEE per ISO 22400-2 of a machine or a work center, per `shift`, `day` or `week`
    (periods of the shift calendar) for `from`–`to` (at most 92 days), from the shift
    snapshots the roll-ups keep (a running shift up to now); see docs/oee.md."""

    queryset = MachineEvent.objects.all()
    serializer_class = OeeRowSerializer
    pagination_class = None

    @extend_schema(
        parameters=[
            *MACHINE_WINDOW,
            OpenApiParameter("group", OpenApiTypes.STR, enum=list(oee_model.GROUPS)),
        ],
        responses=OeeRowSerializer(many=True),
    )
    def get(self, request):
        query = OeeQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        wanted = query.validated_data
        machines = (
            [wanted["machine"]] if wanted.get("machine") else wanted["work_center"].machines.all()
        )
        # What the beat's last roll-up left stale (seconds' worth) is computed first.
        roll_up_for_reading([machine.pk for machine in machines])
        rows = get_oee(**wanted)
        return Response(OeeRowSerializer(rows, many=True).data)


urlpatterns.append(re_path(r"^oee/$", OeeView.as_view(), name="oee"))


# --- downtime ------------------------------------------------------------------------


class DowntimeQuerySerializer(OeeQuerySerializer):
    group = None
    unclassified = serializers.BooleanField(default=False)

    def to_internal_value(self, data):
        values = {key: data.get(key) for key in ("machine", "work_center", "unclassified")}
        values |= {"start": data.get("from"), "end": data.get("to")}
        return serializers.Serializer.to_internal_value(
            self, {k: v for k, v in values.items() if v not in (None, "")}
        )


class DowntimeSerializer(serializers.Serializer):
    machine = serializers.CharField()
    started_at = serializers.DateTimeField(
        help_text="When the machine went down (names the period)."
    )
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    lost_s = serializers.FloatField(help_text="Seconds of planned working time lost.")
    reason = serializers.CharField(allow_null=True)
    classified = serializers.BooleanField(help_text="The reason was given by a person.")


class ClassifySerializer(serializers.Serializer):
    machine = CodeRef(queryset=Machine.objects.all())
    started_at = serializers.DateTimeField()
    reason = CodeRef(queryset=ReasonCode.objects.all())


class DowntimeView(generics.GenericAPIView):
    """Down periods inside planned working time, with their reason (`unclassified=true`:
    only those without one, for operators and supervisors to classify)."""

    queryset = MachineEvent.objects.all()
    serializer_class = DowntimeSerializer
    pagination_class = None

    @extend_schema(
        parameters=[
            *MACHINE_WINDOW,
            OpenApiParameter("unclassified", OpenApiTypes.BOOL),
        ],
        responses=DowntimeSerializer(many=True),
    )
    def get(self, request):
        query = DowntimeQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        values = query.validated_data
        machine = values.get("machine")
        machines = (
            [machine] if machine else list(values["work_center"].machines.filter(is_active=True))
        )
        rows = list_downtime(
            machines=machines,
            start=values["start"],
            end=values["end"],
            unclassified_only=values["unclassified"],
        )
        return Response(DowntimeSerializer(rows, many=True).data)


class ClassifyDowntimeView(ApiViewSetMixin, generics.GenericAPIView):
    """Give a down period without a reason its downtime reason."""

    queryset = DowntimeClassification.objects.all()
    serializer_class = ClassifySerializer

    @extend_schema(request=ClassifySerializer, responses=ClassifySerializer)
    def post(self, request):
        given = self.get_serializer(data=request.data)
        given.is_valid(raise_exception=True)
        values = given.validated_data
        classify_downtime(
            values["machine"],
            started_at=values["started_at"],
            reason=values["reason"],
            actor=self.actor,
        )
        return Response(given.data)


urlpatterns += [
    re_path(r"^downtime/$", DowntimeView.as_view(), name="downtime"),
    re_path(r"^downtime/classify/$", ClassifyDowntimeView.as_view(), name="downtime-classify"),
]
