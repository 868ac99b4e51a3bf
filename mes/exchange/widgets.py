"""Cell parsing with readable errors: a ValueError becomes that row's field error."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import models
from django.utils.translation import gettext as _
from import_export import widgets


def cell_text(value) -> str:
    """A cell as stripped text; spreadsheets give whole numbers as int, blanks as None."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


class TextWidget(widgets.CharWidget):
    def clean(self, value, row=None, **kwargs) -> str:
        return cell_text(value)


class LowercaseTextWidget(TextWidget):
    """Choice values such as ``raw`` or ``lot``, whatever case the sheet uses."""

    def clean(self, value, row=None, **kwargs) -> str:
        return cell_text(value).lower()


class PlainDecimalWidget(widgets.DecimalWidget):
    """Decimals with '.' only (never locale separators), so files mean the same everywhere."""

    def clean(self, value, row=None, **kwargs) -> Decimal | None:
        text = cell_text(value)
        if not text:
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValueError(
                _("'%(value)s' is not a number (use '.' for decimals, no thousands separator).")
                % {"value": text}
            ) from None
        if not number.is_finite():
            raise ValueError(_("'%(value)s' is not a number.") % {"value": text})
        return number

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        if kwargs.get("force_native_type"):
            return value
        return format(value.normalize(), "f") if isinstance(value, Decimal) else str(value)


class PositiveIntegerWidget(widgets.IntegerWidget):
    def clean(self, value, row=None, **kwargs) -> int | None:
        text = cell_text(value)
        if not text:
            return None
        if not text.isdigit():
            raise ValueError(_("'%(value)s' is not a whole number.") % {"value": text})
        return int(text)

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return value if kwargs.get("force_native_type") else str(value)


class CodeReferenceWidget(widgets.ForeignKeyWidget):
    """A reference to another record by its code; an unknown code is a field error."""

    def __init__(self, model: type[models.Model], **kwargs):
        super().__init__(model, field="code", **kwargs)

    def clean(self, value, row=None, **kwargs):
        code = cell_text(value)
        if not code:
            return None
        try:
            return self.get_queryset(code, row, **kwargs).get(code=code)
        except self.model.DoesNotExist:
            raise ValueError(
                _("%(kind)s '%(code)s' does not exist.")
                % {"kind": self.model._meta.verbose_name, "code": code}
            ) from None
