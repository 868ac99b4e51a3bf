"""The quality admin lives with each part of the app; importing registers it."""

from .inspections import admin as inspections_admin  # noqa: F401
from .nonconformances import admin as nonconformances_admin  # noqa: F401
