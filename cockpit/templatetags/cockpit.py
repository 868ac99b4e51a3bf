"""The live plant overview on the admin home: ``{% plant_overview %}``."""

from __future__ import annotations

from datetime import timedelta

from django import template
from django.utils import timezone
from django.utils.translation import gettext

from production.models import MachineEvent

from ..admin import READ_PERMISSION, chosen_site
from ..selectors import get_plant_overview, list_sites

register = template.Library()

# The admin home reloads itself this often (seconds).
REFRESH_S = 60


@register.simple_tag
def overview_refresh_s() -> int:
    return REFRESH_S


@register.inclusion_tag("cockpit/overview.html", takes_context=True)
def plant_overview(context) -> dict:
    """The overview of the site asked for (``?site=``), else the one last chosen, else the
    first."""
    request = context["request"]
    if not request.user.has_perm(READ_PERMISSION):
        return {"hidden": True}
    site = chosen_site(request, request.GET.get("site"))
    if site is None:
        return {"no_site": True}
    return {
        **get_plant_overview(site, now=timezone.now()),
        "sites": list_sites(),
        "refresh_s": REFRESH_S,
        "user": request.user,
    }


@register.filter
def duration(value: timedelta | None) -> str:
    """How long, as people say it: "3 d 4 h", "2 h 05 min", "12 min"."""
    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return gettext("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours:
        return gettext("%(hours)d h %(minutes)02d min") % {"hours": hours, "minutes": minutes}
    return gettext("%(minutes)d min") % {"minutes": minutes}


STATE_ICONS = {
    "running": "▶",
    "idle": "Ⅱ",
    "down": "▼",
    "setup": "⚙",
    "planned_stop": "■",
}


@register.filter
def state_label(state: str | None) -> str:
    """A machine state in words (no state: "no signal")."""
    return dict(MachineEvent.State.choices).get(state or "", gettext("no signal"))


@register.filter
def state_icon(state: str | None) -> str:
    """The state's shape, so that it never rests on colour alone."""
    return STATE_ICONS.get(state or "", "?")
