"""Customers, sales orders, the ERP's production orders, and planning production from demand."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models.deletion import ProtectedError, RestrictedError
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory import selectors as inventory_selectors
from inventory.bom_graph import BomLineEdge
from inventory.models import BomLine, Item, Location
from mes import audit
from mes.errors import AlreadyExists, InvalidInput, InvalidTransition, ReferencedRecord
from mes.models import QTY_DECIMAL_PLACES
from mes.services import create_record, update_record, upsert_record
from production.execution import services as execution
from production.models import ProductionOrder, Site

from . import netting, selectors
from .models import Customer, SalesOrder, SalesOrderLine


def create_customer(*, actor, code: str, name: str) -> Customer:
    return create_record(Customer, actor=actor, values={"code": code, "name": name})


def upsert_customer(*, actor, code: str, name: str) -> tuple[Customer, bool]:
    return upsert_record(Customer, actor=actor, code=code, values={"name": name})


def update_customer(customer: Customer, *, actor, **values) -> Customer:
    return update_record(customer, actor=actor, values=values)


# --- sales orders -------------------------------------------------------------
#
# An order's lines are written only while its row is locked, so whoever changes
# lines (these services, and shipping later) locks the SalesOrder first.

LineInput = Mapping[str, Any]
QTY_STEP = Decimal(1).scaleb(-QTY_DECIMAL_PLACES)


def create_sales_order(
    *,
    actor,
    code: str,
    customer: Customer | str,
    lines: Sequence[LineInput],
    notes: str = "",
) -> SalesOrder:
    """A new order with its lines; an existing code is AlreadyExists (409).

    ``customer`` and each line's ``item`` are records or their codes; a line is
    ``{"line": 1, "item": "BOLT-M8", "qty": "250", "due_date": date(2026, 12, 1)}``
    (strings are accepted for the quantity and an ISO date).
    """
    order, new_lines = _validated_order(code=code, customer=customer, notes=notes, lines=lines)
    return _insert_sales_order(order, new_lines, actor=actor)


def upsert_sales_order(
    *,
    actor,
    code: str,
    customer: Customer | str,
    lines: Sequence[LineInput],
    notes: str = "",
) -> tuple[SalesOrder, bool]:
    """PUT semantics: create the order or replace its header and lines; (order, created).

    Lines keep their identity by line number. A line that has shipped cannot be
    removed, reduced below its shipped quantity or given another item; a final
    (cancelled, closed) order cannot be changed at all. Sending the current
    state again changes nothing.
    """
    wanted, wanted_lines = _validated_order(code=code, customer=customer, notes=notes, lines=lines)
    for _attempt in range(2):
        with transaction.atomic():
            order = SalesOrder.objects.select_for_update().filter(code=code).first()
            if order is not None:
                return _replace_sales_order(order, wanted, wanted_lines, actor=actor), False
        try:
            return _insert_sales_order(wanted, wanted_lines, actor=actor), True
        except AlreadyExists:
            continue  # created concurrently since we looked: replace it instead
    raise AlreadyExists()


def cancel_sales_order(order: SalesOrder, *, actor) -> SalesOrder:
    """Cancel an order nothing of which has shipped; cancelling again changes nothing."""
    with transaction.atomic():
        order = SalesOrder.objects.select_for_update().get(pk=order.pk)
        if (
            order.status != SalesOrder.Status.CANCELLED
            and order.lines.filter(shipped_qty__gt=0).exists()
        ):
            raise InvalidTransition(
                _("Sales order %(code)s has shipped goods; it cannot be cancelled.")
                % {"code": order.code}
            )
        _set_status(order, SalesOrder.Status.CANCELLED, actor=actor)
        return order


def _set_status(order: SalesOrder, status: str, *, actor) -> None:
    """The only code that changes a sales order's status: checks the transition table and audits.

    The order must be locked by the caller. Moving to the status it already has is a no-op.
    """
    if order.status == status:
        return
    if status not in SalesOrder.TRANSITIONS[order.status]:
        raise InvalidTransition(
            _("Sales order %(code)s is %(current)s; it cannot become %(wanted)s.")
            % {
                "code": order.code,
                "current": order.get_status_display(),
                "wanted": SalesOrder.Status(status).label,
            }
        )
    before = audit.snapshot(order)
    order.status = status
    order.save(update_fields=["status", "updated_at"])
    audit.record_update(actor, order, before)


def _shipping_status(lines: Iterable[SalesOrderLine]) -> str:
    """The status an order's shipped quantities call for."""
    lines = list(lines)
    if not any(line.shipped_qty > 0 for line in lines):
        return SalesOrder.Status.OPEN
    if all(line.shipped_qty >= line.qty for line in lines):
        return SalesOrder.Status.SHIPPED
    return SalesOrder.Status.PARTIALLY_SHIPPED


