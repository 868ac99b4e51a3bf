"""Reads of the plant cockpit: the live overview of a site and its daily production report.

Each read takes a fixed number of queries whatever the number of machines, orders and
events: the overview's bench (bench/plant_overview.py) counts them at two data sizes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from mes.audit import plain_decimal
from production.calendars.selectors import get_calendar
from production.calendars.windows import Calendar, ShiftOccurrence, shift_at, shift_occurrences
from production.execution.selectors import list_material_shortages, with_delivery_risk
from production.models import (
    DowntimeClassification,
    LabourRecord,
    Machine,
    MachineEvent,
    OeeSnapshot,
    Operation,
    OperationEvent,
    ProductionOrder,
    ReasonCode,
    Site,
    WorkCenter,
)
from production.oee.rollup import roll_up_for_reading
from production.oee.selectors import current_shifts, summarize
from quality.holds.selectors import list_active_holds
from quality.models import Nonconformance

from .figures import overlap_s, prorated, ratio

# How many rows a tile of the overview lists; its count and link give the rest.
TILE_ROWS = 10
# The longest range of days one daily report covers.
MAX_REPORT_DAYS = 92
# How far back the overview looks for the last production day (a long holiday).
LOOK_BACK_DAYS = 14
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def list_sites() -> QuerySet[Site]:
    return Site.objects.order_by("code")


def list_machine_ids(site: Site) -> list[int]:
    """The ids of the site's active machines."""
    return list(
        Machine.objects.filter(is_active=True, work_center__area__site=site).values_list(
            "pk", flat=True
        )
    )


def _at_site(site: Site, prefix: str = "") -> dict[str, Site]:
    return {f"{prefix}work_center__area__site": site}


def _state_events(**filters: Any) -> QuerySet[MachineEvent]:
    return MachineEvent.objects.filter(
        machine=OuterRef("pk"), kind=MachineEvent.Kind.STATE, **filters
    ).order_by("-ts")


def list_machine_states(site: Site) -> list[Machine]:
    """The site's active machines (work center and area loaded) in area, work center and
    machine order, each with ``state`` (None: it never sent one), ``state_reason`` and
    ``state_since``: when the machine entered the state it is in (a state sent again
    does not restart it). One query."""
    first_after = MachineEvent.objects.filter(
        machine=OuterRef("pk"),
        kind=MachineEvent.Kind.STATE,
        ts__gt=Coalesce(OuterRef("left_other_at"), Value(EPOCH)),
    ).order_by("ts")
    given_reason = DowntimeClassification.objects.filter(
        machine=OuterRef("pk"), started_at=OuterRef("state_since")
    )
    return list(
        Machine.objects.filter(is_active=True, **_at_site(site))
        .select_related("work_center__area")
        .annotate(
            state=Subquery(_state_events().values("state")[:1]),
            event_reason=Subquery(_state_events().values("reason__name")[:1]),
        )
        .annotate(
            left_other_at=Subquery(
                _state_events().exclude(state=OuterRef("state")).values("ts")[:1]
            )
        )
        .annotate(state_since=Subquery(first_after.values("ts")[:1]))
        .annotate(
            state_reason=Coalesce("event_reason", Subquery(given_reason.values("reason__name")[:1]))
        )
        .order_by("work_center__area__code", "work_center__code", "code")
    )


def list_running_operations(site: Site) -> list[Operation]:
    """Operations running or paused at the site, with order, item, machine and work center."""
    return list(
        Operation.objects.filter(
            status__in=[Operation.Status.RUNNING, Operation.Status.PAUSED], **_at_site(site)
        )
        .select_related("order__item", "machine", "work_center")
        .order_by("work_center__code", "machine__code", "order__code", "seq")
    )


def orders_at(site: Site) -> QuerySet[ProductionOrder]:
    """Production orders with an operation at one of the site's work centers."""
    return ProductionOrder.objects.filter(
        Exists(Operation.objects.filter(order=OuterRef("pk"), **_at_site(site)))
    )


