"""Admin of nonconformance reports, lot holds and the quality KPI page."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from inventory.models import Location, Lot
from mes.admin import ReadOnlyAdmin, form_page, run_for_each
from mes.errors import DomainError
from production.models import ReasonCode, WorkCenter

from .. import kpis, spc
from ..holds import services as hold_services
from ..holds.services import RELEASE_PERMISSION
from ..models import LotHold, Nonconformance, NonconformanceEvent
from . import services

MAX_KPI_DAYS = 92
KEY_LABELS = {"item": _("item"), "seq": _("operation"), "work_center": _("work center")}


def _errors(exc: DomainError) -> str:
    details = [f"{field}: {'; '.join(m)}" for field, m in exc.errors.items()]
    return " ".join(details) or exc.message


class EventInline(admin.TabularInline):
    model = NonconformanceEvent
    fields = ("at", "from_status", "to_status", "by", "note")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class OpenForm(forms.Form):
    item = forms.CharField(label=_("item"), max_length=64, required=False)
    lot = forms.CharField(label=_("lot"), max_length=64, required=False)
    qty = forms.DecimalField(
        label=_("quantity affected"), max_digits=18, decimal_places=6, required=False
    )
    defect_code = forms.ModelChoiceField(
        label=_("defect code"),
        queryset=ReasonCode.objects.filter(kind=ReasonCode.Kind.SCRAP),
        required=False,
        to_field_name="code",
    )
    description = forms.CharField(label=_("description"), widget=forms.Textarea(attrs={"rows": 3}))
    hold_lot = forms.BooleanField(label=_("hold the lot"), required=False, initial=True)


class DispositionForm(forms.Form):
    disposition = forms.ChoiceField(
        label=_("disposition"), choices=Nonconformance.Disposition.choices
    )
    location = forms.ModelChoiceField(
        label=_("take the stock from"), queryset=Location.objects.all(), required=False
    )
    note = forms.CharField(
        label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


@admin.register(Nonconformance)
class NonconformanceAdmin(ReadOnlyAdmin):
    list_display = (
        "code",
        "status",
        "source",
        "lot",
        "production_order",
        "qty",
        "disposition",
        "opened_by",
        "created_at",
    )
    list_filter = ("status", "source", "disposition", ("created_at", admin.DateFieldListFilter))
    search_fields = (
        "code",
        "lot__code",
        "lot__item__code",
        "production_order__code",
        "description",
    )
    list_select_related = ("lot__item", "production_order", "opened_by")
    date_hierarchy = "created_at"
    inlines = (EventInline,)
    readonly_fields = ("steps",)

    def has_add_permission(self, request):
        return request.user.has_perm("quality.add_nonconformance")

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = OpenForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                lot = None
                if data["lot"]:
                    lot = Lot.objects.filter(item__code=data["item"], code=data["lot"]).first()
                    if lot is None:
                        raise DomainError(gettext("No such lot."))
                ncr = services.open_nonconformance(
                    actor=request.user,
                    description=data["description"],
                    lot=lot,
                    qty=data["qty"],
                    defect_code=data["defect_code"],
                    hold_lot=data["hold_lot"],
                )
            except DomainError as exc:
                messages.error(request, _errors(exc))
            else:
                messages.success(request, gettext("%(code)s opened.") % {"code": ncr.code})
                return HttpResponseRedirect(
                    reverse("admin:quality_nonconformance_change", args=[ncr.pk])
                )
        return form_page(
            request,
            self.admin_site,
            title=gettext("Open a nonconformance report"),
            opts=self.opts,
            form=form,
            submit_label=gettext("Open"),
        )

    @admin.display(description=_("next step"))
    def steps(self, obj: Nonconformance):
        links = []
        for step, label in (
            ("investigate", gettext("Investigate")),
            ("disposition", gettext("Decide the disposition")),
            ("close", gettext("Close")),
        ):
            target = {
                "investigate": "investigating",
                "disposition": "dispositioned",
                "close": "closed",
            }[step]
            if target in Nonconformance.TRANSITIONS[obj.status]:
                url = reverse("admin:quality_nonconformance_step", args=[obj.pk, step])
                links.append((url, label))
        if not links:
            return "—"
        return format_html_join(" ", '<a class="button" href="{}">{}</a>', links)

    def get_urls(self):
        return [
            path(
                "<int:pk>/step/<str:step>/",
                self.admin_site.admin_view(self.step_view),
                name="quality_nonconformance_step",
            ),
            path("kpis/", self.admin_site.admin_view(self.kpi_view), name="quality_kpis"),
            *super().get_urls(),
        ]

    def step_view(self, request, pk: int, step: str):
        if not request.user.has_perm("quality.change_nonconformance"):
            raise PermissionDenied
        ncr = Nonconformance.objects.filter(pk=pk).first()
        if ncr is None or step not in ("investigate", "disposition", "close"):
            return self._get_obj_does_not_exist_redirect(request, self.opts, str(pk))
        form = (DispositionForm if step == "disposition" else NoteForm)(request.POST or None)
        if request.method == "POST" and form.is_valid():
            command = {
                "investigate": services.investigate,
                "disposition": services.set_disposition,
                "close": services.close_nonconformance,
            }[step]
            values = {
                k: v for k, v in form.cleaned_data.items() if v not in (None, "") or k == "note"
            }
            try:
                command(ncr, actor=request.user, **values)
            except DomainError as exc:
                messages.error(request, _errors(exc))
            else:
                return HttpResponseRedirect(
                    reverse("admin:quality_nonconformance_change", args=[ncr.pk])
                )
        return form_page(
            request,
            self.admin_site,
            title=f"{ncr.code}: {step}",
            opts=self.opts,
            object=ncr,
            form=form,
            submit_label=gettext("Save"),
        )

    def kpi_view(self, request):
        """First-pass yield, scrap ratio and the defect Pareto over a date range."""
        if not request.user.has_perm("quality.view_nonconformance"):
            raise PermissionDenied
        form = KpiForm(request.GET or None)
        today = timezone.localdate()
        start, end, group = today - timedelta(days=6), today, "item"
        work_centers = None
        if form.is_valid():
            start = form.cleaned_data["start"] or start
            end = form.cleaned_data["end"] or end
            group = form.cleaned_data["group"] or group
            if form.cleaned_data["work_center"]:
                work_centers = [form.cleaned_data["work_center"].pk]
        message = ""
        if start > end:
            message = gettext("The start is after the end.")
        elif (end - start).days + 1 > MAX_KPI_DAYS:
            message = gettext("At most %(days)s days at a time.") % {"days": MAX_KPI_DAYS}
        body = (
            format_html("<p class='errornote'>{}</p>", message)
            if message
            else self._kpis(start, end, group, work_centers)
        )
        return form_page(
            request,
            self.admin_site,
            title=gettext("Quality KPIs"),
            after_form=body,
            before_form=format_html(
                '<form method="get" class="kpi-filter">{}<input type="submit" value="{}"></form>',
                mark_safe(form.as_div()),
                gettext("Show"),
            ),
        )

    def _kpis(self, start, end, group, work_centers) -> str:
        from ..api.nonconformances import kpi_window

        since, until = kpi_window(start, end)
        rows = kpis.first_pass_yield(since, until, group=group, work_center_ids=work_centers)
        pareto = kpis.defect_pareto(since, until, work_center_ids=work_centers)
        names = dict(
            ReasonCode.objects.filter(code__in=[c for c, _q in pareto]).values_list("code", "name")
        )
        svg = spc.pareto_svg(
            [(names.get(code, code), float(qty)) for code, qty in pareto],
            title=gettext("Scrap and defects by reason"),
            texts={
                "no_data": gettext("No scrap or defects in this period."),
                "cumulative": gettext("cumulative %"),
            },
        )
        keys = kpis.KEY_NAMES[group]

        def pct(value):
            return "—" if value is None else f"{value * 100:.1f}%"

        table = format_html_join(
            "",
            "<tr>{}<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    format_html_join("", "<td>{}</td>", ((row[k],) for k in keys)),
                    row["good"].normalize(),
                    row["scrap"].normalize(),
                    row["reworked"].normalize(),
                    pct(row["first_pass_yield"]),
                    pct(row["scrap_ratio"]),
                )
                for row in rows
            ),
        )
        header = format_html_join("", "<th>{}</th>", ((KEY_LABELS[k],) for k in keys))
        return format_html(
            "<h2>{} {} – {}</h2><table><thead><tr>{}<th>{}</th><th>{}</th><th>{}</th><th>{}</th>"
            "<th>{}</th></tr></thead><tbody>{}</tbody></table><h2>{}</h2><div>{}</div>",
            gettext("Period"),
            start,
            end,
            header,
            gettext("good"),
            gettext("scrap"),
            gettext("reworked"),
            gettext("first-pass yield"),
            gettext("scrap ratio"),
            table
            or format_html(
                "<tr><td colspan='8'>{}</td></tr>", gettext("No reports in this period.")
            ),
            gettext("Defect Pareto"),
            mark_safe(svg),
        )


class KpiForm(forms.Form):
    start = forms.DateField(
        label=_("from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    group = forms.ChoiceField(
        label=_("per"),
        required=False,
        choices=[
            ("item", _("item")),
            ("operation", _("operation")),
            ("work_center", _("work center")),
        ],
    )
    work_center = forms.ModelChoiceField(
        label=_("work center"), queryset=WorkCenter.objects.all(), required=False
    )


class PlaceHoldForm(forms.Form):
    item = forms.CharField(label=_("item"), max_length=64)
    lot = forms.CharField(label=_("lot"), max_length=64)
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 2}))


class ReleaseForm(forms.Form):
    note = forms.CharField(label=_("release note"), widget=forms.Textarea(attrs={"rows": 2}))


class ActiveFilter(admin.SimpleListFilter):
    title = _("active")
    parameter_name = "active"

    def lookups(self, request, model_admin):
        return (("yes", _("on hold")), ("no", _("released")))

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(released_at__isnull=True)
        if self.value() == "no":
            return queryset.filter(released_at__isnull=False)
        return queryset


@admin.register(LotHold)
class LotHoldAdmin(ReadOnlyAdmin):
    list_display = (
        "lot",
        "source",
        "reason",
        "is_active",
        "placed_at",
        "placed_by",
        "released_at",
        "released_by",
    )
    list_filter = (ActiveFilter, "source")
    search_fields = ("lot__code", "lot__item__code", "reason")
    list_select_related = ("lot__item", "placed_by", "released_by")
    actions = ["release"]

    @admin.display(boolean=True, description=_("on hold"))
    def is_active(self, obj):
        return obj.released_at is None

    def has_add_permission(self, request):
        return request.user.has_perm("quality.add_lothold")

    def has_release_permission(self, request):
        return request.user.has_perm(RELEASE_PERMISSION)

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = PlaceHoldForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            lot = Lot.objects.filter(item__code=data["item"], code=data["lot"]).first()
            if lot is None:
                messages.error(request, gettext("No such lot."))
            else:
                try:
                    hold_services.place_hold(lot, actor=request.user, reason=data["reason"])
                except DomainError as exc:
                    messages.error(request, _errors(exc))
                else:
                    messages.success(request, gettext("%(lot)s is on hold.") % {"lot": lot})
                    return HttpResponseRedirect(reverse("admin:quality_lothold_changelist"))
        return form_page(
            request,
            self.admin_site,
            title=gettext("Put a lot on hold"),
            opts=self.opts,
            form=form,
            submit_label=gettext("Hold"),
        )

    @admin.action(description=_("Release the selected holds"), permissions=["release"])
    def release(self, request, queryset):
        if "note" in request.POST:
            form = ReleaseForm(request.POST)
            if form.is_valid():
                note = form.cleaned_data["note"]
                run_for_each(
                    self,
                    request,
                    queryset.filter(released_at__isnull=True),
                    lambda hold, actor: hold_services.release_hold(hold, actor=actor, note=note),
                    gettext("%(count)d released."),
                )
                return None
        selected = format_html_join(
            "",
            '<input type="hidden" name="_selected_action" value="{}">',
            ((pk,) for pk in queryset.values_list("pk", flat=True)),
        )
        return form_page(
            request,
            self.admin_site,
            title=gettext("Release holds"),
            opts=self.opts,
            form=ReleaseForm(),
            submit_label=gettext("Release"),
            description=gettext(
                "Say why these lots may be used again; the release is recorded with your name."
            ),
            after_form=format_html(
                "<p>{}</p>", ", ".join(str(h.lot) for h in queryset.select_related("lot__item"))
            ),
            action_fields=format_html(
                '{}<input type="hidden" name="action" value="release">', selected
            ),
        )
