"""Inspection plans, inspections and SPC over the API."""

urlpatterns: list = []
