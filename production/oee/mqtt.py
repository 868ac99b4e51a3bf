"""The MQTT topic scheme and payloads for machine signals (pure: no Django).

Topics (QoS 1):

    <prefix>/<site>/<machine>/state
        {"ts": "2026-11-24T09:00:00+09:00", "state": "down", "reason": "DT-BREAKDOWN"}
    <prefix>/<site>/<machine>/count
        {"ts": "2026-11-24T09:05:00+09:00", "total": 1520, "reject": 12}

``<prefix>`` is ``MES_MQTT_PREFIX`` (default ``mes``); ``<site>`` and ``<machine>`` are
codes. ``state`` is one of running, idle, down, setup, planned_stop; ``reason`` (a
downtime or pause reason code) is optional; ``total`` and ``reject`` are the machine's
cumulative counters (a drop is read as a counter reset).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

MAX_PAYLOAD = 16_384
KINDS = ("state", "count")


@dataclass(frozen=True)
class Parsed:
    site: str
    row: dict[str, Any]  # a machine-events row, as the REST API takes it


class BadMessage(ValueError):
    """Why a message cannot be used (the ingester records it and goes on)."""


def subscriptions(prefix: str) -> list[str]:
    return [f"{prefix}/+/+/{kind}" for kind in KINDS]


def topic_for(prefix: str, site: str, machine: str, kind: str) -> str:
    return f"{prefix}/{site}/{machine}/{kind}"


def parse_message(prefix: str, topic: str, payload: bytes) -> Parsed:
    """The row a message stands for; BadMessage saying why not."""
    parts = topic.split("/")
    if len(parts) != 4 or parts[0] != prefix or parts[3] not in KINDS or not all(parts[1:3]):
        raise BadMessage(f"topic is not {prefix}/<site>/<machine>/state|count")
    _prefix, site, machine, kind = parts
    if len(payload) > MAX_PAYLOAD:
        raise BadMessage(f"payload larger than {MAX_PAYLOAD} bytes")
    try:
        body = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadMessage(f"payload is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise BadMessage("payload is not a JSON object")
    row: dict[str, Any] = {"machine": machine, "ts": body.get("ts")}
    if kind == "state":
        if "state" not in body:
            raise BadMessage("a state message needs 'state'")
        row["state"] = body["state"]
        if body.get("reason") is not None:
            row["reason"] = body["reason"]
    else:
        if "total" not in body:
            raise BadMessage("a count message needs 'total'")
        row["count_total"] = body["total"]
        if body.get("reject") is not None:
            row["count_reject"] = body["reject"]
    return Parsed(site=site, row=row)


def payload_for(**fields: Any) -> bytes:
    return json.dumps(fields, ensure_ascii=False).encode("utf-8")
