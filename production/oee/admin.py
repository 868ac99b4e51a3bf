"""Admin of machine data and OEE: events and rejections (read-only: they are facts), the
plant OEE dashboard, and full recomputes a manager starts and watches."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from mes.admin import ReadOnlyAdmin, form_page
from mes.errors import DomainError
from mes.svg import pareto_svg
from mes.templatetags.mes_format import hours, percent

from ..calendars.selectors import get_working_windows
from ..models import (
    DowntimeClassification,
    Machine,
    MachineEvent,
    MqttRejection,
    OeeRecompute,
    OeeSnapshot,
    ReasonCode,
    Site,
    WorkCenter,
)
from . import svg
from .rollup import roll_up_for_reading, start_oee_recompute
from .selectors import MAX_RANGE_DAYS, current_shifts, list_downtime, plant_oee, state_timeline
from .services import classify_downtime

REFRESH_S = 60


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


class ClassifyFilterForm(forms.Form):
    work_center = forms.ModelChoiceField(
        WorkCenter.objects.all(), label=_("work center"), required=False
    )
    days = forms.IntegerField(label=_("last days"), min_value=1, max_value=31, initial=3)


class ClassifyForm(forms.Form):
    machine = forms.ModelChoiceField(Machine.objects.all(), widget=forms.HiddenInput)
    started_at = forms.DateTimeField(widget=forms.HiddenInput)
    reason = forms.ModelChoiceField(
        ReasonCode.objects.filter(kind=ReasonCode.Kind.DOWNTIME, is_active=True),
        label=_("reason"),
    )


@admin.register(DowntimeClassification)
class DowntimeClassificationAdmin(ReadOnlyAdmin):
    """Reasons people gave down periods; *Down periods to classify* lists those without one."""

    list_display = ("started_at", "machine", "reason", "classified_by", "classified_at")
    list_filter = ("reason",)
    search_fields = ("machine__code",)
    list_select_related = ("machine", "reason", "classified_by")

    def get_urls(self):
        view = self.admin_site.admin_view(self.to_classify_view)
        return [path("to-classify/", view, name="downtime_to_classify"), *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "to_classify_url": reverse("admin:downtime_to_classify"),
        }
        return super().changelist_view(request, extra_context)

    def to_classify_view(self, request):
        """Down periods in planned time that have no reason, each with a reason to pick
        (the same service as the API and the tablet)."""
        if not request.user.has_perm("production.add_downtimeclassification"):
            raise PermissionDenied
        if request.method == "POST":
            form = ClassifyForm(request.POST)
            if form.is_valid():
                try:
                    classify_downtime(
                        form.cleaned_data["machine"],
                        started_at=form.cleaned_data["started_at"],
                        reason=form.cleaned_data["reason"],
                        actor=request.user,
                    )
                except DomainError as exc:
                    messages.error(request, exc.message)
                else:
                    messages.success(request, gettext("The down period is classified."))
            else:
                messages.error(request, gettext("Choose a downtime reason."))
            return HttpResponseRedirect(request.get_full_path())
        filters = ClassifyFilterForm(request.GET or None)
        chosen = filters.cleaned_data if filters.is_valid() else {}
        machines = Machine.objects.filter(is_active=True).select_related("work_center")
        if chosen.get("work_center"):
            machines = machines.filter(work_center=chosen["work_center"])
        now = timezone.now()
        machines = list(machines)
        ids = {machine.code: machine.pk for machine in machines}
        rows = list_downtime(
            machines=machines,
            start=now - timedelta(days=chosen.get("days") or 3),
            end=now,
            unclassified_only=True,
        )
        forms_ = [
            (row, ClassifyForm(initial={"machine": ids[row["machine"]], "started_at": when}))
            for row in rows
            for when in [row["started_at"]]
        ]
        return TemplateResponse(
            request,
            "production/downtime_to_classify.html",
            {
                **self.admin_site.each_context(request),
                "title": gettext("Down periods to classify"),
                "opts": self.opts,
                "filters": filters,
                "rows": forms_,
            },
        )


# --- the OEE dashboard ------------------------------------------------------------------


class DashboardForm(forms.Form):
    site = forms.ModelChoiceField(Site.objects.all(), label=_("site"), required=False)
    start = forms.DateField(
        label=_("from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    work_center = forms.ModelChoiceField(
        WorkCenter.objects.all(), label=_("timeline of work center"), required=False
    )
    day = forms.DateField(
        label=_("timeline day"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


def _state_labels() -> dict[str, str]:
    return {**dict(MachineEvent.State.choices), "unknown": gettext("no signal")}


def _loss_labels() -> dict[str, str]:
    return {
        "breakdowns": gettext("Breakdowns"),
        "setup": gettext("Setup and adjustments"),
        "small_stops": gettext("Small stops and idling"),
        "reduced_speed": gettext("Reduced speed"),
        "startup_rejects": gettext("Start-up rejects"),
        "production_rejects": gettext("Production rejects"),
    }


def _pictures(figures: dict, reasons: dict[str, str]) -> dict[str, str]:
    no_data = gettext("No data")
    plant = figures["plant"]
    return {
        "trend": svg.trend_svg(
            [(row["work_center"].code, row["trend"]) for row in figures["work_centers"]],
            title=gettext("OEE per day and work center"),
            no_data_text=no_data,
        ),
        "factors": svg.bars_svg(
            [
                (label, plant[key] or 0.0, percent(plant[key]))
                for key, label in (
                    ("availability", gettext("Availability")),
                    ("performance", gettext("Performance")),
                    ("quality", gettext("Quality")),
                    ("oee", gettext("OEE")),
                )
            ]
            if plant["planned_time_s"]
            else [],
            title=gettext("Availability × performance × quality = OEE"),
            no_data_text=no_data,
            maximum=1.0,
        ),
        "losses": svg.bars_svg(
            [
                (label, plant["losses"][key], hours(plant["losses"][key]))
                for key, label in _loss_labels().items()
            ]
            if plant["planned_time_s"]
            else [],
            title=gettext("Six big losses (hours of planned time)"),
            no_data_text=no_data,
        ),
        "pareto": pareto_svg(
            [
                (reasons.get(row["reason"]) or gettext("unclassified"), row["lost_s"] / 60)
                for row in figures["downtime_pareto"]
            ],
            title=gettext("Downtime by reason (minutes)"),
            texts={"no_data": no_data, "cumulative": gettext("cumulative %")},
        ),
    }


def _timeline(work_center: WorkCenter | None, day: date, zone: ZoneInfo, now: datetime) -> str:
    machines = list(work_center.machines.filter(is_active=True)) if work_center else []
    start, end = _midnight(day, zone), _midnight(day + timedelta(days=1), zone)
    known_until = max(min(end, now), start)  # what is ahead of now is not known yet
    windows = (
        get_working_windows(work_center=work_center, start=start, end=end) if work_center else []
    )
    working = [(w.start, w.end) for w in windows]
    return svg.timeline_svg(
        [(m.code, spans) for m, spans in state_timeline(machines, start, known_until)],
        start=start,
        end=end,
        working={machine.code: working for machine in machines},
        labels=_state_labels(),
        title=gettext("Machine states on %(day)s") % {"day": day.isoformat()},
        no_data_text=gettext("No machines"),
        clock=lambda moment: f"{moment.astimezone(zone):%H:%M}",
    )


def oee_dashboard_view(request):
    """The plant's OEE: this shift now, the trend, the A/P/Q breakdown, the six big
    losses, the downtime Pareto and a day's machine state timeline. It refreshes itself."""
    if not request.user.has_perm("production.view_oeesnapshot"):
        raise PermissionDenied
    form = DashboardForm(request.GET or None)
    zone = ZoneInfo(timezone.get_current_timezone_name())
    today = timezone.localdate()
    chosen = form.cleaned_data if form.is_valid() else {}
    start = chosen.get("start") or today - timedelta(days=6)
    end = chosen.get("end") or today
    site = chosen.get("site")
    machines = Machine.objects.filter(is_active=True).select_related("work_center")
    if site:
        machines = machines.filter(work_center__area__site=site)
    machines = list(machines)
    work_center = chosen.get("work_center") or (machines[0].work_center if machines else None)
    context = {
        **admin.site.each_context(request),
        "title": gettext("OEE dashboard"),
        "form": form,
        "refresh_s": REFRESH_S,
    }
    if start > end:
        context["message"] = gettext("The start is after the end.")
    elif (end - start).days + 1 > MAX_RANGE_DAYS:
        context["message"] = gettext("At most %(days)s days at a time.") % {"days": MAX_RANGE_DAYS}
    else:
        now = timezone.now()
        roll_up_for_reading([m.pk for m in machines], now=now)
        figures = plant_oee(
            start=_midnight(start, zone),
            end=_midnight(end + timedelta(days=1), zone),
            machines=machines,
        )
        reasons = dict(ReasonCode.objects.values_list("code", "name"))
        context |= {
            "start": start,
            "end": end,
            "now": now,
            "current": current_shifts(machines=machines, now=now),
            "figures": figures,
            "pictures": _pictures(figures, reasons),
            "timeline": _timeline(work_center, chosen.get("day") or today, zone, now),
        }
    return TemplateResponse(request, "production/oee_dashboard.html", context)


