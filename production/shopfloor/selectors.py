"""Reads for the tablet."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from inventory.models import Lot
from mes.errors import InvalidInput
from production.execution.selectors import list_dispatch, material_shortages
from production.oee.selectors import list_downtime
from quality.models import Characteristic, InspectionPlan

from ..models import Machine, Operation, ProductionOrder, Terminal


def dispatch_for(terminal: Terminal) -> QuerySet[Operation]:
    """The terminal's dispatch list: its work center's; at a machine's tablet only what
    runs or is planned on that machine, or is not placed on any yet."""
    operations = list_dispatch(terminal.work_center)
    if terminal.machine_id:
        mine = terminal.machine_id
        operations = operations.filter(
            Q(machine_id=mine)
            | Q(machine__isnull=True, planned_machine_id=mine)
            | Q(machine__isnull=True, planned_machine__isnull=True)
        )
    return operations


@dataclass(frozen=True)
class DispatchRow:
    operation: Operation
    to_go: Decimal
    short_of: list[str]  # components the order lacks (shown on its first operation)


def dispatch_rows(terminal: Terminal) -> list[DispatchRow]:
    """The dispatch list with what each operation has still to make and, for an order's
    first operation not started yet, the components its issue location lacks."""
    rows = []
    for op in dispatch_for(terminal).prefetch_related("order__operations"):
        first = min((o.seq for o in op.order.operations.all()), default=op.seq) == op.seq
        short = (
            [s.item.code for s in material_shortages(op.order)]
            if first and op.status == Operation.Status.PENDING
            else []
        )
        to_go = max(op.order.qty - op.qty_good - op.qty_scrap, Decimal(0))
        rows.append(DispatchRow(op, to_go, short))
    return rows


def scanned_lot(order: ProductionOrder, code: str, units: Decimal) -> dict:
    """A scanned lot code as a consumed lot of one of the order's components, at the BOM
    quantity for ``units``: {item, lot, qty}."""
    lines = {line.component_id: line for line in order.bom.lines.all()} if order.bom_id else {}
    lots = list(Lot.objects.filter(code=code, item_id__in=lines).select_related("item"))
    if len(lots) != 1:
        raise InvalidInput(
            _("Lot %(lot)s is not a lot of a component of this order.") % {"lot": code},
            field="lot",
        )
    lot = lots[0]
    return {"item": lot.item, "lot": lot, "qty": lines[lot.item_id].qty_per * units}


DOWNTIME_LOOKBACK = timedelta(hours=12)


def terminal_machines(terminal: Terminal) -> QuerySet[Machine]:
    """The terminal's machine, else its work center's active machines."""
    machines = Machine.objects.select_related("work_center").order_by("code")
    if terminal.machine_id:
        return machines.filter(pk=terminal.machine_id)
    return machines.filter(work_center=terminal.work_center, is_active=True)


def downtime_to_classify(terminal: Terminal, now: datetime) -> list[dict]:
    """Down periods of the terminal's machines in the last 12 hours that nobody has given
    a reason yet."""
    return list_downtime(
        machines=list(terminal_machines(terminal)),
        start=now - DOWNTIME_LOOKBACK,
        end=now,
        unclassified_only=True,
    )


def inspection_plans_for(operation: Operation) -> QuerySet[InspectionPlan]:
    """The active inspection plans of the operation's item at its sequence."""
    return InspectionPlan.objects.filter(
        item_id=operation.order.item_id, operation_seq=operation.seq, is_active=True
    ).order_by("code")


def characteristics_of(plan: InspectionPlan) -> list[Characteristic]:
    version = plan.versions.filter(is_active=True).first()
    if version is None:
        return []
    return list(version.characteristics.select_related("uom").order_by("position"))
