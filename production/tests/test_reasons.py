import pytest
from django.db import IntegrityError, transaction

from mes.errors import InvalidInput
from mes.models import AuditEntry
from production import services
from production.models import ReasonCode

from .factories import ReasonCodeFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/reason-codes/"


def test_put_creates_then_replaces(erp):
    body = {"name": "Die change", "kind": "downtime", "category": "changeover"}
    first = erp.put(URL + "DIE-CHANGE/", body, format="json")
    second = erp.put(URL + "DIE-CHANGE/", {**body, "name": "Die change (SMED)"}, format="json")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["affects_availability"] is True
    reason = ReasonCode.objects.get(code="DIE-CHANGE")
    assert (reason.name, reason.kind, reason.category) == (
        "Die change (SMED)",
        "downtime",
        "changeover",
    )
    entries = AuditEntry.objects.filter(model="production.reasoncode").order_by("id")
    assert [e.action for e in entries] == ["create", "update"]


def test_planned_stops_do_not_count_against_availability(erp):
    body = {"name": "Lunch", "kind": "downtime", "affects_availability": False}
    response = erp.put(URL + "LUNCH/", body, format="json")
    assert response.json()["affects_availability"] is False
    # a PUT without the flag replaces it with the default: an unplanned loss
    erp.put(URL + "LUNCH/", {"name": "Lunch", "kind": "downtime"}, format="json")
    assert ReasonCode.objects.get(code="LUNCH").affects_availability is True


@pytest.mark.parametrize("kind", ["scrap", "pause"])
def test_only_downtime_can_affect_availability(erp, kind):
    body = {"name": "x", "kind": kind, "affects_availability": True}
    response = erp.put(URL + "R1/", body, format="json")
    assert response.status_code == 201
    assert response.json()["affects_availability"] is False
    erp.patch(URL + "R1/", {"affects_availability": True}, format="json")
    assert ReasonCode.objects.get(code="R1").affects_availability is False


@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": "x"}, "kind"),
        ({"name": "x", "kind": "coffee"}, "kind"),
        ({"kind": "scrap"}, "name"),
        ({"name": "x\x00", "kind": "scrap"}, "name"),
        ({"name": "x", "kind": "scrap", "category": "c" * 65}, "category"),
    ],
)
def test_bad_input_is_400_and_writes_nothing(erp, body, field):
    response = erp.put(URL + "R1/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert not ReasonCode.objects.exists()


def test_kind_cannot_change_once_the_code_exists(erp):
    ReasonCodeFactory(code="JAM", kind="downtime", name="Jam")
    put = erp.put(URL + "JAM/", {"name": "Jam", "kind": "scrap"}, format="json")
    patch = erp.patch(URL + "JAM/", {"kind": "pause"}, format="json")
    assert (put.status_code, patch.status_code) == (400, 400)
    assert "kind" in put.json()["errors"] and "kind" in patch.json()["errors"]
    assert ReasonCode.objects.get(code="JAM").kind == "downtime"
    assert not AuditEntry.objects.filter(model="production.reasoncode").exists()


def test_a_code_is_unique_across_kinds(erp):
    ReasonCodeFactory(code="MAT", kind="scrap")
    response = erp.post(URL, {"code": "MAT", "name": "Material", "kind": "pause"}, format="json")
    assert response.status_code == 409
    assert ReasonCode.objects.get(code="MAT").kind == "scrap"


def test_list_filters_by_kind_and_updated_after(erp):
    ReasonCodeFactory(code="S1", kind="scrap")
    ReasonCodeFactory(code="D1", kind="downtime")
    ReasonCodeFactory(code="P1", kind="pause")
    assert [r["code"] for r in erp.get(URL, {"kind": "scrap"}).json()["results"]] == ["S1"]
    bad = erp.get(URL, {"kind": "coffee"})
    assert bad.status_code == 400 and "kind" in bad.json()["errors"]
    last = erp.get(URL).json()["results"][-1]["updated_at"]
    erp.patch(URL + "S1/", {"is_active": False}, format="json")
    assert [r["code"] for r in erp.get(URL, {"updated_after": last}).json()["results"]] == ["S1"]


def test_operator_reads_but_cannot_write(api_client_for):
    ReasonCodeFactory(code="JAM")
    operator = api_client_for("operator")
    assert operator.get(URL).status_code == 200
    response = operator.put(URL + "NEW/", {"name": "x", "kind": "scrap"}, format="json")
    assert response.status_code == 403
    assert not ReasonCode.objects.filter(code="NEW").exists()


def test_services_upsert_and_update():
    reason, created = services.upsert_reason_code(
        actor=None, code="BRK", name="Breakdown", kind="downtime", category="mechanical"
    )
    assert created and reason.affects_availability
    services.update_reason_code(reason, actor=None, affects_availability=False)
    reason.refresh_from_db()
    assert reason.affects_availability is False
    services.update_reason_code(reason, actor=None, name="Breakdown (motor)")
    reason.refresh_from_db()
    assert (reason.name, reason.affects_availability) == ("Breakdown (motor)", False)
    with pytest.raises(InvalidInput) as raised:
        services.create_reason_code(actor=None, code="X", name="x", kind="coffee")
    assert "kind" in raised.value.errors


def test_the_database_refuses_availability_loss_for_scrap():
    with pytest.raises(IntegrityError), transaction.atomic():
        ReasonCode.objects.create(code="S", name="s", kind="scrap", affects_availability=True)
