"""Shift calendars: weekly shift patterns, where they apply, holidays, planned stops.

The arithmetic lives in production/calendars/windows.py; writes go through
production/calendars/services.py.
"""

__all__ = [
    "CalendarAssignment",
    "Holiday",
    "PlannedStop",
    "ShiftBreak",
    "ShiftDefinition",
    "ShiftPattern",
]

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from mes.models import CodeField, TimeStampedModel, code_check, code_validator
from production.calendars.windows import weekdays_from_mask

from .plant import Site, WorkCenter

ALL_WEEKDAYS_MASK = 0b1111111


class ShiftPattern(TimeStampedModel):
    """A week of shifts in the plant-local time of its site."""

    permission_area = "master_data"

    code = CodeField()
    name = models.CharField(_("name"), max_length=200)
    site = models.ForeignKey(
        Site, verbose_name=_("site"), on_delete=models.PROTECT, related_name="shift_patterns"
    )

    class Meta:
        verbose_name = _("shift pattern")
        verbose_name_plural = _("shift patterns")
        ordering = ["code"]
        constraints = [code_check("shiftpattern")]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"


class ShiftDefinition(TimeStampedModel):
    """One shift of a pattern; ``end <= start`` means it ends the next day."""

    permission_area = "master_data"

    pattern = models.ForeignKey(
        ShiftPattern,
        verbose_name=_("shift pattern"),
        on_delete=models.CASCADE,
        related_name="shifts",
    )
    code = models.CharField(_("code"), max_length=64, validators=[code_validator])
    name = models.CharField(_("name"), max_length=200)
    weekdays = models.PositiveSmallIntegerField(
        _("weekdays"),
        help_text=_("Days the shift starts on: bit 0 = Monday … bit 6 = Sunday."),
    )
    start = models.TimeField(_("start"))
    end = models.TimeField(_("end"), help_text=_("At or before the start: ends the next day."))
    ordering = models.PositiveSmallIntegerField(_("ordering"), default=0)

    class Meta:
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")
        ordering = ["pattern_id", "ordering", "start"]
        constraints = [
            code_check("shiftdefinition"),
            models.UniqueConstraint(
                fields=["pattern", "code"], name="shiftdefinition_code_per_pattern"
            ),
            models.CheckConstraint(
                condition=Q(weekdays__gte=1, weekdays__lte=ALL_WEEKDAYS_MASK),
                name="shiftdefinition_weekdays_mask",
            ),
            models.CheckConstraint(condition=~Q(start=F("end")), name="shiftdefinition_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"

    @property
    def weekday_set(self) -> frozenset[int]:
        return weekdays_from_mask(self.weekdays)


class ShiftBreak(models.Model):
    """Time inside a shift that is not working time (may cross midnight)."""

    permission_area = "master_data"

    shift = models.ForeignKey(
        ShiftDefinition, verbose_name=_("shift"), on_delete=models.CASCADE, related_name="breaks"
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    start = models.TimeField(_("start"))
    end = models.TimeField(_("end"))

    class Meta:
        verbose_name = _("break")
        verbose_name_plural = _("breaks")
        ordering = ["shift_id", "start"]
        constraints = [
            models.CheckConstraint(condition=~Q(start=F("end")), name="shiftbreak_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.start:%H:%M}-{self.end:%H:%M}"


class CalendarAssignment(TimeStampedModel):
    """A pattern in force for a site (its default) or one work center (an override).

    From ``valid_from`` (a production day) until the next assignment of the same
    target. A work center with an assignment in force uses it; otherwise its
    site's (work center → area → site).
    """

    permission_area = "master_data"

    pattern = models.ForeignKey(
        ShiftPattern,
        verbose_name=_("shift pattern"),
        on_delete=models.PROTECT,
        related_name="assignments",
    )
    site = models.ForeignKey(
        Site,
        verbose_name=_("site"),
        on_delete=models.CASCADE,
        related_name="calendar_assignments",
        null=True,
        blank=True,
    )
    work_center = models.ForeignKey(
        WorkCenter,
        verbose_name=_("work center"),
        on_delete=models.CASCADE,
        related_name="calendar_assignments",
        null=True,
        blank=True,
    )
    valid_from = models.DateField(_("valid from"))

    class Meta:
        verbose_name = _("calendar assignment")
        verbose_name_plural = _("calendar assignments")
        ordering = ["-valid_from", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(site__isnull=False, work_center__isnull=True)
                | Q(site__isnull=True, work_center__isnull=False),
                name="calendarassignment_one_target",
            ),
            models.UniqueConstraint(
                fields=["site", "valid_from"],
                condition=Q(site__isnull=False),
                name="calendarassignment_site_day",
            ),
            models.UniqueConstraint(
                fields=["work_center", "valid_from"],
                condition=Q(work_center__isnull=False),
                name="calendarassignment_work_center_day",
            ),
        ]

    def __str__(self) -> str:
        target = self.work_center if self.work_center_id else self.site
        return f"{target}: {self.pattern.code} ≥ {self.valid_from}"


class Holiday(TimeStampedModel):
    """A day of a site on which no shift starts."""

    permission_area = "master_data"

    site = models.ForeignKey(
        Site, verbose_name=_("site"), on_delete=models.CASCADE, related_name="holidays"
    )
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["date", "site_id"]
        constraints = [
            models.UniqueConstraint(fields=["site", "date"], name="holiday_one_per_site_day"),
        ]

    def __str__(self) -> str:
        return f"{self.date} · {self.name}"


class PlannedStop(TimeStampedModel):
    """Time taken out of the calendar: of one work center, or of the whole site."""

    permission_area = "master_data"

    site = models.ForeignKey(
        Site, verbose_name=_("site"), on_delete=models.CASCADE, related_name="planned_stops"
    )
    work_center = models.ForeignKey(
        WorkCenter,
        verbose_name=_("work center"),
        on_delete=models.CASCADE,
        related_name="planned_stops",
        null=True,
        blank=True,
        help_text=_("Empty: the whole site stops."),
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("planned stop")
        verbose_name_plural = _("planned stops")
        ordering = ["-start"]
        indexes = [models.Index(fields=["site", "start"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")), name="plannedstop_end_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.start:%Y-%m-%d %H:%M} - {self.end:%Y-%m-%d %H:%M} {self.reason}"
