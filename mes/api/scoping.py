"""Site scope: a client (API key or person) limited to one site sees and changes only it.

`SITE_PATHS` says, for every model the API shows that belongs to a site, the lookup from
its rows to their site; models not named are master data shared by all sites (items,
units, BOMs, routings, customers, sales orders, reason codes, inspection plans, lots).
A row whose path ends in no site (a work center without an area, a location without a
site) is shared too. The permission check (mes.api.permissions) activates the client's
scope for the request; from then on `in_scope` filters a queryset, which the filter
backend, the code references of request bodies and `get_in_scope` (detail paths and
transitions) all use: another site's record is 404 or "does not exist", never 403.
"""

from __future__ import annotations

from contextvars import ContextVar

from django.core.exceptions import ObjectDoesNotExist
from django.core.signals import request_started
from django.db.models import Model, Q, QuerySet
from rest_framework.filters import BaseFilterBackend

from mes.services import get_by_code

SITE_PATHS: dict[str, str] = {
    "production.Site": "pk",
    "production.Area": "site",
    "production.WorkCenter": "area__site",
    "production.Machine": "work_center__area__site",
    "production.ProductionOrder": "site",
    "production.Operation": "order__site",
    "production.OperationEvent": "operation__order__site",
    "production.Schedule": "site",
    "production.MachineEvent": "machine__work_center__area__site",
    "production.DowntimeClassification": "machine__work_center__area__site",
    "inventory.Location": "site",
    "inventory.StockBalance": "location__site",
    "inventory.StockMove": "location__site",
    "orders.Shipment": "dock__site",
    "orders.Allocation": "location__site",
    "orders.CustomerReturn": "location__site",
    "quality.Inspection": "production_order__site",
    "quality.Nonconformance": "production_order__site",
    "mes.WebhookEndpoint": "site",
}

_client_site: ContextVar[int | None] = ContextVar("mes_client_site", default=None)


def site_path(model: type[Model]) -> str | None:
    return SITE_PATHS.get(model._meta.label)


def client_site_id(user) -> int | None:
    """The site a client is limited to (None: every site)."""
    if user is None or not user.is_authenticated:
        return None
    if hasattr(user, "api_key_site_id"):  # set by ApiKeyAuthentication
        return user.api_key_site_id
    try:
        return user.profile.site_id
    except ObjectDoesNotExist:  # a person made without a profile: not limited
        return None


def activate(user) -> None:
    _client_site.set(client_site_id(user))


def current_site_id() -> int | None:
    return _client_site.get()


def in_scope(queryset: QuerySet, site_id: int | None = None) -> QuerySet:
    """The rows of `queryset` the current client may see: its site's and shared ones."""
    site_id = current_site_id() if site_id is None else site_id
    path = site_path(queryset.model)
    if site_id is None or path is None:
        return queryset
    if path == "pk":
        return queryset.filter(pk=site_id)
    return queryset.filter(Q(**{path: site_id}) | Q(**{f"{path}__isnull": True}))


def get_in_scope(model: type[Model], code: str):
    """`get_by_code` within the client's scope: another site's record is NotFound."""
    return get_by_code(model, code, queryset=in_scope(model._default_manager.all()))


class SiteScopeFilterBackend(BaseFilterBackend):
    """Lists and detail paths (get_object filters too) show only the client's site."""

    def filter_queryset(self, request, queryset, view):
        return in_scope(queryset)


def _forget_scope(**kwargs) -> None:
    # A thread serves one request after another: no request starts with the last one's.
    _client_site.set(None)


request_started.connect(_forget_scope, dispatch_uid="mes.api.scoping.forget")
