"""Schedules in the admin: start a run, watch its progress, compare it with the published
schedule, look at its Gantt chart (a day or a week), publish or cancel it."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from mes.admin import form_page
from mes.errors import DomainError

from ..models import Schedule, Site
from . import selectors, services
from .gantt import gantt_svg

REFRESH_S = 2
ZOOMS = {
    "day": (timedelta(days=1), timedelta(hours=2)),
    "week": (timedelta(days=7), timedelta(days=1)),
}


class StartForm(forms.Form):
    site = forms.ModelChoiceField(Site.objects.all(), label=_("site"))
    objective = forms.ChoiceField(
        label=_("objective"), choices=Schedule.Objective.choices, initial="tardiness"
    )
    time_limit_s = forms.IntegerField(
        label=_("time limit (s)"),
        min_value=1,
        max_value=settings.MES_SCHEDULE_MAX_TIME_LIMIT_S,
        initial=settings.MES_SCHEDULE_TIME_LIMIT_S,
        help_text=_("How long the solver may search for a better schedule."),
    )


class GanttForm(forms.Form):
    zoom = forms.ChoiceField(
        label=_("zoom"),
        choices=[("day", _("day")), ("week", _("week"))],
        required=False,
    )
    day = forms.DateField(
        label=_("from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


@admin.register(Schedule)
class ScheduleAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "site",
        "objective",
        "status",
        "progress_bar",
        "tardy_orders",
        "makespan_end",
        "created_at",
        "requested_by",
    )
    list_filter = ("status", "site", "objective")
    list_select_related = ("site", "requested_by")

    @admin.display(description=_("progress"))
    def progress_bar(self, obj: Schedule):
        return format_html(
            '<progress max="100" value="{}" style="width:10em"></progress> {} %',
            obj.progress,
            obj.progress,
        )

    def has_change_permission(self, request, obj=None):
        return False  # a version is never edited; it is published or cancelled

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        mine = [
            path(
                "<int:object_id>/publish/",
                self.admin_site.admin_view(self.publish_view),
                name="production_schedule_publish",
            ),
            path(
                "<int:object_id>/cancel/",
                self.admin_site.admin_view(self.cancel_view),
                name="production_schedule_cancel",
            ),
        ]
        return mine + super().get_urls()

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = StartForm(request.POST or None, initial={"site": Site.objects.first()})
        if request.method == "POST" and form.is_valid():
            try:
                schedule = services.start_schedule(actor=request.user, **form.cleaned_data)
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, gettext("The schedule run is queued."))
                return HttpResponseRedirect(
                    reverse("admin:production_schedule_change", args=[schedule.pk])
                )
        return form_page(
            request,
            self.admin_site,
            title=gettext("Start a schedule"),
            opts=self.opts,
            form=form,
            submit_label=gettext("Start"),
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        schedule = get_object_or_404(selectors.list_schedules(), pk=object_id)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": str(schedule),
            "schedule": schedule,
            "refresh_s": REFRESH_S if schedule.is_active else None,
            "can_change": request.user.has_perm("production.change_schedule"),
            "comparison": selectors.compare(schedule),
        }
        if schedule.status in (
            Schedule.Status.DONE,
            Schedule.Status.PUBLISHED,
            Schedule.Status.SUPERSEDED,
        ):
            context |= _gantt(schedule, GanttForm(request.GET or None))
        return TemplateResponse(request, "production/schedule.html", context)

    def publish_view(self, request, object_id: int):
        return self._command(request, object_id, services.publish_schedule, _("Published."))

    def cancel_view(self, request, object_id: int):
        return self._command(request, object_id, services.cancel_schedule, _("Cancelled."))

    def _command(self, request, object_id: int, service, done: str):
        if request.method != "POST" or not request.user.has_perm("production.change_schedule"):
            raise PermissionDenied
        schedule = get_object_or_404(Schedule, pk=object_id)
        try:
            service(schedule, actor=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, done)
        return HttpResponseRedirect(reverse("admin:production_schedule_change", args=[object_id]))


def _gantt(schedule: Schedule, form: GanttForm) -> dict:
    zone = ZoneInfo(schedule.site.time_zone)
    chosen = form.cleaned_data if form.is_valid() else {}
    zoom = chosen.get("zoom") or "day"
    length, tick = ZOOMS[zoom]
    first = timezone.localtime(schedule.origin or timezone.now(), zone).date()
    day: date = chosen.get("day") or first
    start = datetime.combine(day, time(0), zone)
    end = start + length
    data = selectors.gantt_data(schedule, start, end)
    clock = (
        (lambda m: f"{m.astimezone(zone):%H:%M}")
        if zoom == "day"
        else (lambda m: f"{m.astimezone(zone):%m-%d}")
    )
    svg = gantt_svg(
        data.rows,
        start=start,
        end=end,
        working=data.working,
        dues=data.dues,
        clock=clock,
        tick=tick,
        texts={
            "title": gettext("Schedule %(id)s from %(day)s") % {"id": schedule.pk, "day": day},
            "no_data": gettext("No machines at this site."),
            "due": gettext("due"),
            "late": gettext("late order"),
            "non_working": gettext("not working"),
        },
    )
    return {
        "gantt": svg,
        "gantt_form": form,
        "zoom": zoom,
        "previous_day": (day - length).isoformat(),
        "next_day": (day + length).isoformat(),
    }
