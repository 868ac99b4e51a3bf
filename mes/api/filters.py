from datetime import UTC, datetime

import django_filters
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError


class UtcIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 time, cleaned to UTC; far-past/far-future values are clamped, not a 500.

    `updated_after=0001-01-01` means "everything", but in a zone east of UTC it is
    before year 1 in UTC, which SQLite's adapter cannot store; and PostgreSQL refuses
    offsets beyond ±15:59 that ISO 8601 allows.
    """

    def clean(self, value):
        value = super().clean(value)
        if value is None:
            return None
        try:
            return value.astimezone(UTC)
        except OverflowError:
            return (datetime.min if value.year == 1 else datetime.max).replace(tzinfo=UTC)


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    # Through the field, so that a filter with a `method` gets UTC too.
    field_class = UtcIsoDateTimeField


class UpdatedAfterFilterSet(django_filters.FilterSet):
    """Base of every collection's filters: `updated_after=<ISO 8601>` for incremental sync."""

    updated_after = UtcIsoDateTimeFilter(field_name="updated_at", lookup_expr="gt")


# Filters whose value has a type (a time, a choice, a yes/no, a number, a UUID): given
# empty they would be skipped silently, so an empty value is refused instead.
TYPED_FILTERS = (
    django_filters.IsoDateTimeFilter,
    django_filters.ChoiceFilter,
    django_filters.BooleanFilter,
    django_filters.NumberFilter,
    django_filters.UUIDFilter,
)


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter's backend, refusing (400) a filter given twice or a typed one given empty,
    both of which django-filter would otherwise pass over without a word."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None:
            errors = {}
            for name, declared in filterset_class.base_filters.items():
                values = request.query_params.getlist(name)
                if len(values) > 1:
                    errors[name] = [_("Give this filter once.")]
                elif values == [""] and isinstance(declared, TYPED_FILTERS):
                    errors[name] = [_("This filter needs a value.")]
                elif isinstance(declared, django_filters.BooleanFilter) and values not in (
                    [],
                    ["true"],
                    ["false"],
                ):
                    errors[name] = [_("Either true or false.")]
            if errors:
                raise ValidationError(errors)
        return super().filter_queryset(request, queryset, view)
