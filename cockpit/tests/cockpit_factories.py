"""A small two-shift plant for the cockpit tests.

Site SITE-C (Seoul) with WC-PRESS (PRESS-01, PRESS-02) and WC-WELD (WELD-01) in one
area; shifts DAY 06:00–14:00 and SWING 14:00–22:00 every day, no breaks. Times are set
with ``at``: the services stamp their records with ``timezone.now()``.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal
from unittest import mock
from zoneinfo import ZoneInfo

from django.utils import timezone

from inventory.models import Item
from production.calendars import services as calendars
from production.execution import services as execution
from production.models import Machine, Operation, ProductionOrder, ReasonCode, Site, WorkCenter
from production.tests.execution_factories import (
    ItemFactory,
    LocationFactory,
    ProductionOrderFactory,
    make_bom,
    make_routing,
)
from production.tests.factories import (
    AreaFactory,
    MachineFactory,
    ReasonCodeFactory,
    SiteFactory,
    WorkCenterFactory,
)

SEOUL = ZoneInfo("Asia/Seoul")
DAY = date(2026, 11, 23)  # a Monday


def local(hhmm: str, day: date = DAY) -> datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return datetime(day.year, day.month, day.day, hours, minutes, tzinfo=SEOUL)


def at(moment: datetime):
    """Make ``moment`` the time the services see."""
    return mock.patch.object(timezone, "now", return_value=moment)


def two_shift_plant() -> Site:
    site = SiteFactory(code="SITE-C", name="Cockpit plant")
    area = AreaFactory(code="AREA-C", site=site)
    press = WorkCenterFactory(code="WC-PRESS", name="Press line", area=area)
    weld = WorkCenterFactory(code="WC-WELD", name="Welding cell", area=area)
    for code, center in (("PRESS-01", press), ("PRESS-02", press), ("WELD-01", weld)):
        MachineFactory(code=code, work_center=center, ideal_cycle_time_s=Decimal("30"))
    pattern = calendars.set_shift_pattern(
        actor=None,
        code="TWO-SHIFT",
        name="day and swing",
        site=site,
        shifts=[
            {
                "code": "DAY",
                "name": "day",
                "weekdays": list(range(7)),
                "start": "06:00",
                "end": "14:00",
            },
            {
                "code": "SWING",
                "name": "swing",
                "weekdays": list(range(7)),
                "start": "14:00",
                "end": "22:00",
            },
        ],
    )
    calendars.assign_calendar(actor=None, pattern=pattern, site=site, valid_from=date(2026, 1, 1))
    ReasonCodeFactory(code="SC-DENT", name="Dent", kind=ReasonCode.Kind.SCRAP)
    ReasonCodeFactory(code="DT-JAM", name="Die jam", kind=ReasonCode.Kind.DOWNTIME)
    LocationFactory()
    return site


def order_at(
    work_center_code: str,
    *,
    code: str,
    qty: str = "100",
    due_date: date = DAY,
    planned: tuple[datetime, datetime] | None = None,
    components: dict[Item, str] | None = None,
) -> ProductionOrder:
    """A released order of a new product with one operation at the work center, planned
    over ``planned`` (as a published schedule would write it)."""
    item = ItemFactory(code=f"ITEM-{code}", kind=Item.Kind.PRODUCT)
    make_routing(item, [WorkCenter.objects.get(code=work_center_code)])
    if components:
        make_bom(item, components)
    order = ProductionOrderFactory(code=code, item=item, qty=Decimal(qty), due_date=due_date)
    execution.release_production_order(order, actor=None)
    if planned:
        # What publishing a schedule writes; the scheduler is not what is tested here.
        Operation.objects.filter(order=order).update(
            planned_start=planned[0], planned_end=planned[1]
        )
    order.refresh_from_db()
    return order


def run(
    order: ProductionOrder,
    machine_code: str,
    *,
    start: datetime,
    reports: list[tuple[datetime, int, int]] = (),
    operator=None,
    clock_off: datetime | None = None,
):
    """Start the order's operation on the machine at ``start`` (clocking ``operator``
    on) and report (when, good, scrap) — scrap as dents; clock off at ``clock_off``."""
    operation = order.operations.get()
    machine = Machine.objects.get(code=machine_code)
    with at(start):
        execution.start_operation(operation, actor=None, machine=machine, operator=operator)
    dent = ReasonCode.objects.get(code="SC-DENT")
    for when, good, scrap in reports:
        with at(when):
            execution.report_operation(
                operation,
                actor=None,
                qty_good=good,
                qty_scrap=scrap,
                scrap_reason=dent if scrap else None,
            )
    if clock_off and operator:
        with at(clock_off):
            execution.clock_off(operation, actor=None, operator=operator)
    return operation


def hours(n: float) -> timedelta:
    return timedelta(hours=n)
