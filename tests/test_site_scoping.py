"""A client limited to one site sees and changes nothing of another site, over every
collection of the API.

The demo plant is one site (HS); a second site (B) gets its own area, work center,
machine, location and production order. A key limited to B must see none of HS's rows
in any collection that belongs to a site (mes.api.scoping.SITE_PATHS), get 404 for HS's
records and transitions, and have writes naming HS's records refused. Every collection
in the URL conf must be either scoped or listed here as shared master data (with why):
a collection added later without a decision fails this test.
"""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.test import APIClient

from inventory.models import Location
from inventory.tests.factories import LocationFactory
from mes.api.scoping import SITE_PATHS
from mes.services import create_api_key
from mes.webhooks.services import create_endpoint
from orders.models import Allocation, CustomerReturn, SalesOrderLine, Shipment
from production.models import OperationEvent, ProductionOrder, Schedule, Site
from production.tests.factories import MachineFactory
from quality.models import Inspection, InspectionPlanVersion, Nonconformance
from seeds.services import load_demo_plant

pytestmark = pytest.mark.django_db

# Collections that are master data shared by every site, or need query parameters that
# are checked below (oee, downtime), or are the schema itself.
SHARED = {
    "uoms/": "master data",
    "items/": "master data",
    "customers/": "master data",
    "sales-orders/": "commercial: a customer's order, shipped from any site",
    "reason-codes/": "master data",
    "inspection-plans/": "master data (per item)",
    "lot-holds/": "lots are shared: a held lot is held everywhere",
    "schema/": "the API's description",
    "docs/": "the API's description",
}
# Computed views: their inputs are scoped (checked below), they have no rows of their own.
COMPUTED = {"oee/", "downtime/", "quality-kpis/"}


