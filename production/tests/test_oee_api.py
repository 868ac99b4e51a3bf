"""OEE from the database: the worked example of docs/oee.md through machine events and
the API, and the fallbacks to operation logs and operators' reports."""

from datetime import timedelta

import pytest

from production.models import ReasonCode
from production.oee.rollup import mark_stale, roll_up_oee
from production.oee.selectors import get_oee
from production.oee.services import ingest_machine_events

from .factories import ReasonCodeFactory
from .oee_factories import local, one_shift_press

pytestmark = pytest.mark.django_db


@pytest.fixture
def press():
    return one_shift_press()


def test_the_worked_example_through_events_and_the_api(press, api_client_for):
    result = ingest_machine_events(
        [
            {
                "machine": "PRESS-01",
                "ts": local("06:00").isoformat(),
                "state": "running",
                "count_total": 0,
                "count_reject": 0,
            },
            {
                "machine": "PRESS-01",
                "ts": local("09:00").isoformat(),
                "state": "down",
                "reason": "DT-BREAKDOWN",
            },
            {"machine": "PRESS-01", "ts": local("09:30").isoformat(), "state": "running"},
            {
                "machine": "PRESS-01",
                "ts": local("13:59").isoformat(),
                "count_total": 800,
                "count_reject": 16,
            },
        ]
    )
    assert result.rejected == []
    roll_up_oee()
    [row] = get_oee(machine=press, start=local("00:00"), end=local("23:59"), group="shift")
    assert row["planned_time_s"] == 27_000 and row["run_time_s"] == 25_200
    assert row["oee"] == pytest.approx(25_200 / 27_000 * 30 * 800 / 25_200 * 0.98)

    reader = api_client_for("readonly")
    response = reader.get(
        "/api/v1/oee/",
        {
            "machine": "PRESS-01",
            "from": local("00:00").isoformat(),
            "to": local("23:59").isoformat(),
            "group": "day",
        },
    )
    assert response.status_code == 200, response.content
    [day] = response.json()
    assert day["period"] == "2026-11-23"
    assert day["availability"] == pytest.approx(0.9333, abs=1e-4)
    assert day["performance"] == pytest.approx(0.9524, abs=1e-4)
    assert day["quality"] == pytest.approx(0.98)
    assert (day["good"], day["total"]) == (784, 800)
    per_center = reader.get(
        "/api/v1/oee/",
        {
            "work_center": "WC-PRESS",
            "from": local("00:00").isoformat(),
            "to": (local("00:00") + timedelta(days=7)).isoformat(),
            "group": "week",
        },
    ).json()
    assert [w["period"] for w in per_center] == ["2026-W48"]


def test_without_machine_signals_the_logs_and_reports_are_used(press):
    from production.execution import services as execution
    from production.models import OperationEvent
    from production.tests.execution_factories import operations_of, released_order, scrap_reason

    order = released_order(qty="100", steps=1)
    [operation] = operations_of(order)
    operation.work_center = press.work_center
    operation.save()
    execution.start_operation(operation, actor=None, machine=press)
    execution.report_operation(
        operation, actor=None, qty_good="90", qty_scrap="10", scrap_reason=scrap_reason()
    )
    # Put the logs inside Monday's day shift: started 07:00, reported 09:00, still running.
    events = OperationEvent.objects.filter(operation=operation)
    events.filter(kind="start").update(at=local("07:00"))
    events.filter(kind="report").update(at=local("09:00"))
    mark_stale([(press.pk, local("07:00"))])  # what moving the logs back in time left stale
    roll_up_oee()
    [row] = get_oee(machine=press, start=local("00:00"), end=local("23:59"), group="shift")
    assert row["planned_time_s"] == 27_000
    assert row["run_time_s"] == 23_400  # 07:00–14:00 less the break, from the logs
    assert row["unknown_time_s"] == 3_600  # 06:00–07:00: no signal, no operation
    assert (row["good"], row["total"]) == (90, 100)  # from the operators' report
    assert row["performance"] == pytest.approx(30 * 100 / 23_400)


def test_bad_oee_queries(api_client_for):
    reader = api_client_for("readonly")
    missing = reader.get(
        "/api/v1/oee/", {"from": "2026-11-01T00:00:00Z", "to": "2026-11-02T00:00:00Z"}
    )
    assert missing.status_code == 400 and "machine" in missing.json()["errors"]
    reversed_ = reader.get(
        "/api/v1/oee/",
        {"work_center": "NOPE", "from": "2026-11-02T00:00:00Z", "to": "2026-11-01T00:00:00Z"},
    )
    assert reversed_.status_code == 400


def test_unclassified_downtime_is_listed_and_classified(press, api_client_for):
    ReasonCodeFactory(code="DT-MATERIAL", kind=ReasonCode.Kind.DOWNTIME)
    ReasonCodeFactory(code="PAUSE-BREAK", kind=ReasonCode.Kind.PAUSE)
    ingest_machine_events(
        [
            {"machine": "PRESS-01", "ts": local("06:00").isoformat(), "state": "running"},
            {"machine": "PRESS-01", "ts": local("09:00").isoformat(), "state": "down"},
            {"machine": "PRESS-01", "ts": local("09:30").isoformat(), "state": "running"},
            # a stop inside the break is no loss: not listed
            {"machine": "PRESS-01", "ts": local("10:05").isoformat(), "state": "down"},
            {"machine": "PRESS-01", "ts": local("10:25").isoformat(), "state": "running"},
        ]
    )
    supervisor = api_client_for("supervisor")
    window = {
        "machine": "PRESS-01",
        "from": local("00:00").isoformat(),
        "to": local("23:59").isoformat(),
    }
    open_ = supervisor.get("/api/v1/downtime/", {**window, "unclassified": "true"})
    assert open_.status_code == 200, open_.content
    [row] = open_.json()
    assert row["lost_s"] == 1800 and row["reason"] is None
    bad_reason = supervisor.post(
        "/api/v1/downtime/classify/",
        {"machine": "PRESS-01", "started_at": row["started_at"], "reason": "PAUSE-BREAK"},
        format="json",
    )
    assert bad_reason.status_code == 400
    nothing_then = supervisor.post(
        "/api/v1/downtime/classify/",
        {"machine": "PRESS-01", "started_at": local("11:11").isoformat(), "reason": "DT-MATERIAL"},
        format="json",
    )
    assert nothing_then.status_code == 404
    done = supervisor.post(
        "/api/v1/downtime/classify/",
        {"machine": "PRESS-01", "started_at": row["started_at"], "reason": "DT-MATERIAL"},
        format="json",
    )
    assert done.status_code == 200, done.content
    assert supervisor.get("/api/v1/downtime/", {**window, "unclassified": "true"}).json() == []
    [classified] = supervisor.get("/api/v1/downtime/", window).json()
    assert (classified["reason"], classified["classified"]) == ("DT-MATERIAL", True)
