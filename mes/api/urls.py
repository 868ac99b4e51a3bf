"""/api/v1/: every app's API routes, the OpenAPI schema and the offline Swagger UI."""

from importlib import import_module

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

API_APPS = ("inventory", "production", "quality", "orders")


def _app_routes():
    routes = []
    for app in API_APPS:
        try:
            module = import_module(f"{app}.api.urls")
        except ModuleNotFoundError as exc:
            if exc.name not in {f"{app}.api", f"{app}.api.urls"}:
                raise
            continue
        routes.append(path("", include(module)))
    return routes


urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("mes.api.webhooks")),
    *_app_routes(),
]
