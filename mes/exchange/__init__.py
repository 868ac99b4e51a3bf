"""Spreadsheet (CSV / XLSX) import and export of master data, from the admin.

Built on django-import-export: its resources parse and validate each row, its
results carry row errors and diffs. Every write goes through the apps' services.
"""
