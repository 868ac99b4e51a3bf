"""set_bom and the BOM selectors, called as the import and the demo seed call them."""

from decimal import Decimal

import pytest

from inventory import selectors, services
from inventory.bom_graph import Requirement
from inventory.models import Bom, BomLine, UnitOfMeasure
from mes.errors import BomCycle, InvalidInput
from mes.models import AuditEntry

from .factories import ItemFactory, UnitOfMeasureFactory

pytestmark = pytest.mark.django_db


def line(item, qty, uom=None):
    return {"item": item, "qty_per": Decimal(qty), "uom": uom}


@pytest.fixture
def items():
    kg = UnitOfMeasureFactory(code="KG", decimals=3)
    return {
        code: ItemFactory(code=code, uom=kg if code == "STEEL" else UnitOfMeasureFactory())
        for code in ("BIKE", "FRAME", "WHEEL", "SPOKE", "BOLT", "STEEL")
    }


def test_first_bom_is_version_1_with_lines_in_order(items, manager):
    bom = services.set_bom(
        items["BIKE"],
        actor=manager,
        components=[line(items["FRAME"], 1), line(items["WHEEL"], "2.000")],
    )
    assert (bom.version, bom.is_active, bom.created_by) == (1, True, manager)
    assert [(ln.line, ln.component.code, ln.qty_per, ln.uom.code) for ln in bom.lines.all()] == [
        (1, "FRAME", Decimal(1), "EA"),
        (2, "WHEEL", Decimal(2), "EA"),
    ]


def test_a_line_defaults_to_the_components_unit(items):
    bom = services.set_bom(items["FRAME"], actor=None, components=[line(items["STEEL"], "2.5")])
    assert bom.lines.get().uom.code == "KG"


def test_a_line_in_another_unit_than_the_components_is_refused(items):
    grams = UnitOfMeasure.objects.get(code="G")
    with pytest.raises(InvalidInput) as caught:
        services.set_bom(items["FRAME"], actor=None, components=[line(items["STEEL"], 2, grams)])
    assert "components.0.uom" in caught.value.errors
    assert not Bom.objects.exists()


def test_a_new_version_keeps_the_old_one_inactive(items, manager):
    bike = items["BIKE"]
    services.set_bom(bike, actor=manager, components=[line(items["FRAME"], 1)])
    second = services.set_bom(bike, actor=manager, components=[line(items["FRAME"], 2)])
    assert second.version == 2
    versions = list(selectors.list_bom_versions(bike))
    assert [(b.version, b.is_active) for b in versions] == [(2, True), (1, False)]
    assert versions[1].lines.get().qty_per == 1
    assert selectors.get_active_bom(bike) == second


def test_the_same_components_again_make_no_new_version(items):
    bike = items["BIKE"]
    first, created = services.replace_bom(
        bike, actor=None, components=[line(items["FRAME"], "1.5")]
    )
    again, created_again = services.replace_bom(
        bike, actor=None, components=[line(items["FRAME"], "1.500000")]
    )
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk and Bom.objects.count() == 1
    assert AuditEntry.objects.filter(model="inventory.bom").count() == 1


def test_a_changed_order_is_a_new_version(items):
    bike, frame, wheel = items["BIKE"], items["FRAME"], items["WHEEL"]
    services.set_bom(bike, actor=None, components=[line(frame, 1), line(wheel, 2)])
    bom = services.set_bom(bike, actor=None, components=[line(wheel, 2), line(frame, 1)])
    assert bom.version == 2


def test_an_empty_list_makes_an_empty_active_version(items):
    bike = items["BIKE"]
    services.set_bom(bike, actor=None, components=[line(items["FRAME"], 1)])
    empty = services.set_bom(bike, actor=None, components=[])
    assert (empty.version, empty.is_active, empty.lines.count()) == (2, True, 0)
    assert selectors.explode_bom(bike, 1) == []
    assert services.set_bom(bike, actor=None, components=[]).pk == empty.pk


