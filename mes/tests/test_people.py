"""People: roles and admin access, badge + PIN sign-in with lock-out, and what the trail keeps."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, identify_hasher
from django.db import connection

from mes.errors import AlreadyExists, InvalidInput, PinLocked, WrongPin
from mes.models import AuditEntry, UserProfile
from mes.roles import MACHINE_ROLES, STAFF_ROLES, Role
from mes.services import (
    authenticate_badge,
    create_api_key,
    create_person,
    set_badge_and_pin,
    unlock_badge,
)

User = get_user_model()
HUMAN_ROLES = [role for role in Role if role not in MACHINE_ROLES]
MAX_FAILURES = 5  # settings.OPERATOR_PIN_MAX_FAILURES


@pytest.mark.django_db
@pytest.mark.parametrize("role", HUMAN_ROLES)
def test_create_person_gives_one_role_and_admin_access_by_staff_roles(role):
    user = create_person(actor=None, username=f"u-{role}", role=role, password="Pass-word-2026!")
    assert user.is_staff == (role in STAFF_ROLES)
    assert not user.is_superuser
    assert list(user.groups.values_list("name", flat=True)) == [role]
    assert user.check_password("Pass-word-2026!")
    assert UserProfile.objects.filter(user=user).exists()
    entry = AuditEntry.objects.get(model=User._meta.label_lower, object_id=str(user.pk))
    assert entry.action == "create" and entry.changes["role"] == [None, role]


@pytest.mark.django_db
def test_staff_roles_are_exactly_the_office_roles():
    assert set(HUMAN_ROLES) - STAFF_ROLES == {Role.OPERATOR}


@pytest.mark.django_db
@pytest.mark.parametrize("role", [*sorted(MACHINE_ROLES), "admin", ""])
def test_create_person_refuses_machine_or_unknown_roles(role):
    with pytest.raises(InvalidInput) as refused:
        create_person(actor=None, username="x", role=role)
    assert "role" in refused.value.errors
    assert not User.objects.filter(username="x").exists()


@pytest.mark.django_db
def test_create_person_twice_is_already_exists():
    create_person(actor=None, username="kim", role=Role.OPERATOR)
    with pytest.raises(AlreadyExists):
        create_person(actor=None, username="kim", role=Role.PLANNER)
    assert User.objects.get(username="kim").groups.get().name == Role.OPERATOR


@pytest.mark.django_db
def test_a_person_without_password_cannot_sign_in_with_one():
    user = create_person(actor=None, username="op", role=Role.OPERATOR)
    assert not user.has_usable_password()


@pytest.fixture
def operator(db):
    return create_person(actor=None, username="op", role=Role.OPERATOR, badge_id="B-17", pin="4821")


def test_authenticate_badge_with_the_right_pin_returns_the_person(operator):
    assert authenticate_badge("B-17", "4821") == operator


@pytest.mark.parametrize("badge, pin", [("B-17", "0000"), ("B-99", "4821"), ("", ""), ("B-17", "")])
def test_a_wrong_badge_or_pin_is_wrong_pin(operator, badge, pin):
    with pytest.raises(WrongPin) as refused:
        authenticate_badge(badge, pin)
    assert refused.value.status == 403


def test_an_inactive_person_cannot_sign_in_with_the_badge(operator):
    User.objects.filter(pk=operator.pk).update(is_active=False)
    with pytest.raises(WrongPin):
        authenticate_badge("B-17", "4821")


def test_a_right_pin_resets_the_failure_count(operator):
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(WrongPin):
            authenticate_badge("B-17", "0000")
    assert authenticate_badge("B-17", "4821") == operator
    assert UserProfile.objects.get(user=operator).failed_pin_attempts == 0
    with pytest.raises(WrongPin):
        authenticate_badge("B-17", "0000")  # counting starts again: not locked


@pytest.mark.django_db(transaction=True)
def test_five_wrong_pins_lock_the_badge_and_each_failure_is_committed():
    operator = create_person(
        actor=None, username="op", role=Role.OPERATOR, badge_id="B-17", pin="4821"
    )
    for attempt in range(1, MAX_FAILURES + 1):
        with pytest.raises(WrongPin):
            authenticate_badge("B-17", "0000")
        # No test transaction wraps this one: what we read is what was committed.
        assert not connection.in_atomic_block
        assert UserProfile.objects.get(user=operator).failed_pin_attempts == attempt

    for pin in ("4821", "0000"):
        with pytest.raises(PinLocked) as locked:
            authenticate_badge("B-17", pin)
        assert locked.value.status == 403
    assert UserProfile.objects.get(user=operator).failed_pin_attempts == MAX_FAILURES

    unlock_badge(operator, actor=None)

    assert UserProfile.objects.get(user=operator).failed_pin_attempts == 0
    assert authenticate_badge("B-17", "4821") == operator


def test_unlock_is_audited_with_only_the_counter(operator):
    for _ in range(MAX_FAILURES):
        with pytest.raises(WrongPin):
            authenticate_badge("B-17", "0000")
    unlock_badge(operator, actor=None)
    entry = AuditEntry.objects.filter(object_id=str(operator.pk)).latest("id")
    assert entry.changes == {"failed_pin_attempts": [MAX_FAILURES, 0]}


def test_pins_are_stored_hashed(operator):
    profile = UserProfile.objects.get(user=operator)
    assert profile.pin_hash != "4821" and "4821" not in profile.pin_hash
    assert identify_hasher(profile.pin_hash)
    assert check_password("4821", profile.pin_hash)


@pytest.mark.parametrize("pin", ["123", "123456789", "12a4", "", " 1234"])
def test_a_pin_is_4_to_8_digits(operator, pin):
    before = UserProfile.objects.get(user=operator).pin_hash
    with pytest.raises(InvalidInput) as refused:
        set_badge_and_pin(operator, actor=None, badge_id=None, pin=pin)
    assert "pin" in refused.value.errors
    assert UserProfile.objects.get(user=operator).pin_hash == before


def test_a_badge_in_use_by_another_person_is_refused(operator):
    other = create_person(actor=None, username="op2", role=Role.OPERATOR)
    with pytest.raises(AlreadyExists):
        set_badge_and_pin(other, actor=None, badge_id="B-17", pin=None)
    assert UserProfile.objects.get(user=other).badge_id is None


def test_a_new_pin_replaces_the_old_one_and_clears_failures(operator):
    with pytest.raises(WrongPin):
        authenticate_badge("B-17", "0000")
    set_badge_and_pin(operator, actor=None, badge_id=None, pin="90210")
    assert UserProfile.objects.get(user=operator).failed_pin_attempts == 0
    with pytest.raises(WrongPin):
        authenticate_badge("B-17", "4821")
    assert authenticate_badge("B-17", "90210") == operator


def test_badge_and_pin_changes_are_audited_without_the_rest_of_the_user(operator):
    set_badge_and_pin(operator, actor=None, badge_id="B-18", pin="1111")
    entry = AuditEntry.objects.filter(object_id=str(operator.pk), action="update").latest("id")
    assert entry.changes == {"badge_id": ["B-17", "B-18"], "pin": ["***", "***"]}


@pytest.mark.django_db
def test_the_audit_trail_never_holds_password_pin_or_key_hashes():
    person = create_person(
        actor=None,
        username="sup",
        role=Role.SUPERVISOR,
        password="Pass-word-2026!",
        badge_id="B-1",
        pin="2468",
    )
    set_badge_and_pin(person, actor=person, badge_id=None, pin="13579")
    key, raw_key = create_api_key(actor=person, name="erp", role=Role.ERP)
    secrets = {
        User.objects.get(pk=person.pk).password,
        UserProfile.objects.get(user=person).pin_hash,
        key.key_hash,
        raw_key,
        "Pass-word-2026!",
    }

    trail = [json.dumps(entry.changes) for entry in AuditEntry.objects.all()]

    assert len(trail) >= 4
    for changes in trail:
        assert not any(secret in changes for secret in secrets)
        assert not {"password", "pin_hash", "key_hash"} & set(json.loads(changes))
