from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from mes.errors import InvalidInput
from mes.models import AuditEntry
from mes.testing import run_together
from production import selectors, services
from production.models import Routing, RoutingOperation

from .factories import ItemFactory, WorkCenterFactory

pytestmark = pytest.mark.django_db


def url(item_code: str) -> str:
    return f"/api/v1/items/{item_code}/routing/"


@pytest.fixture
def item():
    WorkCenterFactory(code="WC-PRESS")
    WorkCenterFactory(code="WC-WELD")
    return ItemFactory(code="BRACKET")


def operations_body(**second_op_changes):
    return {
        "operations": [
            {
                "seq": 10,
                "name": "Press",
                "work_center": "WC-PRESS",
                "setup_min": "15",
                "cycle_time_s": "4.5",
            },
            {
                "seq": 20,
                "name": "Weld",
                "work_center": "WC-WELD",
                "cycle_time_s": "30",
                "description": "MIG, 2 seams",
                **second_op_changes,
            },
        ]
    }


def routing_rows() -> tuple[int, int, int]:
    return (
        Routing.objects.count(),
        RoutingOperation.objects.count(),
        AuditEntry.objects.filter(model="production.routing").count(),
    )


def test_put_creates_version_1_and_get_reads_it_back(erp, item):
    response = erp.put(url("BRACKET"), operations_body(), format="json")
    assert response.status_code == 201, response.content
    body = erp.get(url("BRACKET")).json()
    assert body["item"] == "BRACKET" and body["version"] == 1 and body["is_active"] is True
    assert body["operations"] == [
        {
            "seq": 10,
            "name": "Press",
            "work_center": "WC-PRESS",
            "setup_min": "15.00",
            "cycle_time_s": "4.500",
            "description": "",
        },
        {
            "seq": 20,
            "name": "Weld",
            "work_center": "WC-WELD",
            "setup_min": "0.00",
            "cycle_time_s": "30.000",
            "description": "MIG, 2 seams",
        },
    ]


def test_same_operations_again_is_200_and_writes_nothing(erp, item):
    erp.put(url("BRACKET"), operations_body(), format="json")
    before = routing_rows()
    # the same routing, written differently: other order, equal decimals
    body = operations_body(cycle_time_s="30.000")
    body["operations"].reverse()
    response = erp.put(url("BRACKET"), body, format="json")
    assert response.status_code == 200
    assert response.json()["version"] == 1
    assert routing_rows() == before


def test_a_change_makes_version_2_and_keeps_version_1_unchanged(erp, item):
    erp.put(url("BRACKET"), operations_body(), format="json")
    v1_snapshot = erp.get(url("BRACKET")).json()["operations"]
    response = erp.put(url("BRACKET"), operations_body(cycle_time_s="28"), format="json")
    assert response.status_code == 201
    assert response.json()["version"] == 2
    versions = erp.get(url("BRACKET") + "versions/").json()
    assert [(v["version"], v["is_active"]) for v in versions["results"]] == [(2, True), (1, False)]
    assert versions["results"][1]["operations"] == v1_snapshot
    assert selectors.get_active_routing(item).version == 2
    assert list(selectors.list_routing_versions(item).values_list("version", flat=True)) == [2, 1]


def test_replacing_is_audited(erp, item):
    erp.put(url("BRACKET"), operations_body(), format="json")
    erp.put(url("BRACKET"), operations_body(name="Weld (robot)"), format="json")
    entries = AuditEntry.objects.filter(model="production.routing").order_by("id")
    assert [e.action for e in entries] == ["create", "update", "create"]
    assert entries[1].changes == {"is_active": [True, False]}
    old_ops, new_ops = entries[2].changes["operations"]
    assert (old_ops[1]["name"], new_ops[1]["name"]) == ("Weld", "Weld (robot)")
    assert new_ops[0] == {
        "seq": 10,
        "name": "Press",
        "work_center": "WC-PRESS",
        "setup_min": "15",
        "cycle_time_s": "4.5",
        "description": "",
    }
    assert entries[2].actor_label.startswith("api:")


def test_unknown_item_is_404(erp, item):
    assert erp.get(url("NOPE")).status_code == 404
    response = erp.put(url("NOPE"), operations_body(), format="json")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert routing_rows() == (0, 0, 0)


