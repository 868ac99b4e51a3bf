"""Shipments, allocations, delivery notes and returns over the API."""

import pytest

from orders.models import Shipment

from .factories import order_for, stocked_product

pytestmark = pytest.mark.django_db


def test_ship_over_the_api_with_an_idempotent_retry(erp):
    item = stocked_product({"L1": "10", "L2": "10"})
    order = order_for(item, "15")
    allocated = erp.post(f"/api/v1/sales-orders/{order.code}/allocate/", format="json")
    assert allocated.status_code == 200, allocated.content
    assert [a["lot"] for a in allocated.json()["allocations"]] == ["L1", "L2"]
    body = {"sales_order": order.code, "lines": [{"line": 1, "item": item.code, "qty": "15"}]}
    created = erp.post("/api/v1/shipments/", body, format="json", HTTP_IDEMPOTENCY_KEY="s-1")
    assert created.status_code == 201, created.content
    again = erp.post("/api/v1/shipments/", body, format="json", HTTP_IDEMPOTENCY_KEY="s-1")
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert Shipment.objects.count() == 1
    code = created.json()["code"]
    assert {(line["lot"], line["qty"]) for line in created.json()["lines"]} == {
        ("L1", "10.000000"),
        ("L2", "5.000000"),
    }
    shipped = erp.post(f"/api/v1/shipments/{code}/ship/", format="json")
    assert shipped.status_code == 200, shipped.content
    assert shipped.json()["status"] == "shipped"
    order_body = erp.get(f"/api/v1/sales-orders/{order.code}/").json()
    assert order_body["lines"][0]["shipped_qty"] == "15.000000"
    assert order_body["status"] == "shipped"
    listed = erp.get("/api/v1/allocations/", {"sales_order": order.code, "status": "shipped"})
    assert listed.json()["count"] == 2


def test_shipping_problems_are_problem_json(erp):
    item = stocked_product({"L1": "3"})
    order = order_for(item, "10")
    short = erp.post(
        "/api/v1/shipments/",
        {"sales_order": order.code, "lines": [{"line": 1, "item": item.code, "qty": "5"}]},
        format="json",
    )
    assert short.status_code == 409
    assert short.headers["Content-Type"].startswith("application/problem+json")
    assert short.json()["code"] == "insufficient_stock"
    created = erp.post(
        "/api/v1/shipments/",
        {"sales_order": order.code, "lines": [{"line": 1, "item": item.code, "qty": "3"}]},
        format="json",
    ).json()
    held = erp.post(
        "/api/v1/lot-holds/",
        {"item": item.code, "lot": "L1", "reason": "complaint"},
        format="json",
    )
    assert held.status_code == 201
    refused = erp.post(f"/api/v1/shipments/{created['code']}/ship/", format="json")
    assert refused.status_code == 409 and refused.json()["code"] == "lot_on_hold"
    unknown = erp.post("/api/v1/shipments/NOPE/ship/", format="json")
    assert unknown.status_code == 404


def test_delivery_note_in_korean_and_english(erp, manager, client):
    item = stocked_product({"LOT-77": "5"})
    order = order_for(item, "5")
    code = erp.post(
        "/api/v1/shipments/",
        {"sales_order": order.code, "lines": [{"line": 1, "item": item.code, "qty": "5"}]},
        format="json",
    ).json()["code"]
    korean = erp.get(f"/api/v1/shipments/{code}/delivery-note/", {"lang": "ko"})
    assert korean.status_code == 200
    text = korean.content.decode()
    assert "거래명세서" in text and "LOT-77" in text and order.customer.name in text
    english = erp.get(f"/api/v1/shipments/{code}/delivery-note/", {"lang": "en"}).content.decode()
    assert "Delivery note" in english and "@page { size: A4" in english


def test_a_return_over_the_api(erp):
    item = stocked_product({"L9": "6"})
    order = order_for(item, "6")
    code = erp.post(
        "/api/v1/shipments/",
        {"sales_order": order.code, "lines": [{"line": 1, "item": item.code, "qty": "6"}]},
        format="json",
    ).json()["code"]
    erp.post(f"/api/v1/shipments/{code}/ship/", format="json")
    wrong = erp.post(
        "/api/v1/customer-returns/",
        {"shipment": code, "item": item.code, "lot": "L1", "qty": "1", "reason": "x"},
        format="json",
    )
    assert wrong.status_code == 400 and "lot" in wrong.json()["errors"]
    back = erp.post(
        "/api/v1/customer-returns/",
        {"shipment": code, "item": item.code, "lot": "L9", "qty": "2", "reason": "scratched"},
        format="json",
    )
    assert back.status_code == 201, back.content
    assert back.json()["location"] == "QC-HOLD" and back.json()["nonconformance"]
