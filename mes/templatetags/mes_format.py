"""Template filters for figures as people read them."""

from django import template
from django.utils.translation import gettext

register = template.Library()


@register.filter
def percent(ratio: float | None, digits: int = 1) -> str:
    """0.9333 → "93.3%"; None (nothing to divide by) → "—"."""
    if ratio is None or ratio == "":
        return "—"
    return f"{float(ratio) * 100:.{int(digits)}f}%"


@register.filter
def hours(seconds: float | None) -> str:
    """Seconds as hours with one decimal: 27000 → "7.5 h"."""
    if seconds is None:
        return "—"
    return gettext("%(hours).1f h") % {"hours": float(seconds) / 3600}


@register.filter
def minutes(value: float | None) -> str:
    """Minutes as hours with one decimal: 90 → "1.5 h"."""
    return hours(None if value is None else float(value) * 60)
