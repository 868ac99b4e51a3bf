"""Per-client request rates: every API key and every signed-in person has its own budget.

The rates are settings (`MES_API_RATE`, `MES_API_GATEWAY_RATE`, see docs/api.md); a
client over its budget gets 429 problem+json with `Retry-After`. Counts live in the
default cache (Redis in full mode, so several web processes share them).
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from mes.roles import Role


class ClientRateThrottle(SimpleRateThrottle):
    # A comment, not a docstring: one budget per client (user id); gateway keys have
    # the larger machine-data rate. A rate of None switches throttling off.

    scope = "client"

    def __init__(self):
        # The rate is read per request (not once at import), so settings can change it.
        pass

    def allow_request(self, request, view):
        self.rate = self.client_rate(request)
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    @staticmethod
    def client_rate(request) -> str | None:
        if getattr(request.user, "api_key_role", None) == Role.GATEWAY:
            return settings.MES_API_GATEWAY_RATE
        return settings.MES_API_RATE

    def get_cache_key(self, request, view):
        # Throttles run after the permission check: only signed-in clients get here.
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}