def _planned_by_center(
    site: Site, window: tuple[datetime, datetime], *, until: datetime
) -> tuple[dict[int, Decimal], dict[int, Decimal]]:
    """Per work center id, the order quantity its operations are planned to make in
    ``window`` and in its part up to ``until`` (each planned evenly between its planned
    start and end). One query."""
    whole: dict[int, Decimal] = defaultdict(Decimal)
    so_far: dict[int, Decimal] = defaultdict(Decimal)
    rows = (
        Operation.objects.filter(
            planned_start__lt=window[1], planned_end__gt=window[0], **_at_site(site)
        )
        .exclude(status=Operation.Status.CANCELLED)
        .values_list("work_center_id", "planned_start", "planned_end", "order__qty")
    )
    for work_center_id, start, end, qty in rows:
        whole[work_center_id] += prorated(qty, (start, end), window)
        so_far[work_center_id] += prorated(qty, (start, end), (window[0], until))
    return whole, so_far


def _made_by_center(site: Site, window: tuple[datetime, datetime]) -> dict[int, dict]:
    """Per work center id, good and scrap reported in ``window``."""
    rows = (
        OperationEvent.objects.filter(
            kind=OperationEvent.Kind.REPORT,
            at__gte=window[0],
            at__lt=window[1],
            **_at_site(site, "operation__"),
        )
        .values("operation__work_center_id")
        .annotate(good=Sum("qty_good"), scrap=Sum("qty_scrap"))
        .order_by()
    )
    return {row["operation__work_center_id"]: row for row in rows}


def get_this_shift(
    site: Site, machines: list[Machine], now: datetime, *, shift: ShiftOccurrence | None
) -> dict[str, Any]:
    """The site's ``shift`` running now and per work center its output so far against the
    plan for the whole shift and up to now, and its OEE so far (from the OEE roll-ups)."""
    roll_up_for_reading([machine.pk for machine in machines], now=now)
    oee = {row["work_center"].pk: row for row in current_shifts(machines=machines, now=now)}
    centers = {machine.work_center.pk: machine.work_center for machine in machines}
    if shift is None:
        return {"shift": None, "work_centers": []}
    whole, so_far = _planned_by_center(site, (shift.start, shift.end), until=now)
    made = _made_by_center(site, (shift.start, now))
    rows = []
    for center in sorted(centers.values(), key=lambda c: c.code):
        good = (made.get(center.pk) or {}).get("good") or Decimal(0)
        scrap = (made.get(center.pk) or {}).get("scrap") or Decimal(0)
        plan_now = so_far.get(center.pk, Decimal(0))
        rows.append(
            {
                "work_center": center,
                "planned": whole.get(center.pk, Decimal(0)),
                "planned_so_far": plan_now,
                "good": good,
                "scrap": scrap,
                "attainment": ratio(good, plan_now),
                "behind": good < plan_now,
                "oee": oee.get(center.pk),
            }
        )
    return {"shift": shift, "work_centers": rows}


def get_plant_overview(site: Site, *, now: datetime) -> dict[str, Any]:
    """What the admin home shows of a site at ``now``: machine states by area and work
    center, running operations, this shift per work center, the last production day's
    daily report, late and at-risk orders, open nonconformances, lots on hold and material
    shortages of released orders. Lists are cut at ``TILE_ROWS``; the counts are of all.
    The site's calendar is read once for all of it."""
    zone = site.time_zone
    today = now.astimezone(ZoneInfo(zone)).date()
    calendar = get_calendar(
        site=site,
        start=_midnight(today - timedelta(days=LOOK_BACK_DAYS), ZoneInfo(zone)),
        end=now + timedelta(days=1),
    )
    last_day = previous_production_day(site, today, calendar=calendar)
    machines = list_machine_states(site)
    by_area: dict[Any, dict[WorkCenter, list[Machine]]] = {}
    for machine in machines:
        center = machine.work_center
        by_area.setdefault(center.area, {}).setdefault(center, []).append(machine)
        machine.state_for = now - machine.state_since if machine.state_since else None
    risky = with_delivery_risk(orders_at(site), today=today, zone=zone)
    risk_counts = risky.aggregate(all=Count("pk"), late=Count("pk", filter=Q(due_date__lt=today)))
    risks = list(risky.select_related("item").order_by("due_date", "code")[:TILE_ROWS])
    for order in risks:
        order.is_late = order.due_date < today
    # Every released order is checked, so only what the check and the tile read is loaded.
    released = list(
        orders_at(site)
        .filter(status=ProductionOrder.Status.RELEASED)
        .only("pk", "code", "qty", "bom", "issue_location")
        .order_by("due_date", "code")
    )
    shortages = list_material_shortages(released)
    short_orders = [(order, shortages[order.pk]) for order in released if shortages[order.pk]]
    ncrs = Nonconformance.objects.exclude(status=Nonconformance.Status.CLOSED)
    holds = list_active_holds()
    return {
        "site": site,
        "now": now,
        "today": today,
        "areas": [
            {"area": area, "work_centers": list(centers.items())}
            for area, centers in by_area.items()
        ],
        "states": _count_states(machines),
        "operations": list_running_operations(site),
        "this_shift": get_this_shift(site, machines, now, shift=shift_at(calendar, now)),
        "yesterday": get_daily_report(site, last_day, now=now, calendar=calendar),
        "risks": risks,
        "risks_count": risk_counts["all"],
        "late_count": risk_counts["late"],
        "shortages": short_orders[:TILE_ROWS],
        "shortages_count": len(short_orders),
        "ncrs": list(ncrs.select_related("lot__item", "production_order")[:TILE_ROWS]),
        "ncrs_count": ncrs.count(),
        "holds": list(holds[:TILE_ROWS]),
        "holds_count": holds.count(),
    }


