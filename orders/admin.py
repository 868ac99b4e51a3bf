from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from mes.admin import ServiceModelAdmin
from mes.errors import DomainError

from . import services
from .models import Customer, SalesOrder, SalesOrderLine


@admin.register(Customer)
class CustomerAdmin(ServiceModelAdmin):
    list_display = ("code", "name", "updated_at")
    search_fields = ("code", "name")
    create_service = services.create_customer
    update_service = services.update_customer


class SalesOrderLineInline(admin.TabularInline):
    model = SalesOrderLine
    fields = ("line", "item", "qty", "due_date", "shipped_qty")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order", "item")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SalesOrder)
class SalesOrderAdmin(ServiceModelAdmin):
    """Orders come from the ERP through the API; here they are read and cancelled.

    A whole order (header and lines) is one service call, which the admin's
    separate form and inline saves cannot make, so nothing here edits an order.
    """

    list_display = ("code", "customer", "status", "updated_at")
    list_filter = ("status", "customer")
    list_select_related = ("customer",)
    search_fields = ("code", "customer__code", "customer__name")
    fields = ("code", "customer", "status", "notes", "created_at", "updated_at")
    readonly_fields = fields
    inlines = (SalesOrderLineInline,)
    actions = ["cancel_orders"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_cancel_permission(self, request):
        return request.user.has_perm("orders.change_salesorder")

    def has_plan_production_permission(self, request) -> bool:
        return request.user.has_perm("production.add_productionorder")

    def changelist_view(self, request, extra_context=None):
        subtitle = _(
            "Sales orders come from the ERP through the API; here you can read and cancel them."
        )
        context = {
            "subtitle": subtitle,
            "can_plan_production": self.has_plan_production_permission(request),
            **(extra_context or {}),
        }
        return super().changelist_view(request, context)

    def get_urls(self):
        view = self.admin_site.admin_view(self.plan_production_view)
        return [
            path("plan-production/", view, name="orders_salesorder_plan_production"),
            *super().get_urls(),
        ]

    def plan_production_view(self, request):
        """The changelist's "Plan production from open demand" button (a POST)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_plan_production_permission(request):
            raise PermissionDenied
        try:
            result = services.plan_production(actor=request.user)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            for level, message in _plan_result_messages(result):
                self.message_user(request, message, level)
        return HttpResponseRedirect(reverse("admin:orders_salesorder_changelist"))

    @admin.action(description=_("Cancel selected orders"), permissions=["cancel"])
    def cancel_orders(self, request, queryset):
        cancelled = 0
        for order in queryset:
            try:
                services.cancel_sales_order(order, actor=request.user)
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                cancelled += 1
        if cancelled:
            self.message_user(
                request,
                ngettext("%(count)d order cancelled.", "%(count)d orders cancelled.", cancelled)
                % {"count": cancelled},
                messages.SUCCESS,
            )


def _plan_result_messages(result: services.PlanResult) -> list[tuple[int, str]]:
    """What a planning run did, as (message level, text) for the admin and the command."""
    if not result.created and not result.shortages:
        text = gettext("Nothing to plan: stock and open production cover the open demand.")
        return [(messages.INFO, text)]
    found = []
    if result.created:
        count = len(result.created)
        found.append(
            (
                messages.SUCCESS,
                ngettext(
                    "%(count)d production order planned: %(orders)s.",
                    "%(count)d production orders planned: %(orders)s.",
                    count,
                )
                % {
                    "count": count,
                    "orders": ", ".join(
                        f"{order.code} ({order.item.code} × {order.qty.normalize():f})"
                        for order in result.created
                    ),
                },
            )
        )
    if result.shortages:
        found.append(
            (
                messages.WARNING,
                gettext("Raw materials to buy: %(shortages)s.")
                % {
                    "shortages": ", ".join(
                        gettext("%(item)s × %(qty)s by %(date)s")
                        % {
                            "item": shortage.item,
                            "qty": f"{shortage.qty.normalize():f}",
                            "date": shortage.due_date.isoformat(),
                        }
                        for shortage in result.shortages
                    )
                },
            )
        )
    return found
