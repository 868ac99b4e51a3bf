"""Real races on PostgreSQL: concurrent reports respect the bound, a machine runs one operation."""

from collections.abc import Callable

import pytest

from inventory import selectors as inventory_selectors
from inventory import services as inventory_services
from inventory.models import Item
from mes.errors import DomainError, MachineBusy, QuantityExceeded
from mes.testing import run_together
from production.execution import services
from production.models import Operation, OperationEvent

from .execution_factories import (
    ItemFactory,
    LocationFactory,
    MachineFactory,
    operations_of,
    released_order,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(calls: list[Callable[[], object]]) -> list[str]:
    """Run the calls at once; "ok" or the domain error code for each, any other error raised."""
    return [outcome_code(outcome) for outcome in run_together(calls)]


def outcome_code(outcome: object) -> str:
    if isinstance(outcome, DomainError):
        return outcome.code
    if isinstance(outcome, BaseException):
        raise outcome
    return "ok"


def test_eight_reports_of_one_on_an_order_of_five():
    grease = ItemFactory(code="GREASE", kind=Item.Kind.RAW)
    inventory_services.receive_stock(actor=None, item=grease, qty=100, location=LocationFactory())
    order = released_order(qty="5", steps=1, components={grease: "1"})
    [operation] = operations_of(order)
    services.start_operation(operation, actor=None)

    def report():
        services.report_operation(operation, actor=None, qty_good=1)

    outcomes = race([report] * 8)
    assert sorted(outcomes) == ["ok"] * 5 + [QuantityExceeded.code] * 3
    operation.refresh_from_db()
    order.refresh_from_db()
    reported = OperationEvent.objects.filter(operation=operation, kind="report")
    assert operation.qty_good == 5 == sum(event.qty_good for event in reported)
    assert order.qty_good == 5
    assert inventory_selectors.get_on_hand(order.item) == 5
    assert inventory_selectors.get_on_hand(grease) == 95


def test_two_starts_on_one_machine():
    first_order, second_order = released_order(steps=1), released_order(steps=1)
    [first], [second] = operations_of(first_order), operations_of(second_order)
    Operation.objects.filter(pk=second.pk).update(work_center=first.work_center)
    press = MachineFactory(work_center=first.work_center)

    outcomes = race(
        [
            lambda: services.start_operation(first, actor=None, machine=press),
            lambda: services.start_operation(second, actor=None, machine=press),
        ]
    )
    assert sorted(outcomes) == [MachineBusy.code, "ok"]
    assert Operation.objects.filter(machine=press, status="running").count() == 1
    assert OperationEvent.objects.filter(kind="start").count() == 1
    assert Operation.objects.filter(status="pending", machine__isnull=True).count() == 1
