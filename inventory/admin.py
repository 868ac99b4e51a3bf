from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from mes.admin import ReadOnlyAdmin, ServiceModelAdmin
from mes.audit import plain_decimal
from mes.errors import DomainError

from . import selectors, services
from .models import Bom, BomLine, Item, Location, Lot, StockBalance, StockMove, UnitOfMeasure


@admin.register(UnitOfMeasure)
class UnitOfMeasureAdmin(ServiceModelAdmin):
    list_display = ("code", "name", "decimals", "updated_at")
    search_fields = ("code", "name")
    create_service = services.create_uom
    update_service = services.update_uom


class BomComponentForm(forms.Form):
    item = forms.CharField(label=_("component (item code)"), max_length=64)
    qty_per = forms.DecimalField(
        label=_("quantity per unit"), max_digits=18, decimal_places=6, min_value=0
    )


BomComponentFormSet = forms.formset_factory(BomComponentForm, extra=3)


def _bom_lines_html(bom: Bom | None):
    if bom is None:
        return gettext("No BOM.")
    if not bom.lines.all():
        return gettext("Version %(version)s: no components.") % {"version": bom.version}
    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        ((ln.line, ln.component, plain_decimal(ln.qty_per), ln.uom.code) for ln in bom.lines.all()),
    )
    return format_html(
        "<p>{}</p><table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
        "<tbody>{}</tbody></table>",
        gettext("Version %(version)s") % {"version": bom.version},
        gettext("line"),
        gettext("component"),
        gettext("quantity per unit"),
        gettext("unit"),
        rows,
    )


@admin.register(Item)
class ItemAdmin(ServiceModelAdmin):
    list_display = ("code", "name", "kind", "uom", "tracking", "updated_at")
    list_filter = ("kind", "tracking")
    search_fields = ("code", "name", "description")
    list_select_related = ("uom",)
    readonly_fields = ("active_bom",)
    create_service = services.create_item
    update_service = services.update_item

    @admin.display(description=_("active BOM"))
    def active_bom(self, obj: Item):
        if obj.pk is None:
            return "—"
        link = reverse("admin:inventory_item_bom", args=[obj.pk])
        return format_html(
            '{}<p><a class="button" href="{}">{}</a></p>',
            _bom_lines_html(selectors.get_active_bom(obj)),
            link,
            gettext("New BOM version"),
        )

    def get_urls(self):
        view = self.admin_site.admin_view(self.bom_view)
        return [path("<path:object_id>/bom/", view, name="inventory_item_bom"), *super().get_urls()]

    def bom_view(self, request, object_id):
        """Edit the BOM as a new version through services.set_bom."""
        item = self.get_object(request, object_id)
        if item is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_change_permission(request, item):
            raise PermissionDenied
        active = selectors.get_active_bom(item)
        if request.method == "POST":
            formset = BomComponentFormSet(request.POST)
            if formset.is_valid() and self._save_bom(request, item, formset):
                return HttpResponseRedirect(reverse("admin:inventory_item_change", args=[item.pk]))
        else:
            initial = [
                {"item": line.component.code, "qty_per": plain_decimal(line.qty_per)}
                for line in (active.lines.all() if active else [])
            ]
            formset = BomComponentFormSet(initial=initial)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("New BOM version: %(item)s") % {"item": item},
            "object": item,
            "opts": self.opts,
            "formset": formset,
            "active_bom": _bom_lines_html(active),
        }
        return TemplateResponse(request, "admin/inventory/item/bom_form.html", context)

    def _save_bom(self, request, item: Item, formset) -> bool:
        rows = [form.cleaned_data for form in formset.forms if form.cleaned_data]
        items = Item.objects.in_bulk({row["item"] for row in rows}, field_name="code")
        missing = sorted({row["item"] for row in rows} - set(items))
        if missing:
            message = gettext("No such item: %(codes)s") % {"codes": ", ".join(missing)}
            messages.error(request, message)
            return False
        components = [
            {"item": items[row["item"]], "qty_per": row["qty_per"], "uom": None} for row in rows
        ]
        try:
            bom, created = services.replace_bom(item, actor=request.user, components=components)
        except DomainError as exc:
            details = [f"{field}: {'; '.join(msgs)}" for field, msgs in exc.errors.items()]
            messages.error(request, " ".join(details) or exc.message)
            return False
        if created:
            messages.success(request, gettext("Saved as %(bom)s.") % {"bom": bom})
        else:
            messages.info(request, gettext("No change: the active BOM already has these lines."))
        return True


class BomLineInline(admin.TabularInline):
    model = BomLine
    fields = ("line", "component", "qty_per", "uom")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Bom)
class BomAdmin(ReadOnlyAdmin):
    """Versions are facts: read here, made by set_bom (API, import, or the item page)."""

    list_display = ("item", "version", "is_active", "created_at", "created_by")
    list_filter = ("is_active",)
    search_fields = ("item__code", "item__name")
    list_select_related = ("item", "created_by")
    inlines = (BomLineInline,)
    fieldsets = (
        (
            None,
            {
                "fields": ("item", "version", "is_active", "created_at", "created_by"),
                "description": _(
                    "BOM versions cannot be changed. To change a BOM, make a new version: "
                    "'New BOM version' on the item's page, PUT /api/v1/items/{code}/bom/, "
                    "or an import."
                ),
            },
        ),
    )


# --- stock -----------------------------------------------------------------------


@admin.register(Location)
class LocationAdmin(ServiceModelAdmin):
    list_display = ("code", "name", "kind", "allow_negative", "updated_at")
    list_filter = ("kind", "allow_negative")
    search_fields = ("code", "name")
    create_service = services.create_location
    update_service = services.update_location


@admin.register(Lot)
class LotAdmin(ServiceModelAdmin):
    """Lots are made by receipts; only the expiry date can be corrected here."""

    list_display = ("item", "code", "is_serial", "expires_on", "created_at", "trace")
    list_filter = ("is_serial", "item__kind")
    search_fields = ("code", "item__code", "item__name")
    list_select_related = ("item",)
    date_hierarchy = "created_at"
    fields = ("item", "code", "is_serial", "expires_on", "created_at", "trace")
    readonly_fields = ("item", "code", "is_serial", "created_at", "trace")

    @admin.display(description=_("trace"))
    def trace(self, obj: Lot):
        if obj.pk is None:
            return "—"
        url = reverse("lot_trace_tree") + "?" + urlencode({"item": obj.item.code, "lot": obj.code})
        return format_html('<a href="{}">{}</a>', url, gettext("genealogy tree"))

    update_service = services.update_lot

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StockMove)
class StockMoveAdmin(ReadOnlyAdmin):
    """The ledger: moves are facts. A correction is a reversing move, never an edit."""

    list_display = (
        "created_at",
        "item",
        "lot",
        "location",
        "qty",
        "reason",
        "reference",
        "created_by",
    )
    list_filter = ("reason", "location", "item__kind")
    search_fields = ("item__code", "item__name", "lot__code", "reference", "client_ref")
    date_hierarchy = "created_at"
    list_select_related = ("item", "lot", "location", "created_by")
    show_full_result_count = False  # the ledger grows without end; counting it is slow


@admin.register(StockBalance)
class StockBalanceAdmin(ReadOnlyAdmin):
    """Stock on hand, kept by the ledger's postings."""

    list_display = ("item", "lot", "location", "qty", "updated_at")
    list_filter = ("location", "item__kind")
    search_fields = ("item__code", "item__name", "lot__code")
    list_select_related = ("item", "lot", "location")

    def get_queryset(self, request):
        return super().get_queryset(request).exclude(qty=0)
