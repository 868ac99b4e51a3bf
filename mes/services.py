"""Cross-cutting services: audited writes of coded records, people and API keys.

App services build on ``create_record``/``upsert_record``/``update_record``/
``delete_record`` so every master-data change is validated, locked and audited
the same way.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import AbstractUser, Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models.deletion import ProtectedError, RestrictedError
from django.utils import timezone
from django.utils.translation import gettext as _

from . import audit
from .errors import AlreadyExists, InvalidInput, NotFound, PinLocked, ReferencedRecord, WrongPin
from .models import ApiKey, UserProfile
from .roles import MACHINE_ROLES, STAFF_ROLES, Role

M = TypeVar("M", bound=models.Model)
User = get_user_model()


def validation_error_to_domain(exc: ValidationError) -> InvalidInput:
    if hasattr(exc, "error_dict"):
        errors = {
            field: [str(message) for error in errs for message in error.messages]
            for field, errs in exc.error_dict.items()
        }
    else:
        errors = {"non_field_errors": [str(m) for m in exc.messages]}
    first = next(iter(errors.values()))[0]
    return InvalidInput(first, errors=errors)


def validate_record(obj: models.Model, *, validate_unique: bool = True) -> None:
    """Model validation as a domain error; NUL characters refused in every text field.

    PostgreSQL cannot store NUL in text, so without this check an import or any
    other service caller would turn one into a database error.
    """
    nul_fields = {
        field.name: [_("Null characters are not allowed.")]
        for field in obj._meta.concrete_fields
        if isinstance(field, models.CharField | models.TextField)
        and "\x00" in (getattr(obj, field.attname) or "")
    }
    if nul_fields:
        raise InvalidInput(next(iter(nul_fields.values()))[0], errors=nul_fields)
    try:
        # The database checks the model's constraints on save; asking it first
        # would cost a round trip per constraint on every write (see save_record).
        obj.full_clean(validate_unique=validate_unique, validate_constraints=False)
    except ValidationError as exc:
        raise validation_error_to_domain(exc) from exc


def save_record(obj: models.Model) -> None:
    """Save a validated row; a database constraint it breaks becomes a field error.

    Only a refused write pays for Django's constraint validation, which then
    names the field and the rule.
    """
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        try:
            obj.validate_constraints()
        except ValidationError as exc:
            raise validation_error_to_domain(exc) from None
        raise


def _save_validated(obj: models.Model, *, validate_unique: bool = True) -> None:
    validate_record(obj, validate_unique=validate_unique)
    save_record(obj)


def get_by_code(
    model: type[M], code: str, *, lock: bool = False, queryset: models.QuerySet | None = None
) -> M:
    """The record with this code (of `queryset`, default all), or NotFound."""
    qs = model.objects.all() if queryset is None else queryset
    if lock:
        qs = qs.select_for_update()
    try:
        return qs.get(code=code)
    except model.DoesNotExist:
        raise NotFound(
            _("%(kind)s '%(code)s' does not exist.")
            % {"kind": model._meta.verbose_name, "code": code}
        ) from None


def create_record(model: type[M], *, actor, values: dict[str, Any]) -> M:
    """Create a coded record; an existing code is AlreadyExists (409)."""
    code = values.get("code")
    with transaction.atomic():
        if code is not None and model.objects.filter(code=code).exists():
            raise AlreadyExists(
                _("%(kind)s '%(code)s' already exists.")
                % {"kind": model._meta.verbose_name, "code": code}
            )
        obj = model(**values)
        try:
            with transaction.atomic():
                _save_validated(obj, validate_unique=False)
        except IntegrityError as exc:  # a concurrent create of the same code won
            raise AlreadyExists(
                _("%(kind)s '%(code)s' already exists.")
                % {"kind": model._meta.verbose_name, "code": code}
            ) from exc
        audit.record_create(actor, obj)
        return obj


def update_record(obj: M, *, actor, values: dict[str, Any]) -> M:
    """Change fields of a locked row and audit what changed.

    Nothing is written when nothing changes, so `updated_at` keeps meaning "changed"
    for clients that sync incrementally with `updated_after`.
    """
    with transaction.atomic():
        obj = type(obj).objects.select_for_update().get(pk=obj.pk)
        before = audit.snapshot(obj)
        for name, value in values.items():
            setattr(obj, name, value)
        validate_record(obj)
        if audit.changes_since(obj, before):
            save_record(obj)
            audit.record_update(actor, obj, before)
        return obj


def upsert_record(model: type[M], *, actor, code: str, values: dict[str, Any]) -> tuple[M, bool]:
    """PUT semantics: create the record or fully replace its fields. Returns (obj, created)."""
    for _attempt in range(2):
        existing = model.objects.filter(code=code).first()
        if existing is not None:
            return update_record(existing, actor=actor, values=values), False
        try:
            return create_record(model, actor=actor, values={**values, "code": code}), True
        except AlreadyExists:
            continue  # created concurrently since we looked: replace it instead
    raise AlreadyExists()


def delete_record(obj: models.Model, *, actor) -> None:
    with transaction.atomic():
        obj = type(obj).objects.select_for_update().get(pk=obj.pk)
        before = audit.snapshot(obj)
        pk = obj.pk
        try:
            with transaction.atomic():
                obj.delete()
        except (ProtectedError, RestrictedError, IntegrityError) as exc:
            raise ReferencedRecord(
                _("%(record)s is still used by other records; it cannot be deleted.")
                % {"record": obj}
            ) from exc
        obj.pk = pk
        audit.record_delete(actor, obj, before)


# --- people and roles -------------------------------------------------------


def create_person(
    *,
    actor,
    username: str,
    role: str,
    password: str | None = None,
    badge_id: str | None = None,
    pin: str | None = None,
    first_name: str = "",
    last_name: str = "",
    language: str = "",
) -> AbstractUser:
    """A person of the plant with one role (admin access follows from the role)."""
    if role not in Role.values or role in MACHINE_ROLES:
        raise InvalidInput(_("Unknown role for a person: %(role)s") % {"role": role}, field="role")
    if username.startswith(API_KEY_USERNAME_PREFIX):
        raise InvalidInput(
            _("Names starting with '%(prefix)s' are kept for API keys.")
            % {"prefix": API_KEY_USERNAME_PREFIX},
            field="username",
        )
    with transaction.atomic():
        if User.objects.filter(username=username).exists():
            raise AlreadyExists(_("User '%(name)s' already exists.") % {"name": username})
        user = User(
            username=username,
            first_name=first_name,
            last_name=last_name,
            is_staff=role in STAFF_ROLES,
        )
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
        user.groups.set([Group.objects.get(name=role)])
        UserProfile.objects.create(user=user, language=language)
        audit.record_create(actor, user, extra={"role": [None, role]})
        if badge_id or pin:
            set_badge_and_pin(user, actor=actor, badge_id=badge_id, pin=pin)
        return user


def set_badge_and_pin(user, *, actor, badge_id: str | None, pin: str | None) -> UserProfile:
    if pin is not None and not (pin.isdigit() and 4 <= len(pin) <= 8):
        raise InvalidInput(_("A PIN is 4 to 8 digits."), field="pin")
    with transaction.atomic():
        profile, _created = UserProfile.objects.select_for_update().get_or_create(user=user)
        before = {"badge_id": profile.badge_id, "pin": "***" if profile.pin_hash else None}
        if badge_id is not None:
            if UserProfile.objects.filter(badge_id=badge_id).exclude(pk=profile.pk).exists():
                raise AlreadyExists(_("Badge '%(badge)s' is in use.") % {"badge": badge_id})
            profile.badge_id = badge_id
        if pin is not None:
            profile.pin_hash = make_password(pin)
            profile.failed_pin_attempts = 0
        profile.save()
        audit.record_update(
            actor,
            user,
            audit.snapshot(user),
            extra={
                "badge_id": [before["badge_id"], profile.badge_id],
                "pin": [before["pin"], "***" if pin is not None else before["pin"]],
            },
        )
        return profile


def authenticate_badge(badge_id: str, pin: str) -> AbstractUser:
    """Check an operator's badge and PIN; repeated failures lock the badge.

    Wrong PINs are counted in their own committed transaction so that a failed
    attempt is never rolled back by the error it raises. Call it outside any
    transaction of your own: inside one, the count would roll back with it.
    """
    with transaction.atomic():
        profile = (
            UserProfile.objects.select_for_update()
            .select_related("user")
            .filter(badge_id=badge_id, user__is_active=True)
            .first()
        )
        if profile is None or not profile.pin_hash:
            raise WrongPin()
        if profile.failed_pin_attempts >= settings.OPERATOR_PIN_MAX_FAILURES:
            raise PinLocked()
        if check_password(pin, profile.pin_hash):
            if profile.failed_pin_attempts:
                profile.failed_pin_attempts = 0
                profile.save(update_fields=["failed_pin_attempts"])
            return profile.user
        profile.failed_pin_attempts = models.F("failed_pin_attempts") + 1
        profile.save(update_fields=["failed_pin_attempts"])
    raise WrongPin()


def unlock_badge(user, *, actor) -> None:
    with transaction.atomic():
        profile = UserProfile.objects.select_for_update().get(user=user)
        before = profile.failed_pin_attempts
        if before == 0:
            return
        profile.failed_pin_attempts = 0
        profile.save(update_fields=["failed_pin_attempts"])
        audit.record_update(
            actor, user, audit.snapshot(user), extra={"failed_pin_attempts": [before, 0]}
        )


# --- API keys ---------------------------------------------------------------

API_KEY_PREFIX = "mes_"
API_KEY_USERNAME_PREFIX = "api:"


def hash_api_key(raw_key: str) -> str:
    # Keys are 256-bit random secrets, so a fast hash is as safe as a slow one.
    return hashlib.sha256(raw_key.encode()).hexdigest()


def create_api_key(*, actor, name: str, role: str, site=None) -> tuple[ApiKey, str]:
    """Make a machine client with one role; returns the key row and the raw key (shown once).

    `site` (a Site) limits the key to that site's data; None: every site.
    """
    if role not in MACHINE_ROLES:
        choices = ", ".join(sorted(MACHINE_ROLES))
        raise InvalidInput(
            _("Role must be one of: %(choices)s.") % {"choices": choices}, field="role"
        )
    max_length = ApiKey._meta.get_field("name").max_length
    if not name.strip() or len(name) > max_length:
        raise InvalidInput(
            _("A key's name is 1 to %(max)d characters.") % {"max": max_length}, field="name"
        )
    raw_key = API_KEY_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        if ApiKey.objects.filter(name=name).exists():
            raise AlreadyExists(_("An API key named '%(name)s' already exists.") % {"name": name})
        user = User(username=f"{API_KEY_USERNAME_PREFIX}{name}", is_staff=False, is_superuser=False)
        user.set_unusable_password()
        user.save()
        user.groups.set([Group.objects.get(name=role)])
        key = ApiKey.objects.create(
            name=name,
            user=user,
            role=role,
            site=site,
            prefix=raw_key[:12],
            key_hash=hash_api_key(raw_key),
        )
        audit.record_create(actor, key)
    return key, raw_key


def revoke_api_key(key: ApiKey, *, actor) -> ApiKey:
    with transaction.atomic():
        key = ApiKey.objects.select_for_update().get(pk=key.pk)
        if key.revoked_at is None:
            before = audit.snapshot(key)
            key.revoked_at = timezone.now()
            key.save(update_fields=["revoked_at"])
            User.objects.filter(pk=key.user_id).update(is_active=False)
            audit.record_update(actor, key, before)
        return key


def set_user_language(user, *, language: str) -> UserProfile:
    """Remember the language a person chose; empty means: follow the browser."""
    if language and language not in dict(settings.LANGUAGES):
        raise InvalidInput(_("Unknown language: %(code)s") % {"code": language}, field="language")
    with transaction.atomic():
        profile, _created = UserProfile.objects.select_for_update().get_or_create(user=user)
        if profile.language != language:
            before = audit.snapshot(profile)
            profile.language = language
            profile.save(update_fields=["language"])
            audit.record_update(user, profile, before)
        return profile


def next_code(model: type[models.Model], prefix: str, width: int = 6) -> str:
    """The next free ``PREFIX-000001``-style code of ``model`` (callers retry on a clash)."""
    last = (
        model.objects.filter(code__startswith=f"{prefix}-")
        .order_by("-id")
        .values_list("code", flat=True)
        .first()
    )
    tail = last[len(prefix) + 1 :] if last else ""
    number = int(tail) + 1 if tail.isdigit() else 1
    return f"{prefix}-{number:0{width}d}"


def save_with_code(obj: models.Model, prefix: str, *, code: str | None) -> None:
    """Insert ``obj`` with ``code``, or with the next free generated code.

    A given code already taken is AlreadyExists; a generated one that another
    transaction took meanwhile is simply generated again.
    """
    for _attempt in range(5):
        obj.code = code or next_code(type(obj), prefix)
        try:
            with transaction.atomic():
                obj.save()
            return
        except IntegrityError:
            if code:
                raise AlreadyExists() from None
    raise AlreadyExists()
