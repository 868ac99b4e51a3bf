from datetime import datetime

import pytest

from inventory.models import Item, UnitOfMeasure
from mes.models import AuditEntry

from .factories import ItemFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/items/"
BOLT = {"code": "BOLT-M8", "name": "Bolt M8x20", "kind": "raw", "uom": "EA"}


def test_the_common_units_are_loaded_by_migration():
    assert UnitOfMeasure.objects.get(code="EA").decimals == 0
    assert UnitOfMeasure.objects.get(code="KG").name == "kilograms"
    assert {"G", "M", "MM", "L", "ML", "SET", "BOX", "ROLL", "SHEET"} <= set(
        UnitOfMeasure.objects.values_list("code", flat=True)
    )


def test_post_creates_and_get_reads_back(erp):
    response = erp.post(URL, {**BOLT, "tracking": "lot", "description": "zinc"}, format="json")
    assert response.status_code == 201, response.content
    assert response["Location"].endswith("/api/v1/items/BOLT-M8/")
    body = erp.get(URL + "BOLT-M8/").json()
    assert {k: body[k] for k in ("code", "name", "kind", "uom", "tracking", "description")} == {
        **BOLT,
        "tracking": "lot",
        "description": "zinc",
    }
    assert datetime.fromisoformat(body["created_at"]).utcoffset() is not None
    entry = AuditEntry.objects.get(model="inventory.item")
    assert entry.action == "create" and entry.changes["uom"] == [None, "EA"]


def test_tracking_and_description_default(erp):
    body = erp.post(URL, BOLT, format="json").json()
    assert (body["tracking"], body["description"]) == ("none", "")


def test_post_existing_code_is_409_and_changes_nothing(erp):
    erp.post(URL, BOLT, format="json")
    response = erp.post(URL, {**BOLT, "name": "other"}, format="json")
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "already_exists"
    assert Item.objects.get(code="BOLT-M8").name == "Bolt M8x20"


def test_put_upserts_201_then_200_and_replaces_every_field(erp):
    first = erp.put(
        URL + "BOLT-M8/", {**BOLT, "tracking": "lot", "description": "x"}, format="json"
    )
    second = erp.put(URL + "BOLT-M8/", {**BOLT, "name": "Bolt", "uom": "KG"}, format="json")
    assert (first.status_code, second.status_code) == (201, 200)
    item = Item.objects.get(code="BOLT-M8")
    # A PUT is a full replacement: omitted optional fields go back to their defaults.
    assert (item.name, item.uom.code, item.tracking, item.description) == ("Bolt", "KG", "none", "")
    assert [e.action for e in AuditEntry.objects.filter(model="inventory.item").order_by("id")] == [
        "create",
        "update",
    ]


def test_put_with_another_code_in_the_body_is_400(erp):
    response = erp.put(URL + "BOLT-M8/", {**BOLT, "code": "OTHER"}, format="json")
    assert response.status_code == 400
    assert "code" in response.json()["errors"]
    assert not Item.objects.exists()


def test_patch_changes_one_field_and_is_audited(erp):
    erp.post(URL, BOLT, format="json")
    response = erp.patch(URL + "BOLT-M8/", {"kind": "component"}, format="json")
    assert response.status_code == 200
    assert response.json()["kind"] == "component"
    update = AuditEntry.objects.filter(model="inventory.item", action="update").get()
    assert update.changes == {"kind": ["raw", "component"]}


def test_patch_cannot_change_the_code(erp):
    erp.post(URL, BOLT, format="json")
    response = erp.patch(URL + "BOLT-M8/", {"code": "NEW"}, format="json")
    assert response.status_code == 400
    assert "code" in response.json()["errors"]
    assert Item.objects.filter(code="BOLT-M8").exists()


