"""The operator's tablet over Django's test client: terminal set-up, sign-in with badge
and PIN, the dispatch list, and an operation from start to complete."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from inventory import services as inventory_services
from inventory.models import Item, Location, Lot
from inventory.selectors import get_on_hand
from mes.errors import InvalidInput
from production.models import (
    DowntimeClassification,
    Operation,
    OperationEvent,
    ReasonCode,
    Terminal,
    TerminalSignIn,
)
from production.oee.services import ingest_machine_events
from production.shopfloor import services
from quality.holds.services import place_hold
from quality.models import Inspection
from quality.tests.factories import diameter, make_plan, visual

from .execution_factories import (
    ItemFactory,
    MachineFactory,
    operations_of,
    pause_reason,
    released_order,
    scrap_reason,
)
from .oee_factories import local, one_shift_press
from .shopfloor_factories import bound_tablet, operator

pytestmark = pytest.mark.django_db


@pytest.fixture
def order():
    return released_order(qty="10", steps=2)


@pytest.fixture
def terminal(order):
    work_center = operations_of(order)[0].work_center
    machine = MachineFactory(code="PRESS-T1", work_center=work_center)
    return services.create_terminal(
        actor=None, code="TAB-1", name="Press tablet", work_center=work_center, machine=machine
    )


@pytest.fixture
def tablet(terminal):
    return bound_tablet(terminal)


def sign_in(tablet, number: int):
    return tablet.post(reverse("floor:sign_in"), {"badge": f"B-{number}", "pin": f"{number}"})


def test_an_unbound_tablet_says_so_and_only_staff_may_bind_it(terminal, make_person):
    page = Client().get(reverse("floor:home"))
    assert page.status_code == 403 and "not set up" in page.content.decode()
    assert Client().get(reverse("floor:setup")).status_code == 302  # to the admin login
    op = Client()
    op.force_login(make_person("operator"))
    assert op.post(reverse("floor:setup"), {"terminal": terminal.pk}).status_code == 403


def test_signing_in_with_badge_and_pin_and_a_wrong_pin(tablet, order):
    operator(1001)
    wrong = tablet.post(reverse("floor:sign_in"), {"badge": "B-1001", "pin": "9999"})
    assert wrong.status_code == 403 and "Badge or PIN is wrong." in wrong.content.decode()
    assert sign_in(tablet, 1001).status_code == 302
    page = tablet.get(reverse("floor:home")).content.decode()
    assert 'id="dispatch"' in page and f'data-order="{order.code}"' in page
    assert "op1001" in page


def test_repeated_wrong_pins_lock_the_badge(tablet):
    operator(1001)
    for _attempt in range(settings.OPERATOR_PIN_MAX_FAILURES):
        tablet.post(reverse("floor:sign_in"), {"badge": "B-1001", "pin": "0000"})
    locked = sign_in(tablet, 1001)
    assert locked.status_code == 403 and "locked" in locked.content.decode()


def test_several_operators_sign_in_and_one_acts_at_a_time(tablet, terminal):
    first, second = operator(1001), operator(1002)
    sign_in(tablet, 1001)
    sign_in(tablet, 1002)
    assert {s.operator for s in services.signed_in(terminal)} == {first, second}
    assert tablet.session["floor_operator"] == second.pk
    tablet.post(reverse("floor:act_as"), {"operator": first.pk})
    assert tablet.session["floor_operator"] == first.pk
    tablet.post(reverse("floor:sign_out"), {"operator": first.pk})
    assert [s.operator for s in services.signed_in(terminal)] == [second]


def test_idle_operators_and_those_past_their_shift_are_signed_out(terminal):
    worker = operator(1001)
    now = timezone.now()
    idle = services.sign_in_operator(
        terminal, badge_id="B-1001", pin="1001", now=now - timedelta(minutes=45)
    )
    assert services.signed_in(terminal, now=now) == []
    idle.refresh_from_db()
    assert idle.ended == TerminalSignIn.Ended.IDLE
    later = services.sign_in_operator(terminal, badge_id="B-1001", pin="1001", now=now)
    TerminalSignIn.objects.filter(pk=later.pk).update(shift_end=now + timedelta(minutes=5))
    assert services.operator_of(terminal, worker.pk, now=now) == worker
    assert services.signed_in(terminal, now=now + timedelta(minutes=6)) == []
    later.refresh_from_db()
    assert later.ended == TerminalSignIn.Ended.SHIFT_END


def test_an_operation_from_start_to_complete_with_scrap_and_no_double_report(tablet, order):
    operator(1001)
    sign_in(tablet, 1001)
    first = operations_of(order)[0]
    scrap, pause = scrap_reason(), pause_reason()
    act = lambda action, **data: tablet.post(  # noqa: E731
        reverse("floor:act", args=[first.pk, action]), data, follow=True
    )
    act("start")
    first.refresh_from_db()
    assert (first.status, first.machine.code) == (Operation.Status.RUNNING, "PRESS-T1")
    screen = tablet.get(reverse("floor:operation", args=[first.pk])).content.decode()
    token = screen.split('name="token" value="')[1].split('"')[0]
    report = {"qty_good": "6", "qty_scrap": "1", "scrap_reason": scrap.pk, "token": token}
    act("report", **report)
    act("report", **report)  # a double tap: the same token
    assert OperationEvent.objects.filter(operation=first, kind="report").count() == 1
    too_many = act("report", qty_good="50", token="other")
    assert "message error" in too_many.content.decode()
    assert OperationEvent.objects.filter(operation=first, kind="report").count() == 1
    act("pause", reason=pause.pk)
    first.refresh_from_db()
    assert first.status == Operation.Status.PAUSED
    act("resume")
    act("complete")
    first.refresh_from_db()
    assert (first.status, first.qty_good, first.qty_scrap) == ("completed", 6, 1)


def test_a_scanned_lot_that_is_not_a_component_is_refused(tablet, order):
    operator(1001)
    sign_in(tablet, 1001)
    first = operations_of(order)[0]
    tablet.post(reverse("floor:act", args=[first.pk, "start"]))
    page = tablet.post(
        reverse("floor:act", args=[first.pk, "report"]),
        {"qty_good": "1", "lot": "NOT-A-LOT", "token": "t1"},
        follow=True,
    ).content.decode()
    assert "Lot NOT-A-LOT is not a lot of a component of this order." in page
    assert not OperationEvent.objects.filter(operation=first, kind="report").exists()


def test_a_sign_in_that_ended_mid_entry_records_nothing_and_says_so(tablet, order, terminal):
    operator(1001)
    sign_in(tablet, 1001)
    first = operations_of(order)[0]
    tablet.post(reverse("floor:act", args=[first.pk, "start"]))
    for s in services.signed_in(terminal):
        services.sign_out_operator(s)
    page = tablet.post(
        reverse("floor:act", args=[first.pk, "report"]), {"qty_good": "1"}, follow=True
    ).content.decode()
    assert "Your sign-in has ended: sign in again. Nothing was recorded." in page
    assert not OperationEvent.objects.filter(operation=first, kind="report").exists()


def test_the_tablet_speaks_korean(tablet, order):
    operator(1001)
    sign_in(tablet, 1001)
    tablet.cookies[settings.LANGUAGE_COOKIE_NAME] = "ko"
    page = tablet.get(reverse("floor:home")).content.decode()
    assert '<html lang="ko">' in page and "작업 대기 목록" in page


def test_an_unexplained_stop_is_classified_in_two_taps(monkeypatch):
    press = one_shift_press()
    ingest_machine_events(
        [
            {"machine": "PRESS-01", "ts": local("06:00").isoformat(), "state": "running"},
            {"machine": "PRESS-01", "ts": local("09:00").isoformat(), "state": "down"},
            {"machine": "PRESS-01", "ts": local("09:20").isoformat(), "state": "running"},
        ]
    )
    terminal = services.create_terminal(
        actor=None, code="TAB-P", name="Press", work_center=press.work_center, machine=press
    )
    monkeypatch.setattr(timezone, "now", lambda: local("11:00"))
    tablet = bound_tablet(terminal)
    operator(1001)
    sign_in(tablet, 1001)
    home = tablet.get(reverse("floor:home")).content.decode()
    assert 'id="downtime"' in home and "PRESS-01" in home
    link = home.split('id="downtime"')[1].split('href="')[1].split('"')[0].replace("&amp;", "&")
    reasons = tablet.get(link).content.decode()  # the first tap
    breakdown = ReasonCode.objects.get(code="DT-BREAKDOWN")
    assert f'value="{breakdown.pk}"' in reasons
    started = local("09:00").isoformat()
    tablet.post(  # the second tap
        reverse("floor:downtime"),
        {"machine": "PRESS-01", "at": started, "reason": breakdown.pk},
    )
    given = DowntimeClassification.objects.get()
    assert (given.reason, given.classified_by.username) == (breakdown, "op1001")
    assert 'id="downtime"' not in tablet.get(reverse("floor:home")).content.decode()


def test_a_required_inspection_is_entered_on_the_tablet_before_completing(tablet, order):
    first = operations_of(order)[0]
    plan = make_plan(
        item=order.item,
        operation_seq=first.seq,
        required_to_complete=True,
        characteristics=[diameter(sample_size=2), visual()],
    )
    operator(1001)
    sign_in(tablet, 1001)
    tablet.post(reverse("floor:act", args=[first.pk, "start"]))
    tablet.post(reverse("floor:act", args=[first.pk, "report"]), {"qty_good": "10", "token": "r1"})
    screen = tablet.get(reverse("floor:operation", args=[first.pk])).content.decode()
    assert 'id="inspections"' in screen and "required" in screen
    refused = tablet.post(reverse("floor:act", args=[first.pk, "complete"]), follow=True)
    assert "message error" in refused.content.decode()
    url = reverse("floor:inspect", args=[first.pk, plan.pk])
    form = tablet.get(url).content.decode()
    assert "LSL 9.700" in form and "USL 10.300" in form and 'name="DIA.1"' in form
    saved = tablet.post(
        url, {"DIA.0": "10.01", "DIA.1": "10.50", "VISUAL": "ok", "token": "i1"}
    ).content.decode()
    assert 'id="verdict"' in saved and "out of specification" in saved  # 10.50 > USL
    tablet.post(url, {"DIA.0": "10.01", "DIA.1": "10.50", "VISUAL": "ok", "token": "i1"})
    assert Inspection.objects.filter(operation=first).count() == 1  # a resent form: once
    tablet.post(reverse("floor:act", args=[first.pk, "complete"]))
    first.refresh_from_db()
    assert first.status == Operation.Status.COMPLETED


def test_the_tablet_speaks_the_acting_operators_language(tablet, order):
    operator(1001, language="ko")
    sign_in(tablet, 1001)
    page = tablet.get(reverse("floor:home")).content.decode()
    assert '<html lang="ko">' in page and "작업 대기 목록" in page
    wrong = tablet.post(
        reverse("floor:act", args=[operations_of(order)[0].pk, "complete"]),
        HTTP_ACCEPT="application/json",
    )
    assert wrong.status_code == 409 and wrong.json()["ok"] is False


def test_the_service_worker_and_the_offline_page_are_served(tablet):
    worker = tablet.get(reverse("floor:service_worker"))
    assert worker["Content-Type"] == "application/javascript"
    body = worker.content.decode()
    assert "/static/shopfloor/queue.js" in body and reverse("floor:offline") in body
    assert tablet.get(reverse("floor:offline")).status_code == 200


def test_the_dispatch_list_shows_what_is_to_go_and_flags_missing_material():
    steel = ItemFactory(code="STEEL")
    order = released_order(qty="10", steps=1, components={steel: "2"})
    terminal = services.create_terminal(
        actor=None,
        code="TAB-M",
        name="Materials",
        work_center=operations_of(order)[0].work_center,
    )
    tablet = bound_tablet(terminal)
    operator(1001)
    sign_in(tablet, 1001)
    page = tablet.get(reverse("floor:home")).content.decode()
    assert 'class="late shortage"' in page and "STEEL" in page  # none in stock
    assert '<span class="qty">10</span>' in page


def test_a_scanned_lot_on_hold_is_refused_and_nothing_is_consumed(tablet, terminal):
    steel = ItemFactory(code="COIL", tracking=Item.Tracking.LOT)
    order = released_order(qty="4", steps=1, components={steel: "1"})
    store = Location.objects.get(code="STOCK")
    inventory_services.receive_stock(
        actor=None, item=steel, qty=Decimal("10"), location=store, lot_code="C-1"
    )
    held = Lot.objects.get(item=steel, code="C-1")
    place_hold(held, actor=None, reason="rust")
    first = operations_of(order)[0]
    Terminal.objects.filter(pk=terminal.pk).update(work_center=first.work_center, machine=None)
    operator(1001)
    sign_in(tablet, 1001)
    tablet.post(reverse("floor:act", args=[first.pk, "start"]))
    page = tablet.post(
        reverse("floor:act", args=[first.pk, "report"]),
        {"qty_good": "2", "lot": "C-1"},
        follow=True,
    ).content.decode()
    assert "message error" in page and "C-1" in page
    assert not OperationEvent.objects.filter(operation=first, kind="report").exists()
    assert get_on_hand(steel, location=store) == 10


def test_a_pause_without_a_reason_and_an_unknown_action_are_refused(tablet, order):
    operator(1001)
    sign_in(tablet, 1001)
    first = operations_of(order)[0]
    tablet.post(reverse("floor:act", args=[first.pk, "start"]))
    page = tablet.post(reverse("floor:act", args=[first.pk, "pause"]), follow=True)
    assert "Choose a reason." in page.content.decode()
    assert tablet.post(reverse("floor:act", args=[first.pk, "explode"])).status_code == 404
    first.refresh_from_db()
    assert first.status == Operation.Status.RUNNING


def test_a_terminal_machine_must_belong_to_its_work_center(terminal):
    elsewhere = MachineFactory(code="ELSEWHERE-1")
    with pytest.raises(InvalidInput, match="is not in work center"):
        services.create_terminal(
            actor=None, code="TAB-X", name="x", work_center=terminal.work_center, machine=elsewhere
        )
    with pytest.raises(InvalidInput, match="is not in work center"):
        services.update_terminal(terminal, actor=None, machine=elsewhere)
    terminal.refresh_from_db()
    assert terminal.machine.code == "PRESS-T1"
    assert not Terminal.objects.filter(code="TAB-X").exists()