def _already_exists(code: str) -> AlreadyExists:
    return AlreadyExists(
        _("%(kind)s '%(code)s' already exists.")
        % {"kind": SalesOrder._meta.verbose_name, "code": code}
    )


def _insert_sales_order(order: SalesOrder, lines: list[SalesOrderLine], *, actor) -> SalesOrder:
    with transaction.atomic():
        if SalesOrder.objects.filter(code=order.code).exists():
            raise _already_exists(order.code)
        try:
            with transaction.atomic():
                order.save()
        except IntegrityError as exc:  # a concurrent create of the same code won
            raise _already_exists(order.code) from exc
        for line in lines:
            line.order = order
        SalesOrderLine.objects.bulk_create(lines)
        audit.record_create(actor, order, extra={"lines": [None, _lines_snapshot(lines)]})
        return order


def _replace_sales_order(
    order: SalesOrder, wanted: SalesOrder, wanted_lines: list[SalesOrderLine], *, actor
) -> SalesOrder:
    """Make a locked order's header and lines what the caller sent."""
    current = {line.line: line for line in order.lines.select_related("item")}
    for line in wanted_lines:
        existing = current.get(line.line)
        line.shipped_qty = existing.shipped_qty if existing else Decimal(0)
    before, before_lines = audit.snapshot(order), _lines_snapshot(current.values())
    after_lines = _lines_snapshot(wanted_lines)
    header_same = (order.customer_id, order.notes) == (wanted.customer_id, wanted.notes)
    if header_same and before_lines == after_lines:
        return order
    if order.is_final:
        raise InvalidTransition(
            _("Sales order %(code)s is %(status)s; it cannot be changed.")
            % {"code": order.code, "status": order.get_status_display()}
        )
    _refuse_changes_to_shipped_lines(current, wanted_lines)

    kept_numbers = {line.line for line in wanted_lines}
    _delete_lines([line for number, line in current.items() if number not in kept_numbers])
    added = []
    for line in wanted_lines:
        existing = current.get(line.line)
        if existing is None:
            line.order = order
            added.append(line)
        elif (existing.item_id, existing.qty, existing.due_date) != (
            line.item_id,
            line.qty,
            line.due_date,
        ):
            existing.item, existing.qty, existing.due_date = line.item, line.qty, line.due_date
            existing.save(update_fields=["item", "qty", "due_date"])
    SalesOrderLine.objects.bulk_create(added)

    order.customer, order.notes = wanted.customer, wanted.notes
    order.save()
    lines_changed = {"lines": [before_lines, after_lines]} if before_lines != after_lines else None
    audit.record_update(actor, order, before, extra=lines_changed)
    _set_status(order, _shipping_status(wanted_lines), actor=actor)
    return order


