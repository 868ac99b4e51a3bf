"""Admin of machine events (read-only: they are facts)."""

from django.contrib import admin

from mes.admin import ReadOnlyAdmin

from ..models import MachineEvent


@admin.register(MachineEvent)
class MachineEventAdmin(ReadOnlyAdmin):
    list_display = (
        "ts",
        "machine",
        "kind",
        "state",
        "reason",
        "count_total",
        "count_reject",
        "source",
        "received_at",
    )
    list_filter = ("kind", "state", "source", "machine__work_center")
    search_fields = ("machine__code",)
    list_select_related = ("machine", "reason")
    date_hierarchy = "ts"
    show_full_result_count = False  # millions of rows: counting them is slow
