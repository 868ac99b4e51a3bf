"""Build the demo plant (seeds/demo_plant.py) through the apps' services.

Every record is created only if it is absent, found by its natural key. Running
the load again therefore writes nothing, and a demo record someone has edited
since is left as they edited it (the load runs on every start of the embedded
mode, it must never undo a user's change).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.utils import timezone

from cockpit.selectors import list_shifts_of_day, previous_production_day
from inventory import services as inventory_services
from inventory.models import Bom, Item, Location, StockMove, UnitOfMeasure
from mes.services import create_person
from orders import services as order_services
from orders.models import Customer, SalesOrder
from production import services as production_services
from production.calendars import services as calendar_services
from production.calendars.selectors import get_working_windows
from production.calendars.windows import ShiftOccurrence
from production.execution import services as execution_services
from production.models import (
    Area,
    CalendarAssignment,
    Holiday,
    Machine,
    MachineEvent,
    Operation,
    OperationEvent,
    ProductionOrder,
    ReasonCode,
    Routing,
    ShiftPattern,
    Site,
    Terminal,
    WorkCenter,
)
from production.oee.rollup import roll_up_oee
from production.oee.services import MAX_BATCH, classify_downtime, ingest_machine_events
from production.oee.simulation import PlantSimulator
from production.shopfloor import services as shopfloor_services
from quality.inspections import services as inspection_services
from quality.models import Inspection, InspectionPlan

from . import demo_plant as demo

User = get_user_model()


class _Loader:
    def __init__(self, *, actor, today: date):
        self.actor = actor
        self.today = today
        self.now = timezone.now().replace(microsecond=0)
        self.created: Counter[str] = Counter()

    def ensure(self, model: type[models.Model], upsert: Callable[..., Any], code: str, **values):
        """The record with ``code``, made by the app's upsert service if it is absent."""
        existing = model.objects.filter(code=code).first()
        if existing is not None:
            return existing
        obj, _created = upsert(actor=self.actor, code=code, **values)
        self.created[model._meta.verbose_name_plural] += 1
        return obj

    def load(self) -> Counter[str]:
        site = self.load_plant()
        items = self.load_items()
        self.load_boms(items)
        self.load_routings(items)
        self.load_reasons()
        self.load_stock(items)
        self.load_calendar(site)
        customers = self.load_customers()
        self.load_sales_orders(customers, items)
        self.load_production_orders(items)
        self.load_terminals()
        self.load_people()
        self.load_quality(items)
        shifts = self.story_shifts(site)
        self.load_machine_history(shifts)
        self.load_story(shifts)
        return self.created

    def load_plant(self) -> Site:
        site = self.ensure(Site, production_services.upsert_site, **demo.SITE)
        areas = {
            code: self.ensure(Area, production_services.upsert_area, code, name=name, site=site)
            for code, name in demo.AREAS.items()
        }
        work_centers = {
            wc.code: self.ensure(
                WorkCenter,
                production_services.upsert_work_center,
                wc.code,
                name=wc.name,
                area=areas[wc.area],
            )
            for wc in demo.WORK_CENTERS
        }
        for machine in demo.MACHINES:
            self.ensure(
                Machine,
                production_services.upsert_machine,
                machine.code,
                name=machine.name,
                work_center=work_centers[machine.work_center],
                ideal_cycle_time_s=machine.ideal_cycle_time_s,
            )
        return site

    def load_items(self) -> dict[str, Item]:
        units = {
            code: self.ensure(
                UnitOfMeasure, inventory_services.upsert_uom, code, name=name, decimals=decimals
            )
            for code, name, decimals in demo.UNITS
        }
        return {
            item.code: self.ensure(
                Item,
                inventory_services.upsert_item,
                item.code,
                name=item.name,
                kind=item.kind,
                uom=units[item.uom],
                tracking=item.tracking,
                description=item.description,
            )
            for item in demo.ITEMS
        }

    def load_boms(self, items: dict[str, Item]) -> None:
        units = {
            code: self.ensure(
                UnitOfMeasure, inventory_services.upsert_uom, code, name=name, decimals=decimals
            )
            for code, name, decimals in demo.UNITS
        }
        for parent, lines in demo.BOMS.items():
            if Bom.objects.filter(item=items[parent]).exists():
                continue
            components = [
                {"item": items[line.item], "qty_per": line.qty_per, "uom": units[line.uom]}
                for line in lines
            ]
            inventory_services.set_bom(items[parent], actor=self.actor, components=components)
            self.created[Bom._meta.verbose_name_plural] += 1

    def load_routings(self, items: dict[str, Item]) -> None:
        work_centers = {wc.code: wc for wc in WorkCenter.objects.all()}
        for code, operations in demo.ROUTINGS.items():
            if Routing.objects.filter(item=items[code]).exists():
                continue
            production_services.set_routing(
                items[code],
                actor=self.actor,
                operations=[
                    {
                        "seq": op.seq,
                        "name": op.name,
                        "work_center": work_centers[op.work_center],
                        "setup_min": op.setup_min,
                        "cycle_time_s": op.cycle_time_s,
                    }
                    for op in operations
                ],
            )
            self.created[Routing._meta.verbose_name_plural] += 1

    def load_stock(self, items: dict[str, Item]) -> None:
        locations = {
            code: self.ensure(
                Location, inventory_services.upsert_location, code, name=name, kind=kind
            )
            for code, name, kind in demo.LOCATIONS
        }
        store = locations[demo.OPENING_STOCK_LOCATION]
        for data, lot, qty in demo.opening_stock():
            client_ref = f"demo-opening-stock:{data.code}:{lot or '-'}"
            if StockMove.objects.filter(client_ref=client_ref).exists():
                continue
            inventory_services.receive_stock(
                actor=self.actor,
                item=items[data.code],
                qty=qty,
                location=store,
                lot_code=lot,
                reference="demo opening stock",
                client_ref=client_ref,
            )
            self.created[StockMove._meta.verbose_name_plural] += 1

    def load_reasons(self) -> None:
        for reason in demo.REASONS:
            self.ensure(
                ReasonCode,
                production_services.upsert_reason_code,
                reason.code,
                name=reason.name,
                kind=reason.kind,
                category=reason.category,
                affects_availability=reason.affects_availability,
            )

    def load_calendar(self, site: Site) -> None:
        pattern = ShiftPattern.objects.filter(code=demo.SHIFT_PATTERN["code"]).first()
        if pattern is None:
            pattern = calendar_services.set_shift_pattern(
                actor=self.actor,
                site=site,
                shifts=[
                    {
                        "code": shift.code,
                        "name": shift.name,
                        "weekdays": demo.MON_TO_SAT,
                        "start": shift.start,
                        "end": shift.end,
                        "breaks": [
                            {"name": name, "start": start, "end": end}
                            for name, start, end in shift.breaks
                        ],
                    }
                    for shift in demo.SHIFTS
                ],
                **demo.SHIFT_PATTERN,
            )
            self.created[ShiftPattern._meta.verbose_name_plural] += 1
        if not CalendarAssignment.objects.filter(site=site).exists():
            calendar_services.assign_calendar(
                actor=self.actor,
                pattern=pattern,
                site=site,
                valid_from=self.today.replace(month=1, day=1),
            )
            self.created[CalendarAssignment._meta.verbose_name_plural] += 1
        taken = set(Holiday.objects.filter(site=site).values_list("date", flat=True))
        for day, name in demo.holidays_for([self.today.year, self.today.year + 1]):
            if day not in taken:
                calendar_services.add_holiday(actor=self.actor, site=site, date=day, name=name)
                self.created[Holiday._meta.verbose_name_plural] += 1

    def load_customers(self) -> dict[str, Customer]:
        return {
            code: self.ensure(Customer, order_services.upsert_customer, code, name=name)
            for code, name in demo.CUSTOMERS.items()
        }

    def load_sales_orders(self, customers: dict[str, Customer], items: dict[str, Item]) -> None:
        for order in demo.SALES_ORDERS:
            lines = [
                {
                    "line": number,
                    "item": items[item],
                    "qty": Decimal(qty),
                    "due_date": self.today + timedelta(days=due_in_days),
                }
                for number, (item, qty, due_in_days) in enumerate(order.lines, start=1)
            ]
            self.ensure(
                SalesOrder,
                order_services.upsert_sales_order,
                order.code,
                customer=customers[order.customer],
                lines=lines,
            )

    def load_production_orders(self, items: dict[str, Item]) -> None:
        """Released orders (operations copied from their routings), ready to schedule."""
        for order in demo.PRODUCTION_ORDERS:
            if ProductionOrder.objects.filter(code=order.code).exists():
                continue
            created = order_services.create_production_order(
                actor=self.actor,
                code=order.code,
                item=items[order.item],
                qty=Decimal(order.qty),
                due_date=self.today + timedelta(days=order.due_in_days),
                priority=order.priority,
                sales_order=order.sales_order,
                sales_order_line=order.sales_order_line,
            )
            execution_services.release_production_order(created, actor=self.actor)
            self.created[ProductionOrder._meta.verbose_name_plural] += 1

    def load_terminals(self) -> None:
        for code, name, work_center, machine in demo.TERMINALS:
            if Terminal.objects.filter(code=code).exists():
                continue
            shopfloor_services.create_terminal(
                actor=self.actor,
                code=code,
                name=name,
                work_center=WorkCenter.objects.get(code=work_center),
                machine=Machine.objects.get(code=machine) if machine else None,
            )
            self.created[Terminal._meta.verbose_name_plural] += 1

    def load_people(self) -> None:
        for person in demo.PEOPLE:
            if User.objects.filter(username=person.username).exists():
                continue
            create_person(
                actor=self.actor,
                username=person.username,
                role=person.role,
                password=person.password,
                badge_id=person.badge_id,
                pin=person.pin,
                first_name=person.first_name,
                last_name=person.last_name,
                language=person.language,
            )
            self.created[User._meta.verbose_name_plural] += 1

    def load_quality(self, items: dict[str, Item]) -> None:
        """Inspection plans, and a recent history of bore measurements for the SPC demo."""
        for plan in demo.INSPECTION_PLANS:
            if InspectionPlan.objects.filter(code=plan.code).exists():
                continue
            inspection_services.upsert_inspection_plan(
                actor=self.actor,
                code=plan.code,
                name=plan.name,
                item=items[plan.item],
                operation_seq=plan.operation_seq,
                kind=plan.kind,
                every_n_units=plan.every_n_units,
                required_to_complete=plan.required_to_complete,
                hold_on_spec_violation=plan.hold_on_spec_violation,
                characteristics=[
                    {
                        "code": c.code,
                        "name": c.name,
                        "kind": c.kind,
                        "sample_size": c.sample_size,
                        "uom": c.uom,
                        "nominal": c.nominal,
                        "lsl": c.lsl,
                        "usl": c.usl,
                    }
                    for c in plan.characteristics
                ],
            )
            self.created[InspectionPlan._meta.verbose_name_plural] += 1
        plan = InspectionPlan.objects.get(code=demo.SPC_HISTORY_PLAN)
        now = timezone.now()
        for index, values in enumerate(demo.spc_history()):
            client_ref = f"demo-inspection:{plan.code}:{index}"
            if Inspection.objects.filter(client_ref=client_ref).exists():
                continue
            inspection_services.record_inspection(
                actor=self.actor,
                plan=plan,
                results=[{"characteristic": demo.SPC_HISTORY_CHARACTERISTIC, "values": values}],
                inspected_at=now - timedelta(hours=4 * (len(demo.spc_history()) - index)),
                client_ref=client_ref,
            )
            self.created[Inspection._meta.verbose_name_plural] += 1

    def story_shifts(self, site: Site) -> dict[str, ShiftOccurrence]:
        """The shifts of the last production day before today, by code."""
        today = self.now.astimezone(ZoneInfo(site.time_zone)).date()
        day = previous_production_day(site, today)
        return {shift.shift_code: shift for shift in list_shifts_of_day(site, day)}

    def load_machine_history(self, shifts: dict[str, ShiftOccurrence]) -> None:
        """The machines' signals over the last days, as the simulator makes them, so the
        OEE dashboard has something to show before any machine is connected; those of the
        story's machines from the last production day on are the story's."""
        machines = Machine.objects.filter(code__in=[m.code for m in demo.MACHINES]).select_related(
            "work_center"
        )
        if MachineEvent.objects.filter(machine__in=machines).exists():
            return
        plant = PlantSimulator(
            [(m.code, float(m.ideal_cycle_time_s)) for m in machines], seed=demo.HISTORY_SEED
        )
        now = self.now.replace(second=0)
        step = timedelta(seconds=demo.HISTORY_STEP_S)
        moment = min([now - timedelta(days=demo.HISTORY_DAYS), *(s.start for s in shifts.values())])
        working = {
            m.code: get_working_windows(work_center=m.work_center, start=moment, end=now + step)
            for m in machines
        }
        rows = []
        while moment <= now:
            resting = [
                code
                for code, windows in working.items()
                if not any(w.start <= moment < w.end for w in windows)
            ]
            rows += plant.step(moment, step.total_seconds(), resting)
            moment += step
        story_machines = {step.machine for step in demo.STORY if step.machine}
        rows = [row for row in rows if row["machine"] not in story_machines]
        for first in range(0, len(rows), MAX_BATCH):
            stored = ingest_machine_events(rows[first : first + MAX_BATCH])
            self.created[MachineEvent._meta.verbose_name_plural] += stored.accepted

    def load_story(self, shifts: dict[str, ShiftOccurrence]) -> None:
        """The last production day and this morning (demo_plant.STORY), through the execution
        services, recorded at the times they happened; the machines' states with them.
        Played only while none of its orders' operations has been touched."""
        orders = {step.order for step in demo.STORY}
        if OperationEvent.objects.filter(operation__order__code__in=orders).exists():
            return
        if not {step.shift for step in demo.STORY} - {demo.NOW} <= set(shifts):
            return  # no such shifts in the calendar (someone changed it)
        steps = sorted(demo.STORY, key=lambda step: self.story_time(step, shifts))
        names = {step.person for step in steps}
        people = {person.username: person for person in User.objects.filter(username__in=names)}
        operations = {
            (op.order.code, op.seq): op
            for op in Operation.objects.filter(order__code__in=orders).select_related("order")
        }
        reasons = {r.code: r for r in ReasonCode.objects.all()}
        machine_of: dict[tuple[str, int], str] = {}
        first_shift = min(shift.start for shift in shifts.values())
        states = [
            {"machine": code, "ts": first_shift.isoformat(), "state": "idle"}
            for code in sorted({step.machine for step in steps if step.machine})
        ]
        stops: list[tuple[str, datetime, str]] = []
        for step in steps:
            at = self.story_time(step, shifts)
            key = (step.order, step.seq)
            machine_of.setdefault(key, step.machine)
            state = _play(step, operations[key], people[step.person], reasons, at)
            if state:
                states.append({"machine": machine_of[key], "ts": at.isoformat(), "state": state})
            if state == MachineEvent.State.DOWN:
                stops.append((machine_of[key], at, step.reason))
        ingest_machine_events(states)
        supervisor = User.objects.get(username=demo.STORY_SUPERVISOR)
        machines = {m.code: m for m in Machine.objects.filter(code__in=machine_of.values())}
        for machine, at, reason in stops:
            classify_downtime(
                machines[machine], started_at=at, reason=reasons[reason], actor=supervisor
            )
        self.created[OperationEvent._meta.verbose_name_plural] += OperationEvent.objects.filter(
            operation__order__code__in=orders
        ).count()
        # What the OEE beat would have done by now: the dashboards open on it at once.
        roll_up_oee(now=self.now)

    def story_time(self, step: demo.StoryStep, shifts: dict[str, ShiftOccurrence]) -> datetime:
        """When a step happened: ``hours`` into its shift, or before now. A shift still
        running is compressed to end ``STORY_LEAD_H`` before now, ahead of NOW's steps."""
        if step.shift == demo.NOW:
            return self.now - timedelta(hours=step.hours)
        shift = shifts[step.shift]
        end = min(shift.end, self.now - timedelta(hours=demo.STORY_LEAD_H))
        fraction = step.hours * 3600 / (shift.end - shift.start).total_seconds()
        return (shift.start + (end - shift.start) * fraction).replace(microsecond=0)


