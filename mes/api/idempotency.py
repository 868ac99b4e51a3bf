"""`Idempotency-Key` on POST, with the contract's semantics.

The same key and the same request within the TTL replays the first response
(status and body) with `Idempotent-Replayed: true`; the same key with another
request is 422; a key whose first request is still running is 409. The claim is
committed first (so a concurrent duplicate sees it); the stored response is
written in the same transaction as the work, so a crash leaves either both or
neither. 5xx responses are never stored: the claim is released for a retry.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions

from mes.models import IdempotencyRecord

from .exceptions import json_problem_response

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
_NO_USER = object()


def request_fingerprint(method: str, path: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), b"\0", path.encode(), b"\0", body):
        digest.update(part)
    return digest.hexdigest()


class KeyConflict(Exception):
    def __init__(self, status: int, code: str, detail: str):
        self.status, self.code, self.detail = status, code, detail


def claim(owner, key: str, fingerprint: str) -> IdempotencyRecord:
    """Take the key for this request, or raise KeyConflict, or return a completed record."""
    now = timezone.now()
    try:  # the common case, a new key: one committed insert
        with transaction.atomic():
            return IdempotencyRecord.objects.create(
                owner=owner, key=key, request_hash=fingerprint, created_at=now
            )
    except IntegrityError:
        pass
    with transaction.atomic():
        record = IdempotencyRecord.objects.select_for_update().get(owner=owner, key=key)
        expired = record.created_at < now - settings.IDEMPOTENCY_TTL
        abandoned = (
            not record.completed and record.created_at < now - settings.IDEMPOTENCY_STALE_AFTER
        )
        if expired or abandoned:
            record.request_hash, record.created_at, record.completed = fingerprint, now, False
            record.status_code = record.response_body = None
            record.save()
            return record
        if record.request_hash != fingerprint:
            raise KeyConflict(
                422,
                "idempotency_key_reused",
                _("This Idempotency-Key was used for a different request."),
            )
        if not record.completed:
            raise KeyConflict(
                409,
                "idempotency_key_in_flight",
                _("A request with this Idempotency-Key is still being processed; retry later."),
            )
        return record


def complete(record: IdempotencyRecord, response: HttpResponse) -> None:
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        completed=True,
        status_code=response.status_code,
        response_body=bytes(response.content),
        content_type=response.get("Content-Type", ""),
        location=response.get("Location", ""),
    )


def release(record: IdempotencyRecord) -> None:
    IdempotencyRecord.objects.filter(pk=record.pk, completed=False).delete()


def replay(record: IdempotencyRecord) -> HttpResponse:
    response = HttpResponse(
        bytes(record.response_body or b""),
        status=record.status_code,
        content_type=record.content_type or "application/json",
    )
    if record.location:
        response["Location"] = record.location
    response[REPLAYED_HEADER] = "true"
    return response


class IdempotentPostMixin:
    # Gives a DRF view the Idempotency-Key behaviour on POST. (A comment: a docstring
    # here would become the OpenAPI description of every view.)

    def dispatch(self, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if request.method != "POST" or key is None:
            return super().dispatch(request, *args, **kwargs)
        if not key.strip() or len(key) > MAX_KEY_LENGTH or "\0" in key:
            return json_problem_response(
                400,
                "invalid_idempotency_key",
                _("Idempotency-Key must be 1 to 255 characters."),
            )
        # Keys are per client, so the client must be known before the claim.
        django_user = request.__dict__.get("user", _NO_USER)
        try:
            owner = self.initialize_request(request, *args, **kwargs).user
        except exceptions.APIException:
            # DRF left `request.user = None` behind; the real dispatch must start
            # afresh to give the same 401/403/415 as without a key.
            if django_user is _NO_USER:
                request.__dict__.pop("user", None)
            else:
                request.user = django_user
            owner = None
        if owner is None or not owner.is_authenticated:
            return super().dispatch(request, *args, **kwargs)  # renders the 401/403

        fingerprint = request_fingerprint(request.method, request.get_full_path(), request.body)
        try:
            record = claim(owner, key, fingerprint)
        except KeyConflict as conflict:
            return json_problem_response(conflict.status, conflict.code, conflict.detail)
        if record.completed:
            return replay(record)

        stored = False
        try:
            with transaction.atomic():
                response = super().dispatch(request, *args, **kwargs)
                if hasattr(response, "render"):
                    response.render()
                if response.status_code < 500 and not transaction.get_rollback():
                    complete(record, response)
                    stored = True
        except BaseException:
            release(record)
            raise
        if not stored:
            if response.status_code < 500:
                complete(record, response)  # the work was rolled back: remember the refusal
            else:
                release(record)
        return response
