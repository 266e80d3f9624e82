"""``shop 0027_migsafety`` counts the checkouts of carts made before ``Cart.checkouts_started`` in batches, each
committed on its own; a run interrupted after some batches and run again ends as one run does. Carts the
previous release creates while it runs get the column's database default. Real commits: PostgreSQL only."""

import importlib

import pytest
from django.db import connection

from shop.models import Cart, Order
from tests.creators.helpers import make_order
from tests.migration_runs import Interrupted, batches_then_interrupted, is_applied, migrate

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

MIGRATION = importlib.import_module("shop.migrations.0027_migsafety")
BEFORE = [("shop", "0026_voucher_lapsed")]
ORDERS_PER_CART = [3, 0, 1, 2, 1, 0, 4]  # five carts with orders: three batches of two


def _carts() -> list[int]:
    carts = []
    for orders in ORDERS_PER_CART:
        cart = Cart.objects.create()
        for _ in range(orders):
            Order.objects.filter(pk=make_order().pk).update(cart=cart)
        carts.append(cart.pk)
    return carts


def _counts(carts: list[int]) -> list[int]:
    counts = dict(Cart.objects.values_list("pk", "checkouts_started"))
    return [counts[pk] for pk in carts]


def test_the_count_runs_in_committed_batches_and_a_rerun_after_an_interruption_finishes_it(monkeypatch):
    carts = _carts()
    try:
        migrate(BEFORE)
        Cart.objects.update(checkouts_started=0)  # as a database upgraded from the release before the count
        with connection.cursor() as cursor:  # a cart made by the previous release, which doesn't name the column
            cursor.execute("INSERT INTO shop_cart (token, created_at, updated_at) VALUES ('old-release', now(), now())")
        monkeypatch.setattr(MIGRATION, "CARTS_PER_BATCH", 2)
        monkeypatch.setattr(MIGRATION, "transaction", batches_then_interrupted(2))

        with pytest.raises(Interrupted):
            migrate()

        # Two batches (the first four carts with orders) committed; the migration is not recorded.
        assert connection.get_autocommit() and not connection.in_atomic_block
        assert _counts(carts) == [3, 0, 1, 2, 1, 0, 0]
        assert not is_applied("shop", "0027_migsafety")
        assert Cart.objects.get(token="old-release").checkouts_started == 0

        monkeypatch.undo()
        monkeypatch.setattr(MIGRATION, "CARTS_PER_BATCH", 2)
        migrate()

        assert is_applied("shop", "0027_migsafety")
        assert _counts(carts) == ORDERS_PER_CART
        migrate()  # once more from the top: nothing changes
        migrate(BEFORE)
        migrate()
        assert _counts(carts) == ORDERS_PER_CART
    finally:
        monkeypatch.undo()
        migrate()
