"""Admin of machine events (read-only: they are facts)."""

from django.contrib import admin

from mes.admin import ReadOnlyAdmin

from ..models import DowntimeClassification, MachineEvent, MqttRejection


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


@admin.register(MqttRejection)
class MqttRejectionAdmin(ReadOnlyAdmin):
    """What the MQTT ingester could not use, and why (the messages themselves are acked)."""

    list_display = ("received_at", "topic", "reason")
    search_fields = ("topic", "reason")
    date_hierarchy = "received_at"


@admin.register(DowntimeClassification)
class DowntimeClassificationAdmin(ReadOnlyAdmin):
    """Reasons people gave down periods (classified through the API and, soon, the tablet)."""

    list_display = ("started_at", "machine", "reason", "classified_by", "classified_at")
    list_filter = ("reason",)
    search_fields = ("machine__code",)
    list_select_related = ("machine", "reason", "classified_by")