def test_audit_records_the_new_version_with_old_and_new_components(items, manager):
    bike = items["BIKE"]
    services.set_bom(bike, actor=manager, components=[line(items["FRAME"], 1)])
    services.set_bom(bike, actor=manager, components=[line(items["WHEEL"], "0.5")])
    entries = list(AuditEntry.objects.filter(model="inventory.bom").order_by("id"))
    assert [e.action for e in entries] == ["create", "update", "create"]
    assert entries[0].changes["components"] == [
        None,
        [{"item": "FRAME", "qty_per": "1", "uom": "EA"}],
    ]
    assert entries[1].changes == {"is_active": [True, False]}
    assert entries[2].changes["components"] == [
        [{"item": "FRAME", "qty_per": "1", "uom": "EA"}],
        [{"item": "WHEEL", "qty_per": "0.5", "uom": "EA"}],
    ]
    assert entries[2].changes["version"] == [None, 2]
    assert {e.actor_label for e in entries} == {manager.username}


@pytest.mark.parametrize(
    "make_components, field",
    [
        (lambda i: [line(i["FRAME"], 1), line(i["FRAME"], 2)], "components.1.item"),
        (lambda i: [line(i["FRAME"], 0)], "components.0.qty_per"),
        (lambda i: [line(i["FRAME"], "-1")], "components.0.qty_per"),
        (lambda i: [line(i["FRAME"], "NaN")], "components.0.qty_per"),
        (lambda i: [{"item": i["FRAME"], "qty_per": "lots", "uom": None}], "components.0.qty_per"),
        (lambda i: [line(i["FRAME"], "0.0000001")], "components.0.qty_per"),
        (lambda i: [line(i["FRAME"], "1" * 13)], "components.0.qty_per"),
        (lambda i: [{"item": "FRAME", "qty_per": 1}], "components.0.item"),
        (lambda i: [line(i["BIKE"], 1)], "components.0.item"),
        (lambda i: ["FRAME"], "components.0"),
    ],
)
def test_bad_components_are_refused_naming_the_line(items, make_components, field):
    with pytest.raises(InvalidInput) as caught:
        services.set_bom(items["BIKE"], actor=None, components=make_components(items))
    assert field in caught.value.errors
    assert not Bom.objects.exists() and not BomLine.objects.exists()
    assert not AuditEntry.objects.filter(model="inventory.bom").exists()


def test_a_direct_cycle_is_refused(items):
    services.set_bom(items["FRAME"], actor=None, components=[line(items["BIKE"], 1)])
    with pytest.raises(BomCycle) as caught:
        services.set_bom(items["BIKE"], actor=None, components=[line(items["FRAME"], 1)])
    assert "BIKE → FRAME → BIKE" in caught.value.message
    assert caught.value.errors == {"components": [caught.value.message]}
    assert Bom.objects.count() == 1


def test_a_three_deep_cycle_is_refused_and_nothing_changes(items):
    a, b, c = items["BIKE"], items["FRAME"], items["WHEEL"]
    services.set_bom(a, actor=None, components=[line(items["BOLT"], 1)])
    services.set_bom(b, actor=None, components=[line(c, 1)])
    services.set_bom(c, actor=None, components=[line(a, 1)])
    with pytest.raises(BomCycle) as caught:
        services.set_bom(a, actor=None, components=[line(b, 1)])
    assert "BIKE → FRAME → WHEEL → BIKE" in caught.value.message
    active = selectors.get_active_bom(a)
    assert active.version == 1 and active.lines.get().component.code == "BOLT"
    assert Bom.objects.count() == 3


def test_inactive_versions_do_not_count_for_cycles(items):
    a, b = items["BIKE"], items["FRAME"]
    services.set_bom(b, actor=None, components=[line(a, 1)])
    services.set_bom(b, actor=None, components=[line(items["BOLT"], 1)])
    assert services.set_bom(a, actor=None, components=[line(b, 1)]).version == 1


