from django.contrib import admin
from django.urls import path

from . import views

app_name = "exchange"

urlpatterns = [
    path("", admin.site.admin_view(views.index), name="index"),
    path(
        "<slug:kind>/export/<slug:file_format>/",
        admin.site.admin_view(views.export),
        name="export",
    ),
    path("<slug:kind>/import/", admin.site.admin_view(views.import_file), name="import"),
    path(
        "<slug:kind>/import/confirm/",
        admin.site.admin_view(views.confirm_import),
        name="confirm",
    ),
]
