"""Django admin for production orders and their execution (imported by production/admin.py).

Planners create and edit planned orders here (through the services) and release,
cancel or close them with the list actions; the shop-floor history (operations,
events, labour, genealogy) is read-only.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin, messages
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from mes.admin import SITE_SESSION_KEY, ReadOnlyAdmin, ServiceModelAdmin
from mes.audit import plain_decimal
from mes.errors import DomainError

from ..models import (
    LabourRecord,
    LotGenealogy,
    Operation,
    OperationEvent,
    ProductionOrder,
    Site,
)
from . import services
from .selectors import with_delivery_risk

# The site filter's value that shows every site.
ALL_SITES = "all"

HEADER_FIELDS = (
    "code",
    "item",
    "qty",
    "due_date",
    "priority",
    "sales_order_code",
    "sales_order_line",
)
STATE_FIELDS = (
    "status",
    "qty_good",
    "qty_scrap",
    "routing",
    "bom",
    "issue_location",
    "receipt_location",
    "released_at",
    "actual_start",
    "actual_end",
    "created_by",
)


class OperationInline(admin.TabularInline):
    model = Operation
    fields = (
        "seq",
        "name",
        "work_center",
        "machine",
        "status",
        "qty_good",
        "qty_scrap",
        "actual_start",
        "actual_end",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class SiteFilter(admin.SimpleListFilter):
    """Rows of one site: ``site_path`` leads from the row to its site. A list opens on the
    site last chosen on the plant overview (``SITE_SESSION_KEY``); *All* shows every site."""

    title = _("site")
    parameter_name = "site"
    site_path = "work_center__area__site"

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        remembered = request.session.get(SITE_SESSION_KEY)
        if self.parameter_name not in self.used_parameters and remembered:
            self.used_parameters[self.parameter_name] = str(remembered)

    def lookups(self, request, model_admin):
        return [(str(site.pk), str(site)) for site in Site.objects.order_by("code")]

    def choices(self, changelist):
        every, *sites = super().choices(changelist)
        every["selected"] = self.site_id() is None
        every["query_string"] = changelist.get_query_string({self.parameter_name: ALL_SITES})
        return [every, *sites]

    def site_id(self) -> str | None:
        value = self.value()
        return value if value and value.isdigit() else None

    def queryset(self, request, queryset):
        if self.site_id():
            return queryset.filter(**{f"{self.site_path}_id": self.site_id()})
        return queryset


class OrderSiteFilter(SiteFilter):
    """Orders with an operation at one of the site's work centers."""

    def queryset(self, request, queryset):
        if self.site_id():
            at_site = Operation.objects.filter(
                order=OuterRef("pk"), work_center__area__site_id=self.site_id()
            )
            return queryset.filter(Exists(at_site))
        return queryset


class DeliveryFilter(admin.SimpleListFilter):
    """Late orders (due before today) and those planned to finish after their due date."""

    title = _("delivery")
    parameter_name = "delivery"

    def lookups(self, request, model_admin):
        return (("late", _("late")), ("at_risk", _("late or at risk")))

    def queryset(self, request, queryset):
        if self.value() not in ("late", "at_risk"):
            return queryset
        today = timezone.localdate()
        risky = with_delivery_risk(queryset, today=today, zone=timezone.get_current_timezone_name())
        return risky.filter(due_date__lt=today) if self.value() == "late" else risky


