"""Reads of plant data and routings, with the joins their callers need."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from inventory.models import Item

from .models import Machine, Routing, RoutingOperation, Site, WorkCenter


def only_site() -> Site | None:
    """The plant's site where it has exactly one (the default of site-less requests)."""
    sites = list(Site.objects.all()[:2])
    return sites[0] if len(sites) == 1 else None


def list_work_centers() -> QuerySet[WorkCenter]:
    return WorkCenter.objects.select_related("area")


def list_machines() -> QuerySet[Machine]:
    return Machine.objects.select_related("work_center")


def _routings_with_operations() -> QuerySet[Routing]:
    operations = RoutingOperation.objects.select_related("work_center").order_by("seq")
    return Routing.objects.select_related("item", "created_by").prefetch_related(
        Prefetch("operations", queryset=operations)
    )


def get_active_routing(item: Item) -> Routing | None:
    """The item's active routing with its operations in seq order, or None."""
    return _routings_with_operations().filter(item=item, is_active=True).first()


def list_routing_versions(item: Item) -> QuerySet[Routing]:
    """Every routing version of the item, newest first."""
    return _routings_with_operations().filter(item=item).order_by("-version")
