"""`manage.py create_api_key NAME --role ROLE`."""

import hashlib
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from mes.models import ApiKey, AuditEntry
from mes.roles import MATRIX, Role

pytestmark = pytest.mark.django_db


def create_key(*args: str) -> str:
    out = StringIO()
    call_command("create_api_key", *args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("role", [Role.ERP, Role.GATEWAY, Role.READONLY])
def test_prints_the_key_alone_on_the_last_line_and_the_key_works(role):
    output = create_key(f"client-{role}", "--role", str(role))

    raw_key = output.splitlines()[-1]
    assert raw_key == raw_key.strip() and " " not in raw_key and len(raw_key) >= 40
    assert output.endswith(raw_key + "\n")
    key = ApiKey.objects.get(name=f"client-{role}")
    assert key.role == role
    assert key.user.groups.get().name == role

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw_key}")
    response = client.get("/api/v1/customers/")
    assert response.status_code == (200 if "r" in MATRIX[role]["master_data"] else 403)
    write = client.post("/api/v1/customers/", {"code": "C", "name": "c"}, format="json")
    assert write.status_code == (201 if "w" in MATRIX[role]["master_data"] else 403)


def test_only_a_sha256_of_the_key_is_stored():
    raw_key = create_key("erp", "--role", "erp").splitlines()[-1]
    key = ApiKey.objects.get(name="erp")

    assert key.key_hash == hashlib.sha256(raw_key.encode()).hexdigest()
    stored = [str(getattr(key, f.attname)) for f in ApiKey._meta.concrete_fields]
    stored += [str(getattr(key.user, f.attname)) for f in key.user._meta.concrete_fields]
    assert not any(raw_key in value for value in stored)
    trail = [str(entry.changes) for entry in AuditEntry.objects.all()]
    assert not any(raw_key in changes or key.key_hash in changes for changes in trail)


@pytest.mark.parametrize("role", ["planner", "plant_manager", "operator", "admin", ""])
def test_a_role_that_is_not_a_machine_role_is_an_error(role):
    with pytest.raises(CommandError, match="role"):
        create_key("erp", "--role", role)
    assert not ApiKey.objects.exists()


def test_the_role_is_required():
    with pytest.raises(CommandError, match="role"):
        create_key("erp")
    assert not ApiKey.objects.exists()


def test_a_duplicate_name_is_a_command_error_and_the_first_key_keeps_working():
    first = create_key("erp", "--role", "erp").splitlines()[-1]
    with pytest.raises(CommandError, match="erp"):
        create_key("erp", "--role", "readonly")
    assert ApiKey.objects.get().role == "erp"
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {first}")
    assert client.get("/api/v1/customers/").status_code == 200


@pytest.mark.parametrize("name", ["", "x" * 101])
def test_an_empty_or_too_long_name_is_a_command_error(name):
    with pytest.raises(CommandError, match="name"):
        create_key(name, "--role", "erp")
    assert not ApiKey.objects.exists()


def test_two_keys_are_different_and_each_authenticates_as_its_own_client():
    first = create_key("erp-a", "--role", "erp").splitlines()[-1]
    second = create_key("erp-b", "--role", "erp").splitlines()[-1]
    assert first != second
    for raw_key, name in ((first, "erp-a"), (second, "erp-b")):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {raw_key}")
        client.put(f"/api/v1/customers/{name}/", {"name": name}, format="json")
    actors = dict(
        AuditEntry.objects.filter(model="orders.customer").values_list("object_repr", "actor_label")
    )
    assert actors == {"erp-a · erp-a": "api:erp-a", "erp-b · erp-b": "api:erp-b"}
