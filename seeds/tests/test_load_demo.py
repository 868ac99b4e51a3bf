from datetime import date, datetime, timedelta
from io import StringIO
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from cockpit.selectors import get_daily_report, get_plant_overview, previous_production_day
from inventory.models import Bom, Item
from inventory.selectors import get_active_bom
from mes.models import AuditEntry
from mes.services import authenticate_badge, create_api_key, delete_record
from orders.models import SalesOrder, SalesOrderLine
from production import services as production_services
from production.models import (
    Area,
    CalendarAssignment,
    Holiday,
    LabourRecord,
    Machine,
    MachineEvent,
    OperationEvent,
    ReasonCode,
    Routing,
    ShiftPattern,
    Site,
    WorkCenter,
)
from seeds import demo_plant
from seeds import services as seed_services

pytestmark = pytest.mark.django_db


def load_demo() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


@pytest.fixture
def demo():
    return load_demo()


def row_counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def bom_depth(item: Item) -> int:
    """Levels below the item: 0 for an item without components."""
    bom = get_active_bom(item)
    if bom is None or not bom.lines.all():
        return 0
    return 1 + max(bom_depth(line.component) for line in bom.lines.all())


def test_loads_a_believable_plant(demo):
    site = Site.objects.get()
    assert (site.name, site.time_zone) == ("화성 공장 (Hwaseong plant)", "Asia/Seoul")
    assert Area.objects.filter(site=site).count() == 2
    assert WorkCenter.objects.count() >= 4
    assert Machine.objects.count() >= 10
    assert Item.objects.count() >= 30
    assert set(Item.objects.values_list("kind", flat=True)) == {"raw", "component", "product"}
    products = Item.objects.filter(kind="product")
    assert max(bom_depth(product) for product in products) >= 3
    for product in products:
        routing = Routing.objects.get(item=product, is_active=True)
        assert 2 <= routing.operations.count() <= 5
    assert {"scrap", "downtime", "pause"} == set(ReasonCode.objects.values_list("kind", flat=True))
    assert not ReasonCode.objects.get(code="DT-PLANNED").affects_availability
    assert ReasonCode.objects.get(code="DT-DIE-CHANGE").affects_availability
    # built through the services: every record has its audit entry
    for model in (Machine, Item, Routing, Bom, SalesOrder, Holiday):
        created = AuditEntry.objects.filter(model=model._meta.label_lower, action="create")
        assert created.count() == model.objects.count()


def test_cycle_times_are_realistic(demo):
    def cycle_times(work_center: str) -> list[float]:
        machines = Machine.objects.filter(work_center__code=work_center)
        return [float(m.ideal_cycle_time_s) for m in machines]

    assert all(2 <= s <= 6 for s in cycle_times("WC-PRESS"))
    assert all(30 <= s <= 60 for s in cycle_times("WC-WELD"))
    assert all(90 <= s <= 240 for s in cycle_times("WC-CNC"))


def test_two_shifts_with_breaks_mon_to_sat_and_holidays(demo):
    pattern = ShiftPattern.objects.get(code=demo_plant.SHIFT_PATTERN["code"])
    shifts = {shift.code: shift for shift in pattern.shifts.all()}
    assert set(shifts) == {"DAY", "NIGHT"}
    for shift in shifts.values():
        assert shift.weekday_set == frozenset(range(6))
        assert shift.breaks.count() == 2
    assert (f"{shifts['NIGHT'].start:%H:%M}", f"{shifts['NIGHT'].end:%H:%M}") == ("20:00", "08:00")
    assert CalendarAssignment.objects.filter(site__code="HS", pattern=pattern).exists()
    assert Holiday.objects.filter(site__code="HS", date__month=12, date__day=25).exists()


def test_people_can_sign_in_as_printed(demo):
    assert "manager" in demo and "password manager" in demo
    assert "badge B-1001, PIN 1001" in demo
    operator = authenticate_badge("B-1001", "1001")
    assert operator.username == "op1001"
    assert operator.groups.get().name == "operator"
    client = Client()
    assert client.login(username="manager", password="manager")
    assert client.get("/admin/").status_code == 200
    machines = client.get("/admin/production/machine/")
    assert machines.status_code == 200
    assert "200톤 프레스 1호기" in machines.content.decode()
    items = client.get("/admin/inventory/item/")
    assert items.status_code == 200
    assert "58180-P2000" in items.content.decode()


def test_every_admin_page_renders_with_the_demo_plant(demo):
    client = Client()
    client.login(username="manager", password="manager")
    failures = []
    for model in admin.site._registry:
        changelist = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        pages = [changelist]
        first = model.objects.order_by("pk").first()
        if first is not None:
            pages.append(f"{changelist}{first.pk}/change/")
        failures += [
            (page, status) for page in pages if (status := client.get(page).status_code) != 200
        ]
    assert failures == []


def test_erp_key_reads_demo_items(demo):
    _key, raw = create_api_key(actor=None, name="demo-erp", role="erp")
    response = Client().get(
        "/api/v1/items/", {"page_size": 1000}, HTTP_AUTHORIZATION=f"Token {raw}"
    )
    assert response.status_code == 200
    codes = {item["code"] for item in response.json()["results"]}
    assert {item.code for item in demo_plant.ITEMS} <= codes


