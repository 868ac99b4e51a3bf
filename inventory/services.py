"""Units, items, versioned BOMs, locations, lots and the stock ledger: every write goes here."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable, Collection
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from mes import audit
from mes.errors import (
    AlreadyExists,
    BomCycle,
    DomainError,
    InsufficientStock,
    InvalidInput,
    InvalidTransition,
)
from mes.services import create_record, update_record, upsert_record, validate_record
from mes.webhooks.services import EventType, record_event

from . import bom_graph
from .models import (
    Bom,
    BomLine,
    Item,
    ItemVersion,
    Location,
    Lot,
    StockBalance,
    StockMove,
    UnitOfMeasure,
)
from .selectors import BALANCE_LOCK_ORDER, active_bom_edges, get_active_bom, get_posting

V = TypeVar("V", bound=ItemVersion)

# --- units of measure --------------------------------------------------------


def create_uom(*, actor, code: str, name: str, decimals: int = 3) -> UnitOfMeasure:
    return create_record(
        UnitOfMeasure, actor=actor, values={"code": code, "name": name, "decimals": decimals}
    )


def upsert_uom(*, actor, code: str, name: str, decimals: int = 3) -> tuple[UnitOfMeasure, bool]:
    return upsert_record(
        UnitOfMeasure, actor=actor, code=code, values={"name": name, "decimals": decimals}
    )


def update_uom(uom: UnitOfMeasure, *, actor, **values) -> UnitOfMeasure:
    return update_record(uom, actor=actor, values=values)


# --- items -------------------------------------------------------------------


def create_item(
    *,
    actor,
    code: str,
    name: str,
    kind: str,
    uom: UnitOfMeasure,
    tracking: str = Item.Tracking.NONE,
    description: str = "",
) -> Item:
    values = {"name": name, "kind": kind, "uom": uom, "tracking": tracking}
    return create_record(
        Item, actor=actor, values={"code": code, **values, "description": description}
    )


def upsert_item(
    *,
    actor,
    code: str,
    name: str,
    kind: str,
    uom: UnitOfMeasure,
    tracking: str = Item.Tracking.NONE,
    description: str = "",
) -> tuple[Item, bool]:
    values = {"name": name, "kind": kind, "uom": uom, "tracking": tracking}
    return upsert_record(
        Item, actor=actor, code=code, values={**values, "description": description}
    )


def update_item(item: Item, *, actor, **values) -> Item:
    return update_record(item, actor=actor, values=values)


# --- bills of materials --------------------------------------------------------

# The key of the PostgreSQL advisory lock that serialises BOM changes plant-wide.
BOM_STRUCTURE_LOCK_KEY = 0x424F4D  # "BOM"


def _serialise_bom_changes() -> None:
    """Let one BOM change at a time check for cycles and write.

    Locking the parent item keeps two changes of the same BOM apart, but two
    changes of *different* items can close a loop together (A gets B while B
    gets A), each unseen by the other's check. BOM edits are rare, so one
    transaction-scoped lock for all of them is cheap. SQLite has a single
    writer anyway.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [BOM_STRUCTURE_LOCK_KEY])


def _component_lines(item: Item, components: list[dict[str, Any]]) -> list[BomLine]:
    """The proposed lines, unsaved, or InvalidInput naming ``components.N.<field>``."""
    lines: list[BomLine] = []
    errors: dict[str, list[str]] = {}
    first_line_of: dict[int, int] = {}
    qty_field = BomLine._meta.get_field("qty_per")
    for index, component in enumerate(components):
        field = f"components.{index}"
        if not isinstance(component, dict):
            errors[field] = [_("Each component is an object with item, qty_per and uom.")]
            continue
        child = component.get("item")
        if not isinstance(child, Item) or child.pk is None:
            errors[f"{field}.item"] = [_("An existing item is required.")]
            continue
        if child.pk == item.pk:
            errors[f"{field}.item"] = [_("An item cannot be a component of itself.")]
        elif child.pk in first_line_of:
            errors[f"{field}.item"] = [
                _("%(item)s is already on line %(line)s; list each component once.")
                % {"item": child.code, "line": first_line_of[child.pk] + 1}
            ]
        first_line_of.setdefault(child.pk, index)

        try:
            qty_per = Decimal(str(component.get("qty_per")))
            valid_qty = qty_per.is_finite() and qty_per > 0
        except InvalidOperation:
            valid_qty = False
        if not valid_qty:
            errors[f"{field}.qty_per"] = [_("The quantity per unit must be a number above 0.")]
        else:
            try:
                qty_field.run_validators(qty_per)
            except ValidationError as exc:  # more digits than the column holds
                errors[f"{field}.qty_per"] = list(exc.messages)

        uom = component.get("uom") or child.uom
        if not isinstance(uom, UnitOfMeasure):
            errors[f"{field}.uom"] = [_("An existing unit of measure is required.")]
        elif uom.pk != child.uom_id:
            # Units are not converted: a different unit would make exploded
            # quantities wrong, so a line is kept in its component's own unit.
            errors[f"{field}.uom"] = [
                _("%(item)s is kept in %(unit)s; a BOM line uses the component's unit.")
                % {"item": child.code, "unit": child.uom.code}
            ]
        if not any(key.startswith(f"{field}.") for key in errors):
            lines.append(
                BomLine(parent=item, line=index + 1, component=child, qty_per=qty_per, uom=uom)
            )
    if errors:
        raise InvalidInput(next(iter(errors.values()))[0], errors=errors)
    return lines


