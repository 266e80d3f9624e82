"""``CommitBatch`` (shop/services/commit_batches.py) reads Django's private ``connection.run_on_commit``: a
list of ``(savepoint ids, callback, robust)`` tuples, the last one registered at the end. These tests pin
that layout, so a Django upgrade that changes it fails here instead of silently flushing once per change
(or never)."""

import pytest
from django.db import connection, transaction

from shop.services.commit_batches import CommitBatch

pytestmark = pytest.mark.django_db


def _recorder() -> tuple[CommitBatch, list[set[int]]]:
    flushed: list[set[int]] = []
    return CommitBatch(lambda ids: flushed.append(set(ids))), flushed


def test_django_keeps_on_commit_callbacks_as_savepoint_ids_callback_and_robust():
    def callback():
        return None

    with transaction.atomic():
        transaction.on_commit(callback, robust=True)
        savepoint_ids, registered, robust = connection.run_on_commit[-1]

    assert (isinstance(savepoint_ids, set), registered, robust) == (True, callback, True)


def test_a_savepoint_rolled_back_drops_its_callbacks_from_the_list():
    with transaction.atomic():
        transaction.on_commit(print)
        before = len(connection.run_on_commit)
        try:
            with transaction.atomic():
                transaction.on_commit(print)
                assert len(connection.run_on_commit) == before + 1
                raise RuntimeError
        except RuntimeError:
            pass

        assert len(connection.run_on_commit) == before


def test_ids_added_in_one_transaction_are_flushed_once_after_its_commit(django_capture_on_commit_callbacks):
    batch, flushed = _recorder()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            batch.add([1, 2])
            batch.add([2, 3])
            assert flushed == []

    assert (len(callbacks), flushed) == (1, [{1, 2, 3}])


def test_a_callback_registered_in_between_starts_a_new_batch(django_capture_on_commit_callbacks):
    batch, flushed = _recorder()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            batch.add([1])
            transaction.on_commit(lambda: flushed.append("other"))
            batch.add([2])

    assert (len(callbacks), flushed) == (3, [{1}, "other", {2}])


def test_ids_added_in_a_rolled_back_savepoint_go_with_it_and_later_ids_still_flush(django_capture_on_commit_callbacks):
    batch, flushed = _recorder()

    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            try:
                with transaction.atomic():
                    batch.add([1])
                    raise RuntimeError
            except RuntimeError:
                pass
            batch.add([2])

    assert flushed == [{2}]
