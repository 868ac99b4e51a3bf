"""The one hierarchy of domain errors.

Services raise these; the API turns them into RFC 9457 problem+json (see
mes/api/exceptions.py) and the UI shows the same translated message. Each error
has a stable ``code`` that clients may branch on.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    code = "domain_error"
    status = 409
    default_message = _("The request conflicts with the current state.")

    def __init__(self, message: str | None = None, *, errors: dict[str, list[str]] | None = None):
        self.message = str(message) if message is not None else str(self.default_message)
        self.errors = errors or {}
        super().__init__(self.message)


class InvalidInput(DomainError):
    """Input that no state of the system would accept (BOM cycles, bad ranges)."""

    code = "invalid"
    status = 400
    default_message = _("The input is not valid.")

    def __init__(self, message: str | None = None, *, field: str | None = None, errors=None):
        if field and not errors:
            errors = {field: [str(message or self.default_message)]}
        super().__init__(message, errors=errors)


class NotFound(DomainError):
    code = "not_found"
    status = 404
    default_message = _("Not found.")


class AlreadyExists(DomainError):
    code = "already_exists"
    status = 409
    default_message = _("A record with this code already exists.")


class InvalidTransition(DomainError):
    code = "invalid_transition"
    status = 409
    default_message = _("This change is not allowed in the current state.")


class ReferencedRecord(DomainError):
    code = "referenced"
    status = 409
    default_message = _("This record is still used by other records and cannot be deleted.")


class BomCycle(InvalidInput):
    code = "bom_cycle"
    default_message = _("The BOM would contain its own item.")


class OverlappingShifts(InvalidInput):
    code = "overlapping_shifts"
    default_message = _("Shifts of a pattern must not overlap.")


class PinLocked(DomainError):
    code = "pin_locked"
    status = 403
    default_message = _("Too many wrong PINs: this badge is locked. Ask a supervisor.")


class WrongPin(DomainError):
    code = "wrong_pin"
    status = 403
    default_message = _("Badge or PIN is wrong.")


class InsufficientStock(DomainError):
    code = "insufficient_stock"
    status = 409
    default_message = _("Not enough stock.")


class QuantityExceeded(DomainError):
    """A report would pass on more than the previous operation passed on."""

    code = "quantity_exceeded"
    status = 409
    default_message = _("More than the previous operation passed on.")


class MachineBusy(DomainError):
    code = "machine_busy"
    status = 409
    default_message = _("Another operation is running on this machine.")


class LotOnHold(DomainError):
    code = "lot_on_hold"
    status = 409
    default_message = _("The lot is on hold.")


class InspectionRequired(DomainError):
    code = "inspection_required"
    status = 409
    default_message = _("A required inspection has not been recorded yet.")


class NotPermitted(DomainError):
    """A decision the actor's role does not allow (e.g. releasing a held lot)."""

    code = "not_permitted"
    status = 403
    default_message = _("Your role does not allow this.")
