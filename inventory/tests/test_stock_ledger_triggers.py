"""The database itself keeps the ledger append-only, whatever code tries (both vendors)."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from inventory import services
from inventory.models import StockMove

from .factories import ItemFactory, LocationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def move():
    item, location = ItemFactory(code="BOLT"), LocationFactory(code="STORE")
    return services.receive_stock(actor=None, item=item, qty=Decimal(5), location=location)[0]


def refused(write) -> str:
    with pytest.raises(IntegrityError) as error, transaction.atomic():
        write()
    return str(error.value)


def raw_sql(statement: str, move: StockMove):
    def run():
        with connection.cursor() as cursor:
            cursor.execute(statement, [move.pk])

    return run


@pytest.mark.parametrize(
    "write",
    [
        lambda move: StockMove.objects.filter(pk=move.pk).update(qty=Decimal(50)),
        lambda move: StockMove.objects.filter(pk=move.pk).update(reference="changed"),
        lambda move: StockMove.objects.filter(pk=move.pk).delete(),
        lambda move: move.delete(),
        lambda move: move.save(),
        lambda move: raw_sql("UPDATE inventory_stockmove SET qty = 50 WHERE id = %s", move)(),
        lambda move: raw_sql("DELETE FROM inventory_stockmove WHERE id = %s", move)(),
    ],
    ids=[
        "update-qty",
        "update-reference",
        "queryset-delete",
        "delete",
        "save",
        "sql-update",
        "sql-delete",
    ],
)
def test_the_database_refuses_to_change_or_delete_a_move(move, write):
    message = refused(lambda: write(move))
    assert "append-only" in message
    stored = StockMove.objects.get(pk=move.pk)
    assert (stored.qty, stored.reference) == (Decimal(5), "")


def test_inserting_moves_still_works(move):
    assert StockMove.objects.count() == 1
    services.reverse_stock_move(move, actor=None)
    assert StockMove.objects.count() == 2
