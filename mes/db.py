"""Reading many rows fast."""

from __future__ import annotations

from typing import Any

import psycopg
from django.db import connections
from django.db.models import QuerySet


def fetch_rows(queryset: QuerySet) -> list[tuple[Any, ...]]:
    """The rows of a ``values_list()`` queryset of plain columns (no converters needed).

    On PostgreSQL they are fetched in binary format, which psycopg decodes in C: Django's
    text-format time loader is pure Python (~10 µs a timestamp), which would dominate
    reading a month of machine events. Same connection, same transaction.
    """
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return list(queryset)
    sql, params = queryset.query.sql_with_params()
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params, binary=True)
        return cursor.fetchall()
