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
