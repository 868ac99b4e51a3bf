"""Every path and method of the ERP contract (API-CONTRACT.md, v1) is served and in the
served OpenAPI schema. The list is the contract's tables, written out here."""

from __future__ import annotations

import re

import pytest
from django.urls import resolve

CONTRACT = {
    # master data
    "items/": "GET POST",
    "items/{code}/": "GET PUT PATCH",
    "items/{code}/bom/": "GET PUT",
    "items/{code}/routing/": "GET PUT",
    "work-centers/": "GET POST",
    "work-centers/{code}/": "GET PUT PATCH",
    "machines/": "GET POST",
    "machines/{code}/": "GET PUT PATCH",
    "customers/": "GET POST",
    "customers/{code}/": "GET PUT PATCH",
    # orders
    "sales-orders/": "GET POST",
    "sales-orders/{code}/": "GET PUT",
    "production-orders/": "GET POST",
    "production-orders/{code}/": "GET PUT",
    "production-orders/{code}/release/": "POST",
    "production-orders/{code}/cancel/": "POST",
    "production-orders/{code}/close/": "POST",
    "production-orders/{code}/operations/{seq}/start/": "POST",
    "production-orders/{code}/operations/{seq}/report/": "POST",
    "production-orders/{code}/operations/{seq}/pause/": "POST",
    "production-orders/{code}/operations/{seq}/complete/": "POST",
    # inventory and distribution
    "locations/": "GET POST",
    "locations/{code}/": "PUT",
    "receipts/": "POST",
    "stock/": "GET",
    "stock-moves/": "GET",
    "shipments/": "GET POST",
    "shipments/{code}/": "GET",
    "shipments/{code}/ship/": "POST",
    "lots/{item}/{lot}/trace/": "GET",
    # quality
    "inspection-plans/": "GET POST",
    "inspection-plans/{code}/": "PUT",
    "inspections/": "GET POST",
    "nonconformances/": "GET POST",
    "nonconformances/{code}/": "PATCH",
    "spc/{item}/{characteristic}/": "GET",
    # machine data, OEE, scheduling
    "machine-events/": "POST",
    "oee/": "GET",
    "schedules/": "POST",
    "schedules/{id}/": "GET",
    "schedules/{id}/publish/": "POST",
    # webhooks
    "webhook-endpoints/": "GET POST",
}
SAMPLE = {
    "code": "X-1",
    "seq": "10",
    "item": "ITEM-1",
    "lot": "L-1",
    "characteristic": "C-1",
    "id": "1",
}


def shape(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


@pytest.fixture(scope="module")
def served_schema(django_db_blocker):
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        schema = SchemaGenerator().get_schema(request=None, public=True)
    return {shape(path): {m.upper() for m in ops} for path, ops in schema["paths"].items()}


@pytest.mark.parametrize(("path", "methods"), CONTRACT.items())
def test_the_contract_path_is_served_and_described(path, methods, served_schema):
    concrete = "/api/v1/" + re.sub(r"\{([^}]+)\}", lambda m: SAMPLE[m[1]], path)
    view = resolve(concrete).func
    described = served_schema.get(shape("/api/v1/" + path), set())
    for method in methods.split():
        assert method in described, f"{method} {path} is not in the schema"
        allowed = getattr(view, "cls", None)
        assert allowed is None or method.lower() in allowed.http_method_names
