from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from inventory.models import Item
from mes.admin import ReadOnlyAdmin, ServiceModelAdmin, form_page, run_for_each
from mes.errors import DomainError

from . import services
from .distribution import services as distribution
from .distribution.views import delivery_note_response, pick_list_response
from .models import Allocation, Customer, CustomerReturn, SalesOrder, SalesOrderLine, Shipment


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
    actions = ["cancel_orders", "allocate_orders"]

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

    def has_allocate_permission(self, request):
        return request.user.has_perm("orders.add_allocation")

    @admin.action(description=_("Allocate stock to selected orders"), permissions=["allocate"])
    def allocate_orders(self, request, queryset):
        for order in queryset:
            try:
                result = distribution.allocate_sales_order(order, actor=request.user)
            except DomainError as exc:
                self.message_user(request, f"{order.code}: {exc.message}", messages.ERROR)
                continue
            allocated = sum((a.qty for a in result.allocations), Decimal(0))
            self.message_user(
                request,
                gettext("%(order)s: %(qty)s allocated.")
                % {"order": order.code, "qty": f"{allocated.normalize():f}"},
                messages.SUCCESS,
            )
            if result.short:
                short = ", ".join(
                    gettext("line %(line)s short %(qty)s")
                    % {"line": number, "qty": f"{qty.normalize():f}"}
                    for number, qty in result.short
                )
                self.message_user(request, f"{order.code}: {short}", messages.WARNING)


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


# --- distribution ------------------------------------------------------------------


class ShipmentLineInline(admin.TabularInline):
    model = Allocation
    fk_name = "shipment"
    fields = ("sales_order_line", "item", "lot", "location", "qty", "status")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name = _("shipment line")
    verbose_name_plural = _("shipment lines")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("sales_order_line__order", "item", "lot", "location")
        )

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Shipment)
class ShipmentAdmin(ReadOnlyAdmin):
    """Shipments are made from a sales order (API or the allocate/ship flow); picked,
    shipped and cancelled here. The pick list and delivery note print on A4."""

    list_display = (
        "code",
        "sales_order",
        "customer",
        "status",
        "picked_at",
        "shipped_at",
        "documents",
    )
    list_filter = ("status", ("shipped_at", admin.DateFieldListFilter))
    search_fields = ("code", "sales_order__code", "sales_order__customer__code", "lines__lot__code")
    list_select_related = ("sales_order__customer",)
    date_hierarchy = "created_at"
    inlines = (ShipmentLineInline,)
    readonly_fields = (
        "code",
        "sales_order",
        "status",
        "dock",
        "notes",
        "picked_at",
        "shipped_at",
        "created_by",
        "created_at",
        "documents",
    )
    fields = readonly_fields
    actions = ["pick", "ship", "cancel"]

    @admin.display(description=_("customer"), ordering="sales_order__customer__code")
    def customer(self, obj):
        return obj.sales_order.customer

    @admin.display(description=_("documents"))
    def documents(self, obj):
        note = reverse("admin:orders_shipment_document", args=[obj.pk, "delivery-note"])
        picks = reverse("admin:orders_shipment_document", args=[obj.pk, "pick-list"])
        return format_html(
            '<a href="{}?lang=ko" target="_blank">{}</a> · '
            '<a href="{}?lang=en" target="_blank">{}</a> · '
            '<a href="{}" target="_blank">{}</a>',
            note,
            gettext("delivery note (ko)"),
            note,
            gettext("delivery note (en)"),
            picks,
            gettext("pick list"),
        )

    def has_step_permission(self, request):
        return request.user.has_perm("orders.change_shipment")

    @admin.action(description=_("Pick selected shipments"), permissions=["step"])
    def pick(self, request, queryset):
        run_for_each(
            self, request, queryset, distribution.pick_shipment, gettext("%(count)d picked.")
        )

    @admin.action(description=_("Ship selected shipments"), permissions=["step"])
    def ship(self, request, queryset):
        run_for_each(
            self, request, queryset, distribution.ship_shipment, gettext("%(count)d shipped.")
        )

    @admin.action(description=_("Cancel selected shipments"), permissions=["step"])
    def cancel(self, request, queryset):
        run_for_each(
            self, request, queryset, distribution.cancel_shipment, gettext("%(count)d cancelled.")
        )

    def get_urls(self):
        return [
            path(
                "<int:pk>/<str:document>/",
                self.admin_site.admin_view(self.document_view),
                name="orders_shipment_document",
            ),
            *super().get_urls(),
        ]

    def document_view(self, request, pk: int, document: str):
        if not self.has_view_permission(request):
            raise PermissionDenied
        shipment = Shipment.objects.filter(pk=pk).first()
        if shipment is None or document not in ("delivery-note", "pick-list"):
            return self._get_obj_does_not_exist_redirect(request, self.opts, str(pk))
        respond = delivery_note_response if document == "delivery-note" else pick_list_response
        return respond(request, shipment)


