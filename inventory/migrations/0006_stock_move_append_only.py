"""The stock ledger is append-only: the database itself refuses UPDATE and DELETE of a move.

PostgreSQL: one trigger function raising restrict_violation (SQLSTATE 23001, an
IntegrityError in Django). SQLite: two triggers with RAISE(ABORT) (also an
IntegrityError). TRUNCATE is left alone on PostgreSQL (test database flushes use it).

On SQLite, a later migration that alters inventory_stockmove makes Django rebuild
the table, which drops these triggers: such a migration must create them again.
"""

from django.db import migrations

from mes.append_only import create_triggers as _create
from mes.append_only import drop_triggers as _drop


def create_triggers(apps, schema_editor):
    _create(schema_editor, "inventory_stockmove")


def drop_triggers(apps, schema_editor):
    _drop(schema_editor, "inventory_stockmove")


class Migration(migrations.Migration):
    dependencies = [("inventory", "0005_stock_ledger")]

    operations = [migrations.RunPython(create_triggers, drop_triggers, elidable=False)]
