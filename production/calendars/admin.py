"""Django admin for shift calendars (imported by production/admin.py)."""