def _count_states(machines: Iterable[Machine]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for machine in machines:
        counts[machine.state or "unknown"] += 1
    return dict(counts)


# --- the daily production report ---------------------------------------------------------


@dataclass
class ReportRow:
    """One order at one work center in one shift."""

    order: ProductionOrder
    planned: Decimal = Decimal(0)
    good: Decimal = Decimal(0)
    scrap: Decimal = Decimal(0)
    labour_s: float = 0.0

    @property
    def produced(self) -> Decimal:
        return self.good + self.scrap

    @property
    def labour_h(self) -> float:
        return self.labour_s / 3600


@dataclass
class ShiftBlock:
    """A work center in one shift: its orders, scrap and downtime by reason, its OEE."""

    shift: ShiftOccurrence
    rows: dict[int, ReportRow] = field(default_factory=dict)
    scrap_by_reason: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    down_by_reason: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    snapshots: list[OeeSnapshot] = field(default_factory=list)

    def row(self, order: ProductionOrder) -> ReportRow:
        return self.rows.setdefault(order.pk, ReportRow(order))

    @property
    def oee(self) -> dict[str, Any] | None:
        return summarize(self.snapshots) if self.snapshots else None

    @property
    def totals(self) -> dict[str, Any]:
        return totals_of(self.rows.values())

    @property
    def down_s(self) -> float:
        return sum(self.down_by_reason.values())

    @property
    def is_empty(self) -> bool:
        """Nothing planned or reported, and the machines neither ran, stopped nor counted
        (a shift without signals still has stored OEE snapshots: all unknown time)."""
        return not self.rows and not any(
            s.run_time_s or s.down_time_s or s.setup_time_s or s.idle_time_s or s.total
            for s in self.snapshots
        )


def add_up(reports: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The totals of several days' reports, downtime included."""
    reports = list(reports)
    keys = ("planned", "produced", "good", "scrap")
    return {
        **{key: sum((r["totals"][key] for r in reports), Decimal(0)) for key in keys},
        "labour_h": sum(r["totals"]["labour_h"] for r in reports),
        "down_s": sum(r["down_s"] for r in reports),
    }


def totals_of(rows: Iterable[ReportRow]) -> dict[str, Any]:
    rows = list(rows)
    return {
        "planned": sum((r.planned for r in rows), Decimal(0)),
        "produced": sum((r.produced for r in rows), Decimal(0)),
        "good": sum((r.good for r in rows), Decimal(0)),
        "scrap": sum((r.scrap for r in rows), Decimal(0)),
        "labour_h": sum(r.labour_h for r in rows),
    }


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


def list_shifts_of_day(
    site: Site, day: date, *, calendar: Calendar | None = None
) -> list[ShiftOccurrence]:
    """The shifts of the site's calendar on a production day (none on a holiday).
    ``calendar``: the site's, already read over the day and the days either side."""
    zone = ZoneInfo(site.time_zone)
    start, end = _midnight(day - timedelta(days=1), zone), _midnight(day + timedelta(days=2), zone)
    calendar = calendar or get_calendar(site=site, start=start, end=end)
    return [o for o in shift_occurrences(calendar, start, end) if o.production_day == day]


def previous_production_day(site: Site, today: date, *, calendar: Calendar | None = None) -> date:
    """The last day before ``today`` with shifts in the site's calendar (Monday's is
    Saturday's when Sunday is off); the day before if none in ``LOOK_BACK_DAYS``.
    ``calendar``: the site's, already read over those days."""
    zone = ZoneInfo(site.time_zone)
    start, end = _midnight(today - timedelta(days=LOOK_BACK_DAYS), zone), _midnight(today, zone)
    calendar = calendar or get_calendar(site=site, start=start, end=end)
    days = [o.production_day for o in shift_occurrences(calendar, start, end)]
    return max((day for day in days if day < today), default=today - timedelta(days=1))


def get_daily_report(
    site: Site,
    day: date,
    *,
    now: datetime,
    shift_code: str | None = None,
    calendar: Calendar | None = None,
) -> dict[str, Any]:
    """The daily production report (생산일보) of a site's production day, after the site's
    shift calendar: per work center and shift, per order planned, produced, good, scrap
    and labour hours; per work center and shift scrap and downtime by reason and OEE.
    ``shift_code`` keeps one shift. Reports and labour outside the site's shifts are not
    in it. ``work_centers`` lists those with anything to show. ``calendar``: the site's,
    already read over the day and the days either side."""
    shifts = [
        s
        for s in list_shifts_of_day(site, day, calendar=calendar)
        if shift_code in (None, s.shift_code)
    ]
    report: dict[str, Any] = {
        "site": site,
        "day": day,
        "shifts": shifts,
        "work_centers": [],
        "by_shift": [],
        "totals": totals_of([]),
        "down_s": 0.0,
    }
    if not shifts:
        return report
    span = (
        min(s.start for s in shifts),
        min(max(s.end for s in shifts), max(now, shifts[0].start)),
    )
    blocks: dict[tuple[int, str], ShiftBlock] = {}

    def block(work_center_id: int, moment: datetime) -> ShiftBlock | None:
        for shift in shifts:
            if shift.start <= moment < shift.end:
                key = (work_center_id, shift.shift_code)
                return blocks.setdefault(key, ShiftBlock(shift))
        return None

    planned = (
        Operation.objects.filter(
            planned_start__lt=span[1], planned_end__gt=span[0], **_at_site(site)
        )
        .exclude(status=Operation.Status.CANCELLED)
        .values_list("work_center_id", "order_id", "planned_start", "planned_end", "order__qty")
    )
    reports = OperationEvent.objects.filter(
        kind=OperationEvent.Kind.REPORT,
        at__gte=span[0],
        at__lt=span[1],
        **_at_site(site, "operation__"),
    ).values_list(
        "operation__work_center_id",
        "operation__order_id",
        "at",
        "qty_good",
        "qty_scrap",
        "reason__code",
    )
    labour = (
        LabourRecord.objects.filter(started_at__lt=span[1], **_at_site(site, "operation__"))
        .exclude(ended_at__lte=span[0])
        .values_list("operation__work_center_id", "operation__order_id", "started_at", "ended_at")
    )
    planned, reports, labour = list(planned), list(reports), list(labour)
    order_ids = {row[1] for rows in (planned, reports, labour) for row in rows}
    orders = (
        ProductionOrder.objects.select_related("item")
        .only("code", "item__code", "item__name")
        .in_bulk(order_ids)
    )
    for center_id, order_id, start, end, qty in planned:
        for shift in shifts:
            share = prorated(qty, (start, end), (shift.start, shift.end))
            if share:
                key = (center_id, shift.shift_code)
                blocks.setdefault(key, ShiftBlock(shift)).row(orders[order_id]).planned += share
    for center_id, order_id, at, good, scrap, reason in reports:
        if found := block(center_id, at):
            row = found.row(orders[order_id])
            row.good += good
            row.scrap += scrap
            if scrap:
                found.scrap_by_reason[reason or ""] += scrap
    for (
        center_id,
        order_id,
        started_at,
        ended_at,
    ) in labour:
        for shift in shifts:
            seconds = overlap_s((started_at, ended_at or now), (shift.start, min(shift.end, now)))
            if seconds:
                key = (center_id, shift.shift_code)
                blocks.setdefault(key, ShiftBlock(shift)).row(orders[order_id]).labour_s += seconds
    snapshots = OeeSnapshot.objects.filter(
        production_day=day,
        shift_code__in=[s.shift_code for s in shifts],
        **_at_site(site, "machine__"),
    ).annotate(work_center_id=F("machine__work_center_id"))
    by_code = {s.shift_code: s for s in shifts}
    for snapshot in snapshots:
        key = (snapshot.work_center_id, snapshot.shift_code)
        found = blocks.setdefault(key, ShiftBlock(by_code[snapshot.shift_code]))
        found.snapshots.append(snapshot)
        for reason, lost in snapshot.down_by_reason.items():
            found.down_by_reason[reason] += lost
    names = dict(ReasonCode.objects.values_list("code", "name"))
    centers = WorkCenter.objects.in_bulk({center_id for center_id, _code in blocks})
    for center in sorted(centers.values(), key=lambda c: c.code):
        center_blocks = [
            blocks[center.pk, s.shift_code]
            for s in shifts
            if (center.pk, s.shift_code) in blocks and not blocks[center.pk, s.shift_code].is_empty
        ]
        if not center_blocks:
            continue
        for found in center_blocks:
            found.scrap_named = sorted(
                ((names.get(code, code), qty) for code, qty in found.scrap_by_reason.items()),
                key=lambda item: -item[1],
            )
            found.down_named = sorted(
                ((names.get(code, code), lost) for code, lost in found.down_by_reason.items()),
                key=lambda item: -item[1],
            )
            found.ordered_rows = sorted(found.rows.values(), key=lambda r: r.order.code)
        report["work_centers"].append(
            {
                "work_center": center,
                "blocks": center_blocks,
                "totals": totals_of(r for b in center_blocks for r in b.rows.values()),
                "down_s": sum(b.down_s for b in center_blocks),
            }
        )
    report["by_shift"] = [
        {
            "shift": shift,
            "totals": totals_of(r for b in of_shift for r in b.rows.values()),
            "oee": summarize([x for b in of_shift for x in b.snapshots]),
        }
        for shift in shifts
        for of_shift in [[b for b in blocks.values() if b.shift == shift]]
    ]
    all_rows = [r for b in blocks.values() for r in b.rows.values()]
    report["totals"] = totals_of(all_rows)
    report["down_s"] = sum(b.down_s for b in blocks.values())
    return report


def _plain_totals(totals: dict[str, Any]) -> dict[str, Any]:
    return {
        **{key: plain_decimal(totals[key]) for key in ("planned", "produced", "good", "scrap")},
        "labour_h": round(totals["labour_h"], 2),
    }


def get_shift_summary(site: Site, day: date, shift_code: str, *, now: datetime) -> dict[str, Any]:
    """One shift's daily report as plain JSON data (what a handover keeps)."""
    report = get_daily_report(site, day, now=now, shift_code=shift_code)
    centers = []
    for center in report["work_centers"]:
        [found] = center["blocks"]
        oee = found.oee
        centers.append(
            {
                "work_center": center["work_center"].code,
                "name": center["work_center"].name,
                **_plain_totals(found.totals),
                "down_s": round(found.down_s),
                "oee": None if oee is None or oee["oee"] is None else round(oee["oee"], 4),
                "orders": [
                    {
                        "order": row.order.code,
                        "item": row.order.item.code,
                        **_plain_totals(totals_of([row])),
                    }
                    for row in found.ordered_rows
                ],
                "scrap_by_reason": [[name, plain_decimal(qty)] for name, qty in found.scrap_named],
                "down_by_reason": [[name, round(lost)] for name, lost in found.down_named],
            }
        )
    return {
        "as_of": now.isoformat(),
        "work_centers": centers,
        "totals": _plain_totals(report["totals"]),
        "down_s": round(report["down_s"]),
    }
