"""Terminals in the admin: which tablet serves which work center (or machine)."""

from django.contrib import admin

from mes.admin import ServiceModelAdmin

from ..models import Terminal
from . import services


@admin.register(Terminal)
class TerminalAdmin(ServiceModelAdmin):
    list_display = ("code", "name", "work_center", "machine", "is_active", "updated_at")
    list_filter = ("work_center", "is_active")
    list_select_related = ("work_center", "machine")
    search_fields = ("code", "name")
    create_service = services.create_terminal
    update_service = services.update_terminal
