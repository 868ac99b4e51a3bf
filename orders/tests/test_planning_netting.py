"""The netting algorithm on its own: no database."""

from datetime import date
from decimal import Decimal

import pytest

from inventory.bom_graph import BomLineEdge, CycleError
from orders.netting import Demand, PlannedOrder, Shortage, plan

D = Decimal
DEC_1, DEC_10 = date(2026, 12, 1), date(2026, 12, 10)


def run(demands, *, supply=None, components=None, raw=(), **options):
    return plan(
        demands,
        supply=supply or {},
        components=components or {},
        made=lambda item: item not in raw,
        lead_days=options.pop("lead_days", 2),
        earliest=options.pop("earliest", date(2026, 11, 1)),
        **options,
    )


def test_supply_covers_the_earliest_demand_first():
    late, early = Demand("P", D(40), DEC_10, "SO-A", 1), Demand("P", D(30), DEC_1, "SO-B", 1)
    planned, shortages = run([late, early], supply={"P": D(50)})
    assert planned == [PlannedOrder("P", D(20), DEC_10, "SO-A", 1)]
    assert shortages == []


def test_each_uncovered_demand_gets_its_own_order():
    planned, _ = run([Demand("P", D(40), DEC_10, "SO-A", 1), Demand("P", D(30), DEC_1, "SO-B", 2)])
    assert planned == [
        PlannedOrder("P", D(30), DEC_1, "SO-B", 2),
        PlannedOrder("P", D(40), DEC_10, "SO-A", 1),
    ]


def test_components_are_netted_after_all_their_parents_and_raw_ones_are_short():
    # P and Q both use the sub-assembly S; S uses the raw material R.
    components = {
        "P": [BomLineEdge("S", D(2), "EA")],
        "Q": [BomLineEdge("S", D(1), "EA"), BomLineEdge("R", D(1), "KG")],
        "S": [BomLineEdge("R", D("0.5"), "KG")],
    }
    planned, shortages = run(
        [Demand("Q", D(4), DEC_10, "SO-2", 1), Demand("P", D(5), DEC_1, "SO-1", 1)],
        supply={"S": D(3), "R": D(1)},
        components=components,
        raw={"R"},
    )
    # S's 3 in stock serve P's need (due earlier) first: 10 - 3 = 7, then all of Q's 4.
    assert planned == [
        PlannedOrder("P", D(5), DEC_1, "SO-1", 1),
        PlannedOrder("Q", D(4), DEC_10, "SO-2", 1),
        PlannedOrder("S", D(7), date(2026, 11, 29)),
        PlannedOrder("S", D(4), date(2026, 12, 8)),
    ]
    # R, by due date: 3.5 for S's first order (less the 1 in stock), 2 for its second, 4 for Q.
    assert shortages == [
        Shortage("R", D("2.5"), date(2026, 11, 27)),
        Shortage("R", D(2), date(2026, 12, 6)),
        Shortage("R", D(4), date(2026, 12, 8)),
    ]


def test_component_due_dates_never_fall_before_the_earliest_date():
    planned, _ = run(
        [Demand("P", D(1), DEC_1)],
        components={"P": [BomLineEdge("S", D(1), "EA")]},
        lead_days=10,
        earliest=date(2026, 11, 25),
    )
    assert [order.due_date for order in planned] == [DEC_1, date(2026, 11, 25)]


def test_order_quantity_is_rounded_and_the_surplus_serves_later_demand():
    planned, _ = run(
        [Demand("P", D("0.4"), DEC_1), Demand("P", D("0.5"), DEC_10)],
        order_qty=lambda item, qty: qty.to_integral_value(rounding="ROUND_CEILING"),
    )
    assert planned == [PlannedOrder("P", D(1), DEC_1)]


def test_a_loop_in_the_boms_is_refused():
    components = {"A": [BomLineEdge("B", D(1), "EA")], "B": [BomLineEdge("A", D(1), "EA")]}
    with pytest.raises(CycleError):
        run([Demand("A", D(1), DEC_1)], components=components)
