"""The execution API: a whole order end to end, refusals as problem+json, permissions."""

from decimal import Decimal

import pytest

from inventory import selectors as inventory_selectors
from inventory import services as inventory_services
from inventory.models import Item, Lot
from production.models import LabourRecord, LotGenealogy, Operation, OperationEvent, ProductionOrder

from .execution_factories import (
    ItemFactory,
    LocationFactory,
    MachineFactory,
    ProductionOrderFactory,
    WorkCenterFactory,
    make_bom,
    make_routing,
    pause_reason,
    released_order,
    scrap_reason,
)

pytestmark = pytest.mark.django_db

BASE = "/api/v1/production-orders"


def op_url(code: str, seq: int, command: str) -> str:
    return f"{BASE}/{code}/operations/{seq}/{command}/"


def assert_problem(response, status: int, code: str, field: str | None = None):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == code
    if field:
        assert field in body["errors"], body


@pytest.fixture
def plant(make_person):
    """A lot-tracked product of two operations made from lot-tracked steel and untracked grease."""
    stock = LocationFactory()
    steel = ItemFactory(code="STEEL", kind=Item.Kind.RAW, tracking=Item.Tracking.LOT)
    grease = ItemFactory(code="GREASE", kind=Item.Kind.RAW)
    for lot in ("S-1", "S-2"):
        inventory_services.receive_stock(
            actor=None, item=steel, qty=10, location=stock, lot_code=lot
        )
    inventory_services.receive_stock(actor=None, item=grease, qty=5, location=stock)
    product = ItemFactory(code="SHAFT", kind=Item.Kind.PRODUCT, tracking=Item.Tracking.LOT)
    lathe, grinder = WorkCenterFactory(code="WC-LATHE"), WorkCenterFactory(code="WC-GRIND")
    make_routing(product, [lathe, grinder])
    make_bom(product, {steel: "2", grease: "1"})
    MachineFactory(code="LATHE-1", work_center=lathe)
    MachineFactory(code="GRIND-1", work_center=grinder)
    make_person("operator", username="kim")
    ProductionOrderFactory(code="PO-100", item=product, qty=Decimal("8"))
    return {"steel": steel, "grease": grease, "product": product}


