"""Plant hierarchy, routings and reason codes: every write, audited.

Sites, areas, work centers and machines are coded records written through
``mes.services``; a routing is replaced as a whole by ``set_routing``, which
makes a new active version and keeps the earlier ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.db import transaction
from django.utils.translation import gettext as _

from inventory.models import Item
from inventory.services import open_next_version
from mes import audit
from mes.errors import InvalidInput
from mes.services import create_record, update_record, upsert_record

from .models import Area, Machine, ReasonCode, Routing, RoutingOperation, Site, WorkCenter

# --- plant hierarchy ----------------------------------------------------------


def create_site(*, actor, code: str, name: str, time_zone: str = "Asia/Seoul") -> Site:
    return create_record(
        Site, actor=actor, values={"code": code, "name": name, "time_zone": time_zone}
    )


def upsert_site(*, actor, code: str, name: str, time_zone: str = "Asia/Seoul") -> tuple[Site, bool]:
    return upsert_record(
        Site, actor=actor, code=code, values={"name": name, "time_zone": time_zone}
    )


def update_site(site: Site, *, actor, **values: Any) -> Site:
    return update_record(site, actor=actor, values=values)


def create_area(*, actor, code: str, name: str, site: Site) -> Area:
    return create_record(Area, actor=actor, values={"code": code, "name": name, "site": site})


def upsert_area(*, actor, code: str, name: str, site: Site) -> tuple[Area, bool]:
    return upsert_record(Area, actor=actor, code=code, values={"name": name, "site": site})


def update_area(area: Area, *, actor, **values: Any) -> Area:
    return update_record(area, actor=actor, values=values)


def create_work_center(
    *, actor, code: str, name: str, area: Area | None = None, is_active: bool = True
) -> WorkCenter:
    return create_record(
        WorkCenter,
        actor=actor,
        values={"code": code, "name": name, "area": area, "is_active": is_active},
    )


def upsert_work_center(
    *, actor, code: str, name: str, area: Area | None = None, is_active: bool = True
) -> tuple[WorkCenter, bool]:
    return upsert_record(
        WorkCenter,
        actor=actor,
        code=code,
        values={"name": name, "area": area, "is_active": is_active},
    )


def update_work_center(work_center: WorkCenter, *, actor, **values: Any) -> WorkCenter:
    return update_record(work_center, actor=actor, values=values)


def create_machine(
    *,
    actor,
    code: str,
    name: str,
    work_center: WorkCenter,
    ideal_cycle_time_s: Decimal | str,
    is_active: bool = True,
) -> Machine:
    return create_record(
        Machine,
        actor=actor,
        values={
            "code": code,
            "name": name,
            "work_center": work_center,
            "ideal_cycle_time_s": ideal_cycle_time_s,
            "is_active": is_active,
        },
    )


def upsert_machine(
    *,
    actor,
    code: str,
    name: str,
    work_center: WorkCenter,
    ideal_cycle_time_s: Decimal | str,
    is_active: bool = True,
) -> tuple[Machine, bool]:
    return upsert_record(
        Machine,
        actor=actor,
        code=code,
        values={
            "name": name,
            "work_center": work_center,
            "ideal_cycle_time_s": ideal_cycle_time_s,
            "is_active": is_active,
        },
    )


def update_machine(machine: Machine, *, actor, **values: Any) -> Machine:
    return update_record(machine, actor=actor, values=values)


# --- reason codes -------------------------------------------------------------


def _affects_availability(kind: str, requested: bool | None) -> bool:
    """Only downtime can be an availability loss; downtime is one unless said otherwise."""
    return kind == ReasonCode.Kind.DOWNTIME and requested is not False


def _refuse_kind_change(reason: ReasonCode, kind: str) -> None:
    # Recorded scrap, downtime and pauses already point at the code under its kind.
    if kind != reason.kind:
        raise InvalidInput(
            _("The kind of a reason code cannot be changed; make a new code instead."),
            field="kind",
        )


def create_reason_code(
    *,
    actor,
    code: str,
    name: str,
    kind: str,
    category: str = "",
    affects_availability: bool | None = None,
    is_active: bool = True,
) -> ReasonCode:
    return create_record(
        ReasonCode,
        actor=actor,
        values={
            "code": code,
            "name": name,
            "kind": kind,
            "category": category,
            "affects_availability": _affects_availability(kind, affects_availability),
            "is_active": is_active,
        },
    )


def upsert_reason_code(
    *,
    actor,
    code: str,
    name: str,
    kind: str,
    category: str = "",
    affects_availability: bool | None = None,
    is_active: bool = True,
) -> tuple[ReasonCode, bool]:
    existing = ReasonCode.objects.filter(code=code).first()
    if existing is not None:
        _refuse_kind_change(existing, kind)
    values = {
        "name": name,
        "kind": kind,
        "category": category,
        "affects_availability": _affects_availability(kind, affects_availability),
        "is_active": is_active,
    }
    return upsert_record(ReasonCode, actor=actor, code=code, values=values)


def update_reason_code(reason: ReasonCode, *, actor, **values: Any) -> ReasonCode:
    if "kind" in values:
        _refuse_kind_change(reason, values["kind"])
    requested = values.pop("affects_availability", None)
    if requested is not None or reason.kind != ReasonCode.Kind.DOWNTIME:
        values["affects_availability"] = _affects_availability(reason.kind, requested)
    return update_record(reason, actor=actor, values=values)


# --- routings -----------------------------------------------------------------

_OPERATION_FIELDS = ("seq", "name", "work_center", "setup_min", "cycle_time_s", "description")


def _operations_of(operations) -> list[dict]:
    """Operations as plain values, for the audit trail and to compare versions."""
    return [
        {
            "seq": op.seq,
            "name": op.name,
            "work_center": op.work_center.code,
            "setup_min": audit.plain_decimal(op.setup_min),
            "cycle_time_s": audit.plain_decimal(op.cycle_time_s),
            "description": op.description,
        }
        for op in operations
    ]


def _validated_operations(operations: Sequence[dict[str, Any]]) -> list[RoutingOperation]:
    """Unsaved operations in seq order; every error names `operations.<index>.<field>`."""
    if not operations:
        raise InvalidInput(_("A routing needs at least one operation."), field="operations")
    errors: dict[str, list[str]] = {}
    built: list[RoutingOperation] = []
    seen_seqs: set[int] = set()
    for index, data in enumerate(operations):
        if not isinstance(data, dict):
            errors[f"operations.{index}"] = [
                _("Each operation is an object with seq, name, work_center and cycle_time_s.")
            ]
            continue
        unknown = set(data) - set(_OPERATION_FIELDS)
        for name in sorted(unknown):
            errors[f"operations.{index}.{name}"] = [_("Unknown field.")]
        fields = {k: v for k, v in data.items() if k in _OPERATION_FIELDS}
        if not isinstance(fields.get("work_center"), WorkCenter):
            fields.pop("work_center", None)
            errors[f"operations.{index}.work_center"] = [_("A work center is required.")]
        op = RoutingOperation(**fields)
        try:
            op.full_clean(exclude=["routing", "work_center"], validate_unique=False)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                errors[f"operations.{index}.{name}"] = messages
        for name in ("name", "description"):
            try:  # the model fields do not check it, and PostgreSQL refuses NUL in text
                ProhibitNullCharactersValidator()(getattr(op, name))
            except ValidationError as exc:
                errors[f"operations.{index}.{name}"] = exc.messages
        if isinstance(op.seq, int):
            if op.seq in seen_seqs:
                errors[f"operations.{index}.seq"] = [
                    _("Sequence %(seq)s appears twice.") % {"seq": op.seq}
                ]
            seen_seqs.add(op.seq)
        built.append(op)
    if errors:
        first = next(iter(errors.values()))[0]
        raise InvalidInput(first, errors=errors)
    return sorted(built, key=lambda op: op.seq)


def replace_routing(
    item: Item, *, actor, operations: Sequence[dict[str, Any]]
) -> tuple[Routing, bool]:
    """``set_routing`` that also says whether a new version was made (False: unchanged)."""
    new_operations = _validated_operations(operations)
    new_values = _operations_of(new_operations)
    with transaction.atomic():
        # The item row serialises replacements of its routing; no_key: orders,
        # BOM lines and other routings may still reference the item meanwhile.
        item = Item.objects.select_for_update(no_key=True).get(pk=item.pk)
        active = Routing.objects.filter(item=item, is_active=True).first()
        old_values = None
        if active is not None:
            old_values = _operations_of(active.operations.select_related("work_center"))
            if old_values == new_values:
                return active, False
        routing = open_next_version(Routing, item, actor=actor, active=active)
        for op in new_operations:
            op.routing = routing
        RoutingOperation.objects.bulk_create(new_operations)
        audit.record_create(actor, routing, extra={"operations": [old_values, new_values]})
        return routing, True


def set_routing(item: Item, *, actor, operations: Sequence[dict[str, Any]]) -> Routing:
    """Make ``operations`` the item's active routing as a new version; earlier ones are kept.

    Each operation is ``{"seq": int > 0, "name": str, "work_center": WorkCenter,
    "cycle_time_s": Decimal > 0, "setup_min": Decimal >= 0 (default 0),
    "description": str (default "")}``; strings are accepted for numbers. A
    routing needs at least one operation and each seq once. If the active
    version already has exactly these operations, nothing is written and it is
    returned. Raises InvalidInput naming ``operations`` or ``operations.N.<field>``.
    """
    return replace_routing(item, actor=actor, operations=operations)[0]
