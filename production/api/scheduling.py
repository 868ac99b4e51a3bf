"""`schedules/` (contract: Machine data, OEE, scheduling) and the work centers' dispatch lists.

POST `schedules/` queues a run (202 {id, status, …}); GET `schedules/{id}/` shows its
status, progress 0–100, objective value and bound while it runs and its assignments when
it is done; POST `.../publish/` writes planned machine, start and end to the operations
(the dispatch lists follow them); POST `.../cancel/` stops a queued or running run.
`work-centers/{code}/dispatch-list/` lists a work center's operations in that order.
"""

from __future__ import annotations

import django_filters
from django.urls import re_path
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from mes.api.filters import UpdatedAfterFilterSet
from mes.api.scoping import get_in_scope, in_scope
from mes.api.viewsets import CODE_PATH_REGEX, ApiViewSetMixin, SiteRef
from mes.errors import NotFound

from ..execution.selectors import list_dispatch
from ..models import Operation, Schedule, ScheduledOperation, WorkCenter
from ..scheduling import selectors, services
from .execution import ChangeOnPostPermissions


class ScheduleRequestSerializer(serializers.Serializer):
    time_limit_s = serializers.IntegerField(
        required=False, help_text="Seconds the solver may search (default 30, at most 600)."
    )
    objective = serializers.ChoiceField(
        choices=Schedule.Objective.choices, default=Schedule.Objective.TARDINESS
    )
    site = SiteRef(
        help_text="The site's code; may be left out where there is one site or the client "
        "is limited to one."
    )


class AssignmentSerializer(serializers.ModelSerializer):
    production_order = serializers.CharField(source="operation.order.code", read_only=True)
    seq = serializers.IntegerField(source="operation.seq", read_only=True)
    machine = serializers.CharField(source="machine.code", read_only=True)

    class Meta:
        model = ScheduledOperation
        fields = ("production_order", "seq", "machine", "start", "end", "fixed")
        read_only_fields = fields


class ScheduleSerializer(serializers.ModelSerializer):
    site = serializers.CharField(source="site.code", read_only=True)

    class Meta:
        model = Schedule
        fields = (
            "id",
            "site",
            "status",
            "progress",
            "objective",
            "objective_value",
            "bound",
            "solver_status",
            "time_limit_s",
            "origin",
            "makespan_end",
            "orders",
            "tardy_orders",
            "tardiness_min",
            "errors",
            "cancel_requested",
            "created_at",
            "started_at",
            "finished_at",
            "published_at",
            "updated_at",
        )
        read_only_fields = fields


class ScheduleDetailSerializer(ScheduleSerializer):
    assignments = serializers.SerializerMethodField(
        help_text="Where and when each operation goes (empty until the run is done)."
    )

    class Meta(ScheduleSerializer.Meta):
        fields = (*ScheduleSerializer.Meta.fields, "assignments")
        read_only_fields = fields

    @extend_schema_field(AssignmentSerializer(many=True))
    def get_assignments(self, schedule: Schedule) -> list[dict]:
        return AssignmentSerializer(selectors.list_assignments(schedule), many=True).data


class ScheduleFilter(UpdatedAfterFilterSet):
    status = django_filters.ChoiceFilter(choices=Schedule.Status.choices)

    class Meta:
        model = Schedule
        fields = ["status"]


class ScheduleListView(ApiViewSetMixin, generics.ListAPIView):
    """Schedule runs, newest changes last (`updated_after` for incremental sync). POST
    queues a run over the released and in-progress orders of a site: 202 with its id."""

    queryset = Schedule.objects.select_related("site").order_by("updated_at", "id")
    serializer_class = ScheduleSerializer
    filterset_class = ScheduleFilter

    @extend_schema(request=ScheduleRequestSerializer, responses={202: ScheduleSerializer})
    def post(self, request):
        given = ScheduleRequestSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        schedule = services.start_schedule(actor=self.actor, **given.validated_data)
        return Response(ScheduleSerializer(schedule).data, status=status.HTTP_202_ACCEPTED)


class ScheduleDetailView(generics.RetrieveAPIView):
    """A run: status, progress 0–100, objective value and bound (minutes of weighted
    tardiness, or the makespan), errors of a failed run, and when done its assignments."""

    queryset = Schedule.objects.select_related("site")
    serializer_class = ScheduleDetailSerializer
    lookup_url_kwarg = "id"


class ScheduleCommandView(ApiViewSetMixin, generics.GenericAPIView):
    queryset = Schedule.objects.all()  # for the role permissions
    permission_classes = [ChangeOnPostPermissions]
    serializer_class = ScheduleSerializer
    service = None

    @extend_schema(request=None, responses=ScheduleSerializer)
    def post(self, request, id: int):
        schedule = in_scope(Schedule.objects.filter(pk=id)).first()
        if schedule is None:
            raise NotFound()
        changed = type(self).service(schedule, actor=self.actor)
        return Response(self.get_serializer(changed).data)


class PublishScheduleView(ScheduleCommandView):
    """done → published: each operation still open gets the schedule's machine, start and
    end (`planned_machine`, `planned_start`, `planned_end`); the work centers' dispatch
    lists follow them; the schedule published before is superseded. 409 unless done."""

    service = staticmethod(services.publish_schedule)


class CancelScheduleView(ScheduleCommandView):
    """Stop a queued or running run (409 otherwise); a running one ends within seconds."""

    service = staticmethod(services.cancel_schedule)


class DispatchOperationSerializer(serializers.ModelSerializer):
    production_order = serializers.CharField(source="order.code", read_only=True)
    item = serializers.CharField(source="order.item.code", read_only=True)
    order_qty = serializers.DecimalField(
        source="order.qty", max_digits=18, decimal_places=6, read_only=True
    )
    due_date = serializers.DateField(source="order.due_date", read_only=True)
    priority = serializers.IntegerField(source="order.priority", read_only=True)
    machine = serializers.SlugRelatedField(slug_field="code", read_only=True)
    planned_machine = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Operation
        fields = (
            "production_order",
            "seq",
            "name",
            "item",
            "order_qty",
            "qty_good",
            "qty_scrap",
            "status",
            "machine",
            "planned_machine",
            "planned_start",
            "planned_end",
            "due_date",
            "priority",
        )
        read_only_fields = fields


class DispatchListView(generics.ListAPIView):
    """The operations a work center is to run, in order: the published schedule's
    (planned start), then by priority, due date, order and sequence."""

    queryset = Operation.objects.all()  # for the role permissions
    serializer_class = DispatchOperationSerializer
    filter_backends: list = []

    def get_queryset(self):
        work_center = get_in_scope(WorkCenter, self.kwargs["code"])
        return list_dispatch(work_center)


urlpatterns = [
    re_path(r"^schedules/$", ScheduleListView.as_view(), name="schedules"),
    re_path(r"^schedules/(?P<id>[0-9]{1,18})/$", ScheduleDetailView.as_view(), name="schedule"),
    re_path(
        r"^schedules/(?P<id>[0-9]{1,18})/publish/$",
        PublishScheduleView.as_view(),
        name="schedule-publish",
    ),
    re_path(
        r"^schedules/(?P<id>[0-9]{1,18})/cancel/$",
        CancelScheduleView.as_view(),
        name="schedule-cancel",
    ),
    re_path(
        rf"^work-centers/(?P<code>{CODE_PATH_REGEX})/dispatch-list/$",
        DispatchListView.as_view(),
        name="work-center-dispatch-list",
    ),
]
