"""Roles and the permission matrix, enforced by both the admin and the API.

Each model says which *area* it belongs to (a ``permission_area`` class
attribute; models without one are ``system``). A role grants, per area,
``r`` (view), ``w`` (add, change) and ``d`` (delete). Roles are Django groups
kept in step with this table after every migrate, so the admin's own model
permissions and the API's permission class read the same grants.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    PLANT_MANAGER = "plant_manager", _("plant manager")
    PLANNER = "planner", _("planner")
    SUPERVISOR = "supervisor", _("supervisor")
    OPERATOR = "operator", _("operator")
    QUALITY_INSPECTOR = "quality_inspector", _("quality inspector")
    ERP = "erp", _("ERP integration")
    GATEWAY = "gateway", _("machine gateway")
    READONLY = "readonly", _("read only")


AREAS = (
    "master_data",
    "orders",
    "execution",
    "inventory",
    "quality",
    "machine_data",
    "integration",
    "system",
)

MATRIX: dict[str, dict[str, str]] = {
    Role.PLANT_MANAGER: {area: "rwd" for area in AREAS},
    Role.PLANNER: {
        "master_data": "rwd",
        "orders": "rwd",
        "execution": "r",
        "inventory": "r",
        "quality": "r",
        "machine_data": "r",
        "integration": "r",
        "system": "r",
    },
    Role.SUPERVISOR: {
        "master_data": "r",
        "orders": "r",
        "execution": "rw",
        "inventory": "rw",
        "quality": "r",
        "machine_data": "rw",
    },
    Role.OPERATOR: {
        "master_data": "r",
        "orders": "r",
        "execution": "rw",
        "inventory": "r",
        "quality": "r",
        "machine_data": "r",
    },
    Role.QUALITY_INSPECTOR: {
        "master_data": "r",
        "orders": "r",
        "execution": "r",
        "inventory": "r",
        "quality": "rw",
        "machine_data": "r",
    },
    Role.ERP: {
        "master_data": "rw",
        "orders": "rw",
        "execution": "rw",
        "inventory": "rw",
        "quality": "rw",
        "machine_data": "r",
        "integration": "rwd",
    },
    Role.GATEWAY: {"master_data": "r", "machine_data": "rw"},
    Role.READONLY: {area: "r" for area in AREAS if area != "system"},
}

# People who work in the office sign in to the admin; operators use the tablet,
# machine clients (erp, gateway, readonly keys) never sign in anywhere.
STAFF_ROLES = {Role.PLANT_MANAGER, Role.PLANNER, Role.SUPERVISOR, Role.QUALITY_INSPECTOR}
MACHINE_ROLES = {Role.ERP, Role.GATEWAY, Role.READONLY}

ACTIONS_BY_LETTER = {"r": ("view",), "w": ("add", "change"), "d": ("delete",)}

# Permissions beyond the matrix: decisions that need a role, not just write access.
SPECIAL_GRANTS: dict[str, list[tuple[str, str]]] = {
    Role.PLANT_MANAGER: [("quality", "release_lothold"), ("production", "bind_terminal")],
    Role.SUPERVISOR: [("production", "bind_terminal")],
    Role.QUALITY_INSPECTOR: [("quality", "release_lothold")],
}


def area_of(model: type[models.Model]) -> str:
    return getattr(model, "permission_area", "system")


def permissions_for(role: str) -> list[tuple[str, str]]:
    """(app_label, codename) pairs the role is granted."""
    grants = MATRIX[role]
    pairs = []
    for model in apps.get_models():
        letters = grants.get(area_of(model), "")
        if model._meta.app_label in {"admin", "sessions", "contenttypes"}:
            continue
        for letter in letters:
            for action in ACTIONS_BY_LETTER[letter]:
                pairs.append((model._meta.app_label, f"{action}_{model._meta.model_name}"))
    return pairs + SPECIAL_GRANTS.get(role, [])


def sync_roles() -> None:
    """Make every role's group hold exactly the permissions of the matrix."""
    for role in Role:
        group, _created = Group.objects.get_or_create(name=role.value)
        wanted = permissions_for(role)
        perms = Permission.objects.filter(
            content_type__app_label__in={app for app, _code in wanted}
        ).select_related("content_type")
        by_key = {(p.content_type.app_label, p.codename): p for p in perms}
        group.permissions.set([by_key[pair] for pair in wanted if pair in by_key])


def roles_of(user) -> set[str]:
    if user is None or not user.is_authenticated:
        return set()
    return set(user.groups.values_list("name", flat=True))
