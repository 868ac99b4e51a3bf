"""Django admin for shift calendars (imported by production/admin.py).

A pattern is written whole by ``set_shift_pattern``, so the pattern admin (shifts
inline) and the shift admin (breaks inline) save nothing themselves: both
override ``save_model`` to do nothing and ``save_related`` to send the whole
pattern, as edited, through the service. A domain error rolls the request back
and is shown as a message (ServiceModelAdmin).

"Preview working windows" (an action on patterns and on calendar assignments)
shows the next 7 days of working time as a table in the plant's local time.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import admin
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mes.admin import ServiceModelAdmin

from ..models import (
    CalendarAssignment,
    Holiday,
    PlannedStop,
    ShiftBreak,
    ShiftDefinition,
    ShiftPattern,
)
from . import selectors, services
from .windows import Window, mask_from_weekdays, weekdays_from_mask

PREVIEW_DAYS = 7
SHIFT_FIELDS = ("code", "name", "weekdays", "start", "end", "ordering")

PREVIEW_TEMPLATE = "admin/production/working_windows.html"


class ShiftDefinitionForm(forms.ModelForm):
    """Shows the weekday bitmask as one checkbox per day."""

    weekdays = forms.TypedMultipleChoiceField(
        label=gettext_lazy("starts on"),
        choices=sorted(WEEKDAYS_ABBR.items()),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = ShiftDefinition
        fields = SHIFT_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["weekdays"] = sorted(self.instance.weekday_set)

    def clean_weekdays(self) -> int:
        return mask_from_weekdays(self.cleaned_data["weekdays"])

    def shift_values(self) -> dict:
        """The form's shift in the form ``set_shift_pattern`` takes it (breaks apart)."""
        values = {name: self.cleaned_data[name] for name in SHIFT_FIELDS}
        values["weekdays"] = sorted(weekdays_from_mask(self.cleaned_data["weekdays"]))
        return values


class SavedAsWholePatternAdmin(ServiceModelAdmin):
    """Saves by sending the whole pattern through ``set_shift_pattern`` (see module doc)."""

    def save_model(self, request, obj, form, change):
        pass  # written in save_related, once the inline forms are known

    def pattern_arguments(self, form, formsets) -> dict:
        raise NotImplementedError

    def save_related(self, request, form, formsets, change):
        pattern = services.set_shift_pattern(
            actor=request.user, **self.pattern_arguments(form, formsets)
        )
        if isinstance(form.instance, ShiftPattern):
            form.instance.pk = pattern.pk
            form.instance._state.adding = False

    def construct_change_message(self, request, form, formsets, add=False):
        # The inline formsets were never saved (the service wrote their rows).
        return super().construct_change_message(request, form, [], add)


def _kept_forms(formset) -> Iterable[forms.ModelForm]:
    for inline_form in formset.forms:
        if inline_form.cleaned_data.get("DELETE") or not inline_form.cleaned_data:
            continue
        yield inline_form


class ShiftDefinitionInline(admin.TabularInline):
    model = ShiftDefinition
    form = ShiftDefinitionForm
    extra = 0
    show_change_link = True  # breaks are edited on the shift's own page


@admin.register(ShiftPattern)
class ShiftPatternAdmin(SavedAsWholePatternAdmin):
    list_display = ("code", "name", "site", "updated_at")
    list_filter = ("site",)
    search_fields = ("code", "name")
    inlines = (ShiftDefinitionInline,)
    actions = ["preview_working_windows"]

    def get_readonly_fields(self, request, obj=None):
        return ("code",) if obj else ()  # the code names the pattern the service replaces

    def pattern_arguments(self, form, formsets) -> dict:
        shifts = []
        for inline_form in _kept_forms(formsets[0]):
            breaks = (
                ShiftBreak.objects.filter(shift_id=inline_form.instance.pk)
                if inline_form.instance.pk
                else []
            )
            shifts.append(
                {
                    **inline_form.shift_values(),
                    "breaks": [{"name": b.name, "start": b.start, "end": b.end} for b in breaks],
                }
            )
        pattern = form.instance
        return {"code": pattern.code, "name": pattern.name, "site": pattern.site, "shifts": shifts}

    @admin.action(description=gettext_lazy("Preview working windows for the next 7 days"))
    def preview_working_windows(self, request, queryset):
        start = timezone.now()
        end = start + timedelta(days=PREVIEW_DAYS)
        sections = [
            _preview_section(
                str(pattern),
                _("This pattern alone, without holidays or planned stops."),
                selectors.get_pattern_windows(pattern, start=start, end=end),
                pattern.site.time_zone,
            )
            for pattern in queryset.select_related("site")
        ]
        return _preview_response(request, self, sections)