@admin.register(ProductionOrder)
class ProductionOrderAdmin(ServiceModelAdmin):
    list_display = ("code", "item", "qty", "due_date", "priority", "status", "qty_good")
    list_filter = (OrderSiteFilter, "status", DeliveryFilter, "due_date", "item")
    list_select_related = ("item",)
    search_fields = ("code", "sales_order_code", "item__code", "item__name")
    date_hierarchy = "due_date"
    fields = HEADER_FIELDS + STATE_FIELDS
    readonly_fields = STATE_FIELDS
    inlines = (OperationInline,)
    actions = ("release", "cancel", "close")
    create_service = staticmethod(services.create_production_order)
    update_service = staticmethod(services.update_production_order)
    delete_service = staticmethod(services.delete_production_order)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return STATE_FIELDS
        if obj.status != ProductionOrder.Status.PLANNED:
            return HEADER_FIELDS + STATE_FIELDS
        return ("code", *STATE_FIELDS)

    def has_delete_permission(self, request, obj=None):
        planned = obj is None or obj.status == ProductionOrder.Status.PLANNED
        return planned and super().has_delete_permission(request, obj)

    def _apply(self, request, queryset, service: Callable, done: Callable[[int], str]) -> None:
        """Call ``service`` for each order; a refusal is a message, the others go on."""
        succeeded = 0
        for order in queryset.order_by("pk"):
            try:
                service(order, actor=request.user)
            except DomainError as exc:
                self.message_user(request, f"{order.code}: {exc.message}", messages.ERROR)
            else:
                succeeded += 1
        if succeeded:
            self.message_user(request, done(succeeded), messages.SUCCESS)

    @admin.action(description=_("Release selected orders"), permissions=("change",))
    def release(self, request, queryset):
        def release_and_warn(order: ProductionOrder, *, actor) -> None:
            result = services.release_production_order(order, actor=actor)
            for shortage in result.shortages:
                self.message_user(
                    request,
                    _("%(order)s: short of %(item)s (needs %(required)s, on hand %(available)s)")
                    % {
                        "order": order.code,
                        "item": shortage.item.code,
                        "required": plain_decimal(shortage.required),
                        "available": plain_decimal(shortage.available),
                    },
                    messages.WARNING,
                )

        self._apply(
            request,
            queryset,
            release_and_warn,
            lambda count: (
                ngettext("%(count)d order released.", "%(count)d orders released.", count)
                % {"count": count}
            ),
        )

    @admin.action(description=_("Cancel selected orders"), permissions=("change",))
    def cancel(self, request, queryset):
        self._apply(
            request,
            queryset,
            services.cancel_production_order,
            lambda count: (
                ngettext("%(count)d order cancelled.", "%(count)d orders cancelled.", count)
                % {"count": count}
            ),
        )

    @admin.action(description=_("Close selected orders"), permissions=("change",))
    def close(self, request, queryset):
        self._apply(
            request,
            queryset,
            services.close_production_order,
            lambda count: (
                ngettext("%(count)d order closed.", "%(count)d orders closed.", count)
                % {"count": count}
            ),
        )


@admin.register(Operation)
class OperationAdmin(ReadOnlyAdmin):
    list_display = (
        "order",
        "seq",
        "name",
        "work_center",
        "machine",
        "status",
        "qty_good",
        "qty_scrap",
        "actual_start",
        "actual_end",
    )
    list_filter = (
        SiteFilter,
        "status",
        "work_center__area",
        "work_center",
        ("planned_end", admin.DateFieldListFilter),
        ("actual_start", admin.DateFieldListFilter),
    )
    list_select_related = ("order", "work_center", "machine")
    search_fields = ("order__code", "order__item__code", "name", "machine__code")


class OperationSiteFilter(SiteFilter):
    """Rows of an operation at one of the site's work centers."""

    site_path = "operation__work_center__area__site"


@admin.register(OperationEvent)
class OperationEventAdmin(ReadOnlyAdmin):
    list_display = (
        "at",
        "operation",
        "kind",
        "from_status",
        "to_status",
        "machine",
        "qty_good",
        "qty_scrap",
        "reason",
        "actor",
    )
    list_filter = (
        OperationSiteFilter,
        "kind",
        "operation__work_center",
        ("at", admin.DateFieldListFilter),
    )
    list_select_related = ("operation__order", "machine", "reason", "actor")
    search_fields = ("operation__order__code", "operation__order__item__code", "client_ref")
    date_hierarchy = "at"


@admin.register(LabourRecord)
class LabourRecordAdmin(ReadOnlyAdmin):
    list_display = ("operation", "operator", "started_at", "ended_at")
    list_filter = (
        OperationSiteFilter,
        "operation__work_center",
        ("started_at", admin.DateFieldListFilter),
    )
    list_select_related = ("operation__order", "operator")
    search_fields = ("operation__order__code", "operation__order__item__code", "operator__username")


@admin.register(LotGenealogy)
class LotGenealogyAdmin(ReadOnlyAdmin):
    list_display = ("consumed_lot", "produced_lot", "qty", "order", "operation", "machine")
    list_select_related = (
        "consumed_lot__item",
        "produced_lot__item",
        "order",
        "operation__order",
        "machine",
    )
    search_fields = ("consumed_lot__code", "produced_lot__code", "order__code")
