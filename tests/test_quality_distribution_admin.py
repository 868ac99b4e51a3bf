"""The admin pages of quality and distribution render for a plant manager, without N+1."""

import csv
import io

import pytest
from django.urls import reverse

from orders.distribution import services as distribution
from orders.tests.factories import order_for, stocked_product
from quality.holds.services import place_hold
from quality.nonconformances import services as ncr_services
from quality.tests.factories import inspect, make_plan, subgroup

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def plant():
    """A shipped lot with inspections, an NCR, a hold and a return."""
    item = stocked_product({"L1": "20", "L2": "5"})
    plan = make_plan(item=item, code="IP-ADMIN")
    for i in range(12):
        inspect(plan, subgroup("10.000" if i < 10 else "10.200"))
    order = order_for(item, "10")
    shipment = distribution.create_shipment(
        actor=None, sales_order=order, lines=[{"line": 1, "item": item.code, "qty": "10"}]
    )
    distribution.ship_shipment(shipment, actor=None)
    distribution.receive_customer_return(
        actor=None, shipment=shipment, item=item, lot="L1", qty="1", reason="scratch"
    )
    ncr_services.open_nonconformance(actor=None, description="burr", lot=item.lots.get(code="L2"))
    place_hold(item.lots.get(code="L2"), actor=None, reason="by hand")
    return {"item": item, "plan": plan, "shipment": shipment}


@pytest.mark.parametrize(
    "url",
    [
        "admin:quality_inspectionplan_changelist",
        "admin:quality_inspection_changelist",
        "admin:quality_qualityalarm_changelist",
        "admin:quality_nonconformance_changelist",
        "admin:quality_lothold_changelist",
        "admin:quality_controllimits_changelist",
        "admin:orders_shipment_changelist",
        "admin:orders_allocation_changelist",
        "admin:orders_customerreturn_changelist",
        "admin:quality_kpis",
        "admin:quality_nonconformance_add",
        "admin:quality_lothold_add",
        "admin:orders_customerreturn_add",
        "admin:quality_inspectionplan_add",
    ],
)
def test_pages_render_without_n_plus_one(signed_in, plant, url, django_assert_max_num_queries):
    with django_assert_max_num_queries(30):
        response = signed_in.get(reverse(url))
    assert response.status_code == 200


def test_the_control_chart_page_shows_the_picture(signed_in, plant):
    url = reverse("admin:quality_spc_chart", args=[plant["item"].pk, "DIA"])
    page = signed_in.get(url).content.decode()
    assert "<svg" in page and 'class="violation"' in page and "Cpk" in page


def test_plan_characteristics_and_recording_through_the_admin(signed_in, plant):
    plan = plant["plan"]
    page = signed_in.get(reverse("admin:quality_inspectionplan_change", args=[plan.pk]))
    assert "DIA" in page.content.decode()
    recorded = signed_in.post(
        reverse("admin:quality_inspection_record", args=[plan.pk]),
        {"c_DIA": "10.0 10.01 9.99 10.0 10.02", "notes": ""},
    )
    assert recorded.status_code == 302
    assert plan.versions.get().inspections.count() == 13


def test_shipment_documents_and_trace_tree(signed_in, plant):
    shipment = plant["shipment"]
    note = signed_in.get(
        reverse("admin:orders_shipment_document", args=[shipment.pk, "delivery-note"]),
        {"lang": "en"},
    )
    assert note.status_code == 200 and b"Delivery note" in note.content
    picks = signed_in.get(
        reverse("admin:orders_shipment_document", args=[shipment.pk, "pick-list"])
    )
    assert picks.status_code == 200
    tree = signed_in.get(reverse("lot_trace_tree"), {"item": plant["item"].code, "lot": "L1"})
    assert tree.status_code == 200
    assert shipment.code in tree.content.decode()


def test_stock_overview_filters_and_csv(signed_in, plant, django_assert_max_num_queries):
    with django_assert_max_num_queries(15):
        page = signed_in.get(reverse("stock_overview"))
    text = page.content.decode()
    assert "L2" in text and "QC-HOLD" in text
    exported = signed_in.get(reverse("stock_overview"), {"on_hold": "on", "format": "csv"})
    body = b"".join(exported.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    lots = sorted(row[2] for row in rows[1:])
    assert lots == ["L1", "L1", "L2"]  # the returned lot (store and quarantine), the held one
    held = next(row for row in rows[1:] if row[2] == "L2")
    assert held[8] == "0"  # nothing of a held lot is available


def test_someone_without_inventory_rights_cannot_see_the_overview(client, make_person):
    client.force_login(make_person("operator"))
    assert client.get(reverse("stock_overview")).status_code in (302, 403)


def test_releasing_holds_in_the_admin_needs_the_permission(client, make_person, plant):
    from quality.models import LotHold

    hold = LotHold.objects.filter(source="manual").get()
    changelist = reverse("admin:quality_lothold_changelist")
    supervisor = make_person("supervisor", password="pw-123456789")
    client.force_login(supervisor)
    page = client.get(changelist)
    assert page.status_code == 200 and b'value="release"' not in page.content
    client.force_login(make_person("quality_inspector"))
    asked = client.post(changelist, {"action": "release", "_selected_action": [hold.pk]})
    assert asked.status_code == 200 and b'name="note"' in asked.content  # asks why
    released = client.post(
        changelist, {"action": "release", "_selected_action": [hold.pk], "note": "re-checked"}
    )
    assert released.status_code == 302
    hold.refresh_from_db()
    assert hold.released_at is not None and hold.release_note == "re-checked"


def test_ncr_steps_in_the_admin(signed_in, plant):
    from quality.models import Nonconformance

    ncr = Nonconformance.objects.get(source="lot")
    step = reverse("admin:quality_nonconformance_step", args=[ncr.pk, "disposition"])
    done = signed_in.post(step, {"disposition": "use_as_is", "note": "cosmetic"})
    assert done.status_code == 302
    ncr.refresh_from_db()
    assert ncr.status == "dispositioned" and ncr.disposition == "use_as_is"
    out_of_order = signed_in.post(
        reverse("admin:quality_nonconformance_step", args=[ncr.pk, "investigate"]), {"note": ""}
    )
    assert out_of_order.status_code == 200  # the form again, with the refusal as a message
    ncr.refresh_from_db()
    assert ncr.status == "dispositioned"


def test_shipment_actions_in_the_admin(signed_in):
    item = stocked_product({"L1": "5"})
    order = order_for(item, "5")
    shipment = distribution.create_shipment(
        actor=None, sales_order=order, lines=[{"line": 1, "item": item.code, "qty": "5"}]
    )
    changelist = reverse("admin:orders_shipment_changelist")
    shipped = signed_in.post(changelist, {"action": "ship", "_selected_action": [shipment.pk]})
    assert shipped.status_code == 302
    shipment.refresh_from_db()
    assert shipment.status == "shipped"