def _components_of(lines) -> list[dict[str, str]]:
    """Lines as plain values, for the audit trail and to compare versions."""
    return [
        {
            "item": line.component.code,
            "qty_per": audit.plain_decimal(line.qty_per),
            "uom": line.uom.code,
        }
        for line in lines
    ]


def _refuse_cycle(item: Item, lines: list[BomLine]) -> None:
    graph: dict[str, set[str]] = {}
    for parent, component in active_bom_edges():
        graph.setdefault(parent, set()).add(component)
    path = bom_graph.find_cycle(graph, item.code, [line.component.code for line in lines])
    if path is not None:
        raise BomCycle(
            _("The BOM would contain its own item: %(path)s.") % {"path": " → ".join(path)},
            field="components",
        )


def open_next_version(model: type[V], item: Item, *, actor, active: V | None) -> V:
    """Retire the item's active version (audited) and create the next one, active.

    For BOMs and routings alike. The caller holds the item's row lock, so version
    numbers have no gaps or races; the new version's content is the caller's.
    """
    if active is not None:
        before = audit.snapshot(active)
        active.is_active = False
        active.save()  # before the insert: one active version per item
        audit.record_update(actor, active, before)
    last_version = model.objects.filter(item=item).aggregate(last=Max("version"))["last"]
    return model.objects.create(
        item=item,
        version=(last_version or 0) + 1,
        is_active=True,
        created_by=actor if getattr(actor, "pk", None) else None,
    )


def replace_bom(item: Item, *, actor, components: list[dict[str, Any]]) -> tuple[Bom, bool]:
    """``set_bom`` that also says whether a new version was made (False: unchanged)."""
    lines = _component_lines(item, components)
    with transaction.atomic():
        _serialise_bom_changes()  # first: waiting for it while holding a row lock can deadlock
        # no_key: lines of other BOMs may still reference the item meanwhile.
        item = Item.objects.select_for_update(no_key=True).get(pk=item.pk)
        active = get_active_bom(item)
        old_components = _components_of(active.lines.all()) if active else None
        new_components = _components_of(lines)
        if old_components == new_components:
            return active, False
        _refuse_cycle(item, lines)

        bom = open_next_version(Bom, item, actor=actor, active=active)
        for line in lines:
            line.bom = bom
        BomLine.objects.bulk_create(lines)
        audit.record_create(actor, bom, extra={"components": [old_components, new_components]})
    return get_active_bom(item), True


def set_bom(item: Item, *, actor, components: list[dict[str, Any]]) -> Bom:
    """Make ``components`` the item's active BOM as a new version; earlier versions are kept.

    Each component is ``{"item": Item, "qty_per": Decimal, "uom": UnitOfMeasure | None}``
    (no unit: the component's own). Lines are numbered 1… in list order. An
    empty list makes an empty active version: the item has no components from
    now on. If the active version already has exactly these lines, nothing is
    written and it is returned. Raises InvalidInput naming
    ``components.N.item|qty_per|uom`` and BomCycle (field ``components``) when
    the item would contain itself through the other items' active BOMs.
    """
    return replace_bom(item, actor=actor, components=components)[0]


# --- locations -----------------------------------------------------------------


