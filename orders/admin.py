from django.contrib import admin

from mes.admin import ServiceModelAdmin

from . import services
from .models import Customer


@admin.register(Customer)
class CustomerAdmin(ServiceModelAdmin):
    list_display = ("code", "name", "updated_at")
    search_fields = ("code", "name")
    create_service = services.create_customer
    update_service = services.update_customer
