"""Customers (and, from the execution issue on, sales and production orders)."""

from __future__ import annotations

from mes.services import create_record, update_record, upsert_record

from .models import Customer


def create_customer(*, actor, code: str, name: str) -> Customer:
    return create_record(Customer, actor=actor, values={"code": code, "name": name})


def upsert_customer(*, actor, code: str, name: str) -> tuple[Customer, bool]:
    return upsert_record(Customer, actor=actor, code=code, values={"name": name})


def update_customer(customer: Customer, *, actor, **values) -> Customer:
    return update_record(customer, actor=actor, values=values)
