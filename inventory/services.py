"""Units of measure, items and versioned BOMs: every write to them goes through here."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from mes import audit
from mes.errors import BomCycle, InvalidInput
from mes.services import create_record, update_record, upsert_record

from . import bom_graph
from .models import Bom, BomLine, Item, ItemVersion, UnitOfMeasure
from .selectors import active_bom_edges, get_active_bom

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
