"""The tablet's screens. Thin: each action calls the execution services the API calls.

A tablet is bound to a terminal once by a supervisor (a signed cookie); operators then
sign in at it with badge and PIN, several at once, and one of them acts at a time.
Each form carries a one-time token, so a double tap or a resent form records once.
"""

from __future__ import annotations

import json
import uuid
from decimal import Decimal, InvalidOperation
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core import signing
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mes.errors import DomainError, InvalidInput
from production.execution import services as execution
from production.oee.services import classify_downtime
from quality.inspections.selectors import missing_inspections
from quality.inspections.services import record_inspection

from ..models import (
    FloorAction,
    MachineEvent,
    Operation,
    ReasonCode,
    Terminal,
    WorkInstructionVersion,
)
from . import selectors, services
from .instructions import instructions_in_force

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
            return render(
                request, "shopfloor/not_set_up.html", {"floor_texts": floor_texts()}, status=403
            )
        request.sign_ins = services.signed_in(request.terminal)
        acting = request.session.get("floor_operator")
        request.operator = services.operator_of(request.terminal, acting) if acting else None
        if request.operator is None and request.sign_ins:
            request.operator = request.sign_ins[0].operator
            request.session["floor_operator"] = request.operator.pk
        _speak_the_operators_language(request)
        return view(request, *args, **kwargs)

    return wrapped


def _speak_the_operators_language(request) -> None:
    """The acting operator's language, unless someone chose one on this tablet."""
    if request.operator is None or settings.LANGUAGE_COOKIE_NAME in request.COOKIES:
        return
    profile = getattr(request.operator, "profile", None)
    if profile is not None and profile.language:
        translation.activate(profile.language)
        request.LANGUAGE_CODE = profile.language


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
            "floor_texts": floor_texts(),
            "terminal": request.terminal,
            "sign_ins": request.sign_ins,
            "operator": request.operator,
            "machine_state": state,
            **context,
        },
        status=status,
    )


SHELL = ("shopfloor/floor.css", "shopfloor/queue.js", "django_htmx/htmx.min.js")
WORKER_VERSION = "1"


def service_worker(request):
    """The service worker, served under /floor/ so that it may control the tablet's pages."""
    shell = [static(path) for path in SHELL] + [reverse("floor:offline")]
    body = render_to_string(
        "shopfloor/sw.js",
        {
            "version": WORKER_VERSION,
            "shell": json.dumps(shell),
            "offline_url": reverse("floor:offline"),
        },
    )
    return HttpResponse(body, content_type="application/javascript")


def floor_texts() -> dict[str, str]:
    """What the queue script shows, in the page's language."""
    return {
        "queued": _("%(count)s waiting to be sent, oldest %(minutes)s min"),
        "sent": _("All entries sent"),
        "dismiss": _("OK"),
        "worker": reverse("floor:service_worker"),
        "scope": reverse("floor:home"),
    }


def offline(request):
    return render(request, "shopfloor/offline.html", {"floor_texts": floor_texts()})


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
    return render(
        request, "shopfloor/setup.html", {"terminals": terminals, "floor_texts": floor_texts()}
    )


@at_terminal
def home(request):
    if request.operator is None or request.GET.get("add"):
        return _screen(request, "shopfloor/sign_in.html", {})
    rows = selectors.dispatch_rows(request.terminal)
    downtime = selectors.downtime_to_classify(request.terminal, timezone.now())
    return _screen(request, "shopfloor/dispatch.html", {"rows": rows, "downtime": downtime})


@at_terminal
def downtime(request):
    """Two taps: the down period (on the dispatch screen), then its reason (here)."""
    if request.operator is None:
        return HttpResponseRedirect(reverse("floor:home"))
    machines = selectors.terminal_machines(request.terminal)
    machine = get_object_or_404(
        machines, code=request.GET.get("machine") or request.POST.get("machine")
    )
    started_at = parse_datetime(request.GET.get("at") or request.POST.get("at") or "")
    if started_at is None:
        return HttpResponseRedirect(reverse("floor:home"))
    if request.method == "POST":
        reason = get_object_or_404(
            ReasonCode, pk=request.POST.get("reason"), kind=ReasonCode.Kind.DOWNTIME
        )
        try:
            classify_downtime(machine, started_at=started_at, reason=reason, actor=request.operator)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Recorded."))
        return HttpResponseRedirect(reverse("floor:home"))
    reasons = ReasonCode.objects.filter(is_active=True, kind=ReasonCode.Kind.DOWNTIME).order_by(
        "code"
    )
    return _screen(
        request,
        "shopfloor/downtime.html",
        {"machine": machine, "started_at": started_at, "reasons": reasons},
    )


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
        # Components are consumed on the first operation: only there is a lot scanned.
        "is_first": not op.order.operations.filter(seq__lt=op.seq).exists(),
        "plans": selectors.inspection_plans_for(op),
        "instructions": instructions_in_force(op),
        "missing": set(missing_inspections(op)),
    }
    return _screen(request, "shopfloor/operation.html", context)


