"""Quality KPIs on hand-worked numbers; the inspection, plan and SPC API."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from production.execution import services as execution
from production.tests.execution_factories import operations_of, released_order, scrap_reason
from quality import kpis
from quality.models import Inspection, InspectionPlan
from quality.nonconformances import services as ncr_services

from .factories import make_plan, subgroup

pytestmark = pytest.mark.django_db


def _window():
    now = timezone.now()
    return now - timedelta(hours=1), now + timedelta(hours=1)


def test_first_pass_yield_and_scrap_ratio_by_hand():
    # 100 processed at the first operation: 90 good, 10 scrap; an NCR sends 5 good ones
    # to rework. FPY = (90 − 5) / 100 = 85 %, scrap ratio 10 %.
    order = released_order(qty="100")
    first, _second = operations_of(order)
    execution.start_operation(first, actor=None)
    execution.report_operation(
        first, actor=None, qty_good="90", qty_scrap="10", scrap_reason=scrap_reason()
    )
    ncr = ncr_services.open_nonconformance(
        actor=None, description="burr", production_order=order, operation=first, qty="5"
    )
    ncr_services.set_disposition(ncr, actor=None, disposition="rework")
    start, end = _window()
    [row] = kpis.first_pass_yield(start, end, group="operation")
    assert (row["good"], row["scrap"], row["total"], row["reworked"]) == (90, 10, 100, 5)
    assert row["first_pass_yield"] == Decimal("0.85")
    assert row["scrap_ratio"] == Decimal("0.1")
    counts = kpis.report_counts(start, end, work_center_ids=[first.work_center_id])
    assert counts.quality_ratio == Decimal("0.9")  # OEE's quality: good / total
    assert kpis.defect_pareto(start, end) == [("SCRAP-DENT", Decimal(10))]
    assert kpis.first_pass_yield(end, end + timedelta(days=1)) == []


def test_kpi_api_and_its_date_checks(erp):
    ok = erp.get("/api/v1/quality-kpis/", {"group": "work_center"})
    assert ok.status_code == 200 and ok.json() == []
    reversed_ = erp.get("/api/v1/quality-kpis/", {"from": "2026-11-20", "to": "2026-11-01"})
    assert reversed_.status_code == 400 and "from" in reversed_.json()["errors"]
    too_long = erp.get("/api/v1/quality-kpis/", {"from": "2026-01-01", "to": "2026-11-01"})
    assert too_long.status_code == 400


def test_plan_api_versions_on_put(erp):
    make_plan(code="IP-API")  # creates MM and an item
    plan = InspectionPlan.objects.get(code="IP-API")
    body = {
        "name": "Bore",
        "item": plan.item.code,
        "operation_seq": 10,
        "kind": "in_process",
        "every_n_units": 50,
        "characteristics": [
            {
                "code": "DIA",
                "name": "Diameter",
                "kind": "measure",
                "nominal": "10",
                "lsl": "9.7",
                "usl": "10.3",
                "uom": "MM",
                "sample_size": 5,
            },
        ],
    }
    changed = erp.put("/api/v1/inspection-plans/IP-API/", body, format="json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["version"] == 1  # same characteristics: no new version
    body["characteristics"][0]["usl"] = "10.2"
    again = erp.put("/api/v1/inspection-plans/IP-API/", body, format="json")
    assert again.json()["version"] == 2
    assert again.json()["characteristics"][0]["chart"] == "xbar_r"
    versions = erp.get("/api/v1/inspection-plans/IP-API/versions/").json()
    assert [v["version"] for v in versions] == [2, 1]
    created = erp.put("/api/v1/inspection-plans/IP-NEW/", body, format="json")
    assert created.status_code == 201
    clash = erp.post("/api/v1/inspection-plans/", {**body, "code": "IP-NEW"}, format="json")
    assert clash.status_code == 409
    bad = erp.put(
        "/api/v1/inspection-plans/IP-BAD/",
        {**body, "characteristics": [{**body["characteristics"][0], "lsl": "11"}]},
        format="json",
    )
    assert bad.status_code == 400 and "characteristics.0.lsl" in bad.json()["errors"]


def test_inspection_api_and_spc(erp):
    plan = make_plan(code="IP-SPC")
    item = plan.item.code
    for i in range(12):
        shift = "10.150" if i >= 10 else "10.000"
        response = erp.post(
            "/api/v1/inspections/",
            {"plan": "IP-SPC", "results": [{"characteristic": "DIA", "values": subgroup(shift)}]},
            format="json",
        )
        assert response.status_code == 201, response.content
    assert response.json()["verdict"] == "pass"
    wrong = erp.post(
        "/api/v1/inspections/",
        {"plan": "IP-SPC", "results": [{"characteristic": "DIA", "values": ["10", "10"]}]},
        format="json",
    )
    assert wrong.status_code == 400 and "results.0.values" in wrong.json()["errors"]
    assert Inspection.objects.count() == 12
    chart = erp.get(f"/api/v1/spc/{item}/DIA/").json()
    assert len(chart["points"]) == 12 and chart["chart"] == "xbar_r"
    assert {v["rule"] for v in chart["violations"] if v["chart"] == "primary"} >= {1}
    assert chart["capability"]["cpk"] is not None and chart["message"] == ""
    svg = erp.get(f"/api/v1/spc/{item}/DIA/svg/")
    assert svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content
    frozen = erp.post(
        f"/api/v1/spc/{item}/DIA/freeze/",
        {"from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z"},
        format="json",
    )
    assert frozen.status_code == 201 and frozen.json()["points"] == 12
    assert erp.get(f"/api/v1/spc/{item}/DIA/").json()["limits"]["frozen"] is True
    assert erp.get(f"/api/v1/spc/{item}/NOPE/").status_code == 404


def test_spc_with_one_point_explains_instead_of_failing(erp):
    plan = make_plan(code="IP-ONE")
    erp.post(
        "/api/v1/inspections/",
        {"plan": "IP-ONE", "results": [{"characteristic": "DIA", "values": subgroup()}]},
        format="json",
    )
    body = erp.get(f"/api/v1/spc/{plan.item.code}/DIA/").json()
    assert body["limits"] is None and "at least 2" in body["message"]
