from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from mes.errors import AlreadyExists, InvalidInput, InvalidTransition
from mes.models import AuditEntry
from mes.testing import run_together
from orders import selectors, services
from orders.models import SalesOrder, SalesOrderLine

from .factories import CustomerFactory, ItemFactory, SalesOrderFactory, line

pytestmark = pytest.mark.django_db

Status = SalesOrder.Status


def put_in_place(order: SalesOrder, *, status: str | None = None, shipped: dict[int, str]) -> None:
    # Shipping arrives in a later issue; until then tests put its results in place.
    for number, qty in shipped.items():
        order.lines.filter(line=number).update(shipped_qty=Decimal(qty))
    if status:
        SalesOrder.objects.filter(pk=order.pk).update(status=status)
    order.refresh_from_db()


def test_create_takes_codes_as_a_seed_script_would():
    CustomerFactory(code="HMC")
    ItemFactory(code="BOLT-M8")
    order = services.create_sales_order(
        actor=None,
        code="SO-1",
        customer="HMC",
        lines=[{"line": 1, "item": "BOLT-M8", "qty": "250", "due_date": "2026-12-01"}],
    )
    assert order.status == Status.OPEN and order.customer.code == "HMC"
    [stored] = order.lines.all()
    assert (stored.item.code, stored.qty, stored.due_date) == ("BOLT-M8", 250, date(2026, 12, 1))
    assert AuditEntry.objects.get(model="orders.salesorder").actor_label == "system"


def test_create_names_every_bad_field_at_once():
    with pytest.raises(InvalidInput) as refused:
        services.create_sales_order(
            actor=None,
            code="SO-1",
            customer="NOPE",
            lines=[line(1, qty="0"), line(1), {"line": 2, "item": "GONE", "qty": "1"}],
        )
    assert set(refused.value.errors) == {
        "customer",
        "lines.0.qty",
        "lines.1.line",
        "lines.2.item",
        "lines.2.due_date",
    }
    assert not SalesOrder.objects.exists()


def test_upsert_reports_whether_it_created():
    customer = CustomerFactory()
    lines = [line(1)]
    order, created = services.upsert_sales_order(
        actor=None, code="SO-1", customer=customer, lines=lines
    )
    again, created_again = services.upsert_sales_order(
        actor=None, code="SO-1", customer=customer, lines=lines
    )
    assert (created, created_again) == (True, False)
    assert again.pk == order.pk
    assert AuditEntry.objects.filter(model="orders.salesorder").count() == 1


def test_changing_the_item_of_a_shipped_line_is_refused():
    order = SalesOrderFactory(lines=[line(1)])
    put_in_place(order, status=Status.PARTIALLY_SHIPPED, shipped={1: "2"})
    with pytest.raises(InvalidTransition) as refused:
        services.upsert_sales_order(
            actor=None, code=order.code, customer=order.customer, lines=[line(1)]
        )
    assert "lines.0.item" in refused.value.errors


def test_status_follows_shipped_quantities_when_lines_change():
    bolt, nut = ItemFactory(), ItemFactory()
    order = SalesOrderFactory(lines=[line(1, item=bolt, qty="10")])
    put_in_place(order, status=Status.SHIPPED, shipped={1: "10"})

    order, _ = services.upsert_sales_order(
        actor=None,
        code=order.code,
        customer=order.customer,
        lines=[line(1, item=bolt, qty="10"), line(2, item=nut, qty="5")],
    )
    assert order.status == Status.PARTIALLY_SHIPPED

    order, _ = services.upsert_sales_order(
        actor=None, code=order.code, customer=order.customer, lines=[line(1, item=bolt, qty="10")]
    )
    assert order.status == Status.SHIPPED
    statuses = [
        entry.changes["status"]
        for entry in AuditEntry.objects.filter(model="orders.salesorder").order_by("id")
        if "status" in entry.changes and entry.action == "update"
    ]
    assert statuses == [["shipped", "partially_shipped"], ["partially_shipped", "shipped"]]


@pytest.mark.parametrize("status", [Status.CLOSED, Status.SHIPPED])
def test_cancel_is_refused_where_the_transition_table_forbids_it(status):
    order = SalesOrderFactory()
    put_in_place(order, status=status, shipped={})
    with pytest.raises(InvalidTransition):
        services.cancel_sales_order(order, actor=None)
    order.refresh_from_db()
    assert order.status == status


def test_every_status_has_a_transition_entry():
    assert set(SalesOrder.TRANSITIONS) == set(Status.values)
    assert all(targets <= set(Status.values) for targets in SalesOrder.TRANSITIONS.values())
    final = {status for status in Status.values if not SalesOrder.TRANSITIONS[status]}
    assert final == {Status.CANCELLED, Status.CLOSED}


def test_open_demand_lists_what_is_left_to_ship_by_due_date(django_assert_num_queries):
    bolt, nut = ItemFactory(code="BOLT"), ItemFactory(code="NUT")
    early = SalesOrderFactory(
        code="SO-EARLY",
        lines=[
            line(1, item=bolt, qty="100", due_date=date(2026, 12, 10)),
            line(2, item=nut, qty="50", due_date=date(2026, 12, 1)),
        ],
    )
    put_in_place(early, status=Status.PARTIALLY_SHIPPED, shipped={1: "30", 2: "50"})
    SalesOrderFactory(
        code="SO-LATE", lines=[line(1, item=nut, qty="7", due_date=date(2026, 12, 5))]
    )
    cancelled = SalesOrderFactory(code="SO-GONE", lines=[line(1, item=bolt)])
    services.cancel_sales_order(cancelled, actor=None)

    with django_assert_num_queries(1):
        demand = [
            (d.order.code, d.order.customer.code[:4], d.line, d.item.code, d.open_qty, d.due_date)
            for d in selectors.list_open_demand()
        ]
    assert demand == [
        ("SO-LATE", "CUST", 1, "NUT", Decimal("7"), date(2026, 12, 5)),
        ("SO-EARLY", "CUST", 1, "BOLT", Decimal("70"), date(2026, 12, 10)),
    ]
    assert isinstance(demand[0][4], Decimal)


@pytest.mark.parametrize(
    "values",
    [
        {"line": 1, "qty": Decimal("0")},
        {"line": 1, "qty": Decimal("5"), "shipped_qty": Decimal("-1")},
        {"line": 1, "qty": Decimal("5"), "shipped_qty": Decimal("6")},
        {"line": 0, "qty": Decimal("5")},
    ],
)
def test_database_refuses_impossible_lines(values):
    order = SalesOrderFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        SalesOrderLine.objects.create(
            order=order, item=ItemFactory(), due_date=date(2026, 1, 1), **values
        )


def test_database_refuses_a_line_number_twice():
    order = SalesOrderFactory(lines=[line(1)])
    with pytest.raises(IntegrityError), transaction.atomic():
        SalesOrderLine.objects.create(
            order=order, line=1, item=ItemFactory(), qty=Decimal(1), due_date=date(2026, 1, 1)
        )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_of_one_code_make_one_order():
    customer, item = CustomerFactory(), ItemFactory()

    def create():
        return services.create_sales_order(
            actor=None, code="SO-RACE", customer=customer, lines=[line(1, item=item)]
        )

    outcomes = run_together([create] * 2)
    assert sorted(type(o).__name__ for o in outcomes) == [
        AlreadyExists.__name__,
        SalesOrder.__name__,
    ], outcomes
    assert SalesOrderLine.objects.filter(order__code="SO-RACE").count() == 1
