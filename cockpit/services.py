"""Shift handovers: written at a shift's end, acknowledged by the next shift."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mes import audit
from mes.errors import AlreadyExists, InvalidInput, InvalidTransition
from production.models import Site

from .models import ShiftHandover
from .selectors import get_shift_summary, list_shifts_of_day

# A shift can be handed over from this long before its end.
HANDOVER_OPENS_BEFORE_END = timedelta(hours=1)


def hand_over_shift(
    *,
    actor,
    site: Site,
    production_day: date,
    shift_code: str,
    notes: str = "",
    now: datetime | None = None,
) -> ShiftHandover:
    """Hand over a shift of the site's calendar: its report as it stands now, kept with
    the supervisor's notes. Once per shift, from its last hour on."""
    now = now or timezone.now()
    shift = next(
        (s for s in list_shifts_of_day(site, production_day) if s.shift_code == shift_code), None
    )
    if shift is None:
        raise InvalidInput(
            _("%(site)s has no shift %(shift)s on %(day)s.")
            % {"site": site.code, "shift": shift_code, "day": production_day.isoformat()},
            field="shift_code",
        )
    if now < shift.end - HANDOVER_OPENS_BEFORE_END:
        raise InvalidTransition(
            _("A shift is handed over in its last hour or after it (this one ends at %(end)s).")
            % {"end": timezone.localtime(shift.end).strftime("%Y-%m-%d %H:%M")}
        )
    already = _("Shift %(shift)s of %(day)s is already handed over.") % {
        "shift": shift_code,
        "day": production_day.isoformat(),
    }
    with transaction.atomic():
        if ShiftHandover.objects.filter(
            site=site, production_day=production_day, shift_code=shift_code
        ).exists():
            raise AlreadyExists(already)
        handover = ShiftHandover(
            site=site,
            production_day=production_day,
            shift_code=shift_code,
            shift_start=shift.start,
            shift_end=shift.end,
            summary=get_shift_summary(site, production_day, shift_code, now=now),
            notes=notes,
            handed_over_by=actor,
            handed_over_at=now,
        )
        try:
            with transaction.atomic():
                handover.save()
        except IntegrityError as exc:  # a concurrent handover of the same shift won
            raise AlreadyExists(already) from exc
        audit.record_create(actor, handover)
        return handover


def acknowledge_handover(handover: ShiftHandover, *, actor, note: str = "") -> ShiftHandover:
    """The next shift's supervisor takes the handover over. Acknowledging again is a no-op;
    the one who wrote it, or a second person, cannot."""
    with transaction.atomic():
        handover = ShiftHandover.objects.select_for_update().get(pk=handover.pk)
        if handover.acknowledged_by_id == actor.pk:
            return handover
        if handover.is_acknowledged:
            raise InvalidTransition(
                _("This handover was already acknowledged by %(user)s.")
                % {"user": handover.acknowledged_by}
            )
        if handover.handed_over_by_id == actor.pk:
            raise InvalidTransition(
                _("The next shift acknowledges a handover, not the one who wrote it.")
            )
        before = audit.snapshot(handover)
        handover.acknowledged_by = actor
        handover.acknowledged_at = timezone.now()
        handover.acknowledgement_note = note
        handover.save(update_fields=["acknowledged_by", "acknowledged_at", "acknowledgement_note"])
        audit.record_update(actor, handover, before)
        return handover