def create_location(
    *,
    actor,
    code: str,
    name: str,
    kind: str = Location.Kind.STOCK,
    allow_negative: bool = False,
    site=None,
) -> Location:
    values = {"name": name, "kind": kind, "allow_negative": allow_negative, "site": site}
    return create_record(Location, actor=actor, values={"code": code, **values})


def upsert_location(
    *,
    actor,
    code: str,
    name: str,
    kind: str = Location.Kind.STOCK,
    allow_negative: bool = False,
    site=None,
) -> tuple[Location, bool]:
    """PUT semantics; without `site` an existing location keeps its site (new: shared)."""
    values = {"name": name, "kind": kind, "allow_negative": allow_negative}
    if site is not None:
        values["site"] = site
    return upsert_record(Location, actor=actor, code=code, values=values)


def update_location(location: Location, *, actor, **values) -> Location:
    """Change a location (audited). Turning ``allow_negative`` off leaves balances that
    are already negative as they are: they can be raised, never lowered further."""
    return update_record(location, actor=actor, values=values)


# --- lots and serial numbers -----------------------------------------------------


def _untracked(item: Item, field: str = "lot") -> InvalidInput:
    return InvalidInput(
        _("%(item)s is not tracked by lot or serial number; give no lot.") % {"item": item.code},
        field=field,
    )


def _lot(item: Item, code: str, *, is_serial: bool, expires_on, field: str) -> Lot:
    try:
        return Lot.objects.get(item=item, code=code)
    except Lot.DoesNotExist:
        pass
    lot = Lot(item=item, code=code, is_serial=is_serial, expires_on=expires_on)
    try:
        validate_record(lot, validate_unique=False)
    except InvalidInput as exc:  # the client's field is the lot or serial, not `code`
        raise InvalidInput(exc.message, field=field) from exc
    try:
        with transaction.atomic():
            lot.save()
    except IntegrityError:  # made concurrently since we looked
        return Lot.objects.get(item=item, code=code)
    return lot


def get_or_create_lot(
    *,
    actor,
    item: Item,
    code: str,
    is_serial: bool | None = None,
    expires_on: datetime.date | None = None,
) -> Lot:
    """The item's lot (or serial number) with this code, made if new.

    ``is_serial`` defaults to whether the item is tracked by serial number. An
    existing lot is returned unchanged. Lots are not audited: the receipt that
    makes one is in the ledger. An untracked item has no lots: InvalidInput
    (field ``lot``).
    """
    if item.tracking == Item.Tracking.NONE:
        raise _untracked(item)
    if is_serial is None:
        is_serial = item.tracking == Item.Tracking.SERIAL
    return _lot(item, code, is_serial=is_serial, expires_on=expires_on, field="lot")


def update_lot(lot: Lot, *, actor, expires_on: datetime.date | None) -> Lot:
    """A lot's expiry date is the one thing that may change (audited)."""
    return update_record(lot, actor=actor, values={"expires_on": expires_on})


# --- the stock ledger ------------------------------------------------------------

BalanceKey = tuple[int, int | None, int]  # (item_id, lot_id, location_id)


def _quantity(value: Any, *, field: str = "qty", positive: bool = False) -> Decimal:
    """A finite, non-zero decimal that fits the quantity columns (above 0 if ``positive``)."""
    try:
        qty = Decimal(str(value))
        valid = qty.is_finite() and (qty > 0 if positive else qty != 0)
    except (InvalidOperation, ValueError, TypeError):
        valid = False
    if not valid:
        message = (
            _("The quantity must be a number above 0.")
            if positive
            else _("The quantity must be a number other than 0.")
        )
        raise InvalidInput(message, field=field)
    try:
        StockMove._meta.get_field("qty").run_validators(qty.normalize())
    except ValidationError as exc:
        raise InvalidInput(exc.messages[0], field=field) from exc
    return qty


def _lot_in_message(lot: Lot | None) -> str:
    return _(" lot %(lot)s") % {"lot": lot.code} if lot is not None else ""


