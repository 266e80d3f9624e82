"""A transaction that changes stock several times (paying releases the holds, then takes the stock)
looks its products up once after the commit, and every changed product's cached version moves."""

import pytest
from django.db import transaction

from shop.services.cache_versions import product_versions
from shop.services.inventory import stock_changed
from tests.shop.helpers import variant_with_stock

pytestmark = pytest.mark.django_db


def test_two_stock_changes_in_one_transaction_cost_one_lookup_after_the_commit(
        django_capture_on_commit_callbacks, django_assert_num_queries):
    first, second = variant_with_stock("BATCH-1"), variant_with_stock("BATCH-2")
    before = product_versions([first.product_id, second.product_id])

    with django_capture_on_commit_callbacks() as callbacks:
        with transaction.atomic():
            stock_changed([first.pk])
            stock_changed([second.pk, first.pk])
    with django_assert_num_queries(1):  # the variants' products, once for both changes
        for callback in callbacks:
            callback()

    after = product_versions([first.product_id, second.product_id])
    assert set(after) == {first.product_id, second.product_id}
    assert all(after[product_id] != before[product_id] for product_id in after)


def test_a_change_in_a_rolled_back_savepoint_is_still_touched_by_the_next_commit(
        django_capture_on_commit_callbacks):
    kept, rolled_back = variant_with_stock("BATCH-3"), variant_with_stock("BATCH-4")
    before = product_versions([kept.product_id, rolled_back.product_id])

    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            try:
                with transaction.atomic():
                    stock_changed([rolled_back.pk])
                    raise RuntimeError("the savepoint rolls back")
            except RuntimeError:
                pass
            stock_changed([kept.pk])

    after = product_versions([kept.product_id, rolled_back.product_id])
    # touching more than needed only costs a cache miss; touching less would serve stale stock
    assert after[kept.product_id] != before[kept.product_id]
    assert after[rolled_back.product_id] != before[rolled_back.product_id]
