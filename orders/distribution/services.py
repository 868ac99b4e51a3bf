"""Allocation (reservations), shipments (pick, ship, cancel) and customer returns.

Locking order, everywhere: the sales order first, then the stock balances (the
inventory services lock those in their own fixed order). Allocating locks every
balance of the item at stock locations, so two orders reaching for the last units
of a lot are served one after the other: the second sees the first's reservation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory import services as inventory_services
from inventory.models import Item, Location, Lot, StockBalance, StockMove
from inventory.selectors import BALANCE_LOCK_ORDER, get_configured_location
from mes import audit
from mes.errors import InsufficientStock, InvalidInput, InvalidTransition
from mes.services import save_with_code
from mes.webhooks.services import EventType, record_event
from quality.holds.selectors import held_lot_ids
from quality.holds.services import place_hold, refuse_held_lots
from quality.models import LotHold
from quality.nonconformances.services import open_nonconformance

from ..models import Allocation, CustomerReturn, SalesOrder, SalesOrderLine, Shipment
from ..services import _set_status, _shipping_status
from .selectors import reserved_by_stock

ZERO = Decimal(0)
OPEN_FOR_SHIPPING = (SalesOrder.Status.OPEN, SalesOrder.Status.PARTIALLY_SHIPPED)


def _quantity(value: Any, field_name: str) -> Decimal:
    try:
        qty = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InvalidInput(_("Enter a number."), field=field_name) from None
    if not qty.is_finite() or qty <= 0:
        raise InvalidInput(_("The quantity must be more than zero."), field=field_name)
    return qty


def _lock_order(order: SalesOrder) -> SalesOrder:
    return SalesOrder.objects.select_for_update().get(pk=order.pk)


def _committed(line: SalesOrderLine) -> Decimal:
    """What is reserved or picked for the line and not shipped yet."""
    return (
        line.allocations.filter(
            status__in=[Allocation.Status.RESERVED, Allocation.Status.PICKED]
        ).aggregate(total=Sum("qty"))["total"]
        or ZERO
    )


def open_to_allocate(line: SalesOrderLine) -> Decimal:
    return max(ZERO, line.qty - line.shipped_qty - _committed(line))


# --- allocation ----------------------------------------------------------------------


@dataclass
class Candidate:
    balance: StockBalance
    available: Decimal


def _candidates(item: Item, lot: Lot | None) -> list[Candidate]:
    """The item's stock that may be allocated, locked, in FEFO/FIFO order with what is free.

    Only stock locations; never held or expired lots (a named one is refused).
    """
    balances = list(
        StockBalance.objects.select_for_update(of=("self",))
        .select_related("lot", "location")
        .filter(item=item, location__kind=Location.Kind.STOCK)
        .order_by(*BALANCE_LOCK_ORDER)
    )
    if lot is not None:
        refuse_held_lots([lot])
        if lot.expires_on and lot.expires_on < timezone.localdate():
            raise InvalidTransition(
                _("Lot %(lot)s expired on %(date)s.") % {"lot": lot.code, "date": lot.expires_on}
            )
        balances = [b for b in balances if b.lot_id == lot.pk]
    reserved = reserved_by_stock([item.pk])
    held = held_lot_ids(b.lot_id for b in balances)
    today = timezone.localdate()
    usable = [
        b
        for b in balances
        if b.lot_id not in held and not (b.lot and b.lot.expires_on and b.lot.expires_on < today)
    ]
    # FEFO where lots expire, then FIFO (oldest lot first).
    usable.sort(
        key=lambda b: (
            b.lot is None or b.lot.expires_on is None,
            b.lot.expires_on if b.lot and b.lot.expires_on else today,
            b.lot.created_at if b.lot else b.updated_at,
            b.lot_id or 0,
            b.location.code,
        )
    )
    return [
        Candidate(b, b.qty - reserved.get((b.item_id, b.lot_id, b.location_id), ZERO))
        for b in usable
    ]


def _reserve(
    line: SalesOrderLine,
    qty: Decimal,
    *,
    actor,
    lot: Lot | None = None,
    shipment: Shipment | None = None,
    partial: bool = False,
) -> list[Allocation]:
    """Reserve ``qty`` of the line's item (from ``lot`` only, if named). The caller holds
    the sales order's lock. Short: InsufficientStock, or with ``partial`` what there is."""
    candidates = _candidates(line.item, lot)
    made, remaining = [], qty
    for candidate in candidates:
        if remaining <= 0:
            break
        take = min(candidate.available, remaining)
        if take <= 0:
            continue
        if candidate.balance.lot and candidate.balance.lot.is_serial:
            take = min(take, Decimal(1))
        made.append(
            Allocation(
                sales_order_line=line,
                shipment=shipment,
                item=line.item,
                lot=candidate.balance.lot,
                location=candidate.balance.location,
                qty=take,
                created_by=actor if getattr(actor, "pk", None) else None,
            )
        )
        remaining -= take
    if remaining > 0 and not partial:
        available = qty - remaining
        raise InsufficientStock(
            _("Only %(available)s of %(item)s%(lot)s can be allocated; %(asked)s asked.")
            % {
                "available": audit.plain_decimal(available),
                "item": line.item.code,
                "lot": f" / {lot.code}" if lot else "",
                "asked": audit.plain_decimal(qty),
            }
        )
    created = Allocation.objects.bulk_create(made)
    for allocation in created:
        audit.record_create(actor, allocation)
    return created


