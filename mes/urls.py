from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from mes.api.exceptions import api_bad_request, api_not_found, api_server_error
from mes.views import choose_language, healthz

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("healthz/", healthz, name="healthz"),
    path("i18n/setlang/", choose_language, name="set_language"),
    path("floor/", include("production.shopfloor.urls")),
    path("admin/exchange/", include("mes.exchange.urls")),
    path("admin/views/", include("orders.admin_views")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("mes.api.urls")),
]


def handler400(request, exception=None):
    if request.path.startswith("/api/"):
        return api_bad_request(request, exception)
    from django.views.defaults import bad_request

    return bad_request(request, exception)


def handler404(request, exception=None):
    if request.path.startswith("/api/"):
        return api_not_found(request, exception)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def handler500(request):
    if request.path.startswith("/api/"):
        return api_server_error(request)
    from django.views.defaults import server_error

    return server_error(request)
