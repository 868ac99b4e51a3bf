import django_filters


class UpdatedAfterFilterSet(django_filters.FilterSet):
    """Base of every collection's filters: `updated_after=<ISO 8601>` for incremental sync."""

    updated_after = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gt")
