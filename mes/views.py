import contextlib

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from mes.errors import DomainError
from mes.services import set_user_language


@never_cache
def healthz(request):
    """Liveness for load balancers and docker-compose: the database (and Redis) answer."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # any failure means unhealthy; say which
        checks["database"] = f"error: {exc.__class__.__name__}"
    if settings.REDIS_URL:
        try:
            cache.set("healthz", "1", 5)
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {exc.__class__.__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503
    )


@require_POST
def choose_language(request):
    """Django's set_language (cookie, redirect back), remembered on the person's profile."""
    response = set_language(request)
    if request.user.is_authenticated:
        # An unknown code was ignored by set_language too: nothing to remember then.
        with contextlib.suppress(DomainError):
            set_user_language(request.user, language=request.POST.get("language", ""))
    return response