def _refuse_changes_to_shipped_lines(
    current: dict[int, SalesOrderLine], wanted_lines: list[SalesOrderLine]
) -> None:
    wanted_by_number = {line.line: (index, line) for index, line in enumerate(wanted_lines)}
    errors: dict[str, list[str]] = {}
    for number, line in sorted(current.items()):
        if line.shipped_qty <= 0:
            continue
        values = {"line": number, "shipped": _qty_text(line.shipped_qty)}
        if number not in wanted_by_number:
            message = _("Line %(line)s has shipped %(shipped)s; it cannot be removed.") % values
            errors.setdefault("lines", []).append(message)
            continue
        index, wanted = wanted_by_number[number]
        if wanted.qty < line.shipped_qty:
            errors[f"lines.{index}.qty"] = [
                _("Line %(line)s has shipped %(shipped)s; its quantity cannot be less.") % values
            ]
        if wanted.item_id != line.item_id:
            errors[f"lines.{index}.item"] = [
                _("Line %(line)s has shipped %(shipped)s; its item cannot change.") % values
            ]
    if errors:
        raise InvalidTransition(next(iter(errors.values()))[0], errors=errors)


def _delete_lines(lines: list[SalesOrderLine]) -> None:
    if not lines:
        return
    try:
        with transaction.atomic():
            SalesOrderLine.objects.filter(pk__in=[line.pk for line in lines]).delete()
    except (ProtectedError, RestrictedError) as exc:
        message = _("Lines %(lines)s are used by other records; they cannot be removed.") % {
            "lines": ", ".join(str(line.line) for line in lines)
        }
        raise ReferencedRecord(message, errors={"lines": [message]}) from exc


def _lines_snapshot(lines: Iterable[SalesOrderLine]) -> list[dict[str, Any]]:
    """Lines as plain values for the audit trail and for comparing states."""
    return [
        {
            "line": line.line,
            "item": line.item.code,
            "qty": str(line.qty.quantize(QTY_STEP)),
            "due_date": line.due_date.isoformat(),
            "shipped_qty": str(line.shipped_qty.quantize(QTY_STEP)),
        }
        for line in sorted(lines, key=lambda line: line.line)
    ]


def _qty_text(value: Decimal) -> str:
    return f"{value.normalize():f}"


# --- validating an order's input ---------------------------------------------


def _code_of(value: Any) -> Any:
    return getattr(value, "code", value)


