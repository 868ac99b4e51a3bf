"""Factories for customers and sales orders (built through the services) and the items they need."""

from datetime import date
from decimal import Decimal

import factory

from inventory.models import Item
from inventory.tests.factories import ItemFactory as InventoryItemFactory
from orders import services
from orders.models import Customer, SalesOrder


class ItemFactory(InventoryItemFactory):
    """What customers order: finished products."""

    kind = Item.Kind.PRODUCT


class CustomerFactory(factory.Factory):
    class Meta:
        model = Customer

    code = factory.Sequence(lambda n: f"CUST-{n}")
    name = factory.LazyAttribute(lambda o: f"Customer {o.code}")

    @classmethod
    def _create(cls, model_class, **kwargs):
        return services.create_customer(actor=None, **kwargs)


def line(number: int = 1, *, item=None, qty="10", due_date=date(2026, 12, 1)) -> dict:
    """One order line as the services take it; the item defaults to a new one."""
    return {
        "line": number,
        "item": item or ItemFactory(),
        "qty": Decimal(qty),
        "due_date": due_date,
    }


class SalesOrderFactory(factory.Factory):
    class Meta:
        model = SalesOrder

    code = factory.Sequence(lambda n: f"SO-{n:04d}")
    customer = factory.SubFactory(CustomerFactory)
    lines = factory.LazyFunction(lambda: [line(1)])

    @classmethod
    def _create(cls, model_class, **kwargs):
        return services.create_sales_order(actor=None, **kwargs)


def stocked_product(
    lots: dict[str, str], *, tracking: str = Item.Tracking.LOT, location_code: str = "STOCK"
) -> Item:
    """A product with stock in ``lots`` {lot code: qty} at a stock location (made if
    absent), and the shipping dock and quarantine the distribution settings name."""
    from inventory import services as inventory_services
    from inventory.models import Location
    from inventory.tests.factories import LocationFactory

    store = LocationFactory(code=location_code, kind=Location.Kind.STOCK)
    LocationFactory(code="SHIP-DOCK", kind=Location.Kind.SHIPPING)
    LocationFactory(code="QC-HOLD", kind=Location.Kind.QUARANTINE)
    item = ItemFactory(tracking=tracking)
    for code, qty in lots.items():
        serials = {"serials": [code]} if tracking == Item.Tracking.SERIAL else {"lot_code": code}
        inventory_services.receive_stock(
            actor=None, item=item, qty=Decimal(qty), location=store, **serials
        )
    return item


def order_for(item: Item, qty: str = "10", *lines_after: tuple[Item, str]) -> SalesOrder:
    """A sales order whose line 1 asks ``qty`` of ``item`` (and more lines if given)."""
    lines = [line(1, item=item, qty=qty)]
    lines += [line(n, item=i, qty=q) for n, (i, q) in enumerate(lines_after, start=2)]
    return SalesOrderFactory(lines=lines)
