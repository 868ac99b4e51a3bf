"""The tablet's screens. Thin: each action calls the execution services the API calls.

A tablet is bound to a terminal once by a supervisor (a signed cookie); operators then
sign in at it with badge and PIN, several at once, and one of them acts at a time.
Each form carries a one-time token, so a double tap or a resent form records once.
"""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core import signing
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mes.errors import DomainError
from production.execution import services as execution

from ..models import MachineEvent, Operation, ReasonCode, Terminal
from . import selectors, services

TERMINAL_COOKIE = "mes_terminal"
TERMINAL_SALT = "production.shopfloor.terminal"
TEN_YEARS_S = 10 * 365 * 24 * 3600


def _terminal(request) -> Terminal | None:
    try:
        terminal_id = request.get_signed_cookie(TERMINAL_COOKIE, salt=TERMINAL_SALT)
    except (KeyError, signing.BadSignature):
        return None
    return (
        Terminal.objects.filter(pk=terminal_id, is_active=True)
        .select_related("work_center", "machine")
        .first()
    )


def at_terminal(view):
    """The view runs with ``request.terminal``, its signed-in operators and the one acting
    (``request.operator``, None when nobody is signed in)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        request.terminal = _terminal(request)
        if request.terminal is None:
            return render(request, "shopfloor/not_set_up.html", status=403)
        request.sign_ins = services.signed_in(request.terminal)
        acting = request.session.get("floor_operator")
        request.operator = services.operator_of(request.terminal, acting) if acting else None
        if request.operator is None and request.sign_ins:
            request.operator = request.sign_ins[0].operator
            request.session["floor_operator"] = request.operator.pk
        return view(request, *args, **kwargs)

    return wrapped


def _screen(request, template: str, context: dict, status: int = 200):
    machine = request.terminal.machine
    state = (
        MachineEvent.objects.filter(machine=machine, kind=MachineEvent.Kind.STATE)
        .order_by("-ts")
        .values_list("state", flat=True)
        .first()
        if machine
        else None
    )
    return render(
        request,
        template,
        {
            "terminal": request.terminal,
            "sign_ins": request.sign_ins,
            "operator": request.operator,
            "machine_state": state,
            **context,
        },
        status=status,
    )


@login_required(login_url="admin:login")
@permission_required("production.bind_terminal", raise_exception=True)
def setup(request):
    """A supervisor binds this tablet to a terminal (once; the cookie lasts)."""
    terminals = Terminal.objects.filter(is_active=True).select_related("work_center", "machine")
    if request.method == "POST":
        terminal = get_object_or_404(terminals, pk=request.POST.get("terminal"))
        response = HttpResponseRedirect(reverse("floor:home"))
        response.set_signed_cookie(
            TERMINAL_COOKIE,
            terminal.pk,
            salt=TERMINAL_SALT,
            max_age=TEN_YEARS_S,
            httponly=True,
            samesite="Lax",
        )
        return response
    return render(request, "shopfloor/setup.html", {"terminals": terminals})


@at_terminal
def home(request):
    if request.operator is None or request.GET.get("add"):
        return _screen(request, "shopfloor/sign_in.html", {})
    operations = selectors.dispatch_for(request.terminal)
    return _screen(request, "shopfloor/dispatch.html", {"operations": operations})


@require_POST
@at_terminal
def sign_in(request):
    try:
        signed = services.sign_in_operator(
            request.terminal,
            badge_id=request.POST.get("badge", ""),
            pin=request.POST.get("pin", ""),
        )
    except DomainError as exc:
        return _screen(request, "shopfloor/sign_in.html", {"error": exc.message}, status=403)
    request.session["floor_operator"] = signed.operator_id
    return HttpResponseRedirect(reverse("floor:home"))


@require_POST
@at_terminal
def act_as(request):
    chosen = next(
        (s for s in request.sign_ins if str(s.operator_id) == request.POST.get("operator")), None
    )
    if chosen is not None:
        request.session["floor_operator"] = chosen.operator_id
    return HttpResponseRedirect(request.POST.get("next") or reverse("floor:home"))


@require_POST
@at_terminal
def sign_out(request):
    for sign_in in request.sign_ins:
        if str(sign_in.operator_id) == request.POST.get("operator"):
            services.sign_out_operator(sign_in)
    request.session.pop("floor_operator", None)
    return HttpResponseRedirect(reverse("floor:home"))


def _operation(request, pk: int) -> Operation:
    return get_object_or_404(
        Operation.objects.select_related("order__item", "work_center", "machine"),
        pk=pk,
        work_center=request.terminal.work_center,
    )


@at_terminal
def operation(request, pk: int):
    if request.operator is None:
        return HttpResponseRedirect(reverse("floor:home"))
    op = _operation(request, pk)
    done = op.qty_good + op.qty_scrap
    context = {
        "op": op,
        "to_go": max(op.order.qty - done, Decimal(0)),
        "progress_pct": min(100, int(100 * op.qty_good / op.order.qty)) if op.order.qty else 0,
        "token": uuid.uuid4().hex,
        "pause_reasons": ReasonCode.objects.filter(
            is_active=True, kind__in=[ReasonCode.Kind.PAUSE, ReasonCode.Kind.DOWNTIME]
        ).order_by("code"),
        "scrap_reasons": ReasonCode.objects.filter(
            is_active=True, kind=ReasonCode.Kind.SCRAP
        ).order_by("code"),
    }
    return _screen(request, "shopfloor/operation.html", context)


@require_POST
@at_terminal
def act(request, pk: int, action: str):
    """start, pause, resume, report, complete — as the acting operator."""
    back = reverse("floor:operation", args=[pk])
    if request.operator is None:
        messages.error(request, _("Your sign-in has ended: sign in again. Nothing was recorded."))
        return HttpResponseRedirect(reverse("floor:home"))
    op = _operation(request, pk)
    actor = request.operator
    try:
        if action == "start":
            execution.start_operation(
                op, actor=actor, machine=request.terminal.machine, operator=actor
            )
        elif action == "pause":
            reason = get_object_or_404(ReasonCode, pk=request.POST.get("reason"))
            execution.pause_operation(op, actor=actor, reason=reason)
        elif action == "resume":
            execution.resume_operation(op, actor=actor)
        elif action == "complete":
            execution.complete_operation(op, actor=actor)
        elif action == "report":
            _report(request, op, actor)
        else:
            raise DomainError(_("Unknown action."))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Recorded."))
    return HttpResponseRedirect(back)


def _report(request, op: Operation, actor) -> None:
    try:
        good = Decimal(request.POST.get("qty_good") or "0")
        scrap = Decimal(request.POST.get("qty_scrap") or "0")
    except InvalidOperation:
        raise DomainError(_("Enter quantities as numbers.")) from None
    reason_id = request.POST.get("scrap_reason")
    reason = ReasonCode.objects.filter(pk=reason_id).first() if reason_id else None
    scanned = request.POST.get("lot", "").strip()
    lots = [selectors.scanned_lot(op.order, scanned, good + scrap)] if scanned else None
    execution.report_operation(
        op,
        actor=actor,
        qty_good=good,
        qty_scrap=scrap,
        scrap_reason=reason,
        consumed_lots=lots,
        client_ref=f"floor:{request.POST.get('token', '')}" if request.POST.get("token") else None,
    )
