"""Bulk upserts for an ERP's nightly sync: items, BOMs, routings and customers in batches,
one result per record."""

from __future__ import annotations

import pytest
from django.urls import reverse

from inventory.models import Bom, Item
from inventory.tests.factories import ItemFactory, UnitOfMeasureFactory
from orders.models import Customer
from production.models import Routing
from production.tests.factories import WorkCenterFactory

pytestmark = pytest.mark.django_db


def bulk(client, what: str, records, **headers):
    return client.post(
        reverse(f"bulk-{what}"), {"records": records}, format="json", headers=headers or None
    )


def item(code: str, **values) -> dict:
    return {"code": code, "name": f"Item {code}", "kind": "raw", "uom": "EA", **values}


def test_items_are_upserted_one_by_one_with_a_result_each(erp):
    UnitOfMeasureFactory(code="EA")
    ItemFactory(code="OLD-1", name="old name")
    response = bulk(
        erp,
        "items",
        [
            item("NEW-1"),
            item("OLD-1", name="new name"),
            item("BAD-1", kind="gadget"),
            item("bad code!"),
            item("NEW-2", tracking="lot"),
        ],
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert {k: body[k] for k in ("created", "updated", "unchanged", "error")} == {
        "created": 2,
        "updated": 1,
        "unchanged": 0,
        "error": 2,
    }
    statuses = [(r["index"], r["key"], r["status"]) for r in body["results"]]
    assert statuses == [
        (0, "NEW-1", "created"),
        (1, "OLD-1", "updated"),
        (2, "BAD-1", "error"),
        (3, "bad code!", "error"),
        (4, "NEW-2", "created"),
    ]
    bad_kind = body["results"][2]["error"]
    assert (bad_kind["status"], bad_kind["code"], list(bad_kind["errors"])) == (
        400,
        "invalid",
        ["kind"],
    )
    assert Item.objects.get(code="OLD-1").name == "new name"
    assert set(Item.objects.values_list("code", flat=True)) == {"OLD-1", "NEW-1", "NEW-2"}


def test_boms_are_new_versions_once_and_unchanged_when_sent_again(erp):
    UnitOfMeasureFactory(code="EA")
    for code in ("P-1", "P-2", "C-1", "C-2"):
        ItemFactory(code=code)
    records = [
        {"item": "P-1", "components": [{"item": "C-1", "qty_per": "2"}]},
        {
            "item": "P-2",
            "components": [{"item": "C-1", "qty_per": "1"}, {"item": "C-2", "qty_per": "3"}],
        },
        {"item": "C-1", "components": [{"item": "P-1", "qty_per": "1"}]},  # a cycle
        {"item": "P-3", "components": []},  # no such item
    ]
    first = bulk(erp, "boms", records).json()
    assert [r["status"] for r in first["results"]] == ["created", "created", "error", "error"]
    assert first["results"][2]["error"]["code"] == "bom_cycle"
    assert "item" in first["results"][3]["error"]["errors"]
    again = bulk(erp, "boms", records[:2]).json()
    assert [r["status"] for r in again["results"]] == ["unchanged", "unchanged"]
    assert Bom.objects.filter(item__code="P-2").count() == 1


def test_routings_and_customers_in_bulk(erp):
    UnitOfMeasureFactory(code="EA")
    ItemFactory(code="P-1")
    WorkCenterFactory(code="WC-PRESS")
    operation = {"seq": 10, "name": "Press", "work_center": "WC-PRESS", "cycle_time_s": "12"}
    routings = bulk(
        erp,
        "routings",
        [
            {"item": "P-1", "operations": [operation]},
            {"item": "P-1", "operations": [{**operation, "work_center": "WC-NOPE"}]},
        ],
    ).json()
    assert [r["status"] for r in routings["results"]] == ["created", "error"]
    assert "operations.0.work_center" in routings["results"][1]["error"]["errors"]
    assert Routing.objects.get(item__code="P-1", is_active=True).operations.count() == 1
    customers = bulk(erp, "customers", [{"code": "C-1", "name": "A"}, {"code": "C-1", "name": "B"}])
    assert [r["status"] for r in customers.json()["results"]] == ["created", "updated"]
    assert Customer.objects.get(code="C-1").name == "B"


@pytest.mark.parametrize(
    ("records", "field"),
    [
        ([], "records"),
        ("items", "records"),
        (None, "records"),
        ([item("OK-1"), "not an object"], "records.1"),
    ],
)
def test_a_bad_batch_is_a_problem_and_writes_nothing(erp, records, field):
    UnitOfMeasureFactory(code="EA")
    response = bulk(erp, "items", records)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert field in response.json()["errors"]
    assert not Item.objects.exists()  # not even the good record beside a bad one


def test_a_batch_over_the_limit_is_refused_whole(erp, settings):
    settings.MES_API_BULK_MAX_RECORDS = 2
    UnitOfMeasureFactory(code="EA")
    response = bulk(erp, "items", [item(f"I-{n}") for n in range(3)])
    assert response.status_code == 400
    assert "At most 2 records" in response.json()["errors"]["records"][0]
    assert not Item.objects.exists()


def test_a_retried_batch_with_its_key_is_answered_again_and_changes_nothing(erp):
    UnitOfMeasureFactory(code="EA")
    records = [item("K-1"), item("K-2")]
    first = bulk(erp, "items", records, **{"Idempotency-Key": "nightly-2026-11-30"})
    Item.objects.filter(code="K-1").update(name="changed since")
    again = bulk(erp, "items", records, **{"Idempotency-Key": "nightly-2026-11-30"})
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Item.objects.get(code="K-1").name == "changed since"


def test_bulk_needs_the_right_to_create_and_change(api_client_for):
    assert bulk(api_client_for("readonly"), "items", [item("X")]).status_code == 403
    assert (
        bulk(api_client_for("gateway"), "customers", [{"code": "C", "name": "C"}]).status_code
        == 403
    )
