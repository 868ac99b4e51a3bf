import factory

from inventory.models import Item, Location, Lot, UnitOfMeasure


class UnitOfMeasureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UnitOfMeasure
        django_get_or_create = ("code",)

    code = "EA"
    name = factory.LazyAttribute(lambda unit: unit.code.lower())
    decimals = 0


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Item
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"ITEM-{n:04d}")
    name = factory.LazyAttribute(lambda item: f"Item {item.code}")
    kind = Item.Kind.COMPONENT
    uom = factory.SubFactory(UnitOfMeasureFactory)


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"LOC-{n:03d}")
    name = factory.LazyAttribute(lambda location: f"Location {location.code}")
    kind = Location.Kind.STOCK


class LotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lot
        django_get_or_create = ("item", "code")

    item = factory.SubFactory(ItemFactory, tracking=Item.Tracking.LOT)
    code = factory.Sequence(lambda n: f"LOT-{n:04d}")
    is_serial = factory.LazyAttribute(lambda lot: lot.item.tracking == Item.Tracking.SERIAL)