@dataclass
class AllocationResult:
    allocations: list[Allocation] = field(default_factory=list)
    short: list[tuple[int, Decimal]] = field(default_factory=list)  # (line, quantity short)


def allocate_sales_order(
    order: SalesOrder, *, actor, lines: Sequence[Mapping[str, Any]] | None = None
) -> AllocationResult:
    """Reserve stock for the order's open lines: every line as far as stock goes, or the
    ``lines`` given ([{line, qty?, lot?}]: a named lot must cover the quantity)."""
    with transaction.atomic():
        order = _lock_order(order)
        if order.status not in OPEN_FOR_SHIPPING:
            raise InvalidTransition(
                _("Sales order %(code)s is %(status)s; nothing can be allocated to it.")
                % {"code": order.code, "status": order.get_status_display()}
            )
        by_number = {line.line: line for line in order.lines.select_related("item")}
        wanted = lines if lines is not None else [{"line": n} for n in sorted(by_number)]
        result = AllocationResult()
        for index, entry in enumerate(wanted):
            line = by_number.get(entry.get("line"))
            if line is None:
                raise InvalidInput(
                    _("The order has no line %(line)s.") % {"line": entry.get("line")},
                    field=f"lines.{index}.line",
                )
            open_qty = open_to_allocate(line)
            qty = open_qty
            if entry.get("qty") is not None:
                qty = _quantity(entry["qty"], f"lines.{index}.qty")
                if qty > open_qty:
                    raise InvalidInput(
                        _("Line %(line)s has %(open)s left to allocate.")
                        % {"line": line.line, "open": audit.plain_decimal(open_qty)},
                        field=f"lines.{index}.qty",
                    )
            if qty <= 0:
                continue
            lot = _named_lot(line.item, entry.get("lot"), f"lines.{index}.lot")
            made = _reserve(line, qty, actor=actor, lot=lot, partial=lot is None)
            result.allocations += made
            got = sum((a.qty for a in made), ZERO)
            if got < qty:
                result.short.append((line.line, qty - got))
        return result


def _named_lot(item: Item, lot: Lot | str | None, field_name: str) -> Lot | None:
    if lot is None or lot == "":
        return None
    if isinstance(lot, Lot):
        if lot.item_id != item.pk:
            raise InvalidInput(_("The lot is not a lot of the line's item."), field=field_name)
        return lot
    found = Lot.objects.filter(item=item, code=lot).first()
    if found is None:
        raise InvalidInput(
            _("%(item)s has no lot %(lot)s.") % {"item": item.code, "lot": lot}, field=field_name
        )
    return found


def cancel_allocation(allocation: Allocation, *, actor) -> Allocation:
    """Give a reservation up (not once it is picked: cancel its shipment instead)."""
    with transaction.atomic():
        _lock_order(allocation.sales_order_line.order)
        allocation = Allocation.objects.select_for_update().get(pk=allocation.pk)
        if allocation.status == Allocation.Status.CANCELLED:
            return allocation
        if allocation.status != Allocation.Status.RESERVED or allocation.shipment_id:
            raise InvalidTransition(
                _("This allocation belongs to a shipment; cancel the shipment instead.")
            )
        _set_allocation(allocation, Allocation.Status.CANCELLED, actor=actor)
        return allocation


def _set_allocation(allocation: Allocation, status: str, *, actor) -> None:
    before = audit.snapshot(allocation)
    allocation.status = status
    allocation.save(update_fields=["status", "updated_at"])
    audit.record_update(actor, allocation, before)


