"""A small plant to schedule: one site on two shifts (Mon–Sat), two work centers."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from production import services as production_services
from production.calendars import services as calendars
from production.execution import services as execution
from production.models import Machine, ProductionOrder, Site, WorkCenter

from .execution_factories import ItemFactory, LocationFactory, ProductionOrderFactory
from .factories import AreaFactory, MachineFactory, SiteFactory, WorkCenterFactory
from .oee_factories import SEOUL

MONDAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 7, 0, tzinfo=SEOUL)  # Monday, in the first shift


@dataclass
class SmallPlant:
    site: Site
    cutting: WorkCenter  # two machines
    packing: WorkCenter  # one machine
    machines: dict[str, Machine]

    def order(self, code: str, *, qty: str = "60", due_in_days: int = 3, priority: int = 0):
        """A released order: 10 on cutting (10 min setup, 30 s a part), 20 on packing."""
        item = ItemFactory(code=f"ITEM-{code}")
        production_services.set_routing(
            item,
            actor=None,
            operations=[
                {
                    "seq": 10,
                    "name": "Cut",
                    "work_center": self.cutting,
                    "setup_min": "10",
                    "cycle_time_s": "30",
                },
                {"seq": 20, "name": "Pack", "work_center": self.packing, "cycle_time_s": "12"},
            ],
        )
        order = ProductionOrderFactory(
            code=code,
            item=item,
            qty=Decimal(qty),
            due_date=MONDAY + timedelta(days=due_in_days),
            priority=priority,
        )
        execution.release_production_order(order, actor=None)
        return ProductionOrder.objects.get(pk=order.pk)


def two_shift_calendar(site: Site) -> None:
    """06:00–14:00 and 14:00–22:00 Mon–Sat, a 30-minute break in each, nights off."""
    pattern = calendars.set_shift_pattern(
        actor=None,
        code=f"TWO-{site.code}",
        name="two shifts",
        site=site,
        shifts=[
            {
                "code": "A",
                "name": "early",
                "weekdays": [0, 1, 2, 3, 4, 5],
                "start": "06:00",
                "end": "14:00",
                "breaks": [{"name": "lunch", "start": "10:00", "end": "10:30"}],
            },
            {
                "code": "B",
                "name": "late",
                "weekdays": [0, 1, 2, 3, 4, 5],
                "start": "14:00",
                "end": "22:00",
                "breaks": [{"name": "dinner", "start": "18:00", "end": "18:30"}],
            },
        ],
    )
    calendars.assign_calendar(actor=None, pattern=pattern, site=site, valid_from=date(2026, 1, 1))


def small_plant(*, calendar: bool = True) -> SmallPlant:
    LocationFactory()
    site = SiteFactory(code="SITE-S")
    area = AreaFactory(code="AREA-S", site=site)
    cutting = WorkCenterFactory(code="WC-CUT", area=area)
    packing = WorkCenterFactory(code="WC-PACK", area=area)
    machines = {
        code: MachineFactory(code=code, work_center=work_center)
        for code, work_center in (("CUT-1", cutting), ("CUT-2", cutting), ("PACK-1", packing))
    }
    if calendar:
        two_shift_calendar(site)
    return SmallPlant(site, cutting, packing, machines)