@admin.register(Allocation)
class AllocationAdmin(ReadOnlyAdmin):
    list_display = (
        "sales_order_line",
        "item",
        "lot",
        "location",
        "qty",
        "status",
        "shipment",
        "created_at",
    )
    list_filter = ("status",)
    search_fields = ("sales_order_line__order__code", "item__code", "lot__code", "shipment__code")
    list_select_related = ("sales_order_line__order", "item", "lot", "location", "shipment")
    actions = ["cancel"]

    def has_cancel_permission(self, request):
        return request.user.has_perm("orders.change_allocation")

    @admin.action(description=_("Cancel selected reservations"), permissions=["cancel"])
    def cancel(self, request, queryset):
        run_for_each(
            self, request, queryset, distribution.cancel_allocation, gettext("%(count)d cancelled.")
        )


class ReturnForm(forms.Form):
    shipment = forms.CharField(label=_("shipment"), max_length=64)
    item = forms.CharField(label=_("item"), max_length=64)
    lot = forms.CharField(label=_("lot / serial number"), max_length=64, required=False)
    qty = forms.DecimalField(label=_("quantity"), max_digits=18, decimal_places=6, min_value=0)
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 2}))
    open_ncr = forms.BooleanField(
        label=_("open a nonconformance report"), required=False, initial=True
    )


@admin.register(CustomerReturn)
class CustomerReturnAdmin(ReadOnlyAdmin):
    list_display = (
        "code",
        "shipment",
        "customer",
        "item",
        "lot",
        "qty",
        "location",
        "nonconformance",
        "created_at",
    )
    search_fields = ("code", "shipment__code", "lot__code", "item__code")
    list_select_related = (
        "shipment__sales_order__customer",
        "item",
        "lot",
        "location",
        "nonconformance",
    )
    date_hierarchy = "created_at"

    @admin.display(description=_("customer"))
    def customer(self, obj):
        return obj.shipment.sales_order.customer

    def has_add_permission(self, request):
        return request.user.has_perm("orders.add_customerreturn")

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ReturnForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = dict(form.cleaned_data)
            shipment = Shipment.objects.filter(code=data.pop("shipment")).first()
            item = Item.objects.filter(code=data.pop("item")).first()
            try:
                if shipment is None or item is None:
                    raise DomainError(gettext("No such shipment or item."))
                returned = distribution.receive_customer_return(
                    actor=request.user, shipment=shipment, item=item, **data
                )
            except DomainError as exc:
                details = [f"{field}: {'; '.join(m)}" for field, m in exc.errors.items()]
                messages.error(request, " ".join(details) or exc.message)
            else:
                messages.success(
                    request, gettext("%(code)s received into quarantine.") % {"code": returned.code}
                )
                return HttpResponseRedirect(reverse("admin:orders_customerreturn_changelist"))
        return form_page(
            request,
            self.admin_site,
            title=gettext("Receive a customer return"),
            opts=self.opts,
            form=form,
            submit_label=gettext("Receive"),
        )
