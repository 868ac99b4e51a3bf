"""The admin home is the plant overview: machines, operations, this shift, yesterday,
late orders, quality and material, each linking to the list behind it."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cockpit.selectors import get_plant_overview
from inventory.models import Item
from production.models import Machine
from production.oee.services import ingest_machine_events
from production.tests.execution_factories import ItemFactory
from production.tests.factories import AreaFactory, MachineFactory, SiteFactory, WorkCenterFactory

from .cockpit_factories import DAY, at, local, order_at, run, two_shift_plant

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(make_person):
    client = Client()
    client.force_login(make_person("plant_manager"))
    return client


def _events(machine: str, *rows: tuple[str, str, str | None]) -> None:
    ingest_machine_events(
        [
            {"machine": machine, "ts": local(hhmm).isoformat(), "state": state}
            | ({"reason": reason} if reason else {})
            for hhmm, state, reason in rows
        ]
    )


def test_the_admin_home_shows_the_demo_plant(manager):
    call_command("load_demo", verbosity=0)
    response = manager.get("/admin/")
    assert response.status_code == 200
    page = response.content.decode()
    for tile in ("machines", "shift", "yesterday", "operations", "risks", "shortages", "ncrs"):
        assert f'id="tile-{tile}"' in page, tile
    assert page.count('class="machine state-') == Machine.objects.filter(is_active=True).count()
    assert '<meta http-equiv="refresh" content="60">' in page
    outside = page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "http://" not in outside and "https://" not in outside  # nothing fetched


def test_machines_show_their_state_since_it_began_and_why_they_are_down():
    site = two_shift_plant()
    _events("PRESS-01", ("06:00", "running", None), ("08:00", "down", "DT-JAM"))
    _events("PRESS-01", ("08:10", "down", "DT-JAM"))  # the same state again
    _events("PRESS-02", ("06:00", "running", None))
    overview = get_plant_overview(site, now=local("08:30"))
    [area] = overview["areas"]
    machines = {m.code: m for _center, found in area["work_centers"] for m in found}
    press = machines["PRESS-01"]
    assert (press.state, press.state_since, press.state_reason) == (
        "down",
        local("08:00"),
        "Die jam",
    )
    assert press.state_for == timedelta(minutes=30)
    assert machines["PRESS-02"].state_for == timedelta(hours=2, minutes=30)
    assert machines["WELD-01"].state is None  # never sent a state
    assert overview["states"] == {"down": 1, "running": 1, "unknown": 1}


def test_running_operations_this_shift_and_late_orders(manager):
    site = two_shift_plant()
    on_time = order_at(
        "WC-PRESS",
        code="PO-ON-TIME",
        due_date=DAY + timedelta(days=5),
        planned=(local("06:00"), local("10:00")),
    )
    run(on_time, "PRESS-01", start=local("06:00"), reports=[(local("07:00"), 30, 0)])
    order_at("WC-WELD", code="PO-LATE", due_date=DAY - timedelta(days=1))
    order_at(
        "WC-WELD",
        code="PO-AT-RISK",
        due_date=DAY,
        planned=(local("20:00"), local("03:00", DAY + timedelta(days=1))),
    )
    with at(local("08:00")):
        overview = get_plant_overview(site, now=local("08:00"))
        page = manager.get("/admin/", {"site": site.pk}).content.decode()
    [operation] = overview["operations"]
    assert operation.order.code == "PO-ON-TIME"
    shift = overview["this_shift"]
    assert shift["shift"].shift_code == "DAY"
    press = next(r for r in shift["work_centers"] if r["work_center"].code == "WC-PRESS")
    assert (press["planned"], press["planned_so_far"], press["good"]) == (100, 50, 30)
    assert press["behind"]
    assert [o.code for o in overview["risks"]] == ["PO-LATE", "PO-AT-RISK"]
    assert overview["late_count"] == 1
    assert 'data-order="PO-ON-TIME"' in page and "PO-AT-RISK" in page
    changelist = reverse("admin:production_productionorder_changelist")
    with at(local("08:00")):
        late = manager.get(changelist, {"delivery": "late", "site": site.pk})
        risky = manager.get(changelist, {"delivery": "at_risk"})
    assert [o.code for o in late.context["cl"].result_list] == ["PO-LATE"]
    assert {o.code for o in risky.context["cl"].result_list} == {"PO-LATE", "PO-AT-RISK"}


def test_released_orders_short_of_material():
    site = two_shift_plant()
    steel = ItemFactory(code="STEEL", kind=Item.Kind.RAW)
    order_at("WC-PRESS", code="PO-SHORT", qty="10", components={steel: "2"})
    overview = get_plant_overview(site, now=local("08:00"))
    [(order, [shortage])] = overview["shortages"]
    assert (order.code, shortage.item.code, shortage.required) == ("PO-SHORT", "STEEL", 20)


def test_the_overview_reads_as_many_queries_whatever_the_data():
    site = two_shift_plant()
    _events("PRESS-01", ("06:00", "running", None))
    steel = ItemFactory(code="STEEL", kind=Item.Kind.RAW)
    order_at(
        "WC-PRESS", code="PO-1", planned=(local("06:00"), local("10:00")), components={steel: "1"}
    )
    get_plant_overview(site, now=local("08:00"))  # the OEE roll-up catches up once
    with CaptureQueriesContext(connection) as small:
        get_plant_overview(site, now=local("08:00"))
    for n in range(6):
        order = order_at(
            "WC-WELD" if n % 2 else "WC-PRESS",
            code=f"PO-MORE-{n}",
            due_date=DAY - timedelta(days=n),
            planned=(local("06:00"), local("12:00")),
            components={steel: "1"} if n >= 3 else None,
        )
        if n < 2:
            run(
                order,
                ["PRESS-02", "WELD-01"][n],
                start=local("06:30"),
                reports=[(local("07:00"), 5, 1)],
            )
    for machine in ("PRESS-01", "PRESS-02", "WELD-01"):
        _events(machine, ("07:00", "down", "DT-JAM"), ("07:30", "running", None))
    get_plant_overview(site, now=local("08:00"))
    with CaptureQueriesContext(connection) as large:
        get_plant_overview(site, now=local("08:00"))
    assert len(large) == len(small) <= 28  # the last production day's report included


def test_lists_open_on_the_site_chosen_on_the_overview(manager):
    site = two_shift_plant()
    order_at("WC-PRESS", code="PO-HERE")
    other = SiteFactory(code="SITE-OTHER")
    elsewhere = WorkCenterFactory(code="WC-ELSEWHERE", area=AreaFactory(site=other))
    MachineFactory(code="M-ELSEWHERE", work_center=elsewhere)
    order_at("WC-ELSEWHERE", code="PO-THERE")
    orders = reverse("admin:production_productionorder_changelist")
    before = manager.get(orders).context["cl"].result_list
    assert {o.code for o in before} == {"PO-HERE", "PO-THERE"}  # no site chosen yet
    assert 'data-site="SITE-OTHER"' in manager.get("/admin/", {"site": other.pk}).content.decode()
    assert [o.code for o in manager.get(orders).context["cl"].result_list] == ["PO-THERE"]
    operations = manager.get(reverse("admin:production_operation_changelist"))
    assert [op.order.code for op in operations.context["cl"].result_list] == ["PO-THERE"]
    every = manager.get(orders, {"site": "all"})
    assert {o.code for o in every.context["cl"].result_list} == {"PO-HERE", "PO-THERE"}
    assert 'data-site="SITE-OTHER"' in manager.get("/admin/").content.decode()  # remembered
    manager.get("/admin/", {"site": site.pk})
    assert [o.code for o in manager.get(orders).context["cl"].result_list] == ["PO-HERE"]
