"""Machine events: bulk ingest over the API, stored once, append-only."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from production.models import MachineEvent, ReasonCode
from production.oee.services import ingest_machine_events

from .factories import MachineFactory, ReasonCodeFactory

pytestmark = pytest.mark.django_db


def _ts(minutes: int) -> str:
    base = timezone.now().replace(microsecond=0) - timedelta(hours=2)
    return (base + timedelta(minutes=minutes)).isoformat()


def test_a_batch_is_stored_once_whatever_its_order():
    MachineFactory(code="PRESS-01")
    ReasonCodeFactory(code="DT-BREAKDOWN", kind=ReasonCode.Kind.DOWNTIME)
    rows = [
        {"machine": "PRESS-01", "ts": _ts(5), "state": "down", "reason": "DT-BREAKDOWN"},
        {"machine": "PRESS-01", "ts": _ts(0), "state": "running", "count_total": 0},
        {"machine": "PRESS-01", "ts": _ts(10), "count_total": 120, "count_reject": 2},
    ]
    first = ingest_machine_events(rows)
    assert (first.accepted, first.duplicates, first.rejected) == (4, 0, [])
    again = ingest_machine_events(list(reversed(rows)))
    assert (again.accepted, again.duplicates) == (0, 4)
    assert MachineEvent.objects.count() == 4
    down = MachineEvent.objects.get(state="down")
    assert down.reason.code == "DT-BREAKDOWN" and down.source == "api"


def test_bad_rows_are_named_and_good_rows_kept():
    MachineFactory(code="PRESS-01")
    rows = [
        {"machine": "PRESS-01", "ts": _ts(0), "state": "running"},
        {"machine": "NOPE", "ts": _ts(1), "state": "running"},
        {"machine": "PRESS-01", "ts": "yesterday", "state": "running"},
        {
            "machine": "PRESS-01",
            "ts": (timezone.now() + timedelta(days=1)).isoformat(),
            "state": "idle",
        },
        {"machine": "PRESS-01", "ts": _ts(2), "state": "exploded"},
        {"machine": "PRESS-01", "ts": _ts(3), "count_total": -5},
        {"machine": "PRESS-01", "ts": _ts(4), "count_total": 5, "count_reject": 9},
        {"machine": "PRESS-01", "ts": _ts(5)},
        "not an object",
    ]
    result = ingest_machine_events(rows)
    assert result.accepted == 1
    bad = {r["index"]: set(r["errors"]) for r in result.rejected}
    assert bad == {
        1: {"machine"},
        2: {"ts"},
        3: {"ts"},
        4: {"state"},
        5: {"count_total"},
        6: {"count_reject"},
        7: {"non_field_errors"},
        8: {"non_field_errors"},
    }


def test_events_are_append_only():
    MachineFactory(code="PRESS-01")
    ingest_machine_events([{"machine": "PRESS-01", "ts": _ts(0), "state": "running"}])
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE production_machineevent SET state = 'down'")
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM production_machineevent")
    assert MachineEvent.objects.get().state == "running"


def test_the_api_answers_202_and_refuses_a_batch_of_only_bad_rows(api_client_for):
    MachineFactory(code="PRESS-01")
    gateway = api_client_for("gateway")
    body = [{"machine": "PRESS-01", "ts": _ts(i), "state": "running"} for i in range(3)]
    body.append({"machine": "NOPE", "ts": _ts(9), "state": "idle"})
    accepted = gateway.post("/api/v1/machine-events/", body, format="json")
    assert accepted.status_code == 202, accepted.content
    assert accepted.json()["accepted"] == 3
    assert accepted.json()["rejected"] == [
        {"index": 3, "errors": {"machine": ["Unknown machine."]}}
    ]
    all_bad = gateway.post(
        "/api/v1/machine-events/", [{"machine": "NOPE", "ts": _ts(9)}], format="json"
    )
    assert all_bad.status_code == 400
    assert "0.machine" in all_bad.json()["errors"]
    not_a_list = gateway.post("/api/v1/machine-events/", {"machine": "x"}, format="json")
    assert not_a_list.status_code == 400
    readonly = api_client_for("readonly").post("/api/v1/machine-events/", body, format="json")
    assert readonly.status_code == 403


def test_a_nul_byte_or_an_impossible_time_is_a_rejected_row():
    # Found by the API fuzzing: both were 500s.
    rows = [
        {"machine": "M\x00", "ts": "2026-11-24T09:00:00+09:00", "state": "down"},
        {"machine": "M", "ts": "2026-11-24T12:99:00+09:00", "reason": "R\x00"},
    ]
    result = ingest_machine_events(rows)
    assert result.accepted == 0
    assert [row["index"] for row in result.rejected] == [0, 1]
    assert "ts" in result.rejected[1]["errors"]
