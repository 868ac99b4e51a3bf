"""Shift handovers: written at a shift's end with its report, acknowledged by the next."""

import pytest
from django.test import Client
from django.urls import reverse

from cockpit import services
from cockpit.models import ShiftHandover
from mes.errors import AlreadyExists, InvalidInput, InvalidTransition
from mes.models import AuditEntry

from .cockpit_factories import DAY, at, local, order_at, run, two_shift_plant

pytestmark = pytest.mark.django_db


@pytest.fixture
def plant():
    site = two_shift_plant()
    order = order_at("WC-PRESS", code="PO-A", qty="100", planned=(local("06:00"), local("14:00")))
    run(order, "PRESS-01", start=local("06:10"), reports=[(local("09:00"), 40, 3)])
    return site


def _hand_over(site, person, when="13:30", **kwargs):
    return services.hand_over_shift(
        actor=person,
        site=site,
        production_day=DAY,
        shift_code=kwargs.pop("shift_code", "DAY"),
        notes=kwargs.pop("notes", "Die 3 chipped; spare ordered."),
        now=local(when),
        **kwargs,
    )


def test_a_handover_keeps_the_shift_report_and_the_notes(plant, make_person):
    writer = make_person("supervisor")
    handover = _hand_over(plant, writer)
    assert (handover.shift_start, handover.shift_end) == (local("06:00"), local("14:00"))
    [press] = handover.summary["work_centers"]
    assert press["work_center"] == "WC-PRESS"
    assert press["orders"] == [
        {
            "order": "PO-A",
            "item": "ITEM-PO-A",
            "planned": "100",
            "produced": "43",
            "good": "40",
            "scrap": "3",
            "labour_h": 0.0,
        }
    ]
    assert press["scrap_by_reason"] == [["Dent", "3"]]
    assert handover.summary["totals"]["good"] == "40"
    assert AuditEntry.objects.filter(model="cockpit.shifthandover", action="create").count() == 1


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"when": "12:59"}, InvalidTransition),  # more than an hour before its end
        ({"shift_code": "NIGHT"}, InvalidInput),  # no such shift that day
    ],
)
def test_refused_handovers_leave_nothing(plant, make_person, kwargs, error):
    with pytest.raises(error):
        _hand_over(plant, make_person("supervisor"), **kwargs)
    assert not ShiftHandover.objects.exists()
    assert not AuditEntry.objects.filter(model="cockpit.shifthandover").exists()


def test_a_shift_is_handed_over_once(plant, make_person):
    _hand_over(plant, make_person("supervisor"))
    with pytest.raises(AlreadyExists):
        _hand_over(plant, make_person("supervisor"), when="14:30")
    assert ShiftHandover.objects.count() == 1


def test_the_next_shift_acknowledges_it_once(plant, make_person):
    writer, next_one, third = (make_person("supervisor") for _ in range(3))
    handover = _hand_over(plant, writer)
    with pytest.raises(InvalidTransition):
        services.acknowledge_handover(handover, actor=writer)
    handover.refresh_from_db()
    assert not handover.is_acknowledged
    with at(local("14:05")):
        services.acknowledge_handover(handover, actor=next_one, note="Read; die swapped.")
        services.acknowledge_handover(handover, actor=next_one)  # again: nothing changes
    handover.refresh_from_db()
    assert (handover.acknowledged_by, handover.acknowledged_at) == (next_one, local("14:05"))
    assert handover.acknowledgement_note == "Read; die swapped."
    with pytest.raises(InvalidTransition):
        services.acknowledge_handover(handover, actor=third)
    assert AuditEntry.objects.filter(model="cockpit.shifthandover", action="update").count() == 1


def test_supervisors_hand_over_and_acknowledge_in_the_admin(plant, make_person):
    writer, next_one = make_person("supervisor"), make_person("supervisor")
    client = Client()
    client.force_login(writer)
    add = reverse("admin:cockpit_shifthandover_add")
    form = {"site": plant.pk, "production_day": DAY.isoformat(), "shift_code": "DAY", "notes": "ok"}
    with at(local("12:00")):
        early = client.post(add, form)
    assert "in its last hour or after it" in early.content.decode()
    with at(local("13:45")):
        assert client.post(add, form).status_code == 302
    handover = ShiftHandover.objects.get()
    page = client.get(reverse("admin:cockpit_shifthandover_change", args=[handover.pk]))
    assert "PO-A" in page.content.decode() and "Acknowledge" in page.content.decode()
    changelist = reverse("admin:cockpit_shifthandover_changelist")
    waiting = client.get(changelist, {"acknowledged": "no"})
    assert list(waiting.context["cl"].result_list) == [handover]
    client.force_login(next_one)
    client.post(
        changelist, {"action": "acknowledge", "_selected_action": [handover.pk]}, follow=True
    )
    handover.refresh_from_db()
    assert handover.acknowledged_by == next_one
    assert list(client.get(changelist, {"acknowledged": "no"}).context["cl"].result_list) == []


def test_the_acknowledge_page_shows_the_summary_and_takes_a_note(plant, make_person):
    handover = _hand_over(plant, make_person("supervisor"))
    client = Client()
    client.force_login(make_person("supervisor"))
    url = reverse("admin:cockpit_acknowledge", args=[handover.pk])
    page = client.get(url).content.decode()
    assert "Die 3 chipped" in page and "PO-A" in page
    assert client.post(url, {"note": "Seen."}).status_code == 302
    handover.refresh_from_db()
    assert handover.acknowledgement_note == "Seen."


def test_planners_read_handovers_but_do_not_write_them(plant, make_person):
    handover = _hand_over(plant, make_person("supervisor"))
    client = Client()
    client.force_login(make_person("planner"))
    assert client.get(reverse("admin:cockpit_shifthandover_changelist")).status_code == 200
    assert client.get(reverse("admin:cockpit_shifthandover_add")).status_code == 403
    assert client.post(reverse("admin:cockpit_acknowledge", args=[handover.pk])).status_code == 403
