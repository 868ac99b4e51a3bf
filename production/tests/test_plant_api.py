from decimal import Decimal

import pytest

from mes.errors import InvalidInput
from mes.models import AuditEntry
from production import services
from production.models import Machine, Site, WorkCenter

from .factories import AreaFactory, MachineFactory, SiteFactory, WorkCenterFactory

pytestmark = pytest.mark.django_db

WORK_CENTERS = "/api/v1/work-centers/"
MACHINES = "/api/v1/machines/"


# --- work centers ---------------------------------------------------------------


def test_post_work_center_and_read_it_back(erp):
    AreaFactory(code="PRESS-HALL")
    response = erp.post(
        WORK_CENTERS, {"code": "WC-PRESS", "name": "Presses", "area": "PRESS-HALL"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response["Location"].endswith("/api/v1/work-centers/WC-PRESS/")
    body = erp.get(WORK_CENTERS + "WC-PRESS/").json()
    assert body["area"] == "PRESS-HALL"
    assert body["is_active"] is True
    entry = AuditEntry.objects.get(model="production.workcenter")
    assert entry.action == "create"
    assert entry.changes["area"] == [None, "PRESS-HALL"]


def test_post_existing_work_center_is_409_and_changes_nothing(erp):
    WorkCenterFactory(code="WC-1", name="Old")
    response = erp.post(WORK_CENTERS, {"code": "WC-1", "name": "New"}, format="json")
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert WorkCenter.objects.get(code="WC-1").name == "Old"


def test_put_work_center_upserts_and_fully_replaces(erp):
    AreaFactory(code="A1")
    first = erp.put(WORK_CENTERS + "WC-1/", {"name": "One", "area": "A1"}, format="json")
    second = erp.put(WORK_CENTERS + "WC-1/", {"name": "One bis"}, format="json")
    assert (first.status_code, second.status_code) == (201, 200)
    work_center = WorkCenter.objects.get(code="WC-1")
    assert (work_center.name, work_center.area) == ("One bis", None)


def test_unknown_area_is_400_naming_area_and_nothing_written(erp):
    response = erp.post(WORK_CENTERS, {"code": "WC-1", "name": "x", "area": "NOPE"}, format="json")
    assert response.status_code == 400
    assert "area" in response.json()["errors"]
    assert not WorkCenter.objects.exists()
    assert not AuditEntry.objects.filter(model__startswith="production.").exists()


def test_work_center_filters_by_area_and_site(erp):
    press = AreaFactory(code="PRESS", site=SiteFactory(code="S1"))
    weld = AreaFactory(code="WELD", site=SiteFactory(code="S2"))
    WorkCenterFactory(code="WC-P", area=press)
    WorkCenterFactory(code="WC-W", area=weld)
    by_area = erp.get(WORK_CENTERS, {"area": "PRESS"}).json()["results"]
    by_site = erp.get(WORK_CENTERS, {"site": "S2"}).json()["results"]
    assert [wc["code"] for wc in by_area] == ["WC-P"]
    assert [wc["code"] for wc in by_site] == ["WC-W"]


# --- machines -------------------------------------------------------------------


def test_machine_crud_round_trip(erp):
    WorkCenterFactory(code="WC-PRESS")
    created = erp.post(
        MACHINES,
        {
            "code": "PRESS-01",
            "name": "Press 1",
            "work_center": "WC-PRESS",
            "ideal_cycle_time_s": "4.5",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["ideal_cycle_time_s"] == "4.500"
    patched = erp.patch(MACHINES + "PRESS-01/", {"ideal_cycle_time_s": "4.2"}, format="json")
    assert patched.status_code == 200
    assert Machine.objects.get(code="PRESS-01").ideal_cycle_time_s == Decimal("4.2")
    entries = AuditEntry.objects.filter(model="production.machine").order_by("id")
    assert [e.action for e in entries] == ["create", "update"]
    assert entries[1].changes == {"ideal_cycle_time_s": ["4.500", "4.200"]}


def test_put_machine_201_then_200_and_moves_it(erp):
    WorkCenterFactory(code="WC-A")
    WorkCenterFactory(code="WC-B")
    body = {"name": "M", "work_center": "WC-A", "ideal_cycle_time_s": "10"}
    first = erp.put(MACHINES + "M1/", body, format="json")
    second = erp.put(MACHINES + "M1/", {**body, "work_center": "WC-B"}, format="json")
    assert (first.status_code, second.status_code) == (201, 200)
    assert Machine.objects.get(code="M1").work_center.code == "WC-B"


def test_post_existing_machine_is_409(erp):
    MachineFactory(code="M1", name="Keep")
    body = {"code": "M1", "name": "New", "work_center": "WC-X", "ideal_cycle_time_s": "1"}
    WorkCenterFactory(code="WC-X")
    response = erp.post(MACHINES, body, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "already_exists"
    assert Machine.objects.get(code="M1").name == "Keep"


@pytest.mark.parametrize(
    "change, field",
    [
        ({"work_center": "NOPE"}, "work_center"),
        ({"work_center": None}, "work_center"),
        ({"ideal_cycle_time_s": "0"}, "ideal_cycle_time_s"),
        ({"ideal_cycle_time_s": "-3"}, "ideal_cycle_time_s"),
        ({"ideal_cycle_time_s": "0.0001"}, "ideal_cycle_time_s"),
        ({"ideal_cycle_time_s": "abc"}, "ideal_cycle_time_s"),
        ({"ideal_cycle_time_s": "1e12"}, "ideal_cycle_time_s"),
        ({"code": "bad code!"}, "code"),
        ({"code": "X" * 65}, "code"),
        ({"name": "nul\x00byte"}, "name"),
        ({"name": ""}, "name"),
        ({"is_active": "maybe"}, "is_active"),
    ],
)
def test_bad_machine_input_is_400_naming_the_field(erp, change, field):
    WorkCenterFactory(code="WC-1")
    body = {"code": "M1", "name": "M", "work_center": "WC-1", "ideal_cycle_time_s": "2"}
    response = erp.post(MACHINES, {**body, **change}, format="json")
    assert response.status_code == 400, response.content
    problem = response.json()
    assert problem["type"].startswith("urn:mes:problem:")
    assert field in problem["errors"]
    assert not Machine.objects.exists()
    assert not AuditEntry.objects.filter(model="production.machine").exists()


def test_patch_with_bad_cycle_time_changes_nothing(erp):
    MachineFactory(code="M1", ideal_cycle_time_s=Decimal("3"))
    response = erp.patch(MACHINES + "M1/", {"ideal_cycle_time_s": "0"}, format="json")
    assert response.status_code == 400
    assert "ideal_cycle_time_s" in response.json()["errors"]
    assert Machine.objects.get(code="M1").ideal_cycle_time_s == Decimal("3")
    assert not AuditEntry.objects.filter(model__startswith="production.").exists()


def test_patch_cannot_change_the_code(erp):
    MachineFactory(code="M1")
    response = erp.patch(MACHINES + "M1/", {"code": "M2"}, format="json")
    assert response.status_code == 400
    assert "code" in response.json()["errors"]
    assert Machine.objects.filter(code="M1").exists()


def test_machines_filter_by_work_center_area_and_updated_after(erp):
    press = WorkCenterFactory(code="WC-P", area=AreaFactory(code="PRESS"))
    weld = WorkCenterFactory(code="WC-W", area=AreaFactory(code="WELD"))
    MachineFactory(code="P1", work_center=press)
    MachineFactory(code="W1", work_center=weld)
    assert [m["code"] for m in erp.get(MACHINES, {"work_center": "WC-W"}).json()["results"]] == [
        "W1"
    ]
    assert [m["code"] for m in erp.get(MACHINES, {"area": "PRESS"}).json()["results"]] == ["P1"]
    listing = erp.get(MACHINES).json()["results"]
    erp.patch(MACHINES + "P1/", {"name": "renamed"}, format="json")
    newer = erp.get(MACHINES, {"updated_after": listing[-1]["updated_at"]}).json()["results"]
    assert [m["code"] for m in newer] == ["P1"]


def test_machine_list_queries_do_not_grow_with_machines(erp, django_assert_max_num_queries):
    def create_machines(count: int):
        for _ in range(count):
            MachineFactory(work_center=WorkCenterFactory(area=AreaFactory()))

    create_machines(3)
    with django_assert_max_num_queries(8):
        assert erp.get(MACHINES).json()["count"] == 3
    create_machines(30)
    with django_assert_max_num_queries(8):
        assert erp.get(MACHINES).json()["count"] == 33
    with django_assert_max_num_queries(8):
        assert erp.get(WORK_CENTERS).json()["count"] == 33


# --- permissions ----------------------------------------------------------------


def test_operator_reads_but_cannot_write(api_client_for):
    MachineFactory(code="M1")
    operator = api_client_for("operator")
    assert operator.get(MACHINES).status_code == 200
    assert operator.get(WORK_CENTERS).status_code == 200
    body = {"name": "x", "work_center": "WC-1", "ideal_cycle_time_s": "1"}
    assert operator.put(MACHINES + "M2/", body, format="json").status_code == 403
    assert operator.patch(MACHINES + "M1/", {"name": "x"}, format="json").status_code == 403
    assert operator.post(WORK_CENTERS, {"code": "W", "name": "x"}, format="json").status_code == 403
    assert Machine.objects.count() == 1


def test_gateway_key_reads_machines_but_cannot_write(api_client_for):
    MachineFactory(code="M1", name="Keep")
    gateway = api_client_for("gateway")
    assert gateway.get(MACHINES + "M1/").status_code == 200
    response = gateway.patch(MACHINES + "M1/", {"name": "x"}, format="json")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert Machine.objects.get(code="M1").name == "Keep"


def test_anonymous_is_401(client):
    assert client.get(MACHINES).status_code == 401


# --- sites and areas (kept in the admin; read-only API) ----------------------------


def test_sites_and_areas_are_read_only(erp):
    AreaFactory(code="A1", site=SiteFactory(code="S1"))
    assert erp.get("/api/v1/sites/S1/").json()["time_zone"] == "Asia/Seoul"
    assert erp.get("/api/v1/areas/", {"site": "S1"}).json()["results"][0]["site"] == "S1"
    response = erp.post("/api/v1/sites/", {"code": "S2", "name": "x"}, format="json")
    assert response.status_code == 405
    assert not Site.objects.filter(code="S2").exists()


@pytest.mark.parametrize("zone", ["Mars/Olympus", "../etc/passwd", "", "Asia/Seoul\x00"])
def test_site_time_zone_must_be_a_real_iana_zone(zone):
    with pytest.raises(InvalidInput) as raised:
        services.create_site(actor=None, code="S1", name="Plant", time_zone=zone)
    assert "time_zone" in raised.value.errors
    assert not Site.objects.exists()


def test_plant_hierarchy_services_upsert_and_update():
    site, created = services.upsert_site(actor=None, code="S1", name="Plant", time_zone="UTC")
    area = services.create_area(actor=None, code="A1", name="Hall", site=site)
    work_center, _ = services.upsert_work_center(actor=None, code="WC", name="WC", area=area)
    machine, machine_created = services.upsert_machine(
        actor=None, code="M1", name="M", work_center=work_center, ideal_cycle_time_s="2.5"
    )
    assert created and machine_created
    services.update_site(site, actor=None, time_zone="Europe/Berlin")
    services.update_machine(machine, actor=None, is_active=False)
    machine.refresh_from_db()
    assert machine.ideal_cycle_time_s == Decimal("2.5") and machine.is_active is False
    assert Site.objects.get(code="S1").time_zone == "Europe/Berlin"


# --- admin ----------------------------------------------------------------------


@pytest.mark.parametrize("model", ["site", "area", "workcenter", "machine", "reasoncode"])
def test_admin_lists_load_without_n_plus_1(client, manager, model, django_assert_max_num_queries):
    for _ in range(10):
        MachineFactory(work_center=WorkCenterFactory(area=AreaFactory()))
    client.force_login(manager)
    with django_assert_max_num_queries(25):
        response = client.get(f"/admin/production/{model}/")
    assert response.status_code == 200


def test_admin_creates_a_machine_through_the_service(client, manager):
    WorkCenterFactory(code="WC-1")
    client.force_login(manager)
    work_center = WorkCenter.objects.get(code="WC-1")
    response = client.post(
        "/admin/production/machine/add/",
        {
            "code": "M-ADMIN",
            "name": "From admin",
            "work_center": work_center.pk,
            "ideal_cycle_time_s": "3",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content
    entry = AuditEntry.objects.get(model="production.machine")
    assert entry.actor_label == manager.username


def test_same_cycle_time_written_differently_is_no_change(erp):
    erp.put("/api/v1/work-centers/WC-NOCHG/", {"name": "Press"}, format="json")
    body = {"name": "P1", "work_center": "WC-NOCHG", "ideal_cycle_time_s": "1.5"}
    first = erp.put("/api/v1/machines/M-NOCHG/", body, format="json").json()
    again = erp.put(
        "/api/v1/machines/M-NOCHG/", {**body, "ideal_cycle_time_s": "1.500"}, format="json"
    )
    assert again.status_code == 200
    assert again.json()["updated_at"] == first["updated_at"]
