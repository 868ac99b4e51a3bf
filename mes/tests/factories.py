"""Factories for the cross-cutting tests: the reference resource (customers) and idempotency."""

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from mes.models import IdempotencyRecord
from orders.models import Customer


class CustomerFactory(DjangoModelFactory):
    # A row written directly, with no audit entry of its own: the audit tests count
    # only what they do. (orders.tests.factories.CustomerFactory goes through the service.)

    class Meta:
        model = Customer

    code = factory.Sequence(lambda n: f"CUST-{n}")
    name = factory.LazyAttribute(lambda o: f"Customer {o.code}")


class IdempotencyRecordFactory(DjangoModelFactory):
    """A claimed key; `completed=False` is a request still in flight."""

    class Meta:
        model = IdempotencyRecord

    key = factory.Sequence(lambda n: f"key-{n}")
    request_hash = "0" * 64
    created_at = factory.LazyFunction(timezone.now)
    completed = False
