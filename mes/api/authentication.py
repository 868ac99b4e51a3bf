from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from mes.models import ApiKey
from mes.services import hash_api_key


class ApiKeyAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <key>`; keys are looked up by their SHA-256."""

    keyword = "Token"

    def authenticate_credentials(self, key):
        api_key = (
            ApiKey.objects.select_related("user")
            .filter(key_hash=hash_api_key(key), revoked_at__isnull=True)
            .first()
        )
        if api_key is None or not api_key.user.is_active:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked API key."))
        now = timezone.now()
        # Touch at most once a minute so reads don't turn into writes.
        if api_key.last_used_at is None or (now - api_key.last_used_at).total_seconds() > 60:
            ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.user.api_key_role = api_key.role
        api_key.user.api_key_site_id = api_key.site_id
        return api_key.user, api_key
