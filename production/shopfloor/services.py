"""Terminals and the operators at them: sign in with badge and PIN, sign out by hand, at
the end of their shift or after MES_FLOOR_IDLE_MIN minutes without an action; actions
run once per Idempotency-Key."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mes.errors import DomainError, InvalidInput
from mes.services import authenticate_badge, create_record, update_record
from production.calendars.selectors import get_shift_at

from ..models import FloorAction, Operation, Terminal, TerminalSignIn


def sign_in_operator(
    terminal: Terminal, *, badge_id: str, pin: str, now: datetime | None = None
) -> TerminalSignIn:
    """Check badge and PIN (WrongPin, PinLocked) and sign the operator in at the
    terminal; signing in again keeps the one sign-in and counts as being seen."""
    now = now or timezone.now()
    operator = authenticate_badge(badge_id.strip(), pin.strip())
    shift = get_shift_at(terminal.work_center, now)
    try:
        with transaction.atomic():
            sign_in, created = TerminalSignIn.objects.get_or_create(
                terminal=terminal,
                operator=operator,
                signed_out_at__isnull=True,
                defaults={
                    "signed_in_at": now,
                    "last_seen_at": now,
                    "shift_end": shift.end if shift else None,
                },
            )
    except IntegrityError:  # a double tap raced itself: the other request signed in
        sign_in, created = (
            TerminalSignIn.objects.get(
                terminal=terminal, operator=operator, signed_out_at__isnull=True
            ),
            False,
        )
    if not created:
        seen(sign_in, now=now)
    return sign_in


def seen(sign_in: TerminalSignIn, *, now: datetime | None = None) -> None:
    TerminalSignIn.objects.filter(pk=sign_in.pk).update(last_seen_at=now or timezone.now())


def sign_out_operator(
    sign_in: TerminalSignIn,
    *,
    ended: str = TerminalSignIn.Ended.SIGNED_OUT,
    now: datetime | None = None,
) -> None:
    TerminalSignIn.objects.filter(pk=sign_in.pk, signed_out_at__isnull=True).update(
        signed_out_at=now or timezone.now(), ended=ended
    )


def signed_in(terminal: Terminal, *, now: datetime | None = None) -> list[TerminalSignIn]:
    """Who is signed in at the terminal now; sign-ins past their shift's end or idle for
    longer than MES_FLOOR_IDLE_MIN are signed out first."""
    now = now or timezone.now()
    idle_since = now - timedelta(minutes=settings.MES_FLOOR_IDLE_MIN)
    active = []
    for sign_in in (
        TerminalSignIn.objects.filter(terminal=terminal, signed_out_at__isnull=True)
        .select_related("operator")
        .order_by("signed_in_at")
    ):
        if sign_in.shift_end is not None and sign_in.shift_end <= now:
            sign_out_operator(sign_in, ended=TerminalSignIn.Ended.SHIFT_END, now=now)
        elif sign_in.last_seen_at < idle_since:
            sign_out_operator(sign_in, ended=TerminalSignIn.Ended.IDLE, now=now)
        else:
            active.append(sign_in)
    return active


def operator_of(
    terminal: Terminal, operator_id: int | None, *, now: datetime | None = None
) -> AbstractBaseUser | None:
    """The operator acting now, if signed in at the terminal (and still within shift and
    idle limits); the action counts as being seen."""
    for sign_in in signed_in(terminal, now=now):
        if sign_in.operator_id == operator_id:
            seen(sign_in, now=now)
            return sign_in.operator
    return None


def _check_machine(values: dict[str, Any]) -> None:
    machine, work_center = values.get("machine"), values.get("work_center")
    if machine is not None and work_center is not None and machine.work_center_id != work_center.pk:
        raise InvalidInput(
            _("Machine %(machine)s is not in work center %(work_center)s.")
            % {"machine": machine.code, "work_center": work_center.code},
            field="machine",
        )


def create_terminal(*, actor, **values: Any) -> Terminal:
    _check_machine(values)
    return create_record(Terminal, actor=actor, values=values)


def update_terminal(terminal: Terminal, *, actor, **values: Any) -> Terminal:
    _check_machine({"work_center": terminal.work_center, "machine": terminal.machine, **values})
    return update_record(terminal, actor=actor, values=values)


def run_once(
    key: str | None,
    perform: Callable[[], object],
    *,
    terminal: Terminal,
    operator: AbstractBaseUser,
    operation: Operation,
    action: str,
) -> FloorAction:
    """Run a tablet's action once per Idempotency-Key and keep its outcome: the same key
    again (a replayed offline queue, a double tap) gets the first outcome, done or
    refused, and changes nothing. The action and the key are stored in one transaction,
    so two requests racing with one key cannot both run it."""
    record = {
        "terminal": terminal,
        "operator": operator,
        "operation": operation,
        "action": action,
    }
    if key and (found := FloorAction.objects.filter(key=key).first()):
        return found
    try:
        with transaction.atomic():
            perform()
            done = FloorAction(key=key or "", outcome=FloorAction.Outcome.DONE, **record)
            if key:
                done.save()
            return done
    except IntegrityError:
        if key and (found := FloorAction.objects.filter(key=key).first()):
            return found  # the same key ran meanwhile: its outcome stands
        raise
    except DomainError as exc:
        refused = FloorAction(
            key=key or "", outcome=FloorAction.Outcome.REFUSED, message=exc.message[:500], **record
        )
        if key:
            try:
                with transaction.atomic():
                    refused.save()
            except IntegrityError:
                return FloorAction.objects.get(key=key)
        return refused
