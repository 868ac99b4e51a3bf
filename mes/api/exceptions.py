"""Every API error as RFC 9457 problem+json: type, title, status, detail, code, errors."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from mes.errors import DomainError
from mes.services import validation_error_to_domain

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "urn:mes:problem:"

TITLES = {
    400: _("Invalid request"),
    401: _("Authentication required"),
    403: _("Permission denied"),
    404: _("Not found"),
    405: _("Method not allowed"),
    406: _("Not acceptable"),
    409: _("Conflict"),
    413: _("Request too large"),
    415: _("Unsupported media type"),
    422: _("Unprocessable request"),
    429: _("Too many requests"),
    500: _("Server error"),
}


def problem(status_code: int, code: str, detail: str, errors: dict | None = None) -> dict:
    body = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": str(TITLES.get(status_code, _("Error"))),
        "status": status_code,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = errors
    return body


def flatten_errors(data, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error structure as {"field.sub.0.name": [messages]}."""
    out: dict[str, list[str]] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if key == "non_field_errors" and prefix:
                name = prefix
            out.update(flatten_errors(value, name))
    elif isinstance(data, list):
        if all(not isinstance(v, dict | list) for v in data):
            out[prefix or "non_field_errors"] = [str(v) for v in data]
        else:
            for index, value in enumerate(data):
                if value:
                    out.update(flatten_errors(value, f"{prefix}.{index}" if prefix else str(index)))
    else:
        out[prefix or "non_field_errors"] = [str(data)]
    return out


def _drf_code(exc: exceptions.APIException) -> str:
    if isinstance(exc, exceptions.ValidationError):
        return "invalid"
    codes = exc.get_codes()
    return codes if isinstance(codes, str) else exc.default_code


def problem_exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = validation_error_to_domain(exc)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    if isinstance(exc, DomainError):
        set_rollback()
        body = problem(exc.status, exc.code, exc.message, exc.errors or None)
        return Response(body, status=exc.status, content_type=PROBLEM_CONTENT_TYPE)

    if isinstance(exc, exceptions.APIException):
        headers = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
        if isinstance(exc, exceptions.ValidationError):
            errors = flatten_errors(exc.detail)
            detail = _("Some fields are not valid: %(fields)s.") % {"fields": ", ".join(errors)}
        else:
            errors = None
            detail = str(exc.detail)
        if exc.status_code == 401 and not headers:
            headers["WWW-Authenticate"] = "Token"
        set_rollback()
        body = problem(exc.status_code, _drf_code(exc), detail, errors)
        return Response(
            body, status=exc.status_code, headers=headers, content_type=PROBLEM_CONTENT_TYPE
        )
    return None  # an unexpected error: Django's 500 handling (and logging) applies


def json_problem_response(status_code: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse(
        problem(status_code, code, detail),
        status=status_code,
        content_type=PROBLEM_CONTENT_TYPE,
        json_dumps_params={"ensure_ascii": False},
    )


def api_bad_request(request, exception=None):
    """Requests Django itself refuses before any view runs (a body over the size limit)."""
    if isinstance(exception, RequestDataTooBig):
        return json_problem_response(413, "too_large", str(_("The request body is too large.")))
    return json_problem_response(400, "bad_request", str(_("The request is not valid.")))


def api_not_found(request, exception=None):
    return json_problem_response(404, "not_found", str(_("No such API path.")))


def api_server_error(request):
    return json_problem_response(
        status.HTTP_500_INTERNAL_SERVER_ERROR, "server_error", str(_("An unexpected error."))
    )