@admin.register(OeeSnapshot)
class OeeSnapshotAdmin(ReadOnlyAdmin):
    """Each machine's shifts as the roll-ups stored them; the dashboard is built on them."""

    list_display = (
        "production_day",
        "shift_code",
        "machine",
        "planned_time_s",
        "run_time_s",
        "down_time_s",
        "total",
        "good",
        "computed_until",
    )
    list_filter = ("shift_code", "machine__work_center")
    search_fields = ("machine__code",)
    list_select_related = ("machine",)
    date_hierarchy = "production_day"
    show_full_result_count = False

    def get_urls(self):
        view = self.admin_site.admin_view(oee_dashboard_view)
        return [path("dashboard/", view, name="oee_dashboard"), *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "dashboard_url": reverse("admin:oee_dashboard")}
        return super().changelist_view(request, extra_context)


# --- full recomputes ----------------------------------------------------------------------


class RecomputeForm(forms.Form):
    start = forms.DateField(label=_("from"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("to"), widget=forms.DateInput(attrs={"type": "date"}))
    work_center = forms.ModelChoiceField(
        WorkCenter.objects.all(),
        label=_("work center"),
        required=False,
        help_text=_("Empty: every machine."),
    )


@admin.register(OeeRecompute)
class OeeRecomputeAdmin(admin.ModelAdmin):
    """Recompute every machine's stored shifts over a range (after a calendar or a cycle
    time changed); a worker does it machine by machine and the progress shows here."""

    list_display = ("created_at", "start", "end", "work_center", "status", "progress", "snapshots")
    list_filter = ("status",)
    list_select_related = ("work_center",)
    readonly_fields = (
        "start",
        "end",
        "work_center",
        "status",
        "progress",
        "snapshots",
        "error",
        "requested_by",
        "created_at",
        "finished_at",
    )
    fields = readonly_fields

    @admin.display(description=_("progress"))
    def progress(self, obj: OeeRecompute):
        return format_html(
            '<progress max="100" value="{}" style="width:12em"></progress> {} % ({} / {})',
            obj.progress_pct,
            obj.progress_pct,
            obj.machines_done,
            obj.machines_total,
        )

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = RecomputeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            zone = ZoneInfo(timezone.get_current_timezone_name())
            try:
                job = start_oee_recompute(
                    actor=request.user,
                    start=_midnight(form.cleaned_data["start"], zone),
                    end=_midnight(form.cleaned_data["end"] + timedelta(days=1), zone),
                    work_center=form.cleaned_data["work_center"],
                )
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, gettext("The recompute is queued."))
                return HttpResponseRedirect(
                    reverse("admin:production_oeerecompute_change", args=[job.pk])
                )
        return form_page(
            request,
            self.admin_site,
            title=gettext("Recompute OEE"),
            opts=self.opts,
            form=form,
            submit_label=gettext("Start"),
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = OeeRecompute.objects.filter(pk=object_id).first()
        running = job is not None and job.status in (
            OeeRecompute.Status.QUEUED,
            OeeRecompute.Status.RUNNING,
        )
        # While it runs the page reloads itself to show the progress.
        extra_context = {**(extra_context or {}), "refresh_s": 3 if running else None}
        return super().change_view(request, object_id, form_url, extra_context)
