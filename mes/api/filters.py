from datetime import UTC, datetime

import django_filters


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 filter whose far-past/far-future values are clamped, not a 500.

    `updated_after=0001-01-01` means "everything", but in a zone east of UTC it is
    before year 1 in UTC, which SQLite's adapter cannot store.
    """

    def filter(self, qs, value):
        if value is not None:
            try:
                value = value.astimezone(UTC)
            except OverflowError:
                value = (datetime.min if value.year == 1 else datetime.max).replace(tzinfo=UTC)
        return super().filter(qs, value)


class UpdatedAfterFilterSet(django_filters.FilterSet):
    """Base of every collection's filters: `updated_after=<ISO 8601>` for incremental sync."""

    updated_after = UtcIsoDateTimeFilter(field_name="updated_at", lookup_expr="gt")
