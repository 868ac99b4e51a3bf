"""The audit trail: services call these in the same transaction as the change."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models.fields.files import FieldFile

from .models import AuditEntry


def plain_decimal(value: Decimal | str) -> str:
    """A decimal without trailing zeros or exponent: 2.500000 → "2.5", 1E+2 → "100"."""
    return format(Decimal(value).normalize(), "f")


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, models.Model):
        return str(getattr(value, "code", value.pk))
    if isinstance(value, FieldFile):  # a stored file: its name
        return value.name or ""
    return value


# Never copied into the trail: secrets, and bookkeeping that changes on every write.
NOT_AUDITED = frozenset(
    {"created_at", "updated_at", "password", "pin_hash", "key_hash", "last_login", "last_used_at"}
)


def snapshot(obj: models.Model, exclude: Iterable[str] = NOT_AUDITED) -> dict:
    """The concrete field values of a row, as JSON-safe plain values."""
    data = {}
    for field in obj._meta.concrete_fields:
        if field.name in exclude or field.primary_key:
            continue
        if field.is_relation:
            related = getattr(obj, field.name)
            data[field.name] = _plain(related) if related is not None else None
        else:
            data[field.name] = _plain(field.value_from_object(obj))
    return data


def _actor_label(actor) -> str:
    if actor is None:
        return "system"
    return actor.get_username()


def _write(actor, action: str, obj: models.Model, changes: dict, label: str | None = None):
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=_actor_label(actor),
        action=action,
        model=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=(label or str(obj))[:200],
        changes=changes,
    )


def record_create(actor, obj: models.Model, extra: dict | None = None) -> AuditEntry:
    changes = {name: [None, value] for name, value in snapshot(obj).items()}
    changes.update(extra or {})
    return _write(actor, AuditEntry.Action.CREATE, obj, changes)


def _differs(obj: models.Model, name: str, old: Any, new: Any) -> bool:
    if old == new:
        return False
    # A decimal read back from the database has the column's places ("1.500"),
    # the one just assigned may not ("1.5"): the same number is no change.
    if (
        old is not None
        and new is not None
        and isinstance(obj._meta.get_field(name), models.DecimalField)
    ):
        return Decimal(old) != Decimal(new)
    return True


def changes_since(obj: models.Model, before: dict) -> dict[str, list]:
    """{field: [old, new]} for the fields of ``obj`` that differ from a snapshot."""
    return {
        name: [before.get(name), value]
        for name, value in snapshot(obj).items()
        if _differs(obj, name, before.get(name), value)
    }


def record_update(
    actor, obj: models.Model, before: dict, extra: dict | None = None
) -> AuditEntry | None:
    """Record the fields that differ from ``before``; nothing when nothing changed."""
    changes = changes_since(obj, before)
    changes.update(extra or {})
    if not changes:
        return None
    return _write(actor, AuditEntry.Action.UPDATE, obj, changes)


def record_delete(actor, obj: models.Model, before: dict) -> AuditEntry:
    changes = {name: [value, None] for name, value in before.items()}
    return _write(actor, AuditEntry.Action.DELETE, obj, changes)


def history_of(obj: models.Model):
    return AuditEntry.objects.filter(model=obj._meta.label_lower, object_id=str(obj.pk))
