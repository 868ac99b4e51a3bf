"""The plant manager's cockpit in the admin: the daily production report (page, print,
Excel) and shift handovers. The live overview is the admin home (templatetags/cockpit.py).
"""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from mes.admin import SITE_SESSION_KEY, form_page, run_for_each
from mes.errors import DomainError
from production.execution.admin import SiteFilter
from production.models import Site
from production.oee.rollup import roll_up_for_reading

from . import excel, services
from .models import ShiftHandover
from .selectors import (
    MAX_REPORT_DAYS,
    add_up,
    get_daily_report,
    list_machine_ids,
    list_sites,
    previous_production_day,
)

# The permission that lets someone read the cockpit (the overview and the report).
READ_PERMISSION = "production.view_operation"


def chosen_site(request, site_id: str | int | None = None) -> Site | None:
    """The site asked for, else the one chosen last in this session, else the first one;
    a site asked for is remembered."""
    sites = list_sites()
    wanted = site_id or request.session.get(SITE_SESSION_KEY)
    site = sites.filter(pk=wanted).first() if str(wanted or "").isdigit() else None
    if site is not None and site_id:
        request.session[SITE_SESSION_KEY] = site.pk
    return site or sites.first()


def _yesterday(site: Site) -> date:
    """The last production day before today at the site (the morning meeting's)."""
    return previous_production_day(site, timezone.localdate(timezone=ZoneInfo(site.time_zone)))


