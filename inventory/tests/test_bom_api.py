from decimal import Decimal

import pytest

from inventory.models import Bom, BomLine
from mes.models import AuditEntry

from .factories import ItemFactory

pytestmark = pytest.mark.django_db


def bom_url(code):
    return f"/api/v1/items/{code}/bom/"


@pytest.fixture
def items():
    return {code: ItemFactory(code=code) for code in ("BIKE", "FRAME", "WHEEL", "BOLT")}


def put_bom(client, code, components):
    return client.put(bom_url(code), {"components": components}, format="json")


def test_put_creates_version_1_and_get_reads_it(erp, items):
    response = put_bom(
        erp,
        "BIKE",
        [
            {"item": "FRAME", "qty_per": "1"},
            {"item": "WHEEL", "qty_per": "2", "uom": "EA"},
        ],
    )
    assert response.status_code == 201, response.content
    body = erp.get(bom_url("BIKE")).json()
    assert body["item"] == "BIKE" and body["version"] == 1 and body["is_active"] is True
    assert body["components"] == [
        {"line": 1, "item": "FRAME", "qty_per": "1.000000", "uom": "EA"},
        {"line": 2, "item": "WHEEL", "qty_per": "2.000000", "uom": "EA"},
    ]
    assert "created_at" in body


def test_get_without_a_bom_is_404_problem(erp, items):
    response = erp.get(bom_url("BIKE"))
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_bom_of_an_unknown_item_is_404(erp):
    assert erp.get(bom_url("NOPE")).status_code == 404
    assert put_bom(erp, "NOPE", []).status_code == 404


def test_put_again_makes_version_2_and_keeps_version_1(erp, items):
    put_bom(erp, "BIKE", [{"item": "FRAME", "qty_per": "1"}])
    response = put_bom(
        erp, "BIKE", [{"item": "FRAME", "qty_per": "1"}, {"item": "BOLT", "qty_per": "4"}]
    )
    assert response.status_code == 201
    assert response.json()["version"] == 2
    versions = erp.get(bom_url("BIKE") + "versions/").json()
    assert versions["count"] == 2
    assert [(v["version"], v["is_active"]) for v in versions["results"]] == [(2, True), (1, False)]
    one = erp.get(bom_url("BIKE") + "versions/1/").json()
    assert [c["item"] for c in one["components"]] == ["FRAME"]
    assert Bom.objects.filter(item__code="BIKE", is_active=True).count() == 1


def test_identical_put_is_200_and_makes_no_version(erp, items):
    body = [{"item": "FRAME", "qty_per": "1.5"}]
    first = put_bom(erp, "BIKE", body)
    again = put_bom(erp, "BIKE", [{"item": "FRAME", "qty_per": "1.500", "uom": "EA"}])
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert Bom.objects.count() == 1


def test_empty_components_make_an_empty_version(erp, items):
    put_bom(erp, "BIKE", [{"item": "FRAME", "qty_per": "1"}])
    response = put_bom(erp, "BIKE", [])
    assert response.status_code == 201
    assert (response.json()["version"], response.json()["components"]) == (2, [])
    assert erp.get(bom_url("BIKE")).json()["components"] == []


def test_unknown_version_is_404(erp, items):
    assert erp.get(bom_url("BIKE") + "versions/3/").status_code == 404


def test_put_writes_the_audit_trail(erp, items):
    put_bom(erp, "BIKE", [{"item": "FRAME", "qty_per": "2"}])
    entry = AuditEntry.objects.get(model="inventory.bom")
    assert entry.actor_label.startswith("api:")
    assert entry.changes["components"] == [None, [{"item": "FRAME", "qty_per": "2", "uom": "EA"}]]


def assert_refused(response, field, code="invalid"):
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert field in problem["errors"], problem
    assert problem["code"] == code
    return problem


