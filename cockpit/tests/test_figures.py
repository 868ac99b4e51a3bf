"""The cockpit's pure arithmetic: a planned quantity spread over shifts adds up."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from cockpit.figures import PLACES, overlap_s, prorated

ORIGIN = datetime(2026, 11, 23, tzinfo=UTC)


def test_a_plan_counts_by_the_time_it_shares_with_a_window():
    plan = (ORIGIN, ORIGIN + timedelta(hours=12))
    assert prorated(Decimal(120), plan, (ORIGIN, ORIGIN + timedelta(hours=8))) == 80
    assert prorated(Decimal(120), plan, (ORIGIN - timedelta(hours=2), ORIGIN)) == 0
    assert prorated(Decimal(120), None, plan) == 0
    instant = (ORIGIN, ORIGIN)
    assert prorated(Decimal(5), instant, (ORIGIN, ORIGIN + timedelta(hours=1))) == 5
    assert overlap_s(plan, (ORIGIN + timedelta(hours=11), ORIGIN + timedelta(hours=13))) == 3600


@given(
    qty=st.decimals(min_value=1, max_value=100_000, places=3),
    start_min=st.integers(min_value=0, max_value=3000),
    length_min=st.integers(min_value=1, max_value=5000),
    cuts=st.lists(st.integers(min_value=1, max_value=9000), max_size=8),
)
def test_shifts_that_cover_a_plan_share_its_whole_quantity(qty, start_min, length_min, cuts):
    plan = (
        ORIGIN + timedelta(minutes=start_min),
        ORIGIN + timedelta(minutes=start_min + length_min),
    )
    edges = [
        ORIGIN,
        *sorted({ORIGIN + timedelta(minutes=c) for c in cuts}),
        ORIGIN + timedelta(days=7),
    ]
    shares = [prorated(qty, plan, window) for window in pairwise(edges)]
    assert all(share >= 0 for share in shares)
    assert abs(sum(shares) - qty) <= PLACES * len(shares)
