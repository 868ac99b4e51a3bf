"""Builders for quality tests: plans through the service, inspections through the service."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from inventory.models import Item, UnitOfMeasure
from inventory.tests.factories import ItemFactory, UnitOfMeasureFactory
from quality.inspections import services
from quality.models import Inspection, InspectionPlan

_plans = iter(range(1, 1_000_000))


def mm() -> UnitOfMeasure:
    return UnitOfMeasureFactory(code="MM", decimals=3)


def diameter(**overrides: Any) -> dict[str, Any]:
    """A measured characteristic: Ø10 ± 0.3 mm in subgroups of 5."""
    return {
        "code": "DIA",
        "name": "Diameter",
        "kind": "measure",
        "nominal": Decimal("10.000"),
        "lsl": Decimal("9.700"),
        "usl": Decimal("10.300"),
        "uom": "MM",
        "sample_size": 5,
        **overrides,
    }


def visual(**overrides: Any) -> dict[str, Any]:
    """A pass/fail attribute, one unit per sample."""
    return {
        "code": "VISUAL",
        "name": "Appearance",
        "kind": "attribute",
        "sample_size": 1,
        **overrides,
    }


def make_plan(
    *,
    item: Item | None = None,
    characteristics: Sequence[dict[str, Any]] | None = None,
    code: str | None = None,
    **settings: Any,
) -> InspectionPlan:
    mm()
    values = {"name": "Plan", "kind": InspectionPlan.Kind.IN_PROCESS, **settings}
    plan, _created = services.upsert_inspection_plan(
        actor=None,
        code=code or f"IP-{next(_plans)}",
        item=item or ItemFactory(kind=Item.Kind.PRODUCT, tracking=Item.Tracking.LOT),
        characteristics=list(characteristics or [diameter()]),
        **values,
    )
    return plan


def subgroup(centre: str = "10.000", spread: str = "0.010", n: int = 5) -> list[str]:
    """n values around ``centre``: centre + spread·(-2, -1, 0, 1, 2)…"""
    base, step = Decimal(centre), Decimal(spread)
    return [str(base + step * (k % 5 - 2)) for k in range(n)]


def inspect(plan: InspectionPlan, values: list[str] | None = None, **kwargs: Any) -> Inspection:
    """Record one inspection of a single-characteristic measured plan."""
    code = plan.active_characteristics[0].code
    return services.record_inspection(
        actor=kwargs.pop("actor", None),
        plan=plan,
        results=[{"characteristic": code, "values": values or subgroup()}],
        **kwargs,
    )
