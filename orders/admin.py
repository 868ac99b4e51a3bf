from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

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

    def changelist_view(self, request, extra_context=None):
        subtitle = _(
            "Sales orders come from the ERP through the API; here you can read and cancel them."
        )
        return super().changelist_view(request, {"subtitle": subtitle, **(extra_context or {})})

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
