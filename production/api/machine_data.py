"""`machine-events/`: bulk ingest of machine signals for PLC gateways (contract: Machine data).

POST a list of `{machine, ts, state?, reason?, count_total?, count_reject?}` (up to
10,000): 202 `{accepted, duplicates, rejected}`. Good rows are kept when others are
bad; `rejected` names each bad row by its index with the reasons. A batch in which no
row is good is 400 (problem+json, errors keyed `<index>.<field>`).
"""

from __future__ import annotations

from django.urls import re_path
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from mes.errors import InvalidInput

from ..models import MachineEvent
from ..oee.services import MAX_BATCH, ingest_machine_events


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
        result = ingest_machine_events(rows)
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
