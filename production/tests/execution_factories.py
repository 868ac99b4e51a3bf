"""Factories and builders for production orders and their execution (test_execution*.py)."""

from datetime import date
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from inventory import services as inventory_services
from inventory.models import Item
from inventory.tests.factories import LocationFactory as InventoryLocationFactory
from production import services as production_services
from production.execution import services
from production.models import Operation, ProductionOrder, ReasonCode, Routing, WorkCenter

from .factories import ItemFactory, MachineFactory, ReasonCodeFactory, WorkCenterFactory

__all__ = [
    "ItemFactory",
    "LocationFactory",
    "MachineFactory",
    "ProductionOrderFactory",
    "ReasonCodeFactory",
    "WorkCenterFactory",
    "make_bom",
    "make_routing",
    "operations_of",
    "pause_reason",
    "released_order",
    "scrap_reason",
]


class LocationFactory(InventoryLocationFactory):
    """The store production orders issue from and receive into (MES_*_LOCATION)."""

    code = "STOCK"


class ProductionOrderFactory(DjangoModelFactory):
    """A planned order (release it with the service)."""

    class Meta:
        model = ProductionOrder
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"PO-{n}")
    item = factory.SubFactory(ItemFactory, kind=Item.Kind.PRODUCT)
    qty = Decimal("10")
    due_date = date(2026, 12, 1)


def make_routing(item: Item, work_centers: list[WorkCenter]) -> Routing:
    """Operations 10, 20, … one per work center."""
    return production_services.set_routing(
        item,
        actor=None,
        operations=[
            {"seq": 10 * index, "name": f"Step {index}", "work_center": wc, "cycle_time_s": "30"}
            for index, wc in enumerate(work_centers, start=1)
        ],
    )


def make_bom(item: Item, components: dict[Item, str]):
    return inventory_services.set_bom(
        item,
        actor=None,
        components=[{"item": child, "qty_per": qty} for child, qty in components.items()],
    )


def released_order(
    *,
    qty: str = "10",
    steps: int = 2,
    item: Item | None = None,
    components: dict[Item, str] | None = None,
    code: str | None = None,
) -> ProductionOrder:
    """An order of ``item`` (default: a new lot-tracked product) released on a routing of
    ``steps`` operations, each on its own work center, and a BOM of ``components``."""
    LocationFactory()
    item = item or ItemFactory(kind=Item.Kind.PRODUCT, tracking=Item.Tracking.LOT)
    if not item.routings.filter(is_active=True).exists():
        make_routing(item, [WorkCenterFactory() for _ in range(steps)])
    if components:
        make_bom(item, components)
    extra = {"code": code} if code else {}
    order = ProductionOrderFactory(item=item, qty=Decimal(qty), **extra)
    services.release_production_order(order, actor=None)
    order.refresh_from_db()
    return order


def operations_of(order: ProductionOrder) -> list[Operation]:
    return list(order.operations.order_by("seq"))


def scrap_reason() -> ReasonCode:
    return ReasonCodeFactory(code="SCRAP-DENT", kind=ReasonCode.Kind.SCRAP)


def pause_reason() -> ReasonCode:
    return ReasonCodeFactory(code="PAUSE-LUNCH", kind=ReasonCode.Kind.PAUSE)
