"""The base of every coded resource in the API (items, work centers, customers …).

`code` is the ERP's key and the detail path: GET/POST on the collection, GET/PUT
(upsert)/PATCH on the detail. Writes go to the resource's services, named by the
`create_service`, `upsert_service` and `update_service` attributes.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from mes.models import CODE_PATTERN, code_validator

from .idempotency import IdempotentPostMixin
from .scoping import current_site_id, in_scope

CODE_PATH_REGEX = CODE_PATTERN.strip("^$")


class CodeField(serializers.CharField):
    """A record's code in a body: validated for format, uniqueness left to the service."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("validators", [code_validator])
        super().__init__(**kwargs)


class JsonBooleanField(serializers.BooleanField):
    """A yes/no in a JSON body: `true` or `false` only (DRF would also take "yes", 1, "")."""

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        self.fail("invalid", input=data)


class CodeRef(serializers.SlugRelatedField):
    """A reference to another record by its code (`"work_center": "WC-PRESS"`)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "code")
        super().__init__(**kwargs)

    def get_queryset(self):
        # Another site's record is, for a client limited to one site, one that does not exist.
        return in_scope(super().get_queryset())

    def to_internal_value(self, data):
        # No record's key holds a NUL byte, and PostgreSQL cannot even be asked for one.
        if isinstance(data, str) and "\x00" in data:
            self.fail("does_not_exist", slug_name=self.slug_field, value=repr(data))
        return super().to_internal_value(data)


def client_site():
    """The site the client is limited to, or None (a SiteRef's default)."""
    from production.models import Site

    site_id = current_site_id()
    return None if site_id is None else Site.objects.get(pk=site_id)


class SiteRef(CodeRef):
    """The site a record belongs to, by code; left out: the client's own site, if limited
    to one (another site's code "does not exist" for such a client)."""

    def __init__(self, **kwargs):
        from production.models import Site

        kwargs.setdefault("queryset", Site.objects.all())
        kwargs.setdefault("default", client_site)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)


class ApiViewSetMixin(IdempotentPostMixin):
    # What every API view shares: idempotent POST, the acting user for services.
    # (A comment, not a docstring: OpenAPI would show it as every view's description.)

    @property
    def actor(self):
        return self.request.user


class CodeResourceViewSet(
    ApiViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    lookup_field = "code"
    lookup_value_regex = CODE_PATH_REGEX
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    ordering = ("updated_at", "id")
    create_service = None
    upsert_service = None
    update_service = None

    def get_queryset(self):
        return super().get_queryset().order_by(*self.ordering)

    def _respond(self, obj, status_code: int) -> Response:
        data = self.get_serializer(obj).data
        headers = {}
        if status_code == status.HTTP_201_CREATED:
            headers["Location"] = self.request.build_absolute_uri(
                self.reverse_action("detail", kwargs={"code": obj.code})
            )
        return Response(data, status=status_code, headers=headers)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        obj = type(self).create_service(actor=self.actor, **serializer.validated_data)
        return self._respond(obj, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        code = kwargs[self.lookup_field]
        existing = self.get_queryset().model.objects.filter(code=code)
        if existing.exists() and not in_scope(existing).exists():
            raise NotFound()  # another site's record: not this client's to see or replace
        data = request.data
        if isinstance(data, dict):
            if "code" in data and data["code"] != code:
                raise serializers.ValidationError(
                    {"code": [_("The code in the body must match the path.")]}
                )
            data = {**data, "code": code}
        serializer = self.get_serializer(data=data)
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        values.pop("code", None)
        obj, created = type(self).upsert_service(actor=self.actor, code=code, **values)
        return self._respond(obj, status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    def partial_update(self, request, *args, **kwargs):
        obj = self.get_object()
        serializer = self.get_serializer(obj, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        if "code" in values and values["code"] != obj.code:
            raise serializers.ValidationError({"code": [_("A code cannot be changed.")]})
        values.pop("code", None)
        obj = type(self).update_service(obj, actor=self.actor, **values)
        return self._respond(obj, status.HTTP_200_OK)


class RecordViewSet(
    ApiViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Records made by POST to the collection (through a service) and read back by GET."""

    http_method_names = ["get", "post", "head", "options"]
