"""Placing and releasing lot holds.

A held lot cannot be allocated, picked, shipped or consumed: those services call
``refuse_held_lots`` while they hold their stock locks. Holds are rows, not a
flag, so a lot held by an NCR and by hand stays held until both are released.
Releasing needs the ``quality.release_lothold`` permission and is audited.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.models import Lot
from mes import audit
from mes.errors import InvalidInput, LotOnHold, NotPermitted

from ..models import Inspection, LotHold, Nonconformance
from .selectors import held_lot_ids

RELEASE_PERMISSION = "quality.release_lothold"


def place_hold(
    lot: Lot,
    *,
    actor,
    reason: str,
    source: str = LotHold.Source.MANUAL,
    nonconformance: Nonconformance | None = None,
    inspection: Inspection | None = None,
) -> LotHold:
    """Put ``lot`` on hold. An NCR holds a lot once: placing its hold again returns it."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Say why the lot is held."), field="reason")
    if source not in LotHold.Source.values:
        raise InvalidInput(_("Unknown hold source."), field="source")
    with transaction.atomic():
        # Lock the lot: holds of one lot are placed and released one at a time.
        Lot.objects.select_for_update(no_key=True).filter(pk=lot.pk).first()
        if nonconformance is not None:
            existing = LotHold.objects.filter(
                lot=lot, nonconformance=nonconformance, released_at__isnull=True
            ).first()
            if existing is not None:
                return existing
        hold = LotHold.objects.create(
            lot=lot,
            source=source,
            reason=reason,
            nonconformance=nonconformance,
            inspection=inspection,
            placed_by=actor if getattr(actor, "pk", None) else None,
        )
        audit.record_create(actor, hold)
        return hold


def release_hold(hold: LotHold, *, actor, note: str, check_permission: bool = True) -> LotHold:
    """Release one hold, with a note. Needs ``quality.release_lothold``.

    ``check_permission=False`` is for the system's own releases (an NCR closed with
    a disposition that frees the lot): the NCR step itself was permission-checked.
    Releasing a released hold again is a no-op.
    """
    if check_permission and not (actor is not None and actor.has_perm(RELEASE_PERMISSION)):
        raise NotPermitted(_("Releasing a lot hold needs the permission to release holds."))
    note = (note or "").strip()
    if not note:
        raise InvalidInput(_("Say why the hold is released."), field="note")
    with transaction.atomic():
        hold = LotHold.objects.select_for_update().get(pk=hold.pk)
        if hold.released_at is not None:
            return hold
        before = audit.snapshot(hold)
        hold.released_at = timezone.now()
        hold.released_by = actor if getattr(actor, "pk", None) else None
        hold.release_note = note
        hold.save(update_fields=["released_at", "released_by", "release_note"])
        audit.record_update(actor, hold, before)
        return hold


def release_holds_of(nonconformance: Nonconformance, *, actor, note: str) -> list[LotHold]:
    """Release every active hold an NCR placed (its own step was permission-checked)."""
    holds = list(LotHold.objects.filter(nonconformance=nonconformance, released_at__isnull=True))
    return [release_hold(hold, actor=actor, note=note, check_permission=False) for hold in holds]


def refuse_held_lots(lots: Iterable[Lot | None]) -> None:
    """Raise LotOnHold naming the held lots among ``lots`` (one query)."""
    by_id = {lot.pk: lot for lot in lots if lot is not None}
    held = held_lot_ids(by_id)
    if held:
        names = ", ".join(sorted(str(by_id[lot_id]) for lot_id in held))
        raise LotOnHold(
            _("On hold: %(lots)s. A held lot cannot be allocated, picked, shipped or used.")
            % {"lots": names}
        )