def test_replacing_a_bom_may_drop_the_edge_that_would_loop(items):
    a, b = items["BIKE"], items["FRAME"]
    services.set_bom(a, actor=None, components=[line(b, 1)])
    # b's new BOM contains a's components, not a itself: fine.
    assert services.set_bom(b, actor=None, components=[line(items["BOLT"], 1)]).version == 1


def test_explode_three_levels_in_one_query(items, django_assert_num_queries):
    services.set_bom(
        items["BIKE"],
        actor=None,
        components=[
            line(items["FRAME"], 1),
            line(items["WHEEL"], 2),
            line(items["BOLT"], 4),
        ],
    )
    services.set_bom(
        items["WHEEL"],
        actor=None,
        components=[
            line(items["SPOKE"], 32),
            line(items["BOLT"], 1),
        ],
    )
    services.set_bom(items["FRAME"], actor=None, components=[line(items["STEEL"], "2.5")])
    services.set_bom(items["SPOKE"], actor=None, components=[line(items["STEEL"], "0.01")])
    # An old version must not count.
    services.set_bom(items["BOLT"], actor=None, components=[line(items["STEEL"], 9)])
    services.set_bom(items["BOLT"], actor=None, components=[])
    with django_assert_num_queries(1):
        result = selectors.explode_bom(items["BIKE"], Decimal(10))
    assert result == [
        Requirement("BOLT", 1, Decimal(40), "EA", True),
        Requirement("FRAME", 1, Decimal(10), "EA", False),
        Requirement("WHEEL", 1, Decimal(20), "EA", False),
        Requirement("BOLT", 2, Decimal(20), "EA", True),
        Requirement("SPOKE", 2, Decimal(640), "EA", False),
        Requirement("STEEL", 2, Decimal(25), "KG", True),
        Requirement("STEEL", 3, Decimal("6.4"), "KG", True),
    ]


def test_get_bom_version_of_a_missing_version_is_not_found(items):
    from mes.errors import NotFound

    with pytest.raises(NotFound):
        selectors.get_bom_version(items["BIKE"], 1)


def test_get_active_bom_loads_lines_in_two_queries(items, django_assert_num_queries):
    services.set_bom(
        items["BIKE"],
        actor=None,
        components=[
            line(items["FRAME"], 1),
            line(items["WHEEL"], 2),
        ],
    )
    with django_assert_num_queries(2):
        bom = selectors.get_active_bom(items["BIKE"])
        codes = [(ln.component.code, ln.uom.code) for ln in bom.lines.all()]
    assert codes == [("FRAME", "EA"), ("WHEEL", "EA")]


def test_the_database_refuses_what_the_service_refuses(items):
    from django.db import IntegrityError, transaction

    bom = services.set_bom(items["BIKE"], actor=None, components=[line(items["FRAME"], 1)])
    ea = UnitOfMeasure.objects.get(code="EA")
    bad_rows = [
        {"line": 2, "component": items["BIKE"], "qty_per": 1},  # its own parent
        {"line": 2, "component": items["FRAME"], "qty_per": 1},  # component twice
        {"line": 2, "component": items["WHEEL"], "qty_per": 0},  # not above 0
        {"line": 1, "component": items["WHEEL"], "qty_per": 1},  # line number twice
    ]
    for row in bad_rows:
        with pytest.raises(IntegrityError), transaction.atomic():
            BomLine.objects.create(bom=bom, parent=items["BIKE"], uom=ea, **row)
    with pytest.raises(IntegrityError), transaction.atomic():
        Bom.objects.create(item=items["BIKE"], version=2, is_active=True)  # a second active one
    with pytest.raises(IntegrityError), transaction.atomic():
        Bom.objects.create(item=items["BIKE"], version=1, is_active=False)  # version twice
