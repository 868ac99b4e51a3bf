from decimal import Decimal

import pytest
from django.urls import reverse

from inventory import services
from inventory.models import Bom, Item
from mes.models import AuditEntry

from .factories import ItemFactory, UnitOfMeasureFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_for(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture
def browser(admin_client_for, manager):
    return admin_client_for(manager)


def formset_data(rows, total=None):
    data = {
        "form-TOTAL_FORMS": str(total or len(rows)),
        "form-INITIAL_FORMS": "0",
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
    }
    for index, (code, qty) in enumerate(rows):
        data[f"form-{index}-item"] = code
        data[f"form-{index}-qty_per"] = qty
    return data


def test_item_pages_render_with_filters_and_search(browser):
    ItemFactory(code="BOLT-M8", kind="raw")
    changelist = reverse("admin:inventory_item_changelist")
    assert browser.get(changelist, {"kind__exact": "raw", "q": "BOLT"}).status_code == 200
    assert browser.get(reverse("admin:inventory_item_add")).status_code == 200
    assert browser.get(reverse("admin:inventory_unitofmeasure_changelist")).status_code == 200


def test_adding_an_item_goes_through_the_service(browser):
    ea = UnitOfMeasureFactory(code="EA")
    response = browser.post(
        reverse("admin:inventory_item_add"),
        {
            "code": "NUT-M8",
            "name": "Nut",
            "kind": "raw",
            "uom": ea.pk,
            "tracking": "none",
            "description": "",
        },
    )
    assert response.status_code == 302, response.content
    assert Item.objects.filter(code="NUT-M8").exists()
    assert AuditEntry.objects.filter(model="inventory.item", action="create").exists()


def test_new_bom_version_form_calls_set_bom(browser, manager):
    bike, frame = ItemFactory(code="BIKE"), ItemFactory(code="FRAME")
    ItemFactory(code="WHEEL")
    services.set_bom(bike, actor=None, components=[{"item": frame, "qty_per": Decimal(1)}])
    url = reverse("admin:inventory_item_bom", args=[bike.pk])
    page = browser.get(url)
    assert page.status_code == 200 and b'value="FRAME"' in page.content
    response = browser.post(url, formset_data([("FRAME", "1"), ("WHEEL", "2"), ("", "")]))
    assert response.status_code == 302
    active = Bom.objects.get(item=bike, is_active=True)
    assert active.version == 2 and active.created_by == manager
    assert [ln.component.code for ln in active.lines.all()] == ["FRAME", "WHEEL"]
    change_page = browser.get(reverse("admin:inventory_item_change", args=[bike.pk]))
    assert b"WHEEL" in change_page.content


def test_new_bom_version_form_shows_a_cycle_and_saves_nothing(browser):
    bike, frame = ItemFactory(code="BIKE"), ItemFactory(code="FRAME")
    services.set_bom(frame, actor=None, components=[{"item": bike, "qty_per": Decimal(1)}])
    url = reverse("admin:inventory_item_bom", args=[bike.pk])
    response = browser.post(url, formset_data([("FRAME", "1")]))
    assert response.status_code == 200
    assert "BIKE → FRAME → BIKE" in response.content.decode()
    assert not Bom.objects.filter(item=bike).exists()


def test_new_bom_version_form_names_unknown_items(browser):
    bike = ItemFactory(code="BIKE")
    response = browser.post(
        reverse("admin:inventory_item_bom", args=[bike.pk]), formset_data([("NOPE", "1")])
    )
    assert response.status_code == 200 and b"No such item: NOPE" in response.content
    assert not Bom.objects.exists()


def test_a_supervisor_may_read_boms_but_not_make_versions(admin_client_for, make_person):
    bike = ItemFactory(code="BIKE")
    browser = admin_client_for(make_person("supervisor"))
    assert browser.get(reverse("admin:inventory_item_change", args=[bike.pk])).status_code == 200
    url = reverse("admin:inventory_item_bom", args=[bike.pk])
    assert browser.post(url, formset_data([])).status_code == 403
    assert not Bom.objects.exists()


def test_bom_admin_is_read_only_with_lines(browser):
    bike, frame = ItemFactory(code="BIKE"), ItemFactory(code="FRAME")
    bom = services.set_bom(bike, actor=None, components=[{"item": frame, "qty_per": Decimal(3)}])
    assert browser.get(reverse("admin:inventory_bom_changelist")).status_code == 200
    page = browser.get(reverse("admin:inventory_bom_change", args=[bom.pk]))
    assert page.status_code == 200
    assert b"FRAME" in page.content and b"new version" in page.content
    assert browser.get(reverse("admin:inventory_bom_add")).status_code == 403
