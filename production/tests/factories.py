"""Factories for the plant hierarchy and reason codes (items: inventory's ItemFactory)."""

from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from inventory.tests.factories import ItemFactory
from production.models import Area, Machine, ReasonCode, Site, WorkCenter

__all__ = [
    "AreaFactory",
    "ItemFactory",
    "MachineFactory",
    "ReasonCodeFactory",
    "SiteFactory",
    "WorkCenterFactory",
]


class SiteFactory(DjangoModelFactory):
    class Meta:
        model = Site
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"SITE-{n}")
    name = factory.LazyAttribute(lambda o: f"Plant {o.code}")
    time_zone = "Asia/Seoul"


class AreaFactory(DjangoModelFactory):
    class Meta:
        model = Area
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"AREA-{n}")
    name = factory.LazyAttribute(lambda o: f"Area {o.code}")
    site = factory.SubFactory(SiteFactory)


class WorkCenterFactory(DjangoModelFactory):
    class Meta:
        model = WorkCenter
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"WC-{n}")
    name = factory.LazyAttribute(lambda o: f"Work center {o.code}")
    area = factory.SubFactory(AreaFactory)


class MachineFactory(DjangoModelFactory):
    class Meta:
        model = Machine
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"M-{n}")
    name = factory.LazyAttribute(lambda o: f"Machine {o.code}")
    work_center = factory.SubFactory(WorkCenterFactory)
    ideal_cycle_time_s = Decimal("12.5")


class ReasonCodeFactory(DjangoModelFactory):
    class Meta:
        model = ReasonCode
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"R-{n}")
    name = factory.LazyAttribute(lambda o: f"Reason {o.code}")
    kind = ReasonCode.Kind.DOWNTIME
    category = "mechanical"
    affects_availability = factory.LazyAttribute(lambda o: o.kind == ReasonCode.Kind.DOWNTIME)
