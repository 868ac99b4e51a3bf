"""BOM structure as a graph of item codes: cycle detection and multi-level explosion.

Plain Python with no Django import, so it is tested directly and fast. Nodes are
item codes; an edge parent → child means "child is a component of parent's
active BOM".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal


class CycleError(ValueError):
    """The structure contains an item inside itself; ``path`` walks the loop."""

    def __init__(self, path: list[str]):
        self.path = path
        super().__init__(" → ".join(path))


def find_cycle(
    graph: Mapping[str, Iterable[str]], parent: str, children: Iterable[str]
) -> list[str] | None:
    """The loop that giving ``parent`` exactly ``children`` would close, or None.

    ``graph`` holds the current edges; ``parent``'s own entry in it is ignored
    because the proposal replaces it. The answer starts and ends with
    ``parent``: ``["A", "B", "C", "A"]``.
    """
    # Iterative depth-first search from each new child back towards ``parent``;
    # BOMs can be deep enough to exhaust Python's recursion limit.
    seen: set[str] = set()
    for child in sorted(set(children)):
        if child == parent:
            return [parent, parent]
        if child in seen:
            continue
        seen.add(child)
        path = [parent, child]
        stack = [iter(sorted(graph.get(child, ())))]
        while stack:
            node = next(stack[-1], None)
            if node is None:
                stack.pop()
                path.pop()
                continue
            if node == parent:
                return [*path, parent]
            if node in seen:
                continue
            seen.add(node)
            path.append(node)
            stack.append(iter(sorted(graph.get(node, ()))))
    return None


@dataclass(frozen=True)
class BomLineEdge:
    """One line of an active BOM: ``qty_per`` of ``component`` (in ``uom``) per parent unit."""

    component: str
    qty_per: Decimal
    uom: str


@dataclass(frozen=True)
class Requirement:
    """What one level of a multi-level BOM needs of one component, in total."""

    item: str
    level: int
    qty: Decimal
    uom: str
    is_leaf: bool  # the component has no components of its own (bought, not made)


def explode(
    lines_by_parent: Mapping[str, Sequence[BomLineEdge]], root: str, qty: Decimal
) -> list[Requirement]:
    """Flatten the BOM under ``root`` for ``qty`` units of it.

    Direct components are level 1. A component reached at the same level along
    several paths is summed into one requirement per (level, item, unit).
    Sorted by level, then item code. Raises CycleError if the data loops.
    """
    totals: dict[tuple[int, str, str], Decimal] = {}
    # Each frame: (parent code, the quantity of it needed, the codes above it).
    stack: list[tuple[str, Decimal, tuple[str, ...]]] = [(root, Decimal(qty), (root,))]
    while stack:
        parent, parent_qty, ancestors = stack.pop()
        for line in lines_by_parent.get(parent, ()):
            if line.component in ancestors:
                raise CycleError([*ancestors, line.component])
            need = parent_qty * line.qty_per
            key = (len(ancestors), line.component, line.uom)
            totals[key] = totals.get(key, Decimal(0)) + need
            stack.append((line.component, need, (*ancestors, line.component)))
    return [
        Requirement(
            item=item, level=level, qty=total, uom=uom, is_leaf=not lines_by_parent.get(item)
        )
        for (level, item, uom), total in sorted(totals.items())
    ]
