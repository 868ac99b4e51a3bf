"""Operators with badges and tablets bound to terminals, for the tablet tests."""

from django.test import Client
from django.urls import reverse

from mes.services import create_person
from production.shopfloor.views import TERMINAL_COOKIE


def operator(number: int, *, language: str = ""):
    return create_person(
        actor=None,
        username=f"op{number}",
        role="operator",
        badge_id=f"B-{number}",
        pin=f"{number}",
        language=language,
    )


def bound_tablet(terminal) -> Client:
    """A tablet bound to ``terminal`` by a supervisor, who then leaves it."""
    supervisor = Client()
    supervisor.force_login(
        create_person(actor=None, username=f"sv-{terminal.code}", role="supervisor")
    )
    response = supervisor.post(reverse("floor:setup"), {"terminal": terminal.pk})
    assert response.status_code == 302 and TERMINAL_COOKIE in response.cookies
    tablet = Client()
    tablet.cookies[TERMINAL_COOKIE] = response.cookies[TERMINAL_COOKIE].value
    return tablet
