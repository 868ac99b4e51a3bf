"""Bulk upserts for an ERP's nightly sync: `bulk/items/`, `bulk/boms/`, `bulk/routings/`,
`bulk/customers/` (each app names its own).

POST `{"records": [...]}` (1 to MES_API_BULK_MAX_RECORDS): each record is upserted on
its own, as a PUT of it would be, and gets its own result in request order:
`created`, `updated`, `unchanged` (a BOM or routing equal to the active version) or
`error` with the problem the PUT would have answered. One bad record does not stop
the others; the answer is 200 whenever the request itself is well formed.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, generics, serializers
from rest_framework.response import Response

from mes.errors import DomainError

from .exceptions import flatten_errors, problem
from .idempotency import IdempotentPostMixin
from .permissions import RoleModelPermissions

CREATED, UPDATED, UNCHANGED, ERROR = "created", "updated", "unchanged", "error"


class BulkRequestSerializer(serializers.Serializer):
    records = serializers.ListField(child=serializers.DictField(), allow_empty=False)

    def validate_records(self, records: list) -> list:
        limit = settings.MES_API_BULK_MAX_RECORDS
        if len(records) > limit:
            raise serializers.ValidationError(
                _("At most %(limit)s records per request.") % {"limit": limit}
            )
        return records


class BulkResultSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="The record's place in the request, from 0.")
    key = serializers.CharField(allow_null=True, help_text="The record's code (or item).")
    status = serializers.ChoiceField(choices=[CREATED, UPDATED, UNCHANGED, ERROR])
    error = serializers.DictField(
        required=False, help_text="The problem (RFC 9457 fields) a PUT of it would answer."
    )


class BulkUpsertPermissions(RoleModelPermissions):
    # An upsert may create or change: both permissions, as for PUT.
    perms_map = {
        **RoleModelPermissions.perms_map,
        "POST": RoleModelPermissions.perms_map["PUT"],
    }


class BulkUpsertView(IdempotentPostMixin, generics.GenericAPIView):
    # Subclasses set `queryset` (the permissions' model), `record_serializer_class`,
    # `key_field` and `upsert`.
    permission_classes = [BulkUpsertPermissions]
    record_serializer_class: type[serializers.Serializer]
    key_field = "code"

    def upsert(self, values: dict[str, Any]) -> str:
        """Write one validated record; answer CREATED, UPDATED or UNCHANGED."""
        raise NotImplementedError

    def post(self, request, *args, **kwargs):
        body = BulkRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        results = [
            self._one(index, record) for index, record in enumerate(body.validated_data["records"])
        ]
        counts = {status: 0 for status in (CREATED, UPDATED, UNCHANGED, ERROR)}
        for result in results:
            counts[result["status"]] += 1
        return Response({**counts, "results": results})

    def _one(self, index: int, record: dict[str, Any]) -> dict[str, Any]:
        key = record.get(self.key_field)
        result: dict[str, Any] = {"index": index, "key": key if isinstance(key, str) else None}
        serializer = self.record_serializer_class(data=record)
        try:
            serializer.is_valid(raise_exception=True)
            with transaction.atomic():
                result["status"] = self.upsert(dict(serializer.validated_data))
        except exceptions.ValidationError as exc:
            errors = flatten_errors(exc.detail)
            detail = _("Some fields are not valid: %(fields)s.") % {"fields": ", ".join(errors)}
            result.update(status=ERROR, error=problem(400, "invalid", detail, errors))
        except DomainError as exc:
            result.update(
                status=ERROR, error=problem(exc.status, exc.code, exc.message, exc.errors or None)
            )
        return result


def bulk_schema(record_serializer: type[serializers.Serializer], what: str):
    """The OpenAPI description of a bulk view's POST. A record is any object as far as the
    request goes: each is checked on its own and a bad one gets an error result."""
    name = record_serializer.__name__.removesuffix("Serializer")
    return extend_schema(
        summary=what,
        request=inline_serializer(
            f"Bulk{name}Request",
            {
                "records": serializers.ListField(
                    child=serializers.DictField(),
                    min_length=1,
                    max_length=settings.MES_API_BULK_MAX_RECORDS,
                    help_text=f"Records shaped as `{name}` (the body of a PUT of one).",
                )
            },
        ),
        responses=inline_serializer(
            f"Bulk{name}Result",
            {
                CREATED: serializers.IntegerField(),
                UPDATED: serializers.IntegerField(),
                UNCHANGED: serializers.IntegerField(),
                ERROR: serializers.IntegerField(),
                "results": BulkResultSerializer(many=True),
            },
        ),
    )


class CodeBulkView(BulkUpsertView):
    # Records of a coded resource, each through its viewset's upsert service (as PUT).
    resource: type  # the resource's CodeResourceViewSet

    def upsert(self, values: dict[str, Any]) -> str:
        code = values.pop("code")
        _obj, created = self.resource.upsert_service(actor=self.request.user, code=code, **values)
        return CREATED if created else UPDATED


class VersionBulkView(BulkUpsertView):
    # An item's versioned list (BOM components, routing operations) per record, through its
    # replace service: a new version, or unchanged when equal to the active one.
    key_field = "item"
    list_field: str  # "components", "operations"

    def replace(self, item: models.Model, *, actor, **values: Any) -> tuple[Any, bool]:
        raise NotImplementedError

    def upsert(self, values: dict[str, Any]) -> str:
        field = self.list_field
        _version, created = self.replace(
            values["item"], actor=self.request.user, **{field: values[field]}
        )
        return CREATED if created else UNCHANGED
