from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import is_serializer

from .viewsets import CodeResourceViewSet


class MesAutoSchema(AutoSchema):
    """drf-spectacular's schema, telling what a coded resource's PUT answers: 201 or 200."""

    def get_response_serializers(self):
        serializers = super().get_response_serializers()
        upsert = (
            self.method == "PUT"
            and isinstance(self.view, CodeResourceViewSet)
            and getattr(self.view, "action", None) == "update"
        )
        if upsert and is_serializer(serializers):
            return {201: serializers, 200: serializers}
        return serializers
