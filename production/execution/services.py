"""Production orders and their execution; every business operation is one short transaction.

Locking: a service that changes an order or its operations locks the order row
first, then the operation row, never the other way round. All writes to one
order's operations are therefore serialised by the order's lock, which is what
makes "check the report bound, then add" safe.

State machines: ``ProductionOrder.TRANSITIONS`` and ``Operation.TRANSITIONS``.
``_set_order_status`` is the only code that assigns an order's status (audited);
``_transition`` the only code that assigns an operation's status, and it writes
the OperationEvent. Asking for the state something already has is a no-op
(shop-floor retries); any other move the tables do not allow is InvalidTransition.

Materials: components are issued where the order starts, i.e. every report on
the FIRST operation consumes the BOM's ``qty_per × (good + scrap)`` of each
component (the lots the operator names, else FIFO) from the order's issue
location. Every report on the LAST operation receives its good quantity into the
receipt location as the output lot, and the genealogy links every lot the order
has consumed to every lot it has produced.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory import selectors as inventory_selectors
from inventory import services as inventory_services
from inventory.models import Item, Lot, StockMove
from mes import audit
from mes.errors import (
    AlreadyExists,
    InspectionRequired,
    InvalidInput,
    InvalidTransition,
    MachineBusy,
    QuantityExceeded,
)
from mes.models import QTY_DECIMAL_PLACES
from mes.services import create_record, delete_record, update_record
from mes.webhooks.services import EventType, record_event
from quality.holds.selectors import held_lot_ids_of_item
from quality.holds.services import refuse_held_lots
from quality.inspections.selectors import missing_inspections

from ..models import (
    LabourRecord,
    LotGenealogy,
    Machine,
    Operation,
    OperationEvent,
    ProductionOrder,
    ReasonCode,
    Site,
)
from ..oee.rollup import mark_stale
from ..selectors import get_active_routing, only_site
from .selectors import Shortage, material_shortages

OrderStatus = ProductionOrder.Status
OperationStatus = Operation.Status
Kind = OperationEvent.Kind

QTY_STEP = Decimal(1).scaleb(-QTY_DECIMAL_PLACES)

# What each operation command does: the states it starts from, the state it leads to.
# Operation.TRANSITIONS still guards every move; this table says which command is which.
OPERATION_COMMANDS: dict[str, tuple[frozenset[str], str]] = {
    Kind.START: (frozenset({OperationStatus.PENDING}), OperationStatus.RUNNING),
    Kind.PAUSE: (frozenset({OperationStatus.RUNNING}), OperationStatus.PAUSED),
    Kind.RESUME: (frozenset({OperationStatus.PAUSED}), OperationStatus.RUNNING),
    Kind.COMPLETE: (
        frozenset({OperationStatus.RUNNING, OperationStatus.PAUSED}),
        OperationStatus.COMPLETED,
    ),
    Kind.CANCEL: (frozenset({OperationStatus.PENDING}), OperationStatus.CANCELLED),
}
REPORTABLE = frozenset({OperationStatus.RUNNING, OperationStatus.PAUSED})
CLOCKABLE = frozenset({OperationStatus.PENDING, OperationStatus.RUNNING, OperationStatus.PAUSED})


@dataclass(frozen=True)
class ReleaseResult:
    order: ProductionOrder
    shortages: list[Shortage]


# --- the order header -----------------------------------------------------------


def create_production_order(
    *,
    actor,
    code: str,
    item: Item | str,
    qty: Decimal | str | int,
    due_date: date,
    priority: int = 0,
    sales_order_code: str = "",
    sales_order_line: int | None = None,
    site: Site | None = None,
) -> ProductionOrder:
    """A new planned order; an existing code is AlreadyExists (409).

    ``item`` is an Item or its code; ``site`` defaults to the only site, if there is one.
    """
    values = _order_values(
        item=item,
        qty=qty,
        due_date=due_date,
        priority=priority,
        sales_order_code=sales_order_code,
        sales_order_line=sales_order_line,
        site=site or only_site(),
    )
    created_by = actor if getattr(actor, "pk", None) else None
    return create_record(
        ProductionOrder, actor=actor, values={"code": code, **values, "created_by": created_by}
    )


def upsert_production_order(
    *,
    actor,
    code: str,
    item: Item | str,
    qty: Decimal | str | int,
    due_date: date,
    priority: int = 0,
    sales_order_code: str = "",
    sales_order_line: int | None = None,
    site: Site | None = None,
) -> tuple[ProductionOrder, bool]:
    """PUT semantics: create the order or replace its header; (order, created).

    Replacing is allowed only while the order is planned (else InvalidTransition);
    sending what the order already has is a no-op in any state. Without ``site`` an
    order keeps its site (a new one: the only site).
    """
    values = _order_values(
        item=item,
        qty=qty,
        due_date=due_date,
        priority=priority,
        sales_order_code=sales_order_code,
        sales_order_line=sales_order_line,
        site=site,
    )
    for _attempt in range(2):
        with transaction.atomic():
            order = ProductionOrder.objects.select_for_update().filter(code=code).first()
            if order is not None:
                return _replace_order(order, values, actor=actor), False
        try:
            return create_production_order(actor=actor, code=code, **values), True
        except AlreadyExists:
            continue  # created concurrently since we looked: replace it instead
    raise AlreadyExists()


def update_production_order(
    order: ProductionOrder,
    *,
    actor,
    item: Item | str,
    qty: Decimal | str | int,
    due_date: date,
    priority: int = 0,
    sales_order_code: str = "",
    sales_order_line: int | None = None,
    site: Site | None = None,
) -> ProductionOrder:
    """Replace the header of a planned order (the admin's edit); unchanged values: a no-op.
    Without ``site`` the order keeps its site."""
    values = _order_values(
        item=item,
        qty=qty,
        due_date=due_date,
        priority=priority,
        sales_order_code=sales_order_code,
        sales_order_line=sales_order_line,
        site=site,
    )
    with transaction.atomic():
        return _replace_order(_lock_order(order), values, actor=actor)


def _order_values(
    *,
    item: Item | str,
    qty: Decimal | str | int,
    due_date: date,
    priority: int,
    sales_order_code: str,
    sales_order_line: int | None,
    site: Site | None,
) -> dict[str, Any]:
    if not isinstance(item, Item):
        found = Item.objects.filter(code=item).first()
        if found is None:
            raise InvalidInput(_("Item '%(code)s' does not exist.") % {"code": item}, field="item")
        item = found
    qty = _quantity(qty, "qty")
    if qty <= 0:
        raise InvalidInput(_("The quantity must be more than zero."), field="qty")
    if sales_order_line is not None and not sales_order_code:
        raise InvalidInput(_("A sales order line needs its sales order."), field="sales_order_line")
    values = {
        "item": item,
        "qty": qty,
        "due_date": due_date,
        "priority": priority,
        "sales_order_code": sales_order_code or "",
        "sales_order_line": sales_order_line,
    }
    if site is not None:  # None: the order keeps its site
        values["site"] = site
    return values


def _replace_order(order: ProductionOrder, values: Mapping[str, Any], *, actor) -> ProductionOrder:
    if all(getattr(order, name) == value for name, value in values.items()):
        return order
    if order.status != OrderStatus.PLANNED:
        raise InvalidTransition(
            _("Production order %(code)s is %(status)s; only a planned order can be changed.")
            % {"code": order.code, "status": order.get_status_display()}
        )
    return update_record(order, actor=actor, values=dict(values))


# --- order transitions ------------------------------------------------------------


def release_production_order(order: ProductionOrder, *, actor) -> ReleaseResult:
    """planned → released: operations copied from the active routing, materials checked.

    The operations are a snapshot: later routing versions do not change them. The
    active routing and BOM versions and the issue and receipt locations (settings
    MES_ISSUE_LOCATION, MES_RECEIPT_LOCATION) are fixed on the order. Shortages
    are reported, not blocking: material often arrives between release and the
    first report, and the ledger refuses a consumption that is really short.
    Releasing a released order again changes nothing and reports its shortages now.
    """
    with transaction.atomic():
        order = _lock_order(order)
        if order.status == OrderStatus.PLANNED:
            _copy_routing(order, actor=actor)
        else:
            _set_order_status(order, OrderStatus.RELEASED, actor=actor)  # no-op or refusal
        return ReleaseResult(order=order, shortages=material_shortages(order))


def _copy_routing(order: ProductionOrder, *, actor) -> None:
    routing = get_active_routing(order.item)
    if routing is None or not routing.operations.all():
        raise InvalidTransition(
            _("Item %(item)s has no active routing; the order cannot be released.")
            % {"item": order.item.code}
        )
    issue_location = inventory_selectors.get_configured_location("MES_ISSUE_LOCATION")
    receipt_location = inventory_selectors.get_configured_location("MES_RECEIPT_LOCATION")
    Operation.objects.bulk_create(
        Operation(
            order=order,
            seq=step.seq,
            name=step.name,
            work_center=step.work_center,
            setup_min=step.setup_min,
            cycle_time_s=step.cycle_time_s,
        )
        for step in routing.operations.all()
    )
    _set_order_status(
        order,
        OrderStatus.RELEASED,
        actor=actor,
        routing=routing,
        bom=inventory_selectors.get_active_bom(order.item),
        issue_location=issue_location,
        receipt_location=receipt_location,
        released_at=timezone.now(),
    )


def delete_production_order(order: ProductionOrder, *, actor) -> None:
    """Delete a planned order; one that was released has history: cancel it instead."""
    with transaction.atomic():
        order = _lock_order(order)
        if order.status != OrderStatus.PLANNED:
            raise InvalidTransition(
                _("Order %(code)s is %(status)s: only a planned order can be deleted; cancel it.")
                % {"code": order.code, "status": order.get_status_display()}
            )
        delete_record(order, actor=actor)


def cancel_production_order(order: ProductionOrder, *, actor) -> ProductionOrder:
    """planned or released → cancelled; its operations, none started, are cancelled with it."""
    with transaction.atomic():
        order = _lock_order(order)
        if order.status == OrderStatus.CANCELLED:
            return order
        _set_order_status(order, OrderStatus.CANCELLED, actor=actor)
        for operation in order.operations.select_for_update().order_by("seq"):
            _transition(operation, Kind.CANCEL, actor=actor, at=timezone.now())
        return order


def close_production_order(order: ProductionOrder, *, actor) -> ProductionOrder:
    """completed → closed: nothing more is booked against the order."""
    with transaction.atomic():
        order = _lock_order(order)
        _set_order_status(order, OrderStatus.CLOSED, actor=actor)
        return order


def _set_order_status(order: ProductionOrder, status: str, *, actor, **fields: Any) -> None:
    """The only code that assigns an order's status: checks the table, saves, audits.

    The caller holds the order's lock. Moving to the status it already has is a no-op.
    """
    if order.status == status:
        return
    if status not in ProductionOrder.TRANSITIONS[order.status]:
        raise InvalidTransition(
            _("Production order %(code)s is %(current)s; it cannot become %(wanted)s.")
            % {
                "code": order.code,
                "current": order.get_status_display(),
                "wanted": OrderStatus(status).label,
            }
        )
    before = audit.snapshot(order)
    order.status = status
    for name, value in fields.items():
        setattr(order, name, value)
    order.save(update_fields=["status", "updated_at", *fields])
    audit.record_update(actor, order, before)
    if status in ORDER_WEBHOOKS:
        record_event(ORDER_WEBHOOKS[status], _order_event_data(order), site_id=order.site_id)


ORDER_WEBHOOKS = {
    OrderStatus.RELEASED: EventType.PRODUCTION_ORDER_RELEASED,
    OrderStatus.COMPLETED: EventType.PRODUCTION_ORDER_COMPLETED,
}


def _order_event_data(order: ProductionOrder) -> dict[str, Any]:
    return {
        "code": order.code,
        "item": order.item.code,
        "qty": order.qty,
        "status": order.status,
        "due_date": order.due_date,
        "priority": order.priority,
        "qty_good": order.qty_good,
        "qty_scrap": order.qty_scrap,
        "sales_order": order.sales_order_code or None,
        "sales_order_line": order.sales_order_line,
    }


# --- operation transitions ----------------------------------------------------------


def start_operation(
    operation: Operation,
    *,
    actor,
    machine: Machine | None = None,
    operator: AbstractBaseUser | None = None,
    at: datetime | None = None,
) -> Operation:
    """pending → running, on ``machine`` (one of its work center's) if given.

    The first start of an order puts it in progress. A machine runs one operation
    at a time (MachineBusy). ``operator`` is clocked on. Starting a running
    operation again changes nothing (but clocks the operator on). ``at``: when it
    happened, if earlier than now (see ``_moment``).
    """
    now = _moment(at)
    with transaction.atomic():
        order, operation = _lock_operation(operation)
        if not _already_made(operation, Kind.START):
            if machine is not None and machine.work_center_id != operation.work_center_id:
                raise InvalidInput(
                    _("Machine %(machine)s is not in work center %(work_center)s.")
                    % {"machine": machine.code, "work_center": operation.work_center.code},
                    field="machine",
                )
            _run_on_machine(
                operation,
                Kind.START,
                actor=actor,
                machine=machine or operation.machine,
                at=now,
                actual_start=operation.actual_start or now,
            )
            _set_order_status(order, OrderStatus.IN_PROGRESS, actor=actor, actual_start=now)
        if operator is not None:
            _clock_on(operation, operator, at=now)
        return operation


def pause_operation(
    operation: Operation, *, actor, reason: ReasonCode, at: datetime | None = None
) -> Operation:
    """running → paused, for a pause or downtime reason; pausing a paused operation is a no-op."""
    now = _moment(at)
    if reason.kind not in {ReasonCode.Kind.PAUSE, ReasonCode.Kind.DOWNTIME}:
        raise InvalidInput(
            _("Reason %(code)s is not a pause or downtime reason.") % {"code": reason.code},
            field="reason",
        )
    with transaction.atomic():
        _order, operation = _lock_operation(operation)
        _transition(operation, Kind.PAUSE, actor=actor, at=now, reason=reason)
        return operation


def resume_operation(operation: Operation, *, actor, at: datetime | None = None) -> Operation:
    """paused → running, on its machine if that is free; resuming a running one is a no-op."""
    now = _moment(at)
    with transaction.atomic():
        _order, operation = _lock_operation(operation)
        _run_on_machine(operation, Kind.RESUME, actor=actor, machine=operation.machine, at=now)
        return operation


def complete_operation(operation: Operation, *, actor, at: datetime | None = None) -> Operation:
    """running or paused → completed, after the operation before it; clocks everybody off.

    Completing the last operation completes the order. Completing again is a no-op.
    """
    now = _moment(at)
    with transaction.atomic():
        order, operation = _lock_operation(operation)
        if _already_made(operation, Kind.COMPLETE):
            return operation
        previous = _previous(operation)
        if previous is not None and previous.status != OperationStatus.COMPLETED:
            raise InvalidTransition(
                _("Operation %(seq)s is not completed yet; complete it first.")
                % {"seq": previous.seq}
            )
        missing = missing_inspections(operation)
        if missing:
            raise InspectionRequired(
                _("Record the inspections of plan %(plans)s before completing this operation.")
                % {"plans": ", ".join(missing)}
            )
        _transition(operation, Kind.COMPLETE, actor=actor, at=now, actual_end=now)
        LabourRecord.objects.filter(operation=operation, ended_at__isnull=True).update(ended_at=now)
        if _next(operation) is None:
            _set_order_status(order, OrderStatus.COMPLETED, actor=actor, actual_end=now)
        return operation


def _run_on_machine(
    operation: Operation,
    kind: str,
    *,
    actor,
    machine: Machine | None,
    at: datetime,
    **fields: Any,
) -> None:
    """Start or resume ``operation`` on ``machine``, refusing a machine that runs another one."""
    if _already_made(operation, kind):
        return
    if (
        machine is not None
        and Operation.objects.filter(machine=machine, status=OperationStatus.RUNNING)
        .exclude(pk=operation.pk)
        .exists()
    ):
        raise _machine_busy(machine)
    try:
        with transaction.atomic():
            _transition(operation, kind, actor=actor, at=at, machine=machine, **fields)
    except IntegrityError as exc:  # started concurrently: the partial unique constraint
        raise _machine_busy(machine) from exc


def _machine_busy(machine: Machine | None) -> MachineBusy:
    return MachineBusy(
        _("Machine %(machine)s is running another operation.")
        % {"machine": machine.code if machine else ""}
    )


def _transition(
    operation: Operation,
    kind: str,
    *,
    actor,
    at: datetime,
    reason: ReasonCode | None = None,
    **fields: Any,
) -> OperationEvent | None:
    """The only code that assigns an operation's status; writes its OperationEvent.

    The caller holds the order's and the operation's locks. ``fields`` are set on
    the operation with the status (a ``machine`` given is also the event's).
    Asking for the status it already has is a no-op (None).
    """
    if _already_made(operation, kind):
        return None
    from_status, target = operation.status, OPERATION_COMMANDS[kind][1]
    operation.status = target
    for name, value in fields.items():
        setattr(operation, name, value)
    operation.save(update_fields=["status", "updated_at", *fields])
    return _write_event(
        operation,
        kind,
        actor=actor,
        at=at,
        from_status=from_status,
        to_status=target,
        machine=operation.machine,
        reason=reason,
    )


def _already_made(operation: Operation, kind: str) -> bool:
    """True if the operation already is where ``kind`` leads (a repeat: a no-op);
    InvalidTransition if ``kind`` cannot start from where it is."""
    sources, target = OPERATION_COMMANDS[kind]
    if operation.status == target:
        return True
    if operation.status not in sources or target not in Operation.TRANSITIONS[operation.status]:
        raise InvalidTransition(
            _("Operation %(seq)s is %(current)s; it cannot %(command)s.")
            % {
                "seq": operation.seq,
                "current": operation.get_status_display(),
                "command": Kind(kind).label,
            }
        )
    return False


def _write_event(
    operation: Operation, kind: str, *, actor, at: datetime, **fields: Any
) -> OperationEvent:
    event = OperationEvent.objects.create(
        operation=operation,
        kind=kind,
        at=at,
        actor=actor if getattr(actor, "pk", None) else None,
        **fields,
    )
    # The machine's OEE takes its time and quantities from these logs when it sends none.
    mark_stale([(operation.machine_id, event.at)])
    return event


# --- reports: quantities, materials, finished goods, genealogy ------------------------


def report_operation(
    operation: Operation,
    *,
    actor,
    qty_good: Decimal | str | int,
    qty_scrap: Decimal | str | int = 0,
    scrap_reason: ReasonCode | None = None,
    consumed_lots: Sequence[Mapping[str, Any]] | None = None,
    output_lot: str | None = None,
    client_ref: str | None = None,
    at: datetime | None = None,
) -> OperationEvent:
    """Count good and scrapped units on a running or paused operation.

    The good quantity of an operation may not exceed what the previous operation
    passed on (the first: the order quantity), plus MES_REPORT_TOLERANCE_PCT
    percent (QuantityExceeded). On the first operation the components are
    consumed: ``consumed_lots`` ``[{item, lot, qty}]`` (Item, Lot, quantity) name
    what was actually used of a component, the others are back-flushed FIFO at
    the BOM quantity. On the last operation the good quantity is received as the
    lot ``output_lot`` (lot-tracked products; default: the order code; a serial
    number for a serial-tracked product, one unit per report). A ``client_ref``
    already used makes the report a no-op returning the first event. ``at``: when the
    units were counted, if earlier than now (see ``_moment``); the stock moves are
    booked now.
    """
    now = _moment(at)
    qty_good = _quantity(qty_good, "qty_good")
    qty_scrap = _quantity(qty_scrap, "qty_scrap")
    if qty_good + qty_scrap <= 0:
        raise InvalidInput(_("Report a good or scrapped quantity."), field="qty_good")
    if qty_scrap > 0 and scrap_reason is None:
        raise InvalidInput(_("Scrap needs a scrap reason."), field="scrap_reason")
    if scrap_reason is not None and scrap_reason.kind != ReasonCode.Kind.SCRAP:
        raise InvalidInput(
            _("Reason %(code)s is not a scrap reason.") % {"code": scrap_reason.code},
            field="scrap_reason",
        )
    with transaction.atomic():
        order, operation = _lock_operation(operation)
        if client_ref and (done := OperationEvent.objects.filter(client_ref=client_ref).first()):
            if done.operation_id != operation.pk:
                raise InvalidInput(
                    _("This client reference was used for another operation."),
                    field="client_ref",
                )
            return done
        if operation.status not in REPORTABLE:
            raise InvalidTransition(
                _("Operation %(seq)s is %(status)s; only a running or paused one takes reports.")
                % {"seq": operation.seq, "status": operation.get_status_display()}
            )
        previous = _previous(operation)
        is_first, is_last = previous is None, _next(operation) is None
        if consumed_lots and not is_first:
            raise InvalidInput(
                _("Components are issued on the first operation; name the lots there."),
                field="consumed_lots",
            )
        if output_lot and not (is_last and qty_good > 0):
            raise InvalidInput(
                _("Only a good quantity on the last operation is received as a lot."),
                field="output_lot",
            )
        _check_bound(order, operation, previous, qty_good)
        if is_first:
            _consume_components(
                order, operation, qty_good + qty_scrap, consumed_lots or (), actor=actor
            )
        if is_last and qty_good > 0:
            _receive_output(order, operation, qty_good, output_lot, actor=actor)
        Operation.objects.filter(pk=operation.pk).update(
            qty_good=F("qty_good") + qty_good, qty_scrap=F("qty_scrap") + qty_scrap
        )
        ProductionOrder.objects.filter(pk=order.pk).update(
            qty_good=F("qty_good") + (qty_good if is_last else 0),
            qty_scrap=F("qty_scrap") + qty_scrap,
        )
        event = _write_event(
            operation,
            Kind.REPORT,
            actor=actor,
            at=now,
            from_status=operation.status,
            to_status=operation.status,
            machine=operation.machine,
            reason=scrap_reason,
            qty_good=qty_good,
            qty_scrap=qty_scrap,
            client_ref=client_ref or None,
        )
        if is_first or is_last:
            _link_genealogy(order)
        record_event(
            EventType.OPERATION_REPORTED,
            {
                "production_order": order.code,
                "seq": operation.seq,
                "work_center": operation.work_center.code,
                "machine": operation.machine.code if operation.machine else None,
                "qty_good": qty_good,
                "qty_scrap": qty_scrap,
                "scrap_reason": scrap_reason.code if scrap_reason else None,
                "output_lot": output_lot or None,
                "reported_at": event.at,
                "operation_qty_good": operation.qty_good + qty_good,
                "operation_qty_scrap": operation.qty_scrap + qty_scrap,
            },
            site_id=order.site_id,
        )
        return event


def _check_bound(
    order: ProductionOrder, operation: Operation, previous: Operation | None, qty_good: Decimal
) -> None:
    passed_on = order.qty if previous is None else previous.qty_good
    tolerance = Decimal(str(settings.MES_REPORT_TOLERANCE_PCT))
    limit = passed_on * (1 + tolerance / 100)
    if operation.qty_good + qty_good > limit:
        raise QuantityExceeded(
            _(
                "Operation %(seq)s would have %(total)s good; at most %(limit)s "
                "(what it was given, plus the tolerance)."
            )
            % {
                "seq": operation.seq,
                "total": audit.plain_decimal(operation.qty_good + qty_good),
                "limit": audit.plain_decimal(_rounded(limit)),
            }
        )


def _reference(operation: Operation) -> str:
    """The ledger reference of an operation's stock moves: how genealogy finds them again."""
    return f"{operation.order.code}/{operation.seq}"


def _consume_components(
    order: ProductionOrder,
    operation: Operation,
    units: Decimal,
    named: Iterable[Mapping[str, Any]],
    *,
    actor,
) -> None:
    lines = (
        list(order.bom.lines.select_related("component").order_by("line")) if order.bom_id else []
    )
    components = {line.component_id: line for line in lines}
    named_lots: dict[int, list[tuple[Lot, Decimal]]] = defaultdict(list)
    for index, entry in enumerate(named):
        item, lot = entry["item"], entry["lot"]
        qty = _quantity(entry["qty"], f"consumed_lots.{index}.qty")
        if item.pk not in components:
            raise InvalidInput(
                _("%(item)s is not a component of this order.") % {"item": item.code},
                field=f"consumed_lots.{index}.item",
            )
        if lot.item_id != item.pk:
            raise InvalidInput(
                _("Lot %(lot)s is not a lot of %(item)s.") % {"lot": lot.code, "item": item.code},
                field=f"consumed_lots.{index}.lot",
            )
        if qty <= 0:
            raise InvalidInput(
                _("The quantity must be more than zero."), field=f"consumed_lots.{index}.qty"
            )
        named_lots[item.pk].append((lot, qty))
    refuse_held_lots(lot for entries in named_lots.values() for lot, _qty in entries)
    for line in lines:
        lots = named_lots.get(line.component_id)
        qty = sum((q for _lot, q in lots), Decimal(0)) if lots else _rounded(line.qty_per * units)
        if qty <= 0:
            continue
        inventory_services.consume_stock(
            actor=actor,
            item=line.component,
            qty=qty,
            location=order.issue_location,
            lots=lots,
            reason=StockMove.Reason.CONSUMPTION,
            reference=_reference(operation),
            skip_lot_ids=() if lots else held_lot_ids_of_item(line.component_id),
        )


def _receive_output(
    order: ProductionOrder,
    operation: Operation,
    qty_good: Decimal,
    output_lot: str | None,
    *,
    actor,
) -> list[StockMove]:
    item = order.item
    lot_code, serials = None, None
    if item.tracking == Item.Tracking.LOT:
        lot_code = output_lot or order.code
    elif item.tracking == Item.Tracking.SERIAL:
        if not output_lot or qty_good != 1:
            raise InvalidInput(
                _(
                    "Report a serial-numbered product one unit at a time, "
                    "with its serial number as the output lot."
                ),
                field="output_lot",
            )
        serials = [output_lot]
    elif output_lot:
        raise InvalidInput(
            _("%(item)s is not tracked by lot.") % {"item": item.code}, field="output_lot"
        )
    return inventory_services.receive_stock(
        actor=actor,
        item=item,
        qty=qty_good,
        location=order.receipt_location,
        lot_code=lot_code,
        serials=serials,
        reason=StockMove.Reason.PRODUCTION,
        reference=_reference(operation),
    )


def _link_genealogy(order: ProductionOrder) -> None:
    """Make every lot the order consumed a parent of every lot it produced, with the total used."""
    operations = {op.seq: op for op in order.operations.select_related("order", "machine")}
    first, last = operations[min(operations)], operations[max(operations)]
    produced = set(
        StockMove.objects.filter(
            reason=StockMove.Reason.PRODUCTION, reference=_reference(last), lot__isnull=False
        ).values_list("lot_id", flat=True)
    )
    if not produced:
        return
    consumed = (
        StockMove.objects.filter(
            reason=StockMove.Reason.CONSUMPTION, reference=_reference(first), lot__isnull=False
        )
        .values("lot_id")
        .annotate(used=Sum("qty"))
    )
    # One statement whatever the number of lots: insert new edges, refresh the totals.
    LotGenealogy.objects.bulk_create(
        [
            LotGenealogy(
                produced_lot_id=produced_lot,
                consumed_lot_id=row["lot_id"],
                operation=first,
                order=order,
                machine=first.machine,
                qty=-row["used"],
            )
            for row in consumed
            for produced_lot in produced
        ],
        update_conflicts=True,
        unique_fields=["produced_lot", "consumed_lot", "operation"],
        update_fields=["qty", "machine"],
    )


# --- labour -------------------------------------------------------------------------


def clock_on(
    operation: Operation, *, actor, operator: AbstractBaseUser, at: datetime | None = None
) -> LabourRecord:
    """``operator`` starts working on the operation; several may at once; twice is a no-op."""
    now = _moment(at)
    with transaction.atomic():
        _order, operation = _lock_operation(operation)
        if operation.status not in CLOCKABLE:
            raise InvalidTransition(
                _("Operation %(seq)s is %(status)s; nobody can clock on.")
                % {"seq": operation.seq, "status": operation.get_status_display()}
            )
        return _clock_on(operation, operator, at=now)


def clock_off(
    operation: Operation, *, actor, operator: AbstractBaseUser, at: datetime | None = None
) -> LabourRecord | None:
    """``operator`` stops working on the operation; not clocked on: a no-op (None)."""
    now = _moment(at)
    with transaction.atomic():
        _order, operation = _lock_operation(operation)
        record = (
            LabourRecord.objects.select_for_update()
            .filter(operation=operation, operator=operator, ended_at__isnull=True)
            .first()
        )
        if record is not None:
            if now < record.started_at:
                raise InvalidInput(_("Clocked off before clocking on."), field="at")
            record.ended_at = now
            record.save(update_fields=["ended_at"])
        return record


def _clock_on(operation: Operation, operator: AbstractBaseUser, *, at: datetime) -> LabourRecord:
    record, _created = LabourRecord.objects.get_or_create(
        operation=operation,
        operator=operator,
        ended_at=None,
        defaults={"started_at": at},
    )
    return record


# --- helpers ------------------------------------------------------------------------


def _moment(at: datetime | None) -> datetime:
    """When a command happened: now, or ``at`` when the shop floor records it later (a
    paper report typed in after the shift, the demo plant's history). Never in the future.
    The caller keeps the operation's commands in the order they happened."""
    now = timezone.now()
    if at is None:
        return now
    if at.utcoffset() is None:
        raise InvalidInput(_("Give a date and time with its time zone."), field="at")
    if at > now:
        raise InvalidInput(_("This cannot be recorded ahead of time."), field="at")
    return at


def _lock_order(order: ProductionOrder) -> ProductionOrder:
    return (
        ProductionOrder.objects.select_for_update(of=("self",))
        .select_related("item")
        .get(pk=order.pk)
    )


def _lock_operation(operation: Operation) -> tuple[ProductionOrder, Operation]:
    """Lock the operation's order, then the operation (always this order: no deadlocks)."""
    order = (
        ProductionOrder.objects.select_for_update(of=("self",))
        .select_related("item", "bom", "issue_location", "receipt_location")
        .get(pk=operation.order_id)
    )
    operation = (
        Operation.objects.select_for_update(of=("self",))
        .select_related("work_center", "machine")
        .get(pk=operation.pk)
    )
    operation.order = order
    return order, operation


def _previous(operation: Operation) -> Operation | None:
    return (
        Operation.objects.filter(order_id=operation.order_id, seq__lt=operation.seq)
        .order_by("-seq")
        .first()
    )


def _next(operation: Operation) -> Operation | None:
    return (
        Operation.objects.filter(order_id=operation.order_id, seq__gt=operation.seq)
        .order_by("seq")
        .first()
    )


def _quantity(value: Decimal | str | int, field: str) -> Decimal:
    """A quantity as a Decimal of at most the ledger's places, not negative."""
    try:
        qty = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InvalidInput(_("A quantity must be a number."), field=field) from None
    if not qty.is_finite() or qty < 0:
        raise InvalidInput(_("A quantity cannot be negative."), field=field)
    if qty != qty.quantize(QTY_STEP, rounding=ROUND_HALF_UP):
        raise InvalidInput(
            _("A quantity has at most %(places)d decimal places.") % {"places": QTY_DECIMAL_PLACES},
            field=field,
        )
    return qty


def _rounded(qty: Decimal) -> Decimal:
    return qty.quantize(QTY_STEP, rounding=ROUND_HALF_UP)