def _validated_move(move: dict[str, Any]) -> StockMove:
    """One move dict as an unsaved StockMove, or InvalidInput naming the field."""
    item, lot, location = move.get("item"), move.get("lot"), move.get("location")
    if not isinstance(item, Item) or item.pk is None:
        raise InvalidInput(_("An existing item is required."), field="item")
    if not isinstance(location, Location) or location.pk is None:
        raise InvalidInput(_("An existing location is required."), field="location")
    qty = _quantity(move.get("qty"))
    reason = move.get("reason")
    if reason not in StockMove.Reason.values:
        raise InvalidInput(_("Unknown reason: %(reason)s") % {"reason": reason}, field="reason")
    if item.tracking == Item.Tracking.NONE:
        if lot is not None:
            raise _untracked(item)
    elif lot is None:
        raise InvalidInput(
            _("%(item)s is tracked %(tracking)s: name the lot.")
            % {"item": item.code, "tracking": item.get_tracking_display()},
            field="lot",
        )
    elif not isinstance(lot, Lot) or lot.pk is None:
        raise InvalidInput(_("An existing lot is required."), field="lot")
    elif lot.item_id != item.pk:
        raise InvalidInput(
            _("Lot %(lot)s is not a lot of %(item)s.") % {"lot": lot.code, "item": item.code},
            field="lot",
        )
    elif lot.is_serial and abs(qty) != 1:
        raise InvalidInput(_("A serial number moves one unit at a time."), field="qty")
    return StockMove(
        item=item,
        lot=lot,
        location=location,
        qty=qty,
        reason=reason,
    )


def _lock_balances(keys: list[BalanceKey]) -> dict[BalanceKey, StockBalance]:
    """Make the balance rows that are missing, then lock them all in one stable order.

    Inserting first (ON CONFLICT DO NOTHING, also in key order) means the lock
    query finds every row; locking every posting's rows in the same order
    (BALANCE_LOCK_ORDER) means two postings never wait for each other in a circle.
    """
    StockBalance.objects.bulk_create(
        [StockBalance(item_id=i, lot_id=lot, location_id=loc, qty=0) for i, lot, loc in keys],
        ignore_conflicts=True,
    )
    wanted = Q()
    for item_id, lot_id, location_id in keys:
        wanted |= Q(item_id=item_id, lot_id=lot_id, location_id=location_id)
    rows = (
        StockBalance.objects.select_for_update(of=("self",))
        .select_related("location")
        .filter(wanted)
        .order_by(*BALANCE_LOCK_ORDER)
    )
    return {(b.item_id, b.lot_id, b.location_id): b for b in rows}


def _lock_key(key: BalanceKey) -> tuple:
    item_id, lot_id, location_id = key
    return (item_id, lot_id is not None, lot_id or 0, location_id)


def _apply_to_balances(moves: list[StockMove]) -> None:
    """Add the moves to their balances, refusing stock below zero where it is not allowed."""
    deltas: dict[BalanceKey, Decimal] = {}
    first_move: dict[BalanceKey, StockMove] = {}
    for move in moves:
        key = (move.item_id, move.lot_id, move.location_id)
        deltas[key] = deltas.get(key, Decimal(0)) + move.qty
        first_move.setdefault(key, move)
    keys = sorted(deltas, key=_lock_key)
    balances = _lock_balances(keys)
    now = timezone.now()
    for key in keys:
        delta, balance, move = deltas[key], balances[key], first_move[key]
        if delta == 0:
            continue
        after = balance.qty + delta
        if after < 0 and delta < 0 and not balance.location.allow_negative:
            raise InsufficientStock(
                _(
                    "Not enough %(item)s%(lot)s at %(location)s: "
                    "%(on_hand)s on hand, %(asked)s asked."
                )
                % {
                    "item": move.item.code,
                    "lot": _lot_in_message(move.lot),
                    "location": balance.location.code,
                    "on_hand": audit.plain_decimal(balance.qty),
                    "asked": audit.plain_decimal(-delta),
                }
            )
        StockBalance.objects.filter(pk=balance.pk).update(
            qty=F("qty") + delta,
            # below zero only where allowed, or where a receipt left a deficit smaller
            negative_allowed=balance.location.allow_negative or after < 0,
            updated_at=now,
        )
    _check_serials(moves)