ACTIONS = ("start", "pause", "resume", "report", "complete")


@require_POST
@at_terminal
def act(request, pk: int, action: str):
    """start, pause, resume, report, complete — as the acting operator, once per
    Idempotency-Key (header, or the form's token). The tablet's offline queue asks for
    JSON: {ok, message}, 409 when refused; a plain form post is redirected back."""
    wants_json = "application/json" in request.headers.get("Accept", "")
    if request.operator is None:
        message = _("Your sign-in has ended: sign in again. Nothing was recorded.")
        if wants_json:
            return JsonResponse({"ok": False, "message": message, "signed_out": True}, status=401)
        messages.error(request, message)
        return HttpResponseRedirect(reverse("floor:home"))
    op = _operation(request, pk)
    if action not in ACTIONS:
        raise Http404
    key = request.headers.get("Idempotency-Key") or request.POST.get("token") or None
    outcome = services.run_once(
        key and f"floor:{key}",
        lambda: _perform(request, op, action),
        terminal=request.terminal,
        operator=request.operator,
        operation=op,
        action=action,
    )
    done = outcome.outcome == FloorAction.Outcome.DONE
    message = _("Recorded.") if done else outcome.message
    if wants_json:
        return JsonResponse({"ok": done, "message": message}, status=200 if done else 409)
    (messages.success if done else messages.error)(request, message)
    return HttpResponseRedirect(reverse("floor:operation", args=[pk]))


def _perform(request, op: Operation, action: str) -> None:
    actor = request.operator
    if action == "start":
        execution.start_operation(op, actor=actor, machine=request.terminal.machine, operator=actor)
    elif action == "pause":
        reason = ReasonCode.objects.filter(pk=request.POST.get("reason")).first()
        if reason is None:
            raise InvalidInput(_("Choose a reason."), field="reason")
        execution.pause_operation(op, actor=actor, reason=reason)
    elif action == "resume":
        execution.resume_operation(op, actor=actor)
    elif action == "complete":
        execution.complete_operation(op, actor=actor)
    else:
        _report(request, op, actor)


@at_terminal
def instruction(request, pk: int):
    """A work instruction's document, for the tablet that shows it."""
    version = get_object_or_404(WorkInstructionVersion.objects.exclude(document=""), pk=pk)
    return FileResponse(version.document.open("rb"), as_attachment=False)


@at_terminal
def inspect(request, pk: int, plan_pk: int):
    """The plan's characteristics to enter (in/out of specification shown as typed);
    saved through the quality service, which computes the verdict."""
    if request.operator is None:
        return HttpResponseRedirect(reverse("floor:home"))
    op = _operation(request, pk)
    plan = get_object_or_404(selectors.inspection_plans_for(op), pk=plan_pk)
    characteristics = selectors.characteristics_of(plan)
    for characteristic in characteristics:
        characteristic.sample_range = range(characteristic.sample_size)
    context = {"op": op, "plan": plan, "characteristics": characteristics}
    if request.method == "POST":
        results = []
        for c in characteristics:
            if c.kind == c.Kind.MEASURE:
                values = [request.POST.get(f"{c.code}.{n}", "") for n in range(c.sample_size)]
                results.append({"characteristic": c.code, "values": values})
            else:
                results.append({"characteristic": c.code, "ok": request.POST.get(c.code) == "ok"})
        try:
            inspection = record_inspection(
                actor=request.operator,
                plan=plan,
                production_order=op.order,
                operation=op,
                results=results,
                client_ref=f"floor:{request.POST.get('token')}"
                if request.POST.get("token")
                else None,
            )
        except DomainError as exc:
            context["error"] = exc.message
        else:
            context["inspection"] = inspection
            context["results"] = list(inspection.results.order_by("characteristic_code"))
    context["token"] = uuid.uuid4().hex
    return _screen(request, "shopfloor/inspect.html", context)


def _report(request, op: Operation, actor) -> None:
    try:
        good = Decimal(request.POST.get("qty_good") or "0")
        scrap = Decimal(request.POST.get("qty_scrap") or "0")
    except InvalidOperation:
        raise InvalidInput(_("Enter quantities as numbers.")) from None
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
    )