def test_item_without_routing_is_404_problem(erp, item):
    response = erp.get(url("BRACKET"))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert erp.get(url("BRACKET") + "versions/").json()["count"] == 0


@pytest.mark.parametrize(
    "body, field",
    [
        ({"operations": []}, "operations"),
        ({}, "operations"),
        ({"operations": "Press"}, "operations"),
        (operations_body(seq=10), "operations.1.seq"),
        (operations_body(seq=0), "operations.1.seq"),
        (operations_body(seq=-5), "operations.1.seq"),
        (operations_body(seq=2**31), "operations.1.seq"),
        (operations_body(work_center="NOPE"), "operations.1.work_center"),
        (operations_body(cycle_time_s="0"), "operations.1.cycle_time_s"),
        (operations_body(cycle_time_s="-1"), "operations.1.cycle_time_s"),
        (operations_body(setup_min="-0.5"), "operations.1.setup_min"),
        (operations_body(name=""), "operations.1.name"),
        (operations_body(name="a\x00b"), "operations.1.name"),
        (
            {"operations": [{"seq": 1, "name": "x", "work_center": "NOPE", "cycle_time_s": "1"}]},
            "operations.0.work_center",
        ),
    ],
)
def test_invalid_routing_is_400_naming_the_field_and_writes_nothing(erp, item, body, field):
    response = erp.put(url("BRACKET"), body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert routing_rows() == (0, 0, 0)


def test_invalid_replacement_keeps_the_active_version(erp, item):
    erp.put(url("BRACKET"), operations_body(), format="json")
    before = routing_rows()
    response = erp.put(url("BRACKET"), operations_body(seq=10), format="json")
    assert response.status_code == 400
    assert routing_rows() == before
    assert selectors.get_active_routing(item).version == 1


def test_operator_and_gateway_read_but_cannot_replace(api_client_for, erp, item):
    erp.put(url("BRACKET"), operations_body(), format="json")
    for role in ("operator", "gateway"):
        client = api_client_for(role)
        assert client.get(url("BRACKET")).status_code == 200
        response = client.put(url("BRACKET"), operations_body(cycle_time_s="1"), format="json")
        assert response.status_code == 403
    assert Routing.objects.count() == 1


# --- the service, as imports and the demo seed call it ------------------------------


def test_set_routing_accepts_plain_values_and_returns_the_active_version(item):
    press = WorkCenterFactory(code="WC-PRESS")
    operations = [{"seq": "10", "name": "Press", "work_center": press, "cycle_time_s": "4.5"}]
    routing = services.set_routing(item, actor=None, operations=operations)
    assert routing.version == 1 and routing.is_active and routing.created_by is None
    op = routing.operations.get()
    assert (op.seq, op.cycle_time_s, op.setup_min) == (10, Decimal("4.5"), Decimal("0"))
    assert services.set_routing(item, actor=None, operations=operations).pk == routing.pk


@pytest.mark.parametrize(
    "operation, field",
    [
        ({"work_center": "WC-PRESS"}, "operations.0.work_center"),
        ({"cycle_time_s": "fast"}, "operations.0.cycle_time_s"),
        ({"cycle_time_s": None}, "operations.0.cycle_time_s"),
        ({"setup_min": Decimal("-1")}, "operations.0.setup_min"),
        ({"seq": 0}, "operations.0.seq"),
        ({"name": "Pre\x00ss"}, "operations.0.name"),
        ({"description": "\x00"}, "operations.0.description"),
        ({"speed": 3}, "operations.0.speed"),
    ],
)
def test_set_routing_refuses_bad_operations(item, operation, field):
    press = WorkCenterFactory(code="WC-PRESS")
    base = {"seq": 10, "name": "Press", "work_center": press, "cycle_time_s": "4.5"}
    with pytest.raises(InvalidInput) as raised:
        services.set_routing(item, actor=None, operations=[{**base, **operation}])
    assert field in raised.value.errors
    assert routing_rows() == (0, 0, 0)


def test_set_routing_refuses_an_empty_routing_and_non_objects(item):
    with pytest.raises(InvalidInput) as raised:
        services.set_routing(item, actor=None, operations=[])
    assert "operations" in raised.value.errors
    with pytest.raises(InvalidInput) as raised:
        services.set_routing(item, actor=None, operations=["Press"])
    assert "operations.0" in raised.value.errors
    assert routing_rows() == (0, 0, 0)


def test_the_database_allows_one_active_routing_per_item(item):
    Routing.objects.create(item=item, version=1, is_active=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        Routing.objects.create(item=item, version=2, is_active=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        Routing.objects.create(item=item, version=1, is_active=False)
    Routing.objects.create(item=item, version=2, is_active=False)


@pytest.mark.parametrize(
    "values",
    [{"seq": 0}, {"setup_min": Decimal("-1")}, {"cycle_time_s": Decimal("0")}],
)
def test_the_database_checks_operation_values(item, values):
    routing = Routing.objects.create(item=item, version=1)
    fields = {"seq": 1, "name": "x", "work_center": WorkCenterFactory(), "cycle_time_s": 1}
    with pytest.raises(IntegrityError), transaction.atomic():
        RoutingOperation.objects.create(routing=routing, **{**fields, **values})


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_replacements_make_consecutive_versions():
    press = WorkCenterFactory(code="WC-PRESS")
    item = ItemFactory(code="BRACKET")

    def replace_with(cycle_time: str):
        operations = [{"seq": 10, "name": "P", "work_center": press, "cycle_time_s": cycle_time}]
        return lambda: services.set_routing(item, actor=None, operations=operations)

    outcomes = run_together([replace_with(str(n)) for n in (1, 2, 3, 4)])
    assert all(isinstance(o, Routing) for o in outcomes), outcomes
    versions = list(Routing.objects.filter(item=item).order_by("version"))
    assert [r.version for r in versions] == [1, 2, 3, 4]
    assert [r.is_active for r in versions] == [False, False, False, True]


# --- admin ----------------------------------------------------------------------


def make_two_versions(item) -> tuple[Routing, Routing]:
    press = WorkCenterFactory(code="WC-PRESS")
    first = services.set_routing(
        item,
        actor=None,
        operations=[{"seq": 10, "name": "Press", "work_center": press, "cycle_time_s": "4"}],
    )
    second = services.set_routing(
        item,
        actor=None,
        operations=[{"seq": 10, "name": "Press", "work_center": press, "cycle_time_s": "3"}],
    )
    return first, second


def test_admin_shows_routings_read_only_with_a_hint(client, manager, item):
    first, _second = make_two_versions(item)
    client.force_login(manager)
    listing = client.get("/admin/production/routing/")
    assert listing.status_code == 200
    assert "PUT /api/v1/items/&lt;code&gt;/routing/" in listing.content.decode()
    detail = client.get(f"/admin/production/routing/{first.pk}/change/")
    assert detail.status_code == 200
    assert "WC-PRESS" in detail.content.decode()
    assert client.get("/admin/production/routing/add/").status_code == 403


def test_admin_action_makes_an_earlier_version_active_again(client, manager, item):
    first, _second = make_two_versions(item)
    client.force_login(manager)
    response = client.post(
        "/admin/production/routing/",
        {"action": "make_active_again", "_selected_action": [first.pk]},
    )
    assert response.status_code == 302
    active = selectors.get_active_routing(item)
    assert active.version == 3
    assert [op.cycle_time_s for op in active.operations.all()] == [Decimal("4")]
    assert AuditEntry.objects.filter(model="production.routing", actor=manager).count() == 2


def test_admin_action_needs_the_right_to_change_routings(client, make_person, item):
    first, _second = make_two_versions(item)
    supervisor = make_person("supervisor")
    client.force_login(supervisor)
    client.post(
        "/admin/production/routing/",
        {"action": "make_active_again", "_selected_action": [first.pk]},
    )
    assert selectors.get_active_routing(item).version == 2


def test_versions_list_queries_do_not_grow_with_versions(erp, item, django_assert_max_num_queries):
    for version in range(1, 8):
        erp.put(url("BRACKET"), operations_body(cycle_time_s=str(version)), format="json")
        with django_assert_max_num_queries(8):
            listing = erp.get(url("BRACKET") + "versions/").json()
        assert listing["count"] == version