def test_a_whole_order_through_the_api(erp, plant):
    response = erp.post(f"{BASE}/PO-100/release/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "released" and body["routing_version"] == 1
    assert [op["seq"] for op in body["operations"]] == [10, 20]
    assert body["shortages"] == [
        {"item": "GREASE", "required": "8.000000", "available": "5.000000"}
    ]
    inventory_services.receive_stock(
        actor=None, item=plant["grease"], qty=10, location=LocationFactory()
    )

    response = erp.post(
        op_url("PO-100", 10, "start"), {"machine": "LATHE-1", "operator": "kim"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "running" and response.json()["operators"] == ["kim"]
    assert response.json()["order_status"] == "in_progress"
    response = erp.post(
        op_url("PO-100", 10, "report"),
        {
            "qty_good": "7",
            "qty_scrap": "1",
            "scrap_reason": scrap_reason().code,
            "consumed_lots": [
                {"item": "STEEL", "lot": "S-2", "qty": "10"},
                {"item": "STEEL", "lot": "S-1", "qty": "6"},
            ],
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["operation"]["qty_good"] == "7.000000"
    assert erp.post(op_url("PO-100", 10, "complete")).json()["status"] == "completed"

    assert (
        erp.post(op_url("PO-100", 20, "start"), {"machine": "GRIND-1"}, format="json").status_code
        == 200
    )
    assert (
        erp.post(
            op_url("PO-100", 20, "pause"), {"reason": pause_reason().code}, format="json"
        ).status_code
        == 200
    )
    assert erp.post(op_url("PO-100", 20, "resume")).json()["status"] == "running"
    response = erp.post(
        op_url("PO-100", 20, "report"), {"qty_good": "7", "output_lot": "SH-1"}, format="json"
    )
    assert response.status_code == 200, response.content
    response = erp.post(op_url("PO-100", 20, "complete"))
    assert response.json()["order_status"] == "completed"
    assert erp.post(f"{BASE}/PO-100/close/").json()["status"] == "closed"

    product_lot = Lot.objects.get(item=plant["product"], code="SH-1")
    assert inventory_selectors.get_on_hand(plant["product"]) == 7
    assert inventory_selectors.get_on_hand(plant["steel"]) == 4  # 20 - 16
    assert inventory_selectors.get_on_hand(plant["grease"]) == 7  # 15 - 8 back-flushed
    edges = LotGenealogy.objects.select_related("consumed_lot", "machine")
    assert {(e.consumed_lot.code, e.qty) for e in edges} == {("S-1", 6), ("S-2", 10)}
    assert {(e.produced_lot, e.machine.code) for e in edges} == {(product_lot, "LATHE-1")}

    trace = erp.get("/api/v1/lots/SHAFT/SH-1/trace/")
    assert trace.status_code == 200, trace.content
    s1, _s2 = trace.json()["backward"]
    assert s1 == {
        "item": "STEEL",
        "lot": "S-1",
        "depth": 1,
        "qty": "6.000000",
        "parent": {"item": "SHAFT", "lot": "SH-1"},
        "order": "PO-100",
        "operation": 10,
        "machine": "LATHE-1",
        "operators": ["kim"],
        "inspections": [],
    }
    forward = erp.get("/api/v1/lots/STEEL/S-2/trace/").json()["forward"]
    assert [(n["item"], n["lot"]) for n in forward] == [("SHAFT", "SH-1")]


def test_illegal_transitions_are_409_and_change_nothing(erp, plant):
    assert_problem(erp.post(f"{BASE}/PO-100/close/"), 409, "invalid_transition")
    assert_problem(erp.post(op_url("PO-100", 10, "start")), 404, "not_found")  # not released
    erp.post(f"{BASE}/PO-100/release/")
    assert_problem(
        erp.post(op_url("PO-100", 10, "report"), {"qty_good": "1"}, format="json"),
        409,
        "invalid_transition",
    )
    erp.post(op_url("PO-100", 10, "start"))
    assert_problem(erp.post(f"{BASE}/PO-100/cancel/"), 409, "invalid_transition")
    assert_problem(
        erp.post(op_url("PO-100", 10, "report"), {"qty_good": "9"}, format="json"),
        409,
        "quantity_exceeded",
    )
    assert_problem(
        erp.post(op_url("PO-100", 20, "complete")), 409, "invalid_transition"
    )  # not started
    order = ProductionOrder.objects.get(code="PO-100")
    assert order.status == "in_progress" and order.qty_good == 0
    assert list(Operation.objects.values_list("qty_good", flat=True)) == [0, 0]
    assert not OperationEvent.objects.filter(kind__in=["report", "complete"]).exists()


def test_repeats_are_harmless(erp, plant):
    erp.post(f"{BASE}/PO-100/release/")
    assert erp.post(f"{BASE}/PO-100/release/").status_code == 200
    erp.post(op_url("PO-100", 10, "start"))
    assert erp.post(op_url("PO-100", 10, "start")).status_code == 200
    erp.post(op_url("PO-100", 10, "complete"))
    assert erp.post(op_url("PO-100", 10, "complete")).status_code == 200
    assert OperationEvent.objects.count() == 2


@pytest.mark.parametrize(
    ("command", "body", "field"),
    [
        ("report", {"qty_good": "-1"}, "qty_good"),
        ("report", {}, "qty_good"),
        ("report", {"qty_good": "1", "qty_scrap": "1"}, "scrap_reason"),
        ("report", {"qty_good": "1", "scrap_reason": "NOPE"}, "scrap_reason"),
        (
            "report",
            {"qty_good": "1", "consumed_lots": [{"item": "STEEL", "lot": "S-9", "qty": "2"}]},
            "consumed_lots.0.lot",
        ),
        (
            "report",
            {"qty_good": "1", "consumed_lots": [{"item": "GONE", "lot": "S-1", "qty": "2"}]},
            "consumed_lots.0.item",
        ),
        ("start", {"machine": "GRIND-1"}, "machine"),  # another work center's
        ("start", {"machine": "NOPE"}, "machine"),
        ("start", {"operator": "nobody"}, "operator"),
        ("pause", {}, "reason"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_changes_nothing(erp, plant, command, body, field):
    erp.post(f"{BASE}/PO-100/release/")
    if command != "start":
        erp.post(op_url("PO-100", 10, "start"))
    events = OperationEvent.objects.count()
    response = erp.post(op_url("PO-100", 10, command), body, format="json")
    assert_problem(response, 400, "invalid", field)
    assert OperationEvent.objects.count() == events
    assert Operation.objects.get(seq=10).qty_good == 0
    assert LabourRecord.objects.count() == 0
    assert inventory_selectors.get_on_hand(plant["steel"]) == 20


def test_unknown_order_operation_or_lot_is_404(erp, plant):
    assert_problem(erp.post(f"{BASE}/NOPE/release/"), 404, "not_found")
    erp.post(f"{BASE}/PO-100/release/")
    assert_problem(erp.post(op_url("PO-100", 99, "start")), 404, "not_found")
    assert_problem(erp.get("/api/v1/lots/STEEL/NOPE/trace/"), 404, "not_found")


def test_permissions_follow_the_roles(api_client_for, plant):
    planner, operator = api_client_for("planner"), api_client_for("operator")
    assert operator.post(f"{BASE}/PO-100/release/").status_code == 403
    assert planner.post(f"{BASE}/PO-100/release/").status_code == 200
    assert planner.post(op_url("PO-100", 10, "start")).status_code == 403
    assert operator.post(op_url("PO-100", 10, "start")).status_code == 200
    assert api_client_for("supervisor").post(op_url("PO-100", 10, "complete")).status_code == 200
    assert operator.get("/api/v1/lots/STEEL/S-1/trace/").status_code == 200
    assert api_client_for("gateway").get("/api/v1/lots/STEEL/S-1/trace/").status_code == 403


def test_idempotency_key_replays_a_report(erp, plant):
    erp.post(f"{BASE}/PO-100/release/")
    erp.post(op_url("PO-100", 10, "start"))
    headers = {"HTTP_IDEMPOTENCY_KEY": "report-1"}
    first = erp.post(op_url("PO-100", 10, "report"), {"qty_good": "2"}, format="json", **headers)
    again = erp.post(op_url("PO-100", 10, "report"), {"qty_good": "2"}, format="json", **headers)
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert Operation.objects.get(seq=10).qty_good == 2


def test_release_without_routing_is_409(erp):
    LocationFactory()
    ProductionOrderFactory(code="PO-7")
    assert_problem(erp.post(f"{BASE}/PO-7/release/"), 409, "invalid_transition")
    assert ProductionOrder.objects.get(code="PO-7").status == "planned"


def test_cancel_through_the_api(erp):
    released_order(code="PO-8")
    response = erp.post(f"{BASE}/PO-8/cancel/")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert {op["status"] for op in response.json()["operations"]} == {"cancelled"}
