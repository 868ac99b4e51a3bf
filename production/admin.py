from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from mes.admin import ServiceModelAdmin
from production.calendars import admin as calendar_admin  # noqa: F401  (registers calendar models)
from production.execution import admin as execution_admin  # noqa: F401  (registers orders, execution)
from production.oee import admin as oee_admin  # noqa: F401  (registers machine events)
from production.scheduling import admin as scheduling_admin  # noqa: F401  (registers schedules)
from production.shopfloor import admin as shopfloor_admin  # noqa: F401  (registers terminals)

from . import services
from .models import Area, Machine, ReasonCode, Routing, RoutingOperation, Site, WorkCenter


@admin.register(Site)
class SiteAdmin(ServiceModelAdmin):
    list_display = ("code", "name", "time_zone", "updated_at")
    search_fields = ("code", "name")
    create_service = services.create_site
    update_service = services.update_site


@admin.register(Area)
class AreaAdmin(ServiceModelAdmin):
    list_display = ("code", "name", "site", "updated_at")
    list_filter = ("site",)
    list_select_related = ("site",)
    search_fields = ("code", "name", "site__code")
    create_service = services.create_area
    update_service = services.update_area


@admin.register(WorkCenter)
class WorkCenterAdmin(ServiceModelAdmin):
    list_display = ("code", "name", "area", "site", "is_active", "updated_at")
    list_filter = ("area__site", "area", "is_active")
    list_select_related = ("area__site",)
    search_fields = ("code", "name", "area__code")
    create_service = services.create_work_center
    update_service = services.update_work_center

    @admin.display(description=_("site"), ordering="area__site__code")
    def site(self, work_center: WorkCenter):
        return work_center.area.site if work_center.area else None


@admin.register(Machine)
class MachineAdmin(ServiceModelAdmin):
    list_display = ("code", "name", "work_center", "ideal_cycle_time_s", "is_active", "updated_at")
    list_filter = ("work_center__area__site", "work_center__area", "work_center", "is_active")
    list_select_related = ("work_center",)
    search_fields = ("code", "name", "work_center__code")
    create_service = services.create_machine
    update_service = services.update_machine


@admin.register(ReasonCode)
class ReasonCodeAdmin(ServiceModelAdmin):
    list_display = ("code", "name", "kind", "category", "affects_availability", "is_active")
    list_filter = ("kind", "category", "affects_availability", "is_active")
    search_fields = ("code", "name", "category")
    create_service = services.create_reason_code
    update_service = services.update_reason_code


class RoutingOperationInline(admin.TabularInline):
    model = RoutingOperation
    fields = ("seq", "name", "work_center", "setup_min", "cycle_time_s", "description")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


ROUTING_HINT = _(
    "Routings are versioned and read-only here: send them through the API "
    "(PUT /api/v1/items/<code>/routing/) or an import, or make an earlier version "
    "active again with the action on the list."
)


@admin.register(Routing)
class RoutingAdmin(ServiceModelAdmin):
    list_display = ("item", "version", "is_active", "created_at", "created_by")
    list_filter = ("is_active",)
    list_select_related = ("item", "created_by")
    search_fields = ("item__code", "item__name")
    fields = ("item", "version", "is_active", "created_at", "created_by")
    readonly_fields = fields
    inlines = (RoutingOperationInline,)
    actions = ("make_active_again",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_reactivate_permission(self, request) -> bool:
        return request.user.has_perms(["production.add_routing", "production.change_routing"])

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {"subtitle": ROUTING_HINT, **(extra_context or {})})

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = {"subtitle": ROUTING_HINT, **(extra_context or {})}
        return super().change_view(request, object_id, form_url, extra)

    @admin.action(
        description=_("Make selected versions active again (as a new version)"),
        permissions=("reactivate",),
    )
    def make_active_again(self, request, queryset):
        routings = queryset.select_related("item").prefetch_related("operations__work_center")
        for routing in routings.order_by("item", "version"):
            operations = [
                {
                    "seq": op.seq,
                    "name": op.name,
                    "work_center": op.work_center,
                    "setup_min": op.setup_min,
                    "cycle_time_s": op.cycle_time_s,
                    "description": op.description,
                }
                for op in routing.operations.all()
            ]
            services.set_routing(routing.item, actor=request.user, operations=operations)
        count = len(routings)
        self.message_user(
            request,
            ngettext(
                "%(count)d routing is active again.", "%(count)d routings are active again.", count
            )
            % {"count": count},
            messages.SUCCESS,
        )
