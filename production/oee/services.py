"""Taking machine events in: the one write path for the REST API and the MQTT ingester.

A batch is checked row by row. Good rows are stored even when others are bad (a PLC
gateway must not lose a shift's signals over one garbled row); the bad ones are
returned with their index and reasons. A row may carry a state and counters at once:
it becomes two events (kinds ``state`` and ``count``). Events already stored (same
machine, time and kind) are skipped, so a retried batch stores nothing twice.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from mes import audit
from mes.errors import InvalidInput, InvalidTransition, NotFound
from mes.models import CODE_PATTERN

from ..models import DowntimeClassification, Machine, MachineEvent, ReasonCode
from .rollup import mark_stale

MAX_BATCH = 10_000


@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)  # [{index, errors}]


def _count(value: Any, name: str, errors: dict[str, list[str]]) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**62:
        errors.setdefault(name, []).append(_("A whole number of 0 or more."))
        return None
    return value


def _time(value: Any, errors: dict[str, list[str]]) -> datetime | None:
    try:  # a well-formed but impossible time (minute 99) is a ValueError, not None
        moment = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        errors.setdefault("ts", []).append(_("An ISO 8601 time with its UTC offset."))
        return None
    limit = timezone.now() + timedelta(seconds=settings.MES_MACHINE_EVENT_MAX_FUTURE_S)
    if moment > limit:
        errors.setdefault("ts", []).append(_("This time is in the future."))
        return None
    return moment


def _events(
    row: Any,
    machines: Mapping[str, Machine],
    reasons: Mapping[str, ReasonCode],
    source: str,
) -> tuple[list[MachineEvent], dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    if not isinstance(row, Mapping):
        return [], {"non_field_errors": [_("Each event is an object.")]}
    machine = machines.get(row.get("machine")) if isinstance(row.get("machine"), str) else None
    if machine is None:
        errors["machine"] = [_("Unknown machine.")]
    ts = _time(row.get("ts"), errors)
    state = row.get("state")
    if state is not None and state not in MachineEvent.State.values:
        errors["state"] = [
            _("One of: %(states)s.") % {"states": ", ".join(MachineEvent.State.values)}
        ]
    reason = None
    if row.get("reason") not in (None, ""):
        reason = reasons.get(row["reason"]) if isinstance(row["reason"], str) else None
        if reason is None:
            errors["reason"] = [_("Unknown downtime or pause reason.")]
        elif state is None:
            errors["reason"] = [_("A reason goes with a state.")]
    total = _count(row.get("count_total"), "count_total", errors)
    reject = _count(row.get("count_reject"), "count_reject", errors)
    if reject is not None and total is None:
        errors["count_reject"] = [_("Give count_total with count_reject.")]
    elif reject is not None and total is not None and reject > total:
        errors["count_reject"] = [_("More rejects than parts counted.")]
    if state is None and total is None and not errors:
        errors["non_field_errors"] = [_("Give a state, counters, or both.")]
    if errors:
        return [], errors
    found = []
    if state is not None:
        found.append(
            MachineEvent(
                machine=machine, ts=ts, kind="state", state=state, reason=reason, source=source
            )
        )
    if total is not None:
        found.append(
            MachineEvent(
                machine=machine,
                ts=ts,
                kind="count",
                count_total=total,
                count_reject=reject,
                source=source,
            )
        )
    return found, {}


CODE_RE = re.compile(CODE_PATTERN)


def _codes(rows: list[Any], key: str) -> set[str]:
    """The well-formed codes the rows name under `key`."""
    values = (row.get(key) for row in rows if isinstance(row, Mapping))
    return {code for code in values if isinstance(code, str) and CODE_RE.fullmatch(code)}


def ingest_machine_events(
    rows: Iterable[Any],
    *,
    source: str = MachineEvent.Source.API,
    machines: QuerySet[Machine] | None = None,
) -> IngestResult:
    """Store a batch of machine events; see the module's docstring for the rules.

    `machines` limits which machines may be named (a client's site); default: all.
    """
    rows = list(rows)
    if len(rows) > MAX_BATCH:
        raise ValueError(f"at most {MAX_BATCH} events per batch")
    # Only well-formed codes are looked up (a NUL byte cannot even be sent to PostgreSQL,
    # an object is no code); a row naming another is rejected below as unknown.
    machines = {
        m.code: m
        for m in (Machine.objects.all() if machines is None else machines).filter(
            code__in=_codes(rows, "machine")
        )
    }
    reasons = {
        r.code: r
        for r in ReasonCode.objects.filter(
            code__in=_codes(rows, "reason"),
            kind__in=[ReasonCode.Kind.DOWNTIME, ReasonCode.Kind.PAUSE],
        )
    }
    result = IngestResult()
    candidates: dict[tuple, MachineEvent] = {}
    for index, row in enumerate(rows):
        events, errors = _events(row, machines, reasons, source)
        if errors:
            result.rejected.append({"index": index, "errors": errors})
        for event in events:
            key = (event.machine_id, event.ts, event.kind)
            if key in candidates:
                result.duplicates += 1
            candidates[key] = event
    if not candidates:
        return result
    stored = _stored_keys(candidates)
    fresh = [event for key, event in candidates.items() if key not in stored]
    result.duplicates += len(candidates) - len(fresh)
    with transaction.atomic():
        MachineEvent.objects.bulk_create(fresh, batch_size=2000, ignore_conflicts=True)
        mark_stale((event.machine_id, event.ts) for event in fresh)
    result.accepted = len(fresh)
    return result


def _stored_keys(candidates: Mapping[tuple, MachineEvent]) -> set[tuple]:
    """The candidates' keys already in the database (one query over their time ranges)."""
    by_machine: dict[int, list[datetime]] = {}
    for machine_id, ts, _kind in candidates:
        by_machine.setdefault(machine_id, []).append(ts)
    wanted = Q()
    for machine_id, times in by_machine.items():
        wanted |= Q(machine_id=machine_id, ts__gte=min(times), ts__lte=max(times))
    found = MachineEvent.objects.filter(wanted).values_list("machine_id", "ts", "kind")
    return {key for key in found if key in candidates}


def classify_downtime(
    machine: Machine, *, started_at: datetime, reason: ReasonCode, actor
) -> DowntimeClassification:
    """Give a down period the machine sent without a reason its reason (again: changes it,
    audited). The period is named by its down event's time."""
    if reason.kind != ReasonCode.Kind.DOWNTIME:
        raise InvalidInput(_("Choose a downtime reason."), field="reason")
    event = MachineEvent.objects.filter(
        machine=machine, kind=MachineEvent.Kind.STATE, state=MachineEvent.State.DOWN, ts=started_at
    ).first()
    if event is None:
        raise NotFound(_("The machine has no down period starting then."))
    if event.reason_id is not None:
        raise InvalidTransition(_("The machine already gave this down period a reason."))
    with transaction.atomic():
        found = (
            DowntimeClassification.objects.select_for_update()
            .filter(machine=machine, started_at=started_at)
            .first()
        )
        user = actor if getattr(actor, "pk", None) else None
        mark_stale([(machine.pk, started_at)])
        if found is None:
            found = DowntimeClassification.objects.create(
                machine=machine, started_at=started_at, reason=reason, classified_by=user
            )
            audit.record_create(actor, found)
        elif found.reason_id != reason.pk:
            before = audit.snapshot(found)
            found.reason, found.classified_by = reason, user
            found.save()
            audit.record_update(actor, found, before)
        return found
