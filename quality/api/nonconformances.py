"""Nonconformance reports and lot holds over the API."""

urlpatterns: list = []