class ShiftBreakInline(admin.TabularInline):
    model = ShiftBreak
    extra = 1
    fields = ("name", "start", "end")


@admin.register(ShiftDefinition)
class ShiftDefinitionAdmin(SavedAsWholePatternAdmin):
    """A shift's own page, to edit its breaks; shifts are added and removed on the pattern."""

    form = ShiftDefinitionForm
    list_display = ("pattern", "code", "name", "start", "end")
    list_filter = ("pattern",)
    readonly_fields = ("pattern",)
    fields = ("pattern", "code", "name", "weekdays", "start", "end", "ordering")
    inlines = (ShiftBreakInline,)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def pattern_arguments(self, form, formsets) -> dict:
        shift = form.instance
        original_code = ShiftDefinition.objects.values_list("code", flat=True).get(pk=shift.pk)
        edited = {
            **form.shift_values(),
            "breaks": [
                {name: f.cleaned_data[name] for name in ("name", "start", "end")}
                for f in _kept_forms(formsets[0])
            ],
        }
        pattern = shift.pattern
        shifts = [
            edited if other["code"] == original_code else other
            for other in selectors.list_pattern_shifts(pattern)
        ]
        return {"code": pattern.code, "name": pattern.name, "site": pattern.site, "shifts": shifts}


@admin.register(CalendarAssignment)
class CalendarAssignmentAdmin(ServiceModelAdmin):
    list_display = ("__str__", "pattern", "site", "work_center", "valid_from")
    list_filter = ("site", "pattern")
    list_select_related = ("pattern", "site", "work_center")
    create_service = services.assign_calendar
    update_service = services.update_calendar_assignment
    actions = ["preview_working_windows"]

    @admin.action(description=gettext_lazy("Preview working windows for the next 7 days"))
    def preview_working_windows(self, request, queryset):
        start = timezone.now()
        end = start + timedelta(days=PREVIEW_DAYS)
        sections = []
        for assignment in queryset.select_related("site", "work_center__area__site"):
            target = assignment.work_center or assignment.site
            site = assignment.site or assignment.work_center.area.site
            sections.append(
                _preview_section(
                    str(target),
                    _("The calendar in force, with holidays and planned stops."),
                    selectors.get_working_windows(
                        site=assignment.site,
                        work_center=assignment.work_center,
                        start=start,
                        end=end,
                    ),
                    site.time_zone,
                )
            )
        return _preview_response(request, self, sections)


@admin.register(Holiday)
class HolidayAdmin(ServiceModelAdmin):
    list_display = ("date", "name", "site")
    list_filter = ("site",)
    date_hierarchy = "date"
    create_service = services.add_holiday
    update_service = services.update_holiday


@admin.register(PlannedStop)
class PlannedStopAdmin(ServiceModelAdmin):
    list_display = ("start", "end", "site", "work_center", "reason")
    list_filter = ("site",)
    list_select_related = ("site", "work_center")
    date_hierarchy = "start"
    create_service = services.add_planned_stop
    update_service = services.update_planned_stop


def _preview_section(title: str, note: str, windows: list[Window], zone_name: str) -> dict:
    zone = ZoneInfo(zone_name)
    rows = [
        (
            w.production_day.isoformat(),
            w.shift_code,
            f"{w.start.astimezone(zone):%Y-%m-%d %H:%M}",
            f"{w.end.astimezone(zone):%Y-%m-%d %H:%M}",
            _format_hours(w.seconds),
        )
        for w in windows
    ]
    total = _("Working time: %(hours)s h (times in %(zone)s)") % {
        "hours": _format_hours(sum(w.seconds for w in windows)),
        "zone": zone_name,
    }
    return {"title": title, "note": note, "rows": rows, "total": total}


def _format_hours(seconds: float) -> str:
    return f"{seconds / 3600:.2f}"


def _preview_response(request, model_admin: admin.ModelAdmin, sections: list[dict]):
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Working windows, next %(days)d days") % {"days": PREVIEW_DAYS},
        "opts": model_admin.opts,
        "sections": sections,
        "headers": [_("production day"), _("shift"), _("from"), _("to"), _("hours")],
        "empty": _("No working time."),
    }
    return TemplateResponse(request, PREVIEW_TEMPLATE, context)