@pytest.mark.parametrize(
    "change, field",
    [
        ({"code": "bad code!"}, "code"),
        ({"code": "A" * 65}, "code"),
        ({"code": "NUL\x00"}, "code"),
        ({"name": "nul\x00byte"}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": ""}, "name"),
        ({"description": "a\x00b"}, "description"),
        ({"kind": "gadget"}, "kind"),
        ({"kind": None}, "kind"),
        ({"tracking": "batch"}, "tracking"),
        ({"uom": "PARSEC"}, "uom"),
        ({"uom": ""}, "uom"),
        ({"uom": ["EA"]}, "uom"),
        ({"uom": None}, "uom"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_writes_nothing(erp, change, field):
    response = erp.post(URL, {**BOLT, **change}, format="json")
    assert response.status_code == 400, response.content
    problem = response.json()
    assert response["Content-Type"] == "application/problem+json"
    assert problem["status"] == 400 and problem["type"].startswith("urn:mes:problem:")
    assert field in problem["errors"]
    assert not Item.objects.exists()
    assert not AuditEntry.objects.filter(model="inventory.item").exists()


@pytest.mark.parametrize("missing", ["code", "name", "kind", "uom"])
def test_missing_required_field_is_400(erp, missing):
    body = {k: v for k, v in BOLT.items() if k != missing}
    response = erp.post(URL, body, format="json")
    assert response.status_code == 400
    assert missing in response.json()["errors"]
    assert not Item.objects.exists()


def test_patch_with_unknown_uom_is_400_and_changes_nothing(erp):
    erp.post(URL, BOLT, format="json")
    response = erp.patch(URL + "BOLT-M8/", {"uom": "PARSEC"}, format="json")
    assert response.status_code == 400
    assert "uom" in response.json()["errors"]
    assert Item.objects.get(code="BOLT-M8").uom.code == "EA"


def test_list_filters_and_orders_by_updated_at(erp):
    for code, kind in (("R1", "raw"), ("P1", "product"), ("R2", "raw")):
        erp.put(URL + f"{code}/", {**BOLT, "code": code, "kind": kind}, format="json")
    erp.patch(URL + "R1/", {"name": "renamed"}, format="json")
    listing = erp.get(URL).json()
    assert [r["code"] for r in listing["results"]] == ["P1", "R2", "R1"]
    assert [r["code"] for r in erp.get(URL, {"kind": "raw"}).json()["results"]] == ["R2", "R1"]
    assert [r["code"] for r in erp.get(URL, {"code": "P1"}).json()["results"]] == ["P1"]
    assert erp.get(URL, {"tracking": "lot"}).json()["count"] == 0
    after = listing["results"][1]["updated_at"]
    assert [r["code"] for r in erp.get(URL, {"updated_after": after}).json()["results"]] == ["R1"]


def test_bad_filter_values_are_400(erp):
    assert "kind" in erp.get(URL, {"kind": "gadget"}).json()["errors"]
    assert "updated_after" in erp.get(URL, {"updated_after": "yesterday"}).json()["errors"]


def test_list_query_count_does_not_grow_with_items(erp, django_assert_max_num_queries):
    ItemFactory.create_batch(30)
    with django_assert_max_num_queries(8):
        response = erp.get(URL)
    assert response.json()["count"] == 30


def test_unknown_item_is_404_problem(erp):
    response = erp.get(URL + "NOPE/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


# --- permissions ----------------------------------------------------------------


def test_operator_reads_but_cannot_write(api_client_for):
    ItemFactory(code="BOLT-M8")
    operator = api_client_for("operator")
    assert operator.get(URL).status_code == 200
    assert operator.get(URL + "BOLT-M8/").status_code == 200
    assert operator.post(URL, {**BOLT, "code": "NEW"}, format="json").status_code == 403
    assert operator.put(URL + "NEW/", BOLT, format="json").status_code == 403
    assert operator.patch(URL + "BOLT-M8/", {"name": "x"}, format="json").status_code == 403
    assert not Item.objects.filter(code="NEW").exists()
    assert Item.objects.get(code="BOLT-M8").name != "x"


def test_readonly_key_cannot_write(api_client_for):
    readonly = api_client_for("readonly")
    assert readonly.get(URL).status_code == 200
    response = readonly.post(URL, BOLT, format="json")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert readonly.put(URL + "BOLT-M8/", BOLT, format="json").status_code == 403
    assert not Item.objects.exists()


def test_anonymous_is_401(client):
    assert client.get(URL).status_code == 401
    assert client.post(URL, BOLT, content_type="application/json").status_code == 401
    assert not Item.objects.exists()


def test_planner_may_write(api_client_for):
    assert api_client_for("planner").post(URL, BOLT, format="json").status_code == 201


# --- units of measure ---------------------------------------------------------------


def test_uoms_collection(erp):
    assert erp.get("/api/v1/uoms/EA/").json()["decimals"] == 0
    created = erp.post(
        "/api/v1/uoms/", {"code": "DRUM", "name": "drums", "decimals": 0}, format="json"
    )
    assert created.status_code == 201
    assert (
        erp.put("/api/v1/uoms/DRUM/", {"name": "drum", "decimals": 0}, format="json").status_code
        == 200
    )
    bad = erp.post("/api/v1/uoms/", {"code": "X", "name": "x", "decimals": 9}, format="json")
    assert bad.status_code == 400 and "decimals" in bad.json()["errors"]
    assert not UnitOfMeasure.objects.filter(code="X").exists()


def test_operator_cannot_write_uoms(api_client_for):
    operator = api_client_for("operator")
    assert operator.get("/api/v1/uoms/").status_code == 200
    body = {"code": "DRUM", "name": "drums", "decimals": 0}
    assert operator.post("/api/v1/uoms/", body, format="json").status_code == 403
    assert not UnitOfMeasure.objects.filter(code="DRUM").exists()