@pytest.mark.parametrize(
    "body, field",
    [
        ({"components": [{"item": "NOPE", "qty_per": "1"}]}, "components.0.item"),
        (
            {"components": [{"item": "FRAME", "qty_per": "1"}, {"item": "NOPE", "qty_per": "1"}]},
            "components.1.item",
        ),
        ({"components": [{"item": "FRAME", "qty_per": "1", "uom": "PARSEC"}]}, "components.0.uom"),
        ({"components": [{"item": "FRAME", "qty_per": "1", "uom": "KG"}]}, "components.0.uom"),
        ({"components": [{"item": "FRAME", "qty_per": "0"}]}, "components.0.qty_per"),
        ({"components": [{"item": "FRAME", "qty_per": "-2"}]}, "components.0.qty_per"),
        ({"components": [{"item": "FRAME", "qty_per": "abc"}]}, "components.0.qty_per"),
        ({"components": [{"item": "FRAME", "qty_per": "0.0000001"}]}, "components.0.qty_per"),
        ({"components": [{"item": "FRAME"}]}, "components.0.qty_per"),
        ({"components": [{"item": "FR\x00AME", "qty_per": "1"}]}, "components.0.item"),
        ({"components": [{"item": "F" * 65, "qty_per": "1"}]}, "components.0.item"),
        (
            {"components": [{"item": "FRAME", "qty_per": "1"}, {"item": "FRAME", "qty_per": "2"}]},
            "components.1.item",
        ),
        ({"components": [{"item": "BIKE", "qty_per": "1"}]}, "components.0.item"),
        ({"components": "FRAME"}, "components"),
        ({"components": ["FRAME"]}, "components.0"),
        ({}, "components"),
    ],
)
def test_bad_bom_is_400_naming_the_field_and_writes_nothing(erp, items, body, field):
    put_bom(erp, "BIKE", [{"item": "WHEEL", "qty_per": "2"}])
    response = erp.put(bom_url("BIKE"), body, format="json")
    assert_refused(response, field)
    assert Bom.objects.count() == 1 and BomLine.objects.get().component.code == "WHEEL"
    assert AuditEntry.objects.filter(model="inventory.bom").count() == 1


def test_direct_cycle_via_api_is_400_and_writes_nothing(erp, items):
    put_bom(erp, "FRAME", [{"item": "BIKE", "qty_per": "1"}])
    response = put_bom(erp, "BIKE", [{"item": "FRAME", "qty_per": "1"}])
    problem = assert_refused(response, "components", code="bom_cycle")
    assert "BIKE → FRAME → BIKE" in problem["detail"]
    assert not Bom.objects.filter(item__code="BIKE").exists()


def test_three_deep_cycle_via_api_is_400_and_writes_nothing(erp, items):
    put_bom(erp, "BIKE", [{"item": "BOLT", "qty_per": "4"}])
    put_bom(erp, "FRAME", [{"item": "WHEEL", "qty_per": "1"}])
    put_bom(erp, "WHEEL", [{"item": "BIKE", "qty_per": "1"}])
    before = AuditEntry.objects.count()
    response = put_bom(erp, "BIKE", [{"item": "FRAME", "qty_per": "1"}])
    problem = assert_refused(response, "components", code="bom_cycle")
    assert "BIKE → FRAME → WHEEL → BIKE" in problem["detail"]
    assert erp.get(bom_url("BIKE")).json()["components"][0]["item"] == "BOLT"
    assert Bom.objects.filter(item__code="BIKE").count() == 1
    assert AuditEntry.objects.count() == before


def test_many_components_use_a_bounded_number_of_queries(erp, django_assert_max_num_queries):
    ItemFactory(code="KIT")
    parts = [ItemFactory(code=f"P{n}") for n in range(40)]
    components = [{"item": p.code, "qty_per": "1"} for p in parts]
    with django_assert_max_num_queries(30):
        response = put_bom(erp, "KIT", components)
    assert response.status_code == 201
    assert BomLine.objects.count() == 40
    with django_assert_max_num_queries(10):
        assert len(erp.get(bom_url("KIT")).json()["components"]) == 40


def test_operator_reads_the_bom_but_cannot_put_it(api_client_for, erp, items):
    put_bom(erp, "BIKE", [{"item": "FRAME", "qty_per": "1"}])
    operator = api_client_for("operator")
    assert operator.get(bom_url("BIKE")).status_code == 200
    assert operator.get(bom_url("BIKE") + "versions/").status_code == 200
    assert put_bom(operator, "BIKE", [{"item": "WHEEL", "qty_per": "1"}]).status_code == 403
    assert Bom.objects.count() == 1


def test_readonly_and_anonymous_cannot_put_a_bom(api_client_for, client, items):
    assert put_bom(api_client_for("readonly"), "BIKE", []).status_code == 403
    anonymous = client.put(bom_url("BIKE"), {"components": []}, content_type="application/json")
    assert anonymous.status_code == 401
    assert client.get(bom_url("BIKE")).status_code == 401
    assert not Bom.objects.exists()


def test_qty_per_is_kept_exactly(erp, items):
    put_bom(erp, "BIKE", [{"item": "FRAME", "qty_per": "0.123456"}])
    assert BomLine.objects.get().qty_per == Decimal("0.123456")
