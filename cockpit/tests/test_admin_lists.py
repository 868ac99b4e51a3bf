"""The list pages a manager uses read a fixed number of queries, however many rows."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cockpit import services
from production.execution import services as execution

from .cockpit_factories import DAY, local, order_at, run, two_shift_plant

pytestmark = pytest.mark.django_db

# Most queries any of these pages may read (session, user, permissions, counts, rows, filters).
CEILING = 20


def _lists(site) -> list[tuple[str, dict]]:
    return [
        ("admin:production_productionorder_changelist", {}),
        ("admin:production_productionorder_changelist", {"site": site.pk, "delivery": "at_risk"}),
        ("admin:production_productionorder_changelist", {"q": "ITEM"}),
        (
            "admin:production_operation_changelist",
            {"site": site.pk, "status__in": "running,paused"},
        ),
        ("admin:production_operationevent_changelist", {"site": site.pk}),
        ("admin:production_labourrecord_changelist", {"site": site.pk}),
        ("admin:production_machine_changelist", {"work_center__area__site__id__exact": site.pk}),
        ("admin:cockpit_shifthandover_changelist", {"acknowledged": "no"}),
        ("admin:cockpit_shifthandover_changelist", {}),
    ]


def _add_rows(site, first: int, count: int, make_person) -> None:
    for n in range(first, first + count):
        day = DAY + timedelta(days=n)
        order = order_at(
            "WC-PRESS",
            code=f"PO-{n}",
            due_date=DAY,
            planned=(local("06:00", day), local("20:00", day)),
        )
        run(
            order,
            "PRESS-01",
            start=local("06:00", day),
            reports=[(local("07:00", day), 5, 1)],
            operator=make_person("operator"),
            clock_off=local("08:00", day),
        )
        execution.complete_operation(order.operations.get(), actor=None)
        services.hand_over_shift(
            actor=make_person("supervisor"),
            site=site,
            production_day=day,
            shift_code="DAY",
            notes=f"shift {n}",
            now=local("13:30", day),
        )


def _queries(client, name, query) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse(name), query)
    assert response.status_code == 200, name
    return len(captured)


def test_list_pages_read_as_many_queries_for_one_row_as_for_many(make_person):
    site = two_shift_plant()
    client = Client()
    client.force_login(make_person("plant_manager"))
    _add_rows(site, 0, 1, make_person)
    few = {(name, str(query)): _queries(client, name, query) for name, query in _lists(site)}
    _add_rows(site, 1, 6, make_person)
    many = {(name, str(query)): _queries(client, name, query) for name, query in _lists(site)}
    assert many == few
    assert max(many.values()) <= CEILING, many