def _check_serials(moves: list[StockMove]) -> None:
    """A serial number is on hand once or not at all, counting every location.

    Its lot row is locked (after the balances, as every posting does) so that two
    postings of one serial at different locations see each other's result.
    """
    serials = {move.lot_id: move for move in moves if move.lot is not None and move.lot.is_serial}
    if not serials:
        return
    list(
        Lot.objects.select_for_update(no_key=True)
        .filter(pk__in=serials)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    totals = (
        StockBalance.objects.filter(lot_id__in=serials)
        .values("lot_id")
        .annotate(total=Sum("qty"))
        .values_list("lot_id", "total")
    )
    for lot_id, total in totals:
        names = {"serial": serials[lot_id].lot.code, "item": serials[lot_id].item.code}
        if total > 1:
            raise AlreadyExists(
                _("Serial number %(serial)s of %(item)s is already in stock.") % names
            )
        if total < 0:
            raise InsufficientStock(
                _("Serial number %(serial)s of %(item)s is not in stock.") % names
            )


def _check_text(field: str, value: str | None) -> None:
    if not value:
        return
    if "\x00" in value:
        raise InvalidInput(_("Null characters are not allowed."), field=field)
    try:
        StockMove._meta.get_field(field).run_validators(value)
    except ValidationError as exc:
        raise InvalidInput(exc.messages[0], field=field) from exc


def _post_moves(
    *,
    actor,
    moves: list[dict[str, Any]],
    reference: str,
    client_ref: str | None,
    reverses: StockMove | None = None,
) -> list[StockMove]:
    rows = [_validated_move(move) for move in moves]
    if not rows:
        raise InvalidInput(_("A posting needs at least one move."), field="moves")
    rows[0].reverses = reverses
    posting = uuid.uuid4()
    created_by = actor if getattr(actor, "pk", None) else None
    for number, row in enumerate(rows):
        row.posting, row.reference, row.created_by = posting, reference, created_by
        if client_ref is not None:
            row.client_ref = client_ref if number == 0 else f"{client_ref}#{number}"
    _check_text("reference", reference)
    _check_text("client_ref", rows[-1].client_ref)
    with transaction.atomic():
        # The moves first: a concurrent twin of a client_ref fails here, before any check.
        created = StockMove.objects.bulk_create(rows)
        _apply_to_balances(created)
    return created


def _once(client_ref: str | None, post: Callable[[], list[StockMove]]) -> list[StockMove]:
    """Run a posting, unless the posting of ``client_ref`` exists: then return its moves.

    A concurrent twin that committed first makes ours fail (unique client_ref, or
    the stock it took); that failure is the twin's success, so its moves are returned.
    """
    if client_ref is None:
        return post()
    if existing := get_posting(client_ref):
        return existing
    try:
        with transaction.atomic():
            return post()
    except (IntegrityError, DomainError):
        if existing := get_posting(client_ref):
            return existing
        raise


def post_stock_moves(
    *,
    actor,
    moves: list[dict[str, Any]],
    reference: str = "",
    client_ref: str | None = None,
) -> list[StockMove]:
    """Write moves to the ledger and their balances, all or nothing: the one write path.

    Each move is ``{"item": Item, "lot": Lot | None, "location": Location,
    "qty": Decimal (signed, not 0), "reason": StockMove.Reason}`` (a
    correction is reverse_stock_move, not a move here). The moves share one ``posting``
    uuid. With ``client_ref``, the first move stores it and the n-th (from 1)
    ``f"{client_ref}#{n}"``; a posting whose client_ref exists already is
    returned as it is and nothing is written (retry-safe, also under races).

    Refused with nothing written: InvalidInput naming ``item``, ``location``,
    ``qty``, ``reason`` or ``lot`` (a lot for an untracked item, none for a
    tracked one, a lot of another item, a serial moved by other than ±1);
    InsufficientStock (409) when a balance would fall below zero at a location
    that does not allow negative stock; AlreadyExists / InsufficientStock when a
    serial number would be on hand more than once or less than never.
    """
    return _once(
        client_ref,
        lambda: _post_moves(actor=actor, moves=moves, reference=reference, client_ref=client_ref),
    )


def _refuse_units_finer_than(item: Item, qty: Decimal) -> None:
    places = item.uom.decimals
    if -qty.normalize().as_tuple().exponent > places:
        raise InvalidInput(
            _("%(unit)s allows %(places)s decimal places.")
            % {"unit": item.uom.code, "places": places},
            field="qty",
        )


def receive_stock(
    *,
    actor,
    item: Item,
    qty: Decimal,
    location: Location,
    lot_code: str | None = None,
    serials: list[str] | None = None,
    expires_on: datetime.date | None = None,
    reason: str = StockMove.Reason.RECEIPT,
    reference: str = "",
    client_ref: str | None = None,
) -> list[StockMove]:
    """Put ``qty`` of ``item`` into ``location``: purchased material, or finished goods
    (``reason="production"``).

    A lot-tracked item needs ``lot_code`` (the lot is made if new, with
    ``expires_on``); a serial-tracked item needs ``serials``, one per unit
    (``len(serials) == qty``), and gets one move of +1 per serial; an untracked
    item takes neither. The quantity must fit the item's unit (EA: whole units).
    Refused: InvalidInput naming ``qty``, ``lot`` or ``serials``; AlreadyExists
    for a serial number already in stock.
    """
    qty = _quantity(qty, positive=True)
    _refuse_units_finer_than(item, qty)
    tracking = item.tracking
    names = {"item": item.code}
    if tracking != Item.Tracking.LOT and lot_code:
        raise InvalidInput(_("%(item)s is not tracked by lot; give no lot.") % names, field="lot")
    if tracking != Item.Tracking.SERIAL and serials:
        raise InvalidInput(
            _("%(item)s is not tracked by serial number; give no serials.") % names,
            field="serials",
        )
    if tracking == Item.Tracking.LOT and not lot_code:
        raise InvalidInput(_("%(item)s is tracked by lot: a lot is required.") % names, field="lot")
    if tracking == Item.Tracking.SERIAL:
        serials = list(serials or [])
        if len(serials) != qty:
            raise InvalidInput(
                _("%(item)s is tracked by serial number: give one per unit (%(qty)s).")
                % {**names, "qty": audit.plain_decimal(qty)},
                field="serials",
            )
        if len(set(serials)) != len(serials):
            raise InvalidInput(_("Each serial number may be given once."), field="serials")

    def post() -> list[StockMove]:
        with transaction.atomic():
            if tracking == Item.Tracking.SERIAL:
                # made in code order: two receipts naming the same new serials never
                # wait for each other's inserts in a circle
                made = {
                    code: _lot(item, code, is_serial=True, expires_on=expires_on, field="serials")
                    for code in sorted(serials)
                }
                lots = [(made[code], 1) for code in serials]
            elif tracking == Item.Tracking.LOT:
                lot = _lot(item, lot_code, is_serial=False, expires_on=expires_on, field="lot")
                lots = [(lot, qty)]
            else:
                lots = [(None, qty)]
            moves = [
                {"item": item, "lot": lot, "location": location, "qty": part, "reason": reason}
                for lot, part in lots
            ]
            posted = _post_moves(
                actor=actor, moves=moves, reference=reference, client_ref=client_ref
            )
            record_event(
                EventType.STOCK_RECEIVED,
                {
                    "item": item.code,
                    "qty": qty,
                    "location": location.code,
                    "lots": [{"lot": lot.code, "qty": part} for lot, part in lots if lot],
                    "reason": reason,
                    "reference": reference,
                },
                site_id=location.site_id,
            )
            return posted

    return _once(client_ref, post)


def _named_takes(lots: list[tuple[Lot, Decimal]], qty: Decimal) -> list[tuple[Lot, Decimal]]:
    takes = [(lot, _quantity(part, field="lots", positive=True)) for lot, part in lots]
    if sum((part for _lot_, part in takes), Decimal(0)) != qty:
        raise InvalidInput(_("The lots' quantities must add up to the quantity."), field="lots")
    return takes


def _fifo_takes(
    item: Item, location: Location, qty: Decimal, skip_lot_ids: Collection[int] = ()
) -> list[tuple[Lot, Decimal]]:
    """First in, first out over the item's lots at the location (oldest lot first).

    The balances are locked first, in the posting's order, so the lots chosen still
    hold the stock when the moves are posted. Short stock at a location that
    allows negative stock: the rest is taken from the newest lot that has a
    balance there (even 0 or below); else InsufficientStock.
    """
    balances = list(
        StockBalance.objects.select_for_update(of=("self",))
        .select_related("lot", "location")
        .filter(item=item, location=location, lot__isnull=False)
        .exclude(lot_id__in=list(skip_lot_ids))
        .order_by(*BALANCE_LOCK_ORDER)
    )
    balances.sort(key=lambda balance: (balance.lot.created_at, balance.lot_id))
    takes: dict[int, tuple[Lot, Decimal]] = {}
    remaining = qty
    for balance in balances:
        if remaining <= 0:
            break
        if balance.qty > 0:
            take = min(balance.qty, remaining)
            takes[balance.lot_id] = (balance.lot, take)
            remaining -= take
    if remaining > 0:
        if not balances or not balances[-1].location.allow_negative:
            raise InsufficientStock(
                _("Not enough %(item)s at %(location)s: %(on_hand)s on hand, %(asked)s asked.")
                % {
                    "item": item.code,
                    "location": location.code,
                    "on_hand": audit.plain_decimal(qty - remaining),
                    "asked": audit.plain_decimal(qty),
                }
            )
        newest = balances[-1]
        taken = takes.get(newest.lot_id, (newest.lot, Decimal(0)))[1]
        takes[newest.lot_id] = (newest.lot, taken + remaining)
    return list(takes.values())


def consume_stock(
    *,
    actor,
    item: Item,
    qty: Decimal,
    location: Location,
    lots: list[tuple[Lot, Decimal]] | None = None,
    reason: str = StockMove.Reason.CONSUMPTION,
    reference: str = "",
    client_ref: str | None = None,
    skip_lot_ids: Collection[int] = (),
) -> list[StockMove]:
    """Take ``qty`` (above 0) of ``item`` out of ``location``: one move per lot.

    Untracked item: one move without a lot. Tracked item: from the named
    ``lots`` [(lot, qty), …] (their quantities add up to ``qty``), or, with
    ``lots=None``, first in first out: oldest lot first (lot created_at, then
    id) over the lots with stock at the location. Short stock is
    InsufficientStock (409) with nothing written, except at a location that
    allows negative stock: there an untracked balance or a named lot may go
    below zero, and FIFO charges what the lots lack to the newest lot that has
    a balance at the location (no such lot: still InsufficientStock). FIFO never
    takes from ``skip_lot_ids`` (lots on hold).
    """
    qty = _quantity(qty, positive=True)

    def post() -> list[StockMove]:
        with transaction.atomic():
            if item.tracking == Item.Tracking.NONE:
                if lots:
                    raise _untracked(item, field="lots")
                takes: list[tuple[Lot | None, Decimal]] = [(None, qty)]
            elif lots is not None:
                takes = _named_takes(lots, qty)
            else:
                takes = _fifo_takes(item, location, qty, skip_lot_ids)
            moves = [
                {"item": item, "lot": lot, "location": location, "qty": -part, "reason": reason}
                for lot, part in takes
            ]
            return _post_moves(actor=actor, moves=moves, reference=reference, client_ref=client_ref)

    return _once(client_ref, post)


def transfer_stock(
    *,
    actor,
    item: Item,
    qty: Decimal,
    lot: Lot | None,
    from_location: Location,
    to_location: Location,
    reference: str = "",
    client_ref: str | None = None,
) -> list[StockMove]:
    """Move ``qty`` of one lot (None: untracked) between locations: two moves, one posting."""
    qty = _quantity(qty, positive=True)
    if from_location == to_location:
        raise InvalidInput(_("A transfer goes to another location."), field="to_location")
    common = {"item": item, "lot": lot, "reason": StockMove.Reason.TRANSFER}
    moves = [
        {**common, "location": from_location, "qty": -qty},
        {**common, "location": to_location, "qty": qty},
    ]
    return post_stock_moves(actor=actor, moves=moves, reference=reference, client_ref=client_ref)


def reverse_stock_move(move: StockMove, *, actor, reference: str = "") -> StockMove:
    """Correct a move by a new one with the opposite quantity (reason ``reversal``).

    A move is reversed at most once (InvalidTransition, 409). A reversal that
    would take stock below zero is refused like any other posting.
    """
    with transaction.atomic():
        original = (
            StockMove.objects.select_for_update(of=("self",))
            .select_related("item", "lot", "location")
            .get(pk=move.pk)
        )
        if StockMove.objects.filter(reverses=original).exists():
            raise InvalidTransition(
                _("Stock move %(move)s has been reversed already.") % {"move": original.pk}
            )
        reversal = {
            "item": original.item,
            "lot": original.lot,
            "location": original.location,
            "qty": -original.qty,
            "reason": StockMove.Reason.REVERSAL,
        }
        return _post_moves(
            actor=actor,
            moves=[reversal],
            reference=reference or original.reference,
            client_ref=None,
            reverses=original,
        )[0]