def _validated_order(
    *, code: str, customer: Customer | str, notes: str, lines: Sequence[LineInput]
) -> tuple[SalesOrder, list[SalesOrderLine]]:
    """The unsaved order and lines, or InvalidInput naming every bad field (``lines.N.qty``)."""
    errors: dict[str, list[str]] = {}
    customer_code = _code_of(customer)
    found_customer = Customer.objects.filter(code=customer_code).first() if customer_code else None
    if found_customer is None:
        errors["customer"] = [
            _("%(kind)s '%(code)s' does not exist.")
            % {"kind": Customer._meta.verbose_name, "code": customer_code or ""}
        ]
    order = SalesOrder(code=code, customer=found_customer, notes=notes)
    try:
        order.full_clean(exclude=["customer"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        errors.update(exc.message_dict)

    new_lines: list[SalesOrderLine] = []
    if not lines:
        errors["lines"] = [_("An order needs at least one line.")]
    else:
        new_lines = _validated_lines(lines, errors)
    if errors:
        raise InvalidInput(next(iter(errors.values()))[0], errors=errors)
    return order, new_lines


def _validated_lines(
    lines: Sequence[LineInput], errors: dict[str, list[str]]
) -> list[SalesOrderLine]:
    """Unsaved lines, adding what is wrong with them to ``errors`` as ``lines.N.field``."""
    item_codes = [_code_of(data.get("item")) for data in lines]
    items = Item.objects.select_related("uom").in_bulk(
        {code for code in item_codes if isinstance(code, str)}, field_name="code"
    )
    result, seen_numbers = [], set()
    for index, (data, item_code) in enumerate(zip(lines, item_codes, strict=True)):
        line = SalesOrderLine(
            line=data.get("line"),
            item=items.get(item_code) if isinstance(item_code, str) else None,
            qty=data.get("qty"),
            due_date=data.get("due_date"),
        )
        line_errors: dict[str, list[str]] = {}
        try:
            line.full_clean(
                exclude=["order", "item", "shipped_qty"],
                validate_unique=False,
                validate_constraints=False,
            )
        except ValidationError as exc:
            line_errors.update(exc.message_dict)
        if line.item_id is None:
            line_errors["item"] = [
                _("%(kind)s '%(code)s' does not exist.")
                % {"kind": Item._meta.verbose_name, "code": item_code or ""}
            ]
        if "line" not in line_errors:
            if line.line in seen_numbers:
                line_errors["line"] = [
                    _("Line %(line)s appears more than once.") % {"line": line.line}
                ]
            seen_numbers.add(line.line)
        if "qty" not in line_errors:
            line_errors.update(_qty_errors(line))
        for field, messages in line_errors.items():
            errors[f"lines.{index}.{field}"] = messages
        if not line_errors:
            line.qty = line.qty.quantize(QTY_STEP)
            result.append(line)
    return result


def _qty_errors(line: SalesOrderLine) -> dict[str, list[str]]:
    if line.qty <= 0:
        return {"qty": [_("The quantity must be greater than zero.")]}
    if line.item_id is not None:
        uom = line.item.uom
        if line.qty != line.qty.quantize(Decimal(1).scaleb(-uom.decimals)):
            return {
                "qty": [
                    _("%(uom)s allows at most %(places)s decimal places.")
                    % {"uom": uom.code, "places": uom.decimals}
                ]
            }
    return {}


# --- production orders from the ERP ------------------------------------------
#
# The order and its execution belong to production/; what orders/ adds is the
# reference to a sales order, which production cannot check (it does not import
# orders). The sales order is locked while it is checked, so its lines cannot
# change between the check and the write.


def create_production_order(
    *,
    actor,
    code: str,
    item: Item | str,
    qty: Decimal,
    due_date: date,
    priority: int = 0,
    sales_order: SalesOrder | str | None = None,
    sales_order_line: int | None = None,
    site: Site | None = None,
) -> ProductionOrder:
    """A new planned order; an existing code is AlreadyExists (409).

    ``sales_order`` (a record or its code) must exist; ``sales_order_line``, if
    given, must be a line of it for the same item. Otherwise InvalidInput names
    the field (400).
    """
    with transaction.atomic():
        sales_order_code = _checked_sales_order_reference(item, sales_order, sales_order_line)
        return execution.create_production_order(
            actor=actor,
            code=code,
            item=item,
            qty=qty,
            due_date=due_date,
            priority=priority,
            sales_order_code=sales_order_code,
            sales_order_line=sales_order_line,
            site=site,
        )


def upsert_production_order(
    *,
    actor,
    code: str,
    item: Item | str,
    qty: Decimal,
    due_date: date,
    priority: int = 0,
    sales_order: SalesOrder | str | None = None,
    sales_order_line: int | None = None,
    site: Site | None = None,
) -> tuple[ProductionOrder, bool]:
    """PUT semantics: create the order or replace it while it is planned; (order, created).

    The sales-order reference is checked as by ``create_production_order``; an
    order past planned cannot be replaced (InvalidTransition, 409).
    """
    with transaction.atomic():
        sales_order_code = _checked_sales_order_reference(item, sales_order, sales_order_line)
        return execution.upsert_production_order(
            actor=actor,
            code=code,
            item=item,
            qty=qty,
            due_date=due_date,
            priority=priority,
            sales_order_code=sales_order_code,
            sales_order_line=sales_order_line,
            site=site,
        )


def _checked_sales_order_reference(
    item: Item | str, sales_order: SalesOrder | str | None, line_number: int | None
) -> str:
    """The referenced sales order's code ("" for none), locked; InvalidInput if it is wrong."""
    code = _code_of(sales_order) or ""
    if not code:
        if line_number is not None:
            raise InvalidInput(
                _("A sales order line needs its sales order."), field="sales_order_line"
            )
        return ""
    order = SalesOrder.objects.select_for_update().filter(code=code).first()
    if order is None:
        raise InvalidInput(
            _("%(kind)s '%(code)s' does not exist.")
            % {"kind": SalesOrder._meta.verbose_name, "code": code},
            field="sales_order",
        )
    if line_number is None:
        return code
    line = order.lines.select_related("item").filter(line=line_number).first()
    if line is None:
        raise InvalidInput(
            _("Sales order %(order)s has no line %(line)s.") % {"order": code, "line": line_number},
            field="sales_order_line",
        )
    if line.item.code != _code_of(item):
        raise InvalidInput(
            _("Line %(line)s of sales order %(order)s is for %(line_item)s, not %(item)s.")
            % {
                "line": line_number,
                "order": code,
                "line_item": line.item.code,
                "item": _code_of(item),
            },
            field="sales_order_line",
        )
    return code


# --- planning production from open demand (MRP netting) ----------------------

OPEN_PRODUCTION_STATUSES = (
    ProductionOrder.Status.PLANNED,
    ProductionOrder.Status.RELEASED,
    ProductionOrder.Status.IN_PROGRESS,
)
# Orders whose materials are still in stock: their components are demand too.
MATERIALS_NOT_ISSUED_STATUSES = (ProductionOrder.Status.PLANNED, ProductionOrder.Status.RELEASED)
# The key of the PostgreSQL advisory lock that serialises planning runs.
PLANNING_LOCK_KEY = 0x504C414E  # "PLAN"
MAX_CODE_LENGTH = 64


@dataclass(frozen=True)
class PlanResult:
    created: list[ProductionOrder]
    shortages: list[netting.Shortage]  # bought items (raw materials) to order from suppliers


def plan_production(*, actor, today: date | None = None) -> PlanResult:
    """Create the production orders that open sales-order demand still needs.

    Demand (open quantities of open sales-order lines) is netted per item, in
    due-date order, against stock on hand in stock locations (not quarantine,
    WIP or shipping) and open production (planned, released, in progress: the
    quantity not yet made good). Each uncovered demand gets one order, due when
    the demand is; a product's order carries the sales order and line it
    serves. The shortfall is exploded through the item's active BOM:
    semi-finished components are netted the same way and get their own orders,
    ``MES_PLANNING_SUBASSEMBLY_LEAD_DAYS`` earlier per level (never before
    ``today``); raw materials are bought, so their shortfalls are returned as
    ``shortages``. Components of planned and released orders count as demand
    too (their materials are not issued yet). Order codes are
    ``PO-<item>-<yyyymmdd>``, with ``-2``, ``-3`` … when taken.

    All in one transaction; two runs never overlap (see ``_serialise_planning_runs``),
    and a second run finds the first one's orders as open production, so it
    creates nothing twice.
    """
    today = today or timezone.localdate()
    with transaction.atomic():
        _serialise_planning_runs()
        components = _active_bom_lines()
        open_orders = list(
            ProductionOrder.objects.filter(status__in=OPEN_PRODUCTION_STATUSES).values_list(
                "item__code", "status", "qty", "qty_good", "due_date"
            )
        )
        demands = [
            netting.Demand(line.item.code, line.open_qty, line.due_date, line.order.code, line.line)
            for line in selectors.list_open_demand()
        ]
        demands += _components_of_open_orders(open_orders, components, today)
        items = Item.objects.select_related("uom").in_bulk(
            netting.reachable({demand.item for demand in demands}, components), field_name="code"
        )
        supply = _open_production_by_item(open_orders)
        for code, qty in _usable_stock(list(items)).items():
            supply[code] += qty
        planned, shortages = netting.plan(
            demands,
            supply=supply,
            components=components,
            made=lambda code: items[code].kind != Item.Kind.RAW,
            lead_days=settings.MES_PLANNING_SUBASSEMBLY_LEAD_DAYS,
            earliest=today,
            order_qty=lambda code, qty: _rounded_up(qty, items[code].uom.decimals),
        )
        created = [
            _create_planned_order(order, items[order.item], actor=actor) for order in planned
        ]
        return PlanResult(created=created, shortages=shortages)


def _serialise_planning_runs() -> None:
    """Make a concurrent planning run wait until this one commits.

    Two runs reading the same demand and supply at once would each create the
    same orders. On PostgreSQL an advisory lock held until commit serialises
    them without locking rows that others (the ERP, the shop floor) write. On
    SQLite a second writer cannot start while the first holds the database's
    write lock, so it fails with "database is locked" instead of duplicating.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [PLANNING_LOCK_KEY])


def _active_bom_lines() -> dict[str, list[BomLineEdge]]:
    """Every active BOM's lines by parent item code, in one query."""
    components: dict[str, list[BomLineEdge]] = defaultdict(list)
    rows = BomLine.objects.filter(bom__is_active=True).order_by("parent_id", "line")
    for parent, component, qty_per, uom in rows.values_list(
        "parent__code", "component__code", "qty_per", "uom__code"
    ):
        components[parent].append(BomLineEdge(component, qty_per, uom))
    return components


def _open_production_by_item(open_orders: Iterable[tuple]) -> dict[str, Decimal]:
    supply: dict[str, Decimal] = defaultdict(Decimal)
    for item_code, _status, qty, qty_good, _due in open_orders:
        supply[item_code] += max(qty - qty_good, Decimal(0))
    return supply


def _components_of_open_orders(
    open_orders: Iterable[tuple], components: Mapping[str, Sequence[BomLineEdge]], today: date
) -> list[netting.Demand]:
    lead_days = settings.MES_PLANNING_SUBASSEMBLY_LEAD_DAYS
    demands = []
    for item_code, status, qty, qty_good, due_date in open_orders:
        remaining = qty - qty_good
        if status not in MATERIALS_NOT_ISSUED_STATUSES or remaining <= 0:
            continue
        component_due = max(due_date - timedelta(days=lead_days), today)
        demands += [
            netting.Demand(line.component, remaining * line.qty_per, component_due)
            for line in components.get(item_code, ())
        ]
    return demands


def _usable_stock(item_codes: Iterable[str]) -> dict[str, Decimal]:
    """On hand per item in stock locations: quarantine, WIP and shipping stock is not free."""
    on_hand: dict[str, Decimal] = defaultdict(Decimal)
    balances = inventory_selectors.list_stock(
        item__code__in=item_codes, location__kind=Location.Kind.STOCK
    )
    for balance in balances:
        on_hand[balance.item.code] += balance.qty
    return on_hand


def _rounded_up(qty: Decimal, places: int) -> Decimal:
    return qty.quantize(Decimal(1).scaleb(-places), rounding=ROUND_CEILING)


def _create_planned_order(order: netting.PlannedOrder, item: Item, *, actor) -> ProductionOrder:
    """Create the order under the first free code ``PO-<item>-<yyyymmdd>[-n]``."""
    base = f"PO-{item.code}-{order.due_date:%Y%m%d}"
    counter = 1
    while True:
        suffix = f"-{counter}" if counter > 1 else ""
        code = base[: MAX_CODE_LENGTH - len(suffix)] + suffix
        counter += 1
        if ProductionOrder.objects.filter(code=code).exists():
            continue
        try:
            with transaction.atomic():
                return execution.create_production_order(
                    actor=actor,
                    code=code,
                    item=item,
                    qty=order.qty,
                    due_date=order.due_date,
                    sales_order_code=order.sales_order,
                    sales_order_line=order.sales_order_line,
                )
        except AlreadyExists:
            continue  # the ERP took this code since we looked