def _play(
    step: demo.StoryStep,
    operation: Operation,
    person: Any,
    reasons: dict[str, ReasonCode],
    at: datetime,
) -> str | None:
    """Do one step of the story through the execution services; the machine's state after
    it, if it changes."""
    ex = execution_services  # short: every branch calls it
    reason = reasons.get(step.reason)
    if step.action == "start":
        machine = Machine.objects.get(code=step.machine)
        ex.start_operation(operation, actor=person, machine=machine, operator=person, at=at)
        return MachineEvent.State.RUNNING
    if step.action == "report":
        ex.report_operation(
            operation,
            actor=person,
            qty_good=step.good,
            qty_scrap=step.scrap,
            scrap_reason=reason if step.scrap else None,
            at=at,
        )
        return None
    if step.action == "pause":
        ex.pause_operation(operation, actor=person, reason=reason, at=at)
        down = reason.kind == ReasonCode.Kind.DOWNTIME
        return MachineEvent.State.DOWN if down else MachineEvent.State.IDLE
    if step.action == "resume":
        ex.resume_operation(operation, actor=person, at=at)
        return MachineEvent.State.RUNNING
    if step.action == "complete":
        ex.complete_operation(operation, actor=person, at=at)
        return MachineEvent.State.IDLE
    if step.action == "on":
        ex.clock_on(operation, actor=person, operator=person, at=at)
    else:
        ex.clock_off(operation, actor=person, operator=person, at=at)
    return None


def load_demo_plant(*, actor=None, today: date) -> Counter[str]:
    """Create whatever of the demo plant is missing, all or nothing.

    ``today`` anchors the sales orders' due dates and the holidays' years.
    Returns how many records of each kind were created (empty: all there).
    """
    with transaction.atomic():
        return _Loader(actor=actor, today=today).load()
