import pytest
from rest_framework.test import APIClient

from mes.errors import InvalidInput
from mes.models import AuditEntry
from mes.services import create_person, unlock_badge

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/api/v1/schema/", "/api/v1/docs/"])
def test_schema_and_swagger_ui_are_not_for_anonymous_clients(path):
    response = APIClient().get(path)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_a_person_cannot_take_a_name_kept_for_api_keys():
    with pytest.raises(InvalidInput) as refused:
        create_person(actor=None, username="api:erp", role="planner")
    assert set(refused.value.errors) == {"username"}


def test_unlocking_a_badge_that_is_not_locked_writes_nothing(make_person):
    operator = make_person("operator", badge_id="B-1", pin="1234")
    before = AuditEntry.objects.count()
    unlock_badge(operator, actor=None)
    assert AuditEntry.objects.count() == before


def test_schema_says_a_put_upsert_answers_201_or_200(erp):
    schema = erp.get("/api/v1/schema/", {"format": "json"}).json()
    for path in ("/api/v1/customers/{code}/", "/api/v1/items/{code}/", "/api/v1/machines/{code}/"):
        assert set(schema["paths"][path]["put"]["responses"]) >= {"200", "201"}, path
    assert set(schema["paths"]["/api/v1/customers/"]["post"]["responses"]) >= {"201"}