class ReportForm(forms.Form):
    site = forms.ModelChoiceField(Site.objects.order_by("code"), label=_("site"), required=False)
    start = forms.DateField(
        label=_("from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    shift = forms.CharField(label=_("shift"), required=False, max_length=64)


def _report_request(request) -> tuple[ReportForm, dict]:
    """The form and, when it holds a range to show, the reports of its days; else a
    ``message`` saying what is wrong with it."""
    if not request.user.has_perm(READ_PERMISSION):
        raise PermissionDenied
    form = ReportForm(request.GET or None)
    chosen = form.cleaned_data if form.is_valid() else {}
    site = chosen_site(request, chosen.get("site") and chosen["site"].pk)
    if site is None:
        return form, {"message": gettext("There is no site yet.")}
    start = chosen.get("start") or chosen.get("end") or _yesterday(site)
    end = chosen.get("end") or start
    if not form.is_bound:  # the page opens on yesterday at my site: show it in the form
        form = ReportForm(initial={"site": site, "start": start, "end": end})
    if not form.is_valid() and form.is_bound:
        return form, {"message": gettext("Check the dates."), "site": site}
    if start > end:
        return form, {"message": gettext("The start is after the end."), "site": site}
    if (end - start).days + 1 > MAX_REPORT_DAYS:
        return form, {
            "message": gettext("At most %(days)s days at a time.") % {"days": MAX_REPORT_DAYS},
            "site": site,
        }
    now = timezone.now()
    roll_up_for_reading(list_machine_ids(site), now=now)  # the OEE of a shift still running
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    reports = [
        get_daily_report(site, day, now=now, shift_code=chosen.get("shift") or None) for day in days
    ]
    return form, {
        "site": site,
        "start": start,
        "end": end,
        "reports": reports,
        "grand_totals": add_up(reports),
        "now": now,
    }


def daily_report_view(request):
    """The daily production report (생산일보) of a site, per day, work center and shift;
    it prints one A4 page per work center and day."""
    form, found = _report_request(request)
    query = request.GET.copy()
    if found.get("site"):
        query["site"] = found["site"].pk
    context = {
        **admin.site.each_context(request),
        "title": gettext("Daily production report"),
        "form": form,
        "excel_url": f"{reverse('admin:cockpit_daily_report_xlsx')}?{query.urlencode()}",
        **found,
    }
    return TemplateResponse(request, "cockpit/daily_report.html", context)


def daily_report_xlsx_view(request):
    """The same report as an Excel workbook."""
    _form, found = _report_request(request)
    if "reports" not in found:
        messages.error(request, found["message"])
        return HttpResponseRedirect(
            f"{reverse('admin:cockpit_daily_report')}?{request.GET.urlencode()}"
        )
    response = HttpResponse(
        excel.daily_report_workbook(found["reports"]),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    name = f"daily-report-{found['site'].code}-{found['start']}-{found['end']}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


class HandoverForm(forms.Form):
    site = forms.ModelChoiceField(Site.objects.order_by("code"), label=_("site"))
    production_day = forms.DateField(
        label=_("production day"), widget=forms.DateInput(attrs={"type": "date"})
    )
    shift_code = forms.CharField(label=_("shift"), max_length=64)
    notes = forms.CharField(
        label=_("notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 80}),
        help_text=_("What the next shift needs to know: problems, open work, safety."),
    )


class AcknowledgeForm(forms.Form):
    note = forms.CharField(
        label=_("acknowledgement note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
    )


class HandoverSiteFilter(SiteFilter):
    site_path = "site"


class AcknowledgedFilter(admin.SimpleListFilter):
    title = _("acknowledged")
    parameter_name = "acknowledged"

    def lookups(self, request, model_admin):
        return (("yes", _("acknowledged")), ("no", _("waiting")))

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(acknowledged_at__isnull=self.value() == "no")
        return queryset


@admin.register(ShiftHandover)
class ShiftHandoverAdmin(admin.ModelAdmin):
    """Handovers are written through *Hand over a shift* and acknowledged by the next
    shift (action or the button on a handover); they are never edited."""

    list_display = (
        "production_day",
        "shift_code",
        "site",
        "handed_over_by",
        "handed_over_at",
        "acknowledged",
        "acknowledged_by",
    )
    list_filter = (
        HandoverSiteFilter,
        AcknowledgedFilter,
        "shift_code",
        ("production_day", admin.DateFieldListFilter),
    )
    list_select_related = ("site", "handed_over_by", "acknowledged_by")
    search_fields = ("shift_code", "notes", "handed_over_by__username")
    date_hierarchy = "production_day"
    actions = ("acknowledge",)
    fields = (
        "site",
        "production_day",
        "shift_code",
        "shift_start",
        "shift_end",
        "handed_over_by",
        "handed_over_at",
        "notes",
        "summary_table",
        "acknowledged_by",
        "acknowledged_at",
        "acknowledgement_note",
        "acknowledge_link",
    )
    readonly_fields = fields

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(boolean=True, description=_("acknowledged"))
    def acknowledged(self, obj: ShiftHandover) -> bool:
        return obj.is_acknowledged

    @admin.display(description=_("summary"))
    def summary_table(self, obj: ShiftHandover):
        return render_to_string("cockpit/handover_summary.html", {"summary": obj.summary})

    @admin.display(description=_("next shift"))
    def acknowledge_link(self, obj: ShiftHandover):
        if obj.is_acknowledged:
            return "—"
        url = reverse("admin:cockpit_acknowledge", args=[obj.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, gettext("Acknowledge"))

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("report/", wrap(daily_report_view), name="cockpit_daily_report"),
            path("report.xlsx", wrap(daily_report_xlsx_view), name="cockpit_daily_report_xlsx"),
            path("<int:pk>/acknowledge/", wrap(self.acknowledge_view), name="cockpit_acknowledge"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "report_url": reverse("admin:cockpit_daily_report"),
        }
        return super().changelist_view(request, extra_context)

    def add_view(self, request, form_url="", extra_context=None):
        """Hand over a shift: its report is kept with the notes."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        site = chosen_site(request)
        initial = {"site": site, "production_day": timezone.localdate()}
        form = HandoverForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                handover = services.hand_over_shift(actor=request.user, **form.cleaned_data)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(
                    request, gettext("Shift %(shift)s is handed over.") % {"shift": handover}
                )
                return HttpResponseRedirect(reverse("admin:cockpit_shifthandover_changelist"))
        return form_page(
            request,
            self.admin_site,
            title=gettext("Hand over a shift"),
            submit_label=gettext("Hand over"),
            form=form,
            opts=self.opts,
            description=gettext(
                "The shift's daily report is kept as it stands now, with your notes; the "
                "next shift's supervisor acknowledges it."
            ),
        )

    def acknowledge_view(self, request, pk: int):
        if not self.has_view_permission(request) or not request.user.has_perm(
            "cockpit.add_shifthandover"
        ):
            raise PermissionDenied
        handover = get_object_or_404(ShiftHandover, pk=pk)
        form = AcknowledgeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.acknowledge_handover(
                    handover, actor=request.user, note=form.cleaned_data["note"]
                )
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(request, gettext("The handover is acknowledged."))
            return HttpResponseRedirect(reverse("admin:cockpit_shifthandover_changelist"))
        return form_page(
            request,
            self.admin_site,
            title=gettext("Acknowledge the handover of %(shift)s") % {"shift": handover},
            submit_label=gettext("Acknowledge"),
            form=form,
            opts=self.opts,
            object=handover,
            before_form=self.summary_table(handover),
            description=handover.notes,
        )

    @admin.action(description=_("Acknowledge selected handovers"), permissions=("add",))
    def acknowledge(self, request, queryset):
        run_for_each(
            self,
            request,
            queryset.order_by("shift_start"),
            services.acknowledge_handover,
            gettext("%(count)d handovers acknowledged."),
        )
