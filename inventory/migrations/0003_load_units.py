"""The common units of measure, so items can be created on a fresh install.

Existing units with the same code are left as they are; units are ordinary
master data afterwards (admin, API `uoms/`).
"""

from django.db import migrations

# (code, English name, decimal places)
COMMON_UNITS = [
    ("EA", "pieces", 0),
    ("PAIR", "pairs", 0),
    ("SET", "sets", 0),
    ("BOX", "boxes", 0),
    ("PACK", "packs", 0),
    ("ROLL", "rolls", 0),
    ("SHEET", "sheets", 0),
    ("KG", "kilograms", 3),
    ("G", "grams", 3),
    ("T", "tonnes", 3),
    ("M", "metres", 3),
    ("CM", "centimetres", 2),
    ("MM", "millimetres", 1),
    ("M2", "square metres", 3),
    ("M3", "cubic metres", 3),
    ("L", "litres", 3),
    ("ML", "millilitres", 1),
    ("H", "hours", 2),
]


def load_units(apps, schema_editor):
    UnitOfMeasure = apps.get_model("inventory", "UnitOfMeasure")
    for code, name, decimals in COMMON_UNITS:
        UnitOfMeasure.objects.get_or_create(code=code, defaults={"name": name, "decimals": decimals})


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0002_boms"),
    ]

    operations = [
        migrations.RunPython(load_units, migrations.RunPython.noop),
    ]
