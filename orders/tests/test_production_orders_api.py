"""production-orders/ and production-orders/{code}/: the ERP creates, replaces and reads orders."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.models import Item, Location
from mes.models import AuditEntry
from orders import services
from production.execution import services as execution
from production.models import ProductionOrder
from production.services import set_routing
from production.tests.factories import WorkCenterFactory

from .factories import ItemFactory, SalesOrderFactory, line

pytestmark = pytest.mark.django_db

URL = "/api/v1/production-orders/"


@pytest.fixture(autouse=True)
def plant():
    pump = ItemFactory(code="PUMP", kind=Item.Kind.PRODUCT)
    rotor = ItemFactory(code="ROTOR", kind=Item.Kind.COMPONENT)
    SalesOrderFactory(
        code="SO-1",
        lines=[line(1, item=pump, qty="100"), line(2, item=rotor, qty="20")],
    )
    press, lathe = WorkCenterFactory(code="WC-PRESS"), WorkCenterFactory(code="WC-LATHE")
    set_routing(
        pump,
        actor=None,
        operations=[
            {"seq": 10, "name": "press", "work_center": press, "cycle_time_s": "30"},
            {"seq": 20, "name": "turn", "work_center": lathe, "cycle_time_s": "45"},
        ],
    )
    # Release fixes the issue and receipt locations (settings MES_ISSUE/RECEIPT_LOCATION).
    Location.objects.create(code="STOCK", name="Stock")


def body(code="PO-1", **extra) -> dict:
    return {
        "code": code,
        "item": "PUMP",
        "qty": "50",
        "due_date": "2026-12-01",
        "priority": 3,
        "sales_order": "SO-1",
        "sales_order_line": 1,
        **extra,
    }


def order_audit():
    return AuditEntry.objects.filter(model="production.productionorder")


def assert_nothing_written():
    assert not ProductionOrder.objects.exists()
    assert not order_audit().exists()


def state_of(code: str) -> tuple:
    order = ProductionOrder.objects.get(code=code)
    return order.qty, order.due_date, order.status, order.updated_at, order_audit().count()


def released(code: str) -> ProductionOrder:
    order = services.create_production_order(
        actor=None, code=code, item="PUMP", qty=Decimal(10), due_date=date(2026, 12, 1)
    )
    return execution.release_production_order(order, actor=None).order


# --- create and read -------------------------------------------------------------


def test_post_creates_a_planned_order_and_get_reads_it_back(erp):
    response = erp.post(URL, body(), format="json")
    assert response.status_code == 201, response.content
    assert response["Location"].endswith("/api/v1/production-orders/PO-1/")

    read = erp.get(URL + "PO-1/").json()
    assert read == response.json()
    assert {key: read[key] for key in body()} == {
        **body(),
        "qty": "50.000000",
    }
    assert read["status"] == "planned"
    assert read["qty_good"] == "0.000000" and read["qty_scrap"] == "0.000000"
    assert read["operations"] == []
    assert datetime.fromisoformat(read["updated_at"]).utcoffset() is not None
    [entry] = order_audit()
    assert entry.action == "create" and entry.actor_label.startswith("api:")


def test_sales_order_reference_is_optional(erp):
    response = erp.post(URL, body(sales_order="", sales_order_line=None), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["sales_order"] == "" and response.json()["sales_order_line"] is None


def test_post_existing_code_is_409_and_changes_nothing(erp):
    erp.post(URL, body(), format="json")
    before = state_of("PO-1")
    response = erp.post(URL, body(qty="70"), format="json")
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "already_exists"
    assert state_of("PO-1") == before


def test_a_released_order_shows_its_operations(erp):
    released("PO-R")
    read = erp.get(URL + "PO-R/").json()
    assert read["status"] == "released"
    assert [(op["seq"], op["work_center"], op["status"]) for op in read["operations"]] == [
        (10, "WC-PRESS", "pending"),
        (20, "WC-LATHE", "pending"),
    ]
    # Every field the contract names (more may be added, none removed).
    assert set(read["operations"][0]) >= {
        "seq",
        "work_center",
        "status",
        "qty_good",
        "qty_scrap",
        "planned_start",
        "planned_end",
        "actual_start",
        "actual_end",
    }


# --- PUT: upsert, replace only while planned -----------------------------------


def test_put_creates_201_then_replaces_200(erp):
    first = erp.put(URL + "PO-2/", body(code="PO-2"), format="json")
    assert first.status_code == 201, first.content
    second = erp.put(
        URL + "PO-2/", {"item": "PUMP", "qty": "80", "due_date": "2026-12-05"}, format="json"
    )
    assert second.status_code == 200, second.content
    read = second.json()
    assert (read["qty"], read["due_date"], read["priority"]) == ("80.000000", "2026-12-05", 0)
    # PUT replaces: the reference the body no longer carries is gone.
    assert (read["sales_order"], read["sales_order_line"]) == ("", None)
    assert order_audit().count() == 2


def test_put_of_a_released_order_is_409_and_changes_nothing(erp):
    released("PO-R")
    before = state_of("PO-R")
    response = erp.put(URL + "PO-R/", body(code="PO-R", qty="99"), format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert state_of("PO-R") == before


def test_put_with_a_different_code_in_the_body_is_400(erp):
    response = erp.put(URL + "PO-3/", body(code="PO-4"), format="json")
    assert response.status_code == 400
    assert "code" in response.json()["errors"]
    assert_nothing_written()


# --- validation: every refusal names the field and writes nothing --------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"sales_order": "SO-404"}, "sales_order"),
        ({"sales_order_line": 2}, "sales_order_line"),  # line 2 is for ROTOR
        ({"sales_order_line": 9}, "sales_order_line"),  # no such line
        ({"sales_order": "", "sales_order_line": 1}, "sales_order_line"),
        ({"item": "NOPE"}, "item"),
        ({"qty": "0"}, "qty"),
        ({"qty": "abc"}, "qty"),
        ({"due_date": "tomorrow"}, "due_date"),
        ({"code": "bad code"}, "code"),
    ],
)
@pytest.mark.parametrize("method", ["post", "put"])
def test_bad_input_is_400_naming_the_field_and_writes_nothing(erp, changes, field, method):
    data = body(**changes)
    if method == "post":
        response = erp.post(URL, data, format="json")
    else:
        path_code = "PO-1" if field != "code" else "bad%20code"
        response = erp.put(URL + f"{path_code}/", data, format="json")
    if method == "put" and field == "code":
        assert response.status_code == 404  # not a code: no such path
    else:
        assert response.status_code == 400, response.content
        assert response["Content-Type"] == "application/problem+json"
        assert field in response.json()["errors"], response.json()
    assert_nothing_written()


# --- permissions -------------------------------------------------------------------


def test_operator_reads_planner_and_erp_write(erp, api_client_for):
    erp.post(URL, body(), format="json")
    operator, planner = api_client_for("operator"), api_client_for("planner")
    assert operator.get(URL).status_code == 200
    assert operator.get(URL + "PO-1/").status_code == 200
    assert operator.post(URL, body(code="PO-9"), format="json").status_code == 403
    assert operator.put(URL + "PO-1/", body(qty="5"), format="json").status_code == 403
    assert planner.post(URL, body(code="PO-2"), format="json").status_code == 201
    assert planner.put(URL + "PO-1/", body(qty="5"), format="json").status_code == 200
    assert api_client_for("gateway").get(URL).status_code == 403
    assert set(ProductionOrder.objects.values_list("code", flat=True)) == {"PO-1", "PO-2"}


def test_patch_is_not_offered(erp):
    erp.post(URL, body(), format="json")
    assert erp.patch(URL + "PO-1/", {"qty": "5"}, format="json").status_code == 405


# --- Idempotency-Key ---------------------------------------------------------------


def test_idempotency_key_replay_creates_one_order(erp):
    first = erp.post(URL, body(), format="json", HTTP_IDEMPOTENCY_KEY="erp-123")
    again = erp.post(URL, body(), format="json", HTTP_IDEMPOTENCY_KEY="erp-123")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert ProductionOrder.objects.count() == 1
    assert order_audit().count() == 1


# --- list: filters and a constant number of queries ----------------------------------


def test_filters(erp):
    erp.post(URL, body(code="PO-A"), format="json")
    erp.post(URL, body(code="PO-B", item="ROTOR", sales_order_line=2), format="json")
    erp.post(URL, body(code="PO-C", sales_order="", sales_order_line=None), format="json")
    released("PO-D")
    cutoff = ProductionOrder.objects.get(code="PO-C").updated_at

    def codes(**params):
        response = erp.get(URL, params)
        assert response.status_code == 200, response.content
        return [order["code"] for order in response.json()["results"]]

    assert codes() == ["PO-A", "PO-B", "PO-C", "PO-D"]  # by updated_at
    assert codes(item="ROTOR") == ["PO-B"]
    assert codes(sales_order="SO-1") == ["PO-A", "PO-B"]
    assert codes(status="released") == ["PO-D"]
    assert codes(updated_after=cutoff.isoformat()) == ["PO-D"]
    assert erp.get(URL, {"status": "nonsense"}).status_code == 400


def test_list_queries_do_not_grow_with_orders_and_operations(erp, django_assert_max_num_queries):
    released("PO-0")
    with CaptureQueriesContext(connection) as one_order:
        assert erp.get(URL).json()["count"] == 1
    for number in range(1, 20):
        released(f"PO-{number}")
    with django_assert_max_num_queries(len(one_order)):
        results = erp.get(URL).json()["results"]
    assert len(results) == 20
    assert all(len(order["operations"]) == 2 for order in results)
