from production.calendars import admin as calendar_admin  # noqa: F401  (registers calendar models)