def test_second_run_creates_and_changes_nothing(demo):
    counts = row_counts()
    audit_entries = AuditEntry.objects.count()
    stamps = dict(Machine.objects.values_list("code", "updated_at"))

    output = load_demo()

    assert row_counts() == counts
    assert AuditEntry.objects.count() == audit_entries
    assert dict(Machine.objects.values_list("code", "updated_at")) == stamps
    assert "nothing to do" in output


def test_rerun_keeps_a_users_edit_and_fills_what_is_missing(demo):
    machine = Machine.objects.get(code="PRS-200-01")
    production_services.update_machine(machine, actor=None, name="프레스 A")
    for holiday in Holiday.objects.filter(date__month=12, date__day=25):
        delete_record(holiday, actor=None)
    bom_versions = Bom.objects.count()

    output = load_demo()

    assert Machine.objects.get(code="PRS-200-01").name == "프레스 A"
    assert Holiday.objects.filter(date__month=12, date__day=25).count() == 2
    assert Bom.objects.count() == bom_versions
    assert "Demo plant loaded" in output


def test_a_failure_leaves_nothing_half_loaded(monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(seed_services, "create_person", broken)
    with pytest.raises(RuntimeError):
        load_demo()
    assert not Site.objects.exists()
    assert not Item.objects.exists()
    assert not AuditEntry.objects.exists()


def test_open_sales_orders_are_due_in_the_next_weeks(demo):
    today = timezone.localdate()
    orders = SalesOrder.objects.filter(status="open", code__startswith="SO-DEMO-")
    assert orders.count() == len(demo_plant.SALES_ORDERS)
    assert set(orders.values_list("customer__code", flat=True)) >= {"MOBIS", "HLMANDO", "KIA"}
    lines = SalesOrderLine.objects.filter(order__in=orders)
    assert {line.item.kind for line in lines} == {"product"}
    assert all(
        today + timedelta(days=14) <= line.due_date <= today + timedelta(days=28) for line in lines
    )


def test_the_demo_tells_the_morning_story(demo):
    """The last production day's two shifts produced, and now some operations run, a
    machine is down with a reason and an order is late: all through the services."""
    site = Site.objects.get()
    now = timezone.now()
    overview = get_plant_overview(site, now=now)
    machines = {m.code: m for a in overview["areas"] for _c, ms in a["work_centers"] for m in ms}
    lathe = machines["CNC-LT01"]
    assert (lathe.state, lathe.state_reason) == ("down", "설비 고장 (Breakdown)")
    assert machines["CNC-MC02"].state == "running"
    running = [op for op in overview["operations"] if op.status == "running"]
    assert {op.machine.code for op in running} == {"CNC-MC02", "ASM-02"}
    assert [(order.code, order.is_late) for order in overview["risks"]] == [("PO-DEMO-0012", True)]

    day = previous_production_day(site, overview["today"])
    report = get_daily_report(site, day, now=now)
    for row in report["by_shift"]:  # DAY and NIGHT
        assert row["totals"]["good"] > 0 and row["totals"]["scrap"] > 0, row["shift"]
        assert row["totals"]["labour_h"] > 0 and row["oee"]["oee"], row["shift"]
    blocks = {
        (center["work_center"].code, block.shift.shift_code): block
        for center in report["work_centers"]
        for block in center["blocks"]
    }
    press = blocks["WC-PRESS", "DAY"]
    assert press.totals["good"] == 1180 + 1200  # blanking and forming of PO-DEMO-0013
    assert dict(press.scrap_named) == {"버 (Burr)": 16, "크랙 (Crack)": 4}
    assert "금형 교체 (Die change)" in dict(press.down_named)
    cnc = blocks["WC-CNC", "DAY"]
    assert "품질 판정 대기 (Waiting for a quality decision)" in dict(cnc.down_named)
    # What happened yesterday is stamped yesterday, not at the load.
    before_now = now - timedelta(hours=demo_plant.STORY_LEAD_H)
    assert OperationEvent.objects.filter(at__lte=before_now).count() >= 20
    assert not LabourRecord.objects.filter(started_at__gt=now).exists()
    assert not MachineEvent.objects.filter(ts__gt=now).exists()


def test_a_night_shift_still_running_at_the_load_is_compressed_before_now():
    """Loaded at 03:00 on a Tuesday: Monday's night shift runs till 08:00, so its story ends
    2.5 h before the load, and this morning's steps come after it."""
    load_time = datetime(2026, 11, 24, 3, 0, tzinfo=ZoneInfo("Asia/Seoul"))
    with mock.patch.object(timezone, "now", return_value=load_time):
        load_demo()
        report = get_daily_report(Site.objects.get(), date(2026, 11, 23), now=load_time)
    night = OperationEvent.objects.filter(at__gte=load_time - timedelta(hours=7))
    before_now = load_time - timedelta(hours=demo_plant.STORY_LEAD_H)
    assert night.filter(at__lte=before_now, kind="report").exists()
    assert not night.filter(at__gt=before_now, at__lt=load_time - timedelta(hours=2)).exists()
    assert not OperationEvent.objects.filter(at__gt=load_time).exists()
    assert [row["shift"].shift_code for row in report["by_shift"]] == ["DAY", "NIGHT"]
    assert all(row["totals"]["good"] > 0 for row in report["by_shift"])
