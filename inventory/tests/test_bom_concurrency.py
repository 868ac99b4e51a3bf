"""Real concurrent set_bom calls on PostgreSQL: the locks, not luck, keep one BOM active."""

from decimal import Decimal

import pytest

from inventory import services
from inventory.models import Bom
from mes.errors import BomCycle
from mes.testing import run_together

from .factories import ItemFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_set_bom_for_one_item_leaves_one_active_and_distinct_versions():
    kit = ItemFactory(code="KIT")
    parts = [ItemFactory(code=f"PART-{n}") for n in range(6)]

    def set_to(part):
        return lambda: services.set_bom(
            kit, actor=None, components=[{"item": part, "qty_per": Decimal(1), "uom": None}]
        )

    outcomes = run_together([set_to(part) for part in parts])
    assert all(isinstance(o, Bom) for o in outcomes), outcomes
    versions = sorted(Bom.objects.filter(item=kit).values_list("version", flat=True))
    assert versions == list(range(1, len(parts) + 1))
    active = Bom.objects.filter(item=kit, is_active=True)
    assert active.count() == 1
    assert active.get().version == len(parts)


def test_two_items_cannot_close_a_loop_together():
    a, b = ItemFactory(code="A"), ItemFactory(code="B")

    def contain(parent, child):
        return lambda: services.set_bom(
            parent, actor=None, components=[{"item": child, "qty_per": Decimal(1), "uom": None}]
        )

    outcomes = run_together([contain(a, b), contain(b, a)])
    assert sorted(type(o).__name__ for o in outcomes) == ["Bom", BomCycle.__name__], outcomes
    assert Bom.objects.count() == 1
