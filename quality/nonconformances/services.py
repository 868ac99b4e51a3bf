"""Nonconformance reports: open → investigating → dispositioned → closed.

Every step writes a NonconformanceEvent and an audit entry in the same
transaction. Opening one for a lot holds the lot (unless told not to). The
disposition acts at once: scrap and return to supplier take the stock out through
the ledger, use as is frees the lot; rework keeps it held until the NCR closes.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory import services as inventory_services
from inventory.models import Location, Lot, StockBalance, StockMove
from mes import audit
from mes.errors import InvalidInput, InvalidTransition
from mes.services import save_with_code
from mes.webhooks.services import EventType, record_event
from production.models import Operation, ProductionOrder, ReasonCode

from ..holds.services import place_hold, release_holds_of
from ..models import Inspection, LotHold, Nonconformance, NonconformanceEvent

Status = Nonconformance.Status
Disposition = Nonconformance.Disposition
# What takes the stock out for each disposition that removes it.
STOCK_OUT = {
    Disposition.SCRAP: StockMove.Reason.SCRAP,
    Disposition.RETURN_TO_SUPPLIER: StockMove.Reason.SUPPLIER_RETURN,
}
EDITABLE = ("description", "investigation", "qty", "defect_code")


def _quantity(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        qty = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InvalidInput(_("Enter a number."), field="qty") from None
    if not qty.is_finite() or qty <= 0:
        raise InvalidInput(_("The quantity must be more than zero."), field="qty")
    return qty


def _source(source, lot, order, operation, inspection) -> str:
    if source:
        if source not in Nonconformance.Source.values:
            raise InvalidInput(_("Unknown source."), field="source")
        return source
    if inspection is not None:
        return Nonconformance.Source.INSPECTION
    if operation is not None:
        return Nonconformance.Source.OPERATION
    if lot is None and order is None:
        raise InvalidInput(
            _("Say what does not conform: a lot, a production order or an inspection."),
            field="lot",
        )
    return Nonconformance.Source.LOT if lot is not None else Nonconformance.Source.OPERATION


def open_nonconformance(
    *,
    actor,
    description: str,
    source: str | None = None,
    lot: Lot | None = None,
    production_order: ProductionOrder | None = None,
    operation: Operation | None = None,
    inspection: Inspection | None = None,
    qty: Decimal | str | None = None,
    defect_code: ReasonCode | None = None,
    hold_lot: bool | None = None,
    code: str | None = None,
) -> Nonconformance:
    """Open an NCR; with a lot (given, or the inspection's) it holds the lot unless
    ``hold_lot`` is False. ``code`` defaults to the next NCR-000001-style number."""
    description = (description or "").strip()
    if not description:
        raise InvalidInput(_("Describe the nonconformance."), field="description")
    if inspection is not None:
        lot = lot or inspection.lot
        production_order = production_order or inspection.production_order
        operation = operation or inspection.operation
    if operation is not None:
        production_order = production_order or operation.order
        if operation.order_id != production_order.pk:
            raise InvalidInput(_("The operation is not one of the order's."), field="seq")
    if defect_code is not None and defect_code.kind != ReasonCode.Kind.SCRAP:
        raise InvalidInput(_("Use a scrap reason as defect code."), field="defect_code")
    ncr = Nonconformance(
        code=code or "",
        source=_source(source, lot, production_order, operation, inspection),
        description=description,
        lot=lot,
        production_order=production_order,
        operation=operation,
        inspection=inspection,
        qty=_quantity(qty),
        defect_code=defect_code,
        hold_lot=lot is not None if hold_lot is None else bool(hold_lot and lot is not None),
        opened_by=actor if getattr(actor, "pk", None) else None,
    )
    with transaction.atomic():
        save_with_code(ncr, "NCR", code=code)
        audit.record_create(actor, ncr)
        _event(ncr, "", Status.OPEN, actor=actor, note=description)
        if ncr.hold_lot:
            place_hold(
                lot,
                actor=actor,
                reason=_("Nonconformance %(code)s: %(text)s")
                % {"code": ncr.code, "text": description[:200]},
                source=LotHold.Source.NONCONFORMANCE,
                nonconformance=ncr,
            )
        record_event(
            EventType.NONCONFORMANCE_OPENED,
            {
                "code": ncr.code,
                "source": ncr.source,
                "description": ncr.description,
                "lot": ncr.lot.code if ncr.lot else None,
                "item": ncr.lot.item.code if ncr.lot else None,
                "production_order": production_order.code if production_order else None,
                "seq": operation.seq if operation else None,
                "qty": ncr.qty,
                "defect_code": defect_code.code if defect_code else None,
                "lot_held": ncr.hold_lot,
                "opened_at": ncr.created_at,
            },
            site_id=production_order.site_id if production_order else None,
        )
        return ncr


def _event(ncr: Nonconformance, before: str, after: str, *, actor, note: str = "") -> None:
    NonconformanceEvent.objects.create(
        nonconformance=ncr,
        from_status=before,
        to_status=after,
        note=note or "",
        by=actor if getattr(actor, "pk", None) else None,
    )


def _lock(ncr: Nonconformance) -> Nonconformance:
    return Nonconformance.objects.select_for_update().get(pk=ncr.pk)


def _transition(ncr: Nonconformance, status: str, *, actor, note: str = "", **fields: Any) -> bool:
    """The only code that changes an NCR's status: checks the table, writes the history.

    Returns False (and changes nothing) when the NCR already has ``status``.
    """
    if ncr.status == status:
        return False
    if status not in Nonconformance.TRANSITIONS[ncr.status]:
        raise InvalidTransition(
            _("Nonconformance %(code)s is %(current)s; it cannot become %(wanted)s.")
            % {
                "code": ncr.code,
                "current": ncr.get_status_display(),
                "wanted": Status(status).label,
            }
        )
    before = audit.snapshot(ncr)
    previous = ncr.status
    ncr.status = status
    for name, value in fields.items():
        setattr(ncr, name, value)
    ncr.save()
    audit.record_update(actor, ncr, before)
    _event(ncr, previous, status, actor=actor, note=note)
    return True


def investigate(ncr: Nonconformance, *, actor, note: str = "") -> Nonconformance:
    with transaction.atomic():
        ncr = _lock(ncr)
        _transition(ncr, Status.INVESTIGATING, actor=actor, note=note)
        return ncr


def update_nonconformance(ncr: Nonconformance, *, actor, **values: Any) -> Nonconformance:
    """Change the description, investigation notes, quantity or defect code of an open NCR;
    ``disposition`` (with ``note``/``location``) applies the disposition step."""
    disposition = values.pop("disposition", None)
    note = values.pop("note", "")
    location = values.pop("location", None)
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise InvalidInput(_("This field cannot be changed."), field=sorted(unknown)[0])
    with transaction.atomic():
        ncr = _lock(ncr)
        if values:
            if ncr.status == Status.CLOSED:
                raise InvalidTransition(_("A closed nonconformance cannot be changed."))
            if "qty" in values:
                values["qty"] = _quantity(values["qty"])
            before = audit.snapshot(ncr)
            for name, value in values.items():
                setattr(ncr, name, value)
            ncr.save()
            audit.record_update(actor, ncr, before)
        if disposition:
            ncr = set_disposition(
                ncr, actor=actor, disposition=disposition, note=note, location=location
            )
        return ncr


def _stock_location(ncr: Nonconformance, location: Location | None) -> tuple[Location, Decimal]:
    """Where the NCR's stock is taken from, and how much is there."""
    balances = StockBalance.objects.filter(lot=ncr.lot, qty__gt=0).select_related("location")
    if location is not None:
        on_hand = balances.filter(location=location).aggregate(total=Sum("qty"))["total"]
        return location, on_hand or Decimal(0)
    found = list(balances)
    quarantine = [b for b in found if b.location.kind == Location.Kind.QUARANTINE]
    if len(quarantine) == 1:
        return quarantine[0].location, quarantine[0].qty
    if len(found) == 1:
        return found[0].location, found[0].qty
    raise InvalidInput(
        _("Say where the stock of lot %(lot)s is taken from: %(count)s locations hold it.")
        % {"lot": ncr.lot.code, "count": len(found)},
        field="location",
    )


def set_disposition(
    ncr: Nonconformance,
    *,
    actor,
    disposition: str,
    note: str = "",
    location: Location | None = None,
) -> Nonconformance:
    """open/investigating → dispositioned, and what the decision means for the lot."""
    if disposition not in Disposition.values:
        raise InvalidInput(
            _("Choose rework, scrap, use as is or return to supplier."), field="disposition"
        )
    with transaction.atomic():
        ncr = _lock(ncr)
        if ncr.status == Status.DISPOSITIONED and ncr.disposition == disposition:
            return ncr
        if disposition in STOCK_OUT and ncr.lot is None:
            raise InvalidInput(
                _("Scrapping or returning needs the lot the stock belongs to."), field="disposition"
            )
        changed = _transition(
            ncr,
            Status.DISPOSITIONED,
            actor=actor,
            note=note or Disposition(disposition).label,
            disposition=disposition,
            disposition_note=note or "",
        )
        if not changed:
            raise InvalidTransition(_("The disposition has been decided already."))
        if disposition in STOCK_OUT:
            where, on_hand = _stock_location(ncr, location)
            qty = ncr.qty or on_hand
            if qty <= 0:
                raise InvalidInput(
                    _("Lot %(lot)s has no stock at %(location)s.")
                    % {"lot": ncr.lot.code, "location": where.code},
                    field="location",
                )
            inventory_services.consume_stock(
                actor=actor,
                item=ncr.lot.item,
                qty=qty,
                location=where,
                lots=[(ncr.lot, qty)],
                reason=STOCK_OUT[disposition],
                reference=f"NCR {ncr.code}",
                client_ref=f"ncr:{ncr.pk}:{disposition}",
            )
        if disposition != Disposition.REWORK:
            release_holds_of(
                ncr,
                actor=actor,
                note=_("Nonconformance %(code)s: %(disposition)s.")
                % {"code": ncr.code, "disposition": Disposition(disposition).label},
            )
        return ncr


def close_nonconformance(ncr: Nonconformance, *, actor, note: str = "") -> Nonconformance:
    """dispositioned → closed; what the NCR still holds is released."""
    with transaction.atomic():
        ncr = _lock(ncr)
        if _transition(ncr, Status.CLOSED, actor=actor, note=note, closed_at=timezone.now()):
            release_holds_of(
                ncr, actor=actor, note=_("Nonconformance %(code)s closed.") % {"code": ncr.code}
            )
        return ncr
