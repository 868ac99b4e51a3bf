import factory

from inventory.models import Item, UnitOfMeasure


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