# --- shipments -----------------------------------------------------------------------


def _check_serial_not_shipped(lot: Lot | None) -> None:
    if lot is None or not lot.is_serial:
        return
    shipped = (
        Allocation.objects.filter(lot=lot, status=Allocation.Status.SHIPPED)
        .select_related("shipment")
        .order_by("-id")
        .first()
    )
    if shipped is not None and not shipped.returns.exists():
        raise InvalidTransition(
            _("Serial number %(serial)s has already been shipped (shipment %(shipment)s).")
            % {"serial": lot.code, "shipment": shipped.shipment.code}
        )


def create_shipment(
    *,
    actor,
    sales_order: SalesOrder,
    lines: Sequence[Mapping[str, Any]],
    code: str | None = None,
    dock: Location | None = None,
    notes: str = "",
) -> Shipment:
    """A shipment (to pick) for ``lines`` [{line, item, qty, lot?}] of the sales order.

    Each line takes the line's own reservations first (of the named lot, if any),
    then allocates the rest (FEFO/FIFO or the named lot). Short stock, a held or
    expired lot, more than the line still needs: an error and nothing written.
    """
    if not lines:
        raise InvalidInput(_("A shipment needs at least one line."), field="lines")
    dock = dock or get_configured_location("MES_SHIPPING_LOCATION")
    if dock.kind != Location.Kind.SHIPPING:
        raise InvalidInput(_("Choose a shipping location."), field="dock")
    with transaction.atomic():
        order = _lock_order(sales_order)
        if order.status not in OPEN_FOR_SHIPPING:
            raise InvalidTransition(
                _("Sales order %(code)s is %(status)s; it cannot ship.")
                % {"code": order.code, "status": order.get_status_display()}
            )
        shipment = Shipment(
            sales_order=order,
            dock=dock,
            notes=notes or "",
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        save_with_code(shipment, "SHP", code=code)
        audit.record_create(actor, shipment)
        by_number = {line.line: line for line in order.lines.select_related("item")}
        for index, entry in enumerate(lines):
            _add_line(shipment, by_number, entry, index, actor=actor)
        return shipment


def _add_line(shipment: Shipment, by_number, entry: Mapping[str, Any], index: int, *, actor):
    prefix = f"lines.{index}"
    line = by_number.get(entry.get("line"))
    if line is None:
        raise InvalidInput(
            _("The order has no line %(line)s.") % {"line": entry.get("line")},
            field=f"{prefix}.line",
        )
    item = entry.get("item")
    item_code = item.code if isinstance(item, Item) else item
    if item_code and item_code != line.item.code:
        raise InvalidInput(
            _("Line %(line)s is for %(item)s.") % {"line": line.line, "item": line.item.code},
            field=f"{prefix}.item",
        )
    qty = _quantity(entry.get("qty"), f"{prefix}.qty")
    lot = _named_lot(line.item, entry.get("lot"), f"{prefix}.lot")
    _check_serial_not_shipped(lot)
    adoptable = line.allocations.select_for_update().filter(
        status=Allocation.Status.RESERVED, shipment__isnull=True
    )
    if lot is not None:
        adoptable = adoptable.filter(lot=lot)
    own = sum((a.qty for a in adoptable), ZERO)
    still_open = line.qty - line.shipped_qty - _committed(line) + own
    if qty > still_open:
        raise InvalidInput(
            _("Line %(line)s has %(open)s left to ship.")
            % {"line": line.line, "open": audit.plain_decimal(max(still_open, ZERO))},
            field=f"{prefix}.qty",
        )
    remaining = qty
    for allocation in adoptable.order_by("id"):
        if remaining <= 0:
            break
        refuse_held_lots([allocation.lot])
        before = audit.snapshot(allocation)
        if allocation.qty > remaining:
            # Split: the rest stays reserved for the line.
            Allocation.objects.create(
                sales_order_line=line,
                item=allocation.item,
                lot=allocation.lot,
                location=allocation.location,
                qty=allocation.qty - remaining,
                created_by=allocation.created_by,
            )
            allocation.qty = remaining
        allocation.shipment = shipment
        allocation.save(update_fields=["qty", "shipment", "updated_at"])
        audit.record_update(actor, allocation, before)
        remaining -= allocation.qty
    if remaining > 0:
        _reserve(line, remaining, actor=actor, lot=lot, shipment=shipment)


def _lock_shipment(shipment: Shipment) -> Shipment:
    _lock_order(shipment.sales_order)
    return Shipment.objects.select_for_update().get(pk=shipment.pk)


def _transition(shipment: Shipment, status: str, *, actor, **fields: Any) -> bool:
    """The only code that changes a shipment's status; False when it already has it."""
    if shipment.status == status:
        return False
    if status not in Shipment.TRANSITIONS[shipment.status]:
        raise InvalidTransition(
            _("Shipment %(code)s is %(current)s; it cannot become %(wanted)s.")
            % {
                "code": shipment.code,
                "current": shipment.get_status_display(),
                "wanted": Shipment.Status(status).label,
            }
        )
    before = audit.snapshot(shipment)
    shipment.status = status
    for name, value in fields.items():
        setattr(shipment, name, value)
    shipment.save()
    audit.record_update(actor, shipment, before)
    return True


def _lines(shipment: Shipment, status: str) -> list[Allocation]:
    return list(
        shipment.lines.select_for_update(of=("self",))
        .select_related("lot", "item", "location")
        .filter(status=status)
        .order_by("id")
    )


def _move_line(line: Allocation, source: Location, target: Location, *, step: str, actor) -> None:
    """Move a shipment line's goods (once per line and step, however often retried)."""
    inventory_services.transfer_stock(
        actor=actor,
        item=line.item,
        qty=line.qty,
        lot=line.lot,
        from_location=source,
        to_location=target,
        reference=f"shipment {line.shipment.code} ({step})",
        client_ref=f"shipment-line:{line.pk}:{step}",
    )


def pick_shipment(shipment: Shipment, *, actor) -> Shipment:
    """draft → picked: every line moves from its location to the shipping dock."""
    with transaction.atomic():
        shipment = _lock_shipment(shipment)
        if shipment.status == Shipment.Status.PICKED:
            return shipment
        lines = _lines(shipment, Allocation.Status.RESERVED)
        refuse_held_lots(line.lot for line in lines)
        _transition(shipment, Shipment.Status.PICKED, actor=actor, picked_at=timezone.now())
        for line in lines:
            _move_line(line, line.location, shipment.dock, step="pick", actor=actor)
            _set_allocation(line, Allocation.Status.PICKED, actor=actor)
        return shipment


def ship_shipment(shipment: Shipment, *, actor) -> Shipment:
    """picked → shipped (a draft is picked first): the goods leave stock, the sales-order
    lines count them as shipped and the order's status follows."""
    with transaction.atomic():
        shipment = _lock_shipment(shipment)
        if shipment.status == Shipment.Status.SHIPPED:
            return shipment
        if shipment.status == Shipment.Status.DRAFT:
            pick_shipment(shipment, actor=actor)
            shipment.refresh_from_db()
        lines = _lines(shipment, Allocation.Status.PICKED)
        refuse_held_lots(line.lot for line in lines)
        for line in lines:
            _check_serial_not_shipped(line.lot)
        _transition(shipment, Shipment.Status.SHIPPED, actor=actor, shipped_at=timezone.now())
        shipped: dict[int, Decimal] = {}
        for line in lines:
            inventory_services.consume_stock(
                actor=actor,
                item=line.item,
                qty=line.qty,
                location=shipment.dock,
                lots=[(line.lot, line.qty)] if line.lot_id else None,
                reason=StockMove.Reason.SHIPMENT,
                reference=f"shipment {shipment.code}",
                client_ref=f"shipment-line:{line.pk}:ship",
            )
            _set_allocation(line, Allocation.Status.SHIPPED, actor=actor)
            shipped[line.sales_order_line_id] = (
                shipped.get(line.sales_order_line_id, ZERO) + line.qty
            )
        order = shipment.sales_order
        order_lines = list(order.lines.all())
        for order_line in order_lines:
            if order_line.pk in shipped:
                before = audit.snapshot(order_line)
                order_line.shipped_qty += shipped[order_line.pk]
                order_line.save(update_fields=["shipped_qty"])
                audit.record_update(actor, order_line, before)
        _set_status(order, _shipping_status(order_lines), actor=actor)
        record_event(
            EventType.SHIPMENT_SHIPPED,
            {
                "code": shipment.code,
                "sales_order": order.code,
                "customer": order.customer.code,
                "shipped_at": shipment.shipped_at,
                "lines": [
                    {
                        "line": line.sales_order_line.line,
                        "item": line.item.code,
                        "qty": line.qty,
                        "lot": line.lot.code if line.lot_id else None,
                    }
                    for line in lines
                ],
            },
            site_id=shipment.dock.site_id,
        )
        return shipment


def cancel_shipment(shipment: Shipment, *, actor) -> Shipment:
    """draft or picked → cancelled: picked goods go back where they came from and the
    reservations are given up."""
    with transaction.atomic():
        shipment = _lock_shipment(shipment)
        if shipment.status == Shipment.Status.CANCELLED:
            return shipment
        picked = _lines(shipment, Allocation.Status.PICKED)
        reserved = _lines(shipment, Allocation.Status.RESERVED)
        _transition(shipment, Shipment.Status.CANCELLED, actor=actor)
        for line in picked:
            _move_line(line, shipment.dock, line.location, step="unpick", actor=actor)
        for line in picked + reserved:
            _set_allocation(line, Allocation.Status.CANCELLED, actor=actor)
        return shipment


# --- customer returns ----------------------------------------------------------------


def receive_customer_return(
    *,
    actor,
    shipment: Shipment,
    item: Item,
    qty: Decimal | str,
    reason: str,
    lot: Lot | str | None = None,
    location: Location | None = None,
    open_ncr: bool = True,
    code: str | None = None,
) -> CustomerReturn:
    """Goods back from the customer of ``shipment``, into quarantine, held, with an NCR.

    The item (and lot) must have left on that shipment, and no more can come back
    than went out less what was returned already.
    """
    qty = _quantity(qty, "qty")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Say why the goods came back."), field="reason")
    location = location or get_configured_location("MES_QUARANTINE_LOCATION")
    if location.kind != Location.Kind.QUARANTINE:
        raise InvalidInput(_("Returns go into a quarantine location."), field="location")
    lot = _named_lot(item, lot, "lot")
    if item.tracking != Item.Tracking.NONE and lot is None:
        raise InvalidInput(_("Name the lot or serial number that came back."), field="lot")
    with transaction.atomic():
        shipment = _lock_shipment(shipment)
        shipped = shipment.lines.filter(status=Allocation.Status.SHIPPED, item=item)
        if lot is not None:
            shipped = shipped.filter(lot=lot)
        shipped = list(shipped.order_by("id"))
        if shipment.status != Shipment.Status.SHIPPED or not shipped:
            raise InvalidInput(
                _("%(what)s was not shipped to %(customer)s on shipment %(shipment)s.")
                % {
                    "what": f"{item.code} / {lot.code}" if lot else item.code,
                    "customer": shipment.sales_order.customer.code,
                    "shipment": shipment.code,
                },
                field="lot" if lot else "item",
            )
        sent = sum((line.qty for line in shipped), ZERO)
        back = (
            CustomerReturn.objects.filter(allocation__in=shipped).aggregate(total=Sum("qty"))[
                "total"
            ]
            or ZERO
        )
        if qty > sent - back:
            raise InvalidInput(
                _("Only %(left)s of what was shipped can still come back.")
                % {"left": audit.plain_decimal(sent - back)},
                field="qty",
            )
        returned = CustomerReturn(
            shipment=shipment,
            allocation=shipped[0],
            item=item,
            lot=lot,
            qty=qty,
            location=location,
            reason=reason,
            received_by=actor if getattr(actor, "pk", None) else None,
        )
        save_with_code(returned, "RET", code=code)
        serial = item.tracking == Item.Tracking.SERIAL
        inventory_services.receive_stock(
            actor=actor,
            item=item,
            qty=qty,
            location=location,
            lot_code=None if serial or lot is None else lot.code,
            serials=[lot.code] if serial else None,
            reason=StockMove.Reason.RETURN,
            reference=f"return {returned.code} (shipment {shipment.code})",
            client_ref=f"customer-return:{returned.code}",
        )
        if lot is not None:
            place_hold(
                lot,
                actor=actor,
                reason=_("Returned by %(customer)s (%(code)s): %(reason)s")
                % {
                    "customer": shipment.sales_order.customer.code,
                    "code": returned.code,
                    "reason": reason[:200],
                },
                source=LotHold.Source.CUSTOMER_RETURN,
            )
        if open_ncr:
            returned.nonconformance = open_nonconformance(
                actor=actor,
                description=_("Customer return %(code)s from %(customer)s: %(reason)s")
                % {
                    "code": returned.code,
                    "customer": shipment.sales_order.customer.code,
                    "reason": reason,
                },
                source="customer_return",
                lot=lot,
                qty=qty,
            )
            returned.save(update_fields=["nonconformance"])
        audit.record_create(actor, returned)
        return returned
