"""Demand netting (MRP): what to make, and what is short, from demand, supply and BOMs.

Plain Python with no Django import, so it is tested directly. Items are codes;
``plan`` is called by ``orders.services.plan_production`` with the database's
demand, stock and open production.

Every item is netted once, after every item whose BOM uses it (low-level coding),
so stock and open production of a component serve all of its parents' needs in
due-date order, not the first parent's alone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from inventory.bom_graph import BomLineEdge, CycleError


@dataclass(frozen=True)
class Demand:
    """A need for ``qty`` of ``item`` by ``due_date``: a sales-order line, or a parent's order."""

    item: str
    qty: Decimal
    due_date: date
    sales_order: str = ""
    sales_order_line: int | None = None


@dataclass(frozen=True)
class PlannedOrder:
    """A production order to create; it covers one demand the supply could not."""

    item: str
    qty: Decimal
    due_date: date
    sales_order: str = ""
    sales_order_line: int | None = None


@dataclass(frozen=True)
class Shortage:
    """A bought item (raw material) that stock and open production do not cover."""

    item: str
    qty: Decimal
    due_date: date


def plan(
    demands: Iterable[Demand],
    *,
    supply: Mapping[str, Decimal],
    components: Mapping[str, Sequence[BomLineEdge]],
    made: Callable[[str], bool],
    lead_days: int,
    earliest: date,
    order_qty: Callable[[str, Decimal], Decimal] = lambda item, qty: qty,
) -> tuple[list[PlannedOrder], list[Shortage]]:
    """Net ``demands`` against ``supply`` (on hand + open production) per item.

    Demands of an item are served in due-date order. What the supply does not
    cover becomes one PlannedOrder if the item is ``made`` (its quantity is
    ``order_qty`` of the shortfall, e.g. rounded up to whole units), else a
    Shortage. A planned order needs its BOM components ``lead_days`` before its
    own due date (never before ``earliest``); those needs are netted in turn.
    Raises CycleError if the BOMs loop.
    """
    needs: dict[str, list[Demand]] = defaultdict(list)
    for demand in demands:
        needs[demand.item].append(demand)
    planned: list[PlannedOrder] = []
    shortages: list[Shortage] = []
    lead = timedelta(days=lead_days)
    for item in _parents_first(needs, components):
        available = max(supply.get(item, Decimal(0)), Decimal(0))
        # sorted() is stable: equal dates keep the caller's order (sales order, line).
        for demand in sorted(needs.pop(item, ()), key=lambda demand: demand.due_date):
            covered = min(available, demand.qty)
            available -= covered
            short = demand.qty - covered
            if short <= 0:
                continue
            if not made(item):
                shortages.append(Shortage(item, short, demand.due_date))
                continue
            qty = order_qty(item, short)
            available += qty - short  # a rounded-up surplus serves later demand
            planned.append(
                PlannedOrder(
                    item, qty, demand.due_date, demand.sales_order, demand.sales_order_line
                )
            )
            component_due = max(demand.due_date - lead, earliest)
            for line in components.get(item, ()):
                needs[line.component].append(
                    Demand(line.component, qty * line.qty_per, component_due)
                )
    return planned, shortages


def reachable(roots: Iterable[str], components: Mapping[str, Sequence[BomLineEdge]]) -> set[str]:
    """``roots`` and every item in their BOMs, at any level."""
    found: set[str] = set()
    stack = list(roots)
    while stack:
        item = stack.pop()
        if item not in found:
            found.add(item)
            stack.extend(line.component for line in components.get(item, ()))
    return found


def _parents_first(
    roots: Iterable[str], components: Mapping[str, Sequence[BomLineEdge]]
) -> list[str]:
    """Every item reachable from ``roots``, each after all the items whose BOMs use it."""
    reachable_items = reachable(roots, components)
    parents_left = dict.fromkeys(reachable_items, 0)
    for item in reachable_items:
        for line in components.get(item, ()):
            parents_left[line.component] += 1
    ready = sorted(item for item, count in parents_left.items() if count == 0)
    ordered: list[str] = []
    while ready:
        item = ready.pop(0)
        ordered.append(item)
        for line in components.get(item, ()):
            parents_left[line.component] -= 1
            if parents_left[line.component] == 0:
                ready.append(line.component)
    if len(ordered) < len(reachable_items):
        raise CycleError(sorted(reachable_items - set(ordered)))
    return ordered
