"""The stock ledger is append-only: the database itself refuses UPDATE and DELETE of a move.

PostgreSQL: one trigger function raising restrict_violation (SQLSTATE 23001, an
IntegrityError in Django). SQLite: two triggers with RAISE(ABORT) (also an
IntegrityError). TRUNCATE is left alone on PostgreSQL (test database flushes use it).

On SQLite, a later migration that alters inventory_stockmove makes Django rebuild
the table, which drops these triggers: such a migration must create them again.
"""

from django.db import migrations

POSTGRESQL_CREATE = [
    """
    CREATE OR REPLACE FUNCTION inventory_stockmove_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'inventory_stockmove is append-only: % refused', TG_OP
            USING ERRCODE = 'restrict_violation';
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER inventory_stockmove_append_only
    BEFORE UPDATE OR DELETE ON inventory_stockmove
    FOR EACH ROW EXECUTE FUNCTION inventory_stockmove_append_only()
    """,
]
POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS inventory_stockmove_append_only ON inventory_stockmove",
    "DROP FUNCTION IF EXISTS inventory_stockmove_append_only()",
]
SQLITE_CREATE = [
    f"""
    CREATE TRIGGER inventory_stockmove_no_{operation.lower()}
    BEFORE {operation} ON inventory_stockmove
    BEGIN
        SELECT RAISE(ABORT, 'inventory_stockmove is append-only: {operation} refused');
    END
    """
    for operation in ("UPDATE", "DELETE")
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS inventory_stockmove_no_update",
    "DROP TRIGGER IF EXISTS inventory_stockmove_no_delete",
]
STATEMENTS = {
    "postgresql": (POSTGRESQL_CREATE, POSTGRESQL_DROP),
    "sqlite": (SQLITE_CREATE, SQLITE_DROP),
}


def _run(schema_editor, forward: bool) -> None:
    create, drop = STATEMENTS.get(schema_editor.connection.vendor, ([], []))
    for statement in create if forward else drop:
        schema_editor.execute(statement, params=None)  # no placeholders: keep "%" as is


def create_triggers(apps, schema_editor):
    _run(schema_editor, forward=True)


def drop_triggers(apps, schema_editor):
    _run(schema_editor, forward=False)


class Migration(migrations.Migration):
    dependencies = [("inventory", "0005_stock_ledger")]

    operations = [migrations.RunPython(create_triggers, drop_triggers, elidable=False)]
