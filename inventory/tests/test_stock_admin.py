"""Stock in the admin: locations through the services, the ledger and balances read-only."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from inventory import services
from inventory.models import Item, Location, Lot, StockMove
from mes.models import AuditEntry

from .factories import ItemFactory, LocationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client):
    client.force_login(get_user_model().objects.create_superuser("root", password="x"))
    return client


@pytest.fixture
def stock():
    store = LocationFactory(code="STORE")
    steel = ItemFactory(code="STEEL", tracking=Item.Tracking.LOT)
    [move] = services.receive_stock(
        actor=None, item=steel, qty=Decimal(5), location=store, lot_code="H-1"
    )
    return move


def test_location_added_in_the_admin_is_audited(client, manager):
    client.force_login(manager)
    response = client.post(
        reverse("admin:inventory_location_add"),
        {"code": "QA", "name": "Quarantine cage", "kind": "quarantine"},
    )
    assert response.status_code == 302, response.content
    assert Location.objects.get(code="QA").kind == "quarantine"
    assert AuditEntry.objects.filter(model="inventory.location", action="create").count() == 1


def test_ledger_pages_render_with_filters_and_search(superuser_client, stock):
    pages = [
        (reverse("admin:inventory_stockmove_changelist"), {"reason__exact": "receipt", "q": "H-1"}),
        (reverse("admin:inventory_stockbalance_changelist"), {"q": "STEEL"}),
        (reverse("admin:inventory_lot_changelist"), {"q": "H-1"}),
        (reverse("admin:inventory_stockmove_change", args=[stock.pk]), {}),
    ]
    for url, params in pages:
        response = superuser_client.get(url, params)
        assert response.status_code == 200, url
    assert b"STEEL" in superuser_client.get(pages[0][0]).content


def test_nobody_adds_changes_or_deletes_moves_in_the_admin(superuser_client, stock):
    change = reverse("admin:inventory_stockmove_change", args=[stock.pk])
    assert superuser_client.get(reverse("admin:inventory_stockmove_add")).status_code == 403
    assert superuser_client.post(change, {"qty": "50"}).status_code == 403
    delete = reverse("admin:inventory_stockmove_delete", args=[stock.pk])
    assert superuser_client.post(delete, {"post": "yes"}).status_code == 403
    assert StockMove.objects.get().qty == 5


def test_a_lots_expiry_date_is_corrected_through_the_service(client, manager, stock):
    client.force_login(manager)
    lot = Lot.objects.get()
    url = reverse("admin:inventory_lot_change", args=[lot.pk])
    response = client.post(url, {"expires_on": "2027-03-01"})
    assert response.status_code == 302, response.content
    lot.refresh_from_db()
    assert (lot.code, lot.expires_on) == ("H-1", date(2027, 3, 1))
    assert AuditEntry.objects.get(model="inventory.lot").changes == {
        "expires_on": [None, "2027-03-01"]
    }
