"""Database triggers that make a table append-only (migrations call these).

PostgreSQL: a trigger function raising restrict_violation (SQLSTATE 23001, an
IntegrityError in Django). SQLite: two triggers with RAISE(ABORT) (also an
IntegrityError). TRUNCATE is left alone on PostgreSQL (test database flushes use
it). On SQLite, a later migration that alters the table makes Django rebuild it,
which drops the triggers: such a migration must create them again.
"""

from __future__ import annotations

# Every table made append-only by a migration (the test flush on SQLite needs them).
APPEND_ONLY_TABLES = ("inventory_stockmove", "production_machineevent")


def append_only_statements(table: str, vendor: str) -> tuple[list[str], list[str]]:
    if vendor == "postgresql":
        create = [
            f"""
            CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '{table} is append-only: % refused', TG_OP
                    USING ERRCODE = 'restrict_violation';
            END;
            $$ LANGUAGE plpgsql
            """,
            f"""
            CREATE TRIGGER {table}_append_only
            BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION {table}_append_only()
            """,
        ]
        drop = [
            f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
            f"DROP FUNCTION IF EXISTS {table}_append_only()",
        ]
        return create, drop
    if vendor == "sqlite":
        create = [
            f"""
            CREATE TRIGGER {table}_no_{operation.lower()}
            BEFORE {operation} ON {table}
            BEGIN
                SELECT RAISE(ABORT, '{table} is append-only: {operation} refused');
            END
            """
            for operation in ("UPDATE", "DELETE")
        ]
        drop = [f"DROP TRIGGER IF EXISTS {table}_no_{op}" for op in ("update", "delete")]
        return create, drop
    return [], []


def create_triggers(schema_editor, table: str) -> None:
    for statement in append_only_statements(table, schema_editor.connection.vendor)[0]:
        schema_editor.execute(statement, params=None)  # no placeholders: keep "%" as is


def drop_triggers(schema_editor, table: str) -> None:
    for statement in append_only_statements(table, schema_editor.connection.vendor)[1]:
        schema_editor.execute(statement, params=None)
