from datetime import datetime

import pytest

from mes.models import AuditEntry
from orders.models import Customer

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers/"


def test_post_creates_and_get_reads_back(erp):
    response = erp.post(URL, {"code": "HMC", "name": "현대모비스"}, format="json")
    assert response.status_code == 201
    assert response["Location"].endswith("/api/v1/customers/HMC/")
    body = erp.get(URL + "HMC/").json()
    assert body["name"] == "현대모비스"
    assert datetime.fromisoformat(body["updated_at"]).utcoffset() is not None


def test_post_existing_code_is_409_and_changes_nothing(erp):
    erp.post(URL, {"code": "HMC", "name": "A"}, format="json")
    response = erp.post(URL, {"code": "HMC", "name": "B"}, format="json")
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "already_exists"
    assert Customer.objects.get(code="HMC").name == "A"


def test_put_upserts_201_then_200(erp):
    first = erp.put(URL + "KIA/", {"name": "Kia"}, format="json")
    second = erp.put(URL + "KIA/", {"name": "Kia Corp."}, format="json")
    assert (first.status_code, second.status_code) == (201, 200)
    assert Customer.objects.get(code="KIA").name == "Kia Corp."


def test_put_with_other_code_in_body_is_400(erp):
    response = erp.put(URL + "KIA/", {"code": "HMC", "name": "x"}, format="json")
    assert response.status_code == 400
    assert "code" in response.json()["errors"]
    assert not Customer.objects.exists()


def test_patch_changes_one_field_and_is_audited(erp):
    erp.post(URL, {"code": "HMC", "name": "A"}, format="json")
    response = erp.patch(URL + "HMC/", {"name": "B"}, format="json")
    assert response.status_code == 200
    entries = AuditEntry.objects.filter(model="orders.customer").order_by("id")
    assert [e.action for e in entries] == ["create", "update"]
    assert entries[1].changes == {"name": ["A", "B"]}
    assert entries[1].actor_label.startswith("api:")


@pytest.mark.parametrize(
    "body, field",
    [
        ({"code": "bad code!", "name": "x"}, "code"),
        ({"code": "A" * 65, "name": "x"}, "code"),
        ({"code": "OK", "name": "nul\x00byte"}, "name"),
        ({"code": "OK", "name": "x" * 201}, "name"),
        ({"code": "OK", "name": 12}, None),
        ({"code": "OK"}, "name"),
        ({"code": ["OK"], "name": "x"}, "code"),
    ],
)
def test_bad_input_is_400_naming_the_field(erp, body, field):
    response = erp.post(URL, body, format="json")
    if field is None:  # a number for a string is coerced by DRF, as JSON clients expect
        assert response.status_code in (201, 400)
        return
    assert response.status_code == 400, response.content
    problem = response.json()
    assert problem["status"] == 400 and problem["type"].startswith("urn:mes:problem:")
    assert field in problem["errors"]
    assert not Customer.objects.filter(code="OK").exists()


def test_malformed_json_is_400_problem(erp):
    response = erp.generic("POST", URL, b'{"code": "X", ', content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "parse_error"


def test_list_is_paginated_ordered_by_updated_at_and_filters_updated_after(erp):
    for code in ("C1", "C2", "C3"):
        erp.put(URL + f"{code}/", {"name": code}, format="json")
    erp.patch(URL + "C1/", {"name": "C1 renamed"}, format="json")
    listing = erp.get(URL).json()
    assert set(listing) == {"count", "next", "previous", "results"}
    assert [r["code"] for r in listing["results"]] == ["C2", "C3", "C1"]
    c3_updated = listing["results"][1]["updated_at"]
    newer = erp.get(URL, {"updated_after": c3_updated}).json()
    assert [r["code"] for r in newer["results"]] == ["C1"]


def test_bad_updated_after_is_400(erp):
    response = erp.get(URL, {"updated_after": "yesterday"})
    assert response.status_code == 400
    assert "updated_after" in response.json()["errors"]


def test_unknown_detail_is_404_problem(erp):
    response = erp.get(URL + "NOPE/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_unchanged_put_writes_nothing_so_updated_after_sync_stays_quiet(erp):
    first = erp.put(URL + "KIA/", {"name": "Kia"}, format="json").json()
    again = erp.put(URL + "KIA/", {"name": "Kia"}, format="json")
    assert again.status_code == 200
    assert again.json()["updated_at"] == first["updated_at"]
    assert erp.get(URL, {"updated_after": first["updated_at"]}).json()["count"] == 0
    assert AuditEntry.objects.filter(model="orders.customer").count() == 1


def test_services_refuse_nul_characters_as_a_field_error(db):
    from mes.errors import InvalidInput
    from orders.services import create_customer

    with pytest.raises(InvalidInput) as refused:
        create_customer(actor=None, code="NUL", name="bad\x00name")
    assert set(refused.value.errors) == {"name"}
    assert not Customer.objects.filter(code="NUL").exists()
