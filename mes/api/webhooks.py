"""`webhook-endpoints/` (contract: Webhooks): the ERP's receivers and what was sent to them.

POST makes an endpoint and answers its `secret` once (made for it unless given);
PATCH changes url, events, secret, description or is_active; DELETE removes it with
the deliveries still owed. `{id}/deliveries/` lists its deliveries, newest first,
and `{id}/deliveries/{delivery_id}/replay/` sends one again.
"""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from mes.errors import NotFound
from mes.models import WebhookDelivery, WebhookEndpoint
from mes.webhooks import services

from .filters import UpdatedAfterFilterSet
from .scoping import current_site_id
from .viewsets import ApiViewSetMixin, SiteRef

EventType = WebhookEndpoint.EventType


class WebhookEndpointSerializer(serializers.ModelSerializer):
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EventType.choices),
        allow_empty=False,
        max_length=len(EventType.choices),
        help_text="The event types this endpoint receives.",
    )
    secret = serializers.CharField(
        write_only=True,
        required=False,
        max_length=100,
        help_text="`whsec_` + base64 of 24–64 bytes; left out, one is made and answered once.",
    )
    site = SiteRef(
        required=False,
        help_text="Only this site's events; null: every site's. A client limited to a site "
        "gets its own.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = ("id", "url", "events", "description", "is_active", "site", "secret")
        read_only_fields = ("id",)

    def validate_site(self, site):
        limited_to = current_site_id()
        if limited_to is not None and getattr(site, "pk", None) != limited_to:
            raise serializers.ValidationError(
                _("A client limited to one site receives only that site's events.")
            )
        return site


class WebhookEndpointOutSerializer(serializers.ModelSerializer):
    site = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = WebhookEndpoint
        fields = (
            "id",
            "url",
            "events",
            "description",
            "is_active",
            "site",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields


class WebhookEndpointCreatedSerializer(WebhookEndpointOutSerializer):
    class Meta(WebhookEndpointOutSerializer.Meta):
        fields = (*WebhookEndpointOutSerializer.Meta.fields, "secret")
        read_only_fields = fields


class WebhookDeliverySerializer(serializers.ModelSerializer):
    event_id = serializers.CharField(source="event.event_id", read_only=True)
    type = serializers.CharField(source="event.type", read_only=True)
    event_created_at = serializers.DateTimeField(source="event.created_at", read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = (
            "id",
            "event_id",
            "type",
            "event_created_at",
            "status",
            "attempts",
            "next_attempt_at",
            "last_attempt_at",
            "last_status_code",
            "last_error",
            "delivered_at",
        )
        read_only_fields = fields


class WebhookDeliveryFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=WebhookDelivery.Status.choices)

    class Meta:
        model = WebhookDelivery
        fields = ("status",)


class WebhookEndpointViewSet(
    ApiViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Webhook endpoints: where events are POSTed, signed with the endpoint's secret."""

    queryset = WebhookEndpoint.objects.select_related("site").order_by("updated_at", "id")
    serializer_class = WebhookEndpointSerializer
    filterset_class = UpdatedAfterFilterSet
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    lookup_value_regex = "[0-9]{1,18}"

    def get_queryset(self):
        # Endpoints of every site are not shared with a client limited to one: they would
        # show it the other sites' events.
        site_id = current_site_id()
        queryset = super().get_queryset()
        return queryset if site_id is None else queryset.filter(site_id=site_id)

    def get_serializer_class(self):
        if self.action in ("list", "retrieve"):
            return WebhookEndpointOutSerializer
        if self.action == "deliveries":
            return WebhookDeliverySerializer
        return WebhookEndpointSerializer

    @extend_schema(
        request=WebhookEndpointSerializer,
        responses={201: WebhookEndpointCreatedSerializer},
    )
    def create(self, request, *args, **kwargs):
        serializer = WebhookEndpointSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint = services.create_endpoint(actor=self.actor, **serializer.validated_data)
        location = request.build_absolute_uri(
            self.reverse_action("detail", kwargs={"pk": endpoint.pk})
        )
        return Response(
            WebhookEndpointCreatedSerializer(endpoint).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": location},
        )

    @extend_schema(request=WebhookEndpointSerializer, responses=WebhookEndpointOutSerializer)
    def partial_update(self, request, *args, **kwargs):
        serializer = WebhookEndpointSerializer(self.get_object(), data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        endpoint = services.update_endpoint(
            serializer.instance, actor=self.actor, **serializer.validated_data
        )
        return Response(WebhookEndpointOutSerializer(endpoint).data)

    @extend_schema(responses={204: None})
    def destroy(self, request, *args, **kwargs):
        services.delete_endpoint(self.get_object(), actor=self.actor)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary=_("The endpoint's deliveries, newest first"),
        parameters=[OpenApiParameter("status", enum=WebhookDelivery.Status.values, required=False)],
        responses=WebhookDeliverySerializer(many=True),
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def deliveries(self, request, pk=None):
        found = WebhookDeliveryFilter(
            request.query_params,
            queryset=WebhookDelivery.objects.filter(endpoint=self.get_object())
            .select_related("event")
            .order_by("-id"),
        )
        if not found.is_valid():
            raise serializers.ValidationError(found.errors)
        page = self.paginate_queryset(found.qs)
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)

    @extend_schema(
        summary=_("Send a delivery again from its first attempt"),
        request=None,
        responses={
            202: WebhookDeliverySerializer,
            404: OpenApiResponse(description=_("No such delivery of this endpoint.")),
        },
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"deliveries/(?P<delivery_id>[0-9]{1,18})/replay",
        filter_backends=[],
    )
    def replay(self, request, pk=None, delivery_id=None):
        delivery = WebhookDelivery.objects.filter(
            endpoint=self.get_object(), pk=delivery_id
        ).first()
        if delivery is None:
            raise NotFound(_("This endpoint has no delivery %(id)s.") % {"id": delivery_id})
        services.replay_deliveries([delivery], actor=self.actor)
        delivery.refresh_from_db()
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


router = SimpleRouter()
router.register("webhook-endpoints", WebhookEndpointViewSet, basename="webhook-endpoint")
urlpatterns = router.urls