def _collections(patterns=None, prefix=""):
    """Every GET path of /api/v1/ without a path parameter."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for entry in patterns:
        route = str(entry.pattern).lstrip("^").rstrip("$")
        if isinstance(entry, URLResolver):
            yield from _collections(entry.url_patterns, prefix + route)
        elif isinstance(entry, URLPattern) and "(?P<" not in prefix + route:
            path = prefix + route
            if path.startswith("api/v1/") and "\\." not in path and path.endswith("/"):
                view = entry.callback
                methods = getattr(view, "actions", None) or {}
                cls = getattr(view, "cls", None) or getattr(view, "view_class", None)
                if "get" in methods or (cls is not None and hasattr(cls, "get")):
                    yield path.removeprefix("api/v1/"), cls


COLLECTIONS = dict(_collections())


@pytest.fixture
def two_sites():
    load_demo_plant(today=timezone.localdate())
    hs = Site.objects.get()
    Location.objects.update(site=hs)  # the demo's stores are HS's, not shared
    b_site = Site.objects.create(code="B", name="Plant B", time_zone="Asia/Seoul")
    machine = MachineFactory(
        code="B-M1",
        work_center__code="B-WC",
        work_center__area__code="B-AR",
        work_center__area__site=b_site,
    )
    LocationFactory(code="B-STORE", site=b_site)
    item = ProductionOrder.objects.first().item
    ProductionOrder.objects.create(
        code="B-PO1", item=item, qty=5, due_date=timezone.localdate(), site=b_site
    )
    _hs_records(hs)
    return hs, b_site, machine


def _hs_records(hs):
    """HS rows in the collections the demo plant leaves empty, written directly."""
    order = ProductionOrder.objects.filter(site=hs).first()
    store = Location.objects.filter(kind=Location.Kind.STOCK, site=hs).first()
    dock = LocationFactory(code="HS-DOCK", kind=Location.Kind.SHIPPING, site=hs)
    line = SalesOrderLine.objects.select_related("order", "item").first()
    shipment = Shipment.objects.create(code="HS-SHP", sales_order=line.order, dock=dock)
    allocation = Allocation.objects.create(
        sales_order_line=line, item=line.item, location=store, qty=1, shipment=shipment
    )
    CustomerReturn.objects.create(
        code="HS-RET",
        shipment=shipment,
        allocation=allocation,
        item=line.item,
        qty=1,
        location=store,
        reason="x",
    )
    Inspection.objects.create(
        plan_version=InspectionPlanVersion.objects.first(), production_order=order, verdict="pass"
    )
    Nonconformance.objects.create(
        code="HS-NCR", source="operation", production_order=order, description="x"
    )
    Schedule.objects.create(site=hs, time_limit_s=30)
    create_endpoint(actor=None, url="https://erp.example/hs", events=["stock.received"], site=hs)


def client_for(role, site):
    _, raw = create_api_key(actor=None, name=f"{role}-{site.code}", role=role, site=site)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    return client


def _rows(response):
    body = response.json()
    return body["results"] if isinstance(body, dict) and "results" in body else body


def test_every_collection_is_scoped_or_shared_by_decision():
    undecided = []
    for path, view in COLLECTIONS.items():
        if path in SHARED or path in COMPUTED:
            continue
        if view.queryset.model._meta.label not in SITE_PATHS:
            undecided.append(path)
    assert not undecided, "collections neither site-scoped nor shared: " + ", ".join(undecided)


@pytest.mark.parametrize(
    "path", sorted(p for p in COLLECTIONS if p not in SHARED and p not in COMPUTED)
)
def test_a_site_scoped_client_sees_none_of_another_sites_rows(two_sites, path):
    hs, b_site, _machine = two_sites
    everything = _rows(client_for("erp", b_site).get(f"/api/v1/{path}", {"page_size": 1000}))
    unscoped = APIClient()
    _, raw = create_api_key(actor=None, name="all-sites", role="erp")
    unscoped.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    all_rows = _rows(unscoped.get(f"/api/v1/{path}", {"page_size": 1000}))
    model = COLLECTIONS[path].queryset.model
    hs_rows = model.objects.filter(**{SITE_PATHS[model._meta.label]: hs.pk})
    assert hs_rows.exists(), f"the test data has no HS row in {path}"
    assert len(everything) < len(all_rows)
    text = str(everything)
    assert "'HS" not in text, path


def test_detail_paths_and_transitions_of_another_site_are_404(two_sites):
    _hs, b_site, _machine = two_sites
    client = client_for("erp", b_site)
    hs_order = ProductionOrder.objects.exclude(site=b_site).filter(status="released").first()
    hs_machine = MachineFactory._meta.model.objects.exclude(code="B-M1").first()
    hs_location = Location.objects.exclude(site=b_site).first()
    for path in (
        f"production-orders/{hs_order.code}/",
        f"machines/{hs_machine.code}/",
        f"work-centers/{hs_machine.work_center.code}/",
        f"work-centers/{hs_machine.work_center.code}/dispatch-list/",
        f"locations/{hs_location.code}/",
        f"areas/{hs_machine.work_center.area.code}/",
        f"sites/{hs_order.site.code}/",
    ):
        assert client.get(f"/api/v1/{path}").status_code == 404, path
    for path in ("cancel/", "operations/10/start/"):
        response = client.post(f"/api/v1/production-orders/{hs_order.code}/{path}")
        assert response.status_code == 404, path
    hs_order.refresh_from_db()
    assert hs_order.status == "released"
    assert client.get("/api/v1/production-orders/B-PO1/").json()["site"] == "B"


def test_writes_naming_another_sites_records_are_refused(two_sites):
    hs, b_site, _machine = two_sites
    client = client_for("erp", b_site)
    hs_machine = MachineFactory._meta.model.objects.exclude(code="B-M1").first()
    response = client.post(
        "/api/v1/machines/",
        {"code": "B-M2", "name": "x", "work_center": hs_machine.work_center.code},
        format="json",
    )
    assert response.status_code == 400
    assert "work_center" in response.json()["errors"]
    put = client.put(f"/api/v1/machines/{hs_machine.code}/", {"name": "mine"}, format="json")
    assert put.status_code == 404
    order = {
        "item": ProductionOrder.objects.first().item.code,
        "qty": "1",
        "due_date": "2030-01-01",
    }
    elsewhere = client.post(
        "/api/v1/production-orders/", {**order, "code": "B-PO2", "site": hs.code}, format="json"
    )
    assert elsewhere.status_code == 400 and list(elsewhere.json()["errors"]) == ["site"]
    made = client.post("/api/v1/production-orders/", {**order, "code": "B-PO3"}, format="json")
    assert made.status_code == 201 and made.json()["site"] == "B"
    hs_location = Location.objects.exclude(site=b_site).first()
    receipt = client.post(
        "/api/v1/receipts/",
        {"item": "B-NOPE", "qty": "1", "location": hs_location.code},
        format="json",
    )
    assert "location" in receipt.json()["errors"]
    gateway = client_for("gateway", b_site)
    events = gateway.post(
        "/api/v1/machine-events/",
        [{"machine": hs_machine.code, "ts": timezone.now().isoformat(), "state": "down"}],
        format="json",
    )
    assert events.status_code == 400
    oee = client.get(
        "/api/v1/oee/",
        {"machine": hs_machine.code, "from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z"},
    )
    assert oee.status_code == 400 and "machine" in oee.json()["errors"]
    assert hs_machine.name != "mine"


def test_a_person_limited_to_a_site_and_a_key_made_by_the_command(two_sites, make_person):
    _hs, b_site, _machine = two_sites
    supervisor = make_person("supervisor", username="b-supervisor")
    supervisor.profile.site = b_site
    supervisor.profile.save()
    client = APIClient()
    client.force_authenticate(supervisor)
    assert [row["code"] for row in _rows(client.get("/api/v1/work-centers/"))] == ["B-WC"]

    out = StringIO()
    call_command("create_api_key", "b-reader", "--role", "readonly", "--site", "B", stdout=out)
    reader = APIClient()
    reader.credentials(HTTP_AUTHORIZATION=f"Token {out.getvalue().splitlines()[-1]}")
    assert [row["code"] for row in _rows(reader.get("/api/v1/machines/"))] == ["B-M1"]
    with pytest.raises(CommandError):
        call_command("create_api_key", "x", "--role", "readonly", "--site", "NOPE")


def test_quality_kpis_count_only_the_clients_site(two_sites):
    hs, b_site, _machine = two_sites
    hs_order = ProductionOrder.objects.filter(site=hs, status="released").first()
    operation = hs_order.operations.order_by("seq").first()
    OperationEvent.objects.create(
        operation=operation, kind=OperationEvent.Kind.REPORT, qty_good=3, qty_scrap=1
    )
    query = {"group": "work_center"}
    _, raw = create_api_key(actor=None, name="all-sites", role="erp")
    unscoped = APIClient()
    unscoped.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    assert unscoped.get("/api/v1/quality-kpis/", query).json()
    assert client_for("erp", b_site).get("/api/v1/quality-kpis/", query).json() == []
