from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import force_instance, is_serializer
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers
from rest_framework.relations import RelatedField

from .exceptions import PROBLEM_CONTENT_TYPE
from .idempotency import HEADER as IDEMPOTENCY_HEADER
from .idempotency import MAX_KEY_LENGTH, IdempotentPostMixin
from .viewsets import CodeResourceViewSet


class ProblemSerializer(serializers.Serializer):
    """An RFC 9457 problem: every error of the API."""

    type = serializers.CharField(help_text="urn:mes:problem:<code>")
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    code = serializers.CharField(help_text="Stable: branch on it, not on the text.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Each bad field, by its dotted path into the body, with its messages.",
    )


# The errors any operation may answer, and those of operations with a body.
PROBLEMS_ALWAYS = {
    400: _("Invalid request (a query parameter or the body)."),
    401: _("No or an invalid API key."),
    403: _("The client's role may not do this."),
    404: _("No such record or page."),
    406: _("Only JSON can be answered."),
    429: _("Too many requests from this client: retry after Retry-After seconds."),
}
PROBLEMS_WITH_BODY = {
    409: _(
        "A conflict: the record exists, the state forbids it, or the Idempotency-Key is in flight."
    ),
    413: _("The request body is too large."),
    415: _("The body is not JSON."),
}
PROBLEMS_POST = {422: _("The Idempotency-Key was used for a different request.")}

RESPONSE_HEADERS = [
    OpenApiParameter(
        "Retry-After",
        OpenApiTypes.INT,
        OpenApiParameter.HEADER,
        required=True,
        response=[429],
        description=_("Seconds to wait before the next request."),
    ),
    OpenApiParameter(
        "WWW-Authenticate",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        required=True,
        response=[401],
        description=_("`Token`"),
    ),
]
IDEMPOTENCY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
    OpenApiParameter.HEADER,
    description=_(
        "Makes a retry safe: the same key and body within 24 h return the first response "
        "again with `Idempotent-Replayed: true`."
    ),
)


def _source_fields(field) -> list:
    """The model fields a read-only serializer field's source passes (empty if unknown)."""
    model = getattr(getattr(getattr(field, "parent", None), "Meta", None), "model", None)
    found = []
    for attr in getattr(field, "source_attrs", ()):
        if model is None:
            return []
        try:
            model_field = model._meta.get_field(attr)
        except FieldDoesNotExist:
            return []
        found.append(model_field)
        model = model_field.related_model
    return found


class MesAutoSchema(AutoSchema):
    """drf-spectacular's schema, telling what the server answers: a coded resource's PUT
    201 or 200, the problem+json errors with their headers, and `Idempotency-Key` on POST."""

    def _is_upsert(self) -> bool:
        return (
            self.method == "PUT"
            and isinstance(self.view, CodeResourceViewSet)
            and getattr(self.view, "action", None) == "update"
        )

    def get_response_serializers(self):
        serializers_ = super().get_response_serializers()
        if self._is_upsert() and is_serializer(serializers_):
            return {201: serializers_, 200: serializers_}
        return serializers_

    def get_request_serializer(self):
        # An upsert's code is the path's: in the body it may be left out.
        serializer = super().get_request_serializer()
        if self._is_upsert() and is_serializer(serializer):
            serializer = force_instance(serializer)
            serializer.fields["code"].required = False
            serializer.upsert_body = True
        return serializer

    def get_serializer_name(self, serializer, direction):
        name = super().get_serializer_name(serializer, direction)
        if getattr(serializer, "upsert_body", False):
            return name.removesuffix("Serializer") + "Upsert"
        return name

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        # What a read-only field shows may be null (a nullable foreign key on its way, a
        # default of None) or, for a choice, blank: the schema says so.
        meta = super()._map_serializer_field(field, direction, bypass_extensions)
        if not field.read_only:
            return meta
        sources = _source_fields(field)
        if field.default is None or (
            isinstance(field, RelatedField) and any(f.null for f in sources)
        ):
            meta = {**meta, "nullable": True}
        if isinstance(field, serializers.ChoiceField) and sources and sources[-1].blank:
            choice = {key: value for key, value in meta.items() if key != "readOnly"}
            meta = {"oneOf": [choice, {"type": "string", "enum": [""]}], "readOnly": True}
        return meta

    def get_override_parameters(self):
        parameters = [*super().get_override_parameters(), *RESPONSE_HEADERS]
        if self.method == "POST" and isinstance(self.view, IdempotentPostMixin):
            parameters.append(IDEMPOTENCY_PARAMETER)
        return parameters

    def _problem_statuses(self) -> dict:
        statuses = dict(PROBLEMS_ALWAYS)
        if self.method in {"POST", "PUT", "PATCH"}:
            statuses |= PROBLEMS_WITH_BODY
        if self.method == "POST":
            statuses |= PROBLEMS_POST
        return statuses

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for status_code, description in self._problem_statuses().items():
            problem = self._get_response_for_code(
                OpenApiResponse(ProblemSerializer, description=str(description)),
                str(status_code),
                [PROBLEM_CONTENT_TYPE],
                direction,
            )
            documented = responses.setdefault(str(status_code), problem)
            documented.setdefault("content", {}).update(problem["content"])
        return responses
