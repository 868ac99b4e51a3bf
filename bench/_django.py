"""Start Django for a benchmark on a throw-away test database."""

import os
import sys
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mes.settings")
# A benchmark is one client sending as fast as it can: the per-client rates would cap it.
os.environ.setdefault("MES_API_RATE", "off")
os.environ.setdefault("MES_API_GATEWAY_RATE", "off")


@contextmanager
def bench_database():
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        yield name
    finally:
        connection.creation.destroy_test_db(name, verbosity=0)
