"""shop.services.write_batches: a block's writes are one statement on PostgreSQL and the same ORM calls, one by one,
elsewhere; both paths leave the same rows."""

import pytest
from django.db import connection, transaction
from django.db.models import signals
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shop.models import Cart, CartLine, Order, OrderEvent, OrderEventType, Payment, Stock
from shop.services import keyed_inserts, write_batches
from shop.services.keyed_inserts import NextKey
from tests.shop.helpers import cart_with, checkout, on_hand, variant_with_stock

pytestmark = pytest.mark.django_db

BATCHED = connection.vendor == "postgresql"


def _cart_with_a_line() -> Cart:
    cart = Cart.objects.create()
    CartLine.objects.create(cart=cart, variant=variant_with_stock("WB-1", on_hand=5), quantity=1)
    return cart


def test_a_block_inserts_updates_and_deletes_in_one_statement_on_postgresql():
    cart = _cart_with_a_line()
    carts_before = Cart.objects.count()

    with CaptureQueriesContext(connection) as captured, write_batches.batched_writes():
        new_carts = write_batches.insert([Cart(), Cart()])
        write_batches.update(Stock.objects.filter(variant__sku="WB-1"), on_hand=F("on_hand") - 2)
        write_batches.delete(CartLine.objects.filter(cart=cart))
        pending_keys = [new.pk for new in new_carts]

    assert len(captured.captured_queries) == (1 if BATCHED else 3)
    assert pending_keys == ([None, None] if BATCHED else [new.pk for new in new_carts])
    assert new_carts[0].pk < new_carts[1].pk
    assert sorted(Cart.objects.filter(pk__in=[new.pk for new in new_carts]).values_list("pk", flat=True)) == [
        new_carts[0].pk, new_carts[1].pk]
    assert (Cart.objects.count(), on_hand("WB-1"), CartLine.objects.filter(cart=cart).count()) == (carts_before + 2,
                                                                                                  3, 0)
    assert not new_carts[0]._state.adding


def test_outside_a_block_each_write_is_sent_at_once():
    cart = _cart_with_a_line()

    with CaptureQueriesContext(connection) as captured:
        [new_cart] = write_batches.insert([Cart()])
        write_batches.update(Stock.objects.filter(variant__sku="WB-1"), on_hand=4)
        write_batches.delete(CartLine.objects.filter(cart=cart))

    assert len(captured.captured_queries) == 3
    assert (Cart.objects.filter(pk=new_cart.pk).exists(), on_hand("WB-1"), cart.lines.count()) == (True, 4, 0)


def test_a_second_write_to_a_table_sends_what_is_pending_first():
    variant_with_stock("WB-1", on_hand=5)

    with CaptureQueriesContext(connection) as captured, write_batches.batched_writes():
        write_batches.update(Stock.objects.filter(variant__sku="WB-1"), on_hand=F("on_hand") - 2)
        write_batches.update(Stock.objects.filter(variant__sku="WB-1"), on_hand=F("on_hand") - 1)

    assert (len(captured.captured_queries), on_hand("WB-1")) == (2, 2)


def test_an_error_leaving_the_block_writes_nothing():
    cart = _cart_with_a_line()
    carts_before = Cart.objects.count()

    with pytest.raises(ZeroDivisionError), transaction.atomic(), write_batches.batched_writes():
        write_batches.insert([Cart()])
        write_batches.delete(CartLine.objects.filter(cart=cart))
        1 / 0

    assert (Cart.objects.count(), cart.lines.count()) == (carts_before, 1)


def test_a_statement_needing_its_answer_takes_the_pending_writes_with_it():
    cart = _cart_with_a_line()
    table, token = connection.ops.quote_name(Cart._meta.db_table), connection.ops.quote_name("token")

    with CaptureQueriesContext(connection) as captured, write_batches.batched_writes():
        write_batches.delete(CartLine.objects.filter(cart=cart))
        rows = write_batches.execute_after_pending(f"UPDATE {table} SET {token} = %s WHERE id = %s RETURNING id",
                                                   ["renamed", cart.pk], tables=[Cart._meta.db_table])

    assert (rows, len(captured.captured_queries)) == ([(cart.pk,)], 1 if BATCHED else 2)
    assert (Cart.objects.get(pk=cart.pk).token, cart.lines.count()) == ("renamed", 0)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_block_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError), write_batches.batched_writes():
        pass


def test_a_statement_touching_a_table_with_a_pending_write_sends_that_write_first():
    cart = Cart.objects.create()
    table = connection.ops.quote_name(Cart._meta.db_table)
    stamped = connection.ops.quote_name("checked_out_at")

    with CaptureQueriesContext(connection) as captured, transaction.atomic(), write_batches.batched_writes():
        write_batches.update(Cart.objects.filter(pk=cart.pk), token="renamed")
        write_batches.execute_after_pending(f"UPDATE {table} SET {stamped} = %s WHERE id = %s RETURNING id",
                                            [timezone.now(), cart.pk], tables=[Cart._meta.db_table])

    cart.refresh_from_db()
    assert (cart.token, cart.checked_out_at is not None) == ("renamed", True)
    assert len([query for query in captured.captured_queries if query["sql"].startswith(("UPDATE", "WITH"))]) == 2


def test_a_write_inside_a_savepoint_that_rolls_back_leaves_nothing():
    before = Cart.objects.count()

    with transaction.atomic(), write_batches.batched_writes():
        try:
            with transaction.atomic():
                write_batches.insert([Cart()])  # runs at once, inside the savepoint
                raise ValueError
        except ValueError:
            pass

    assert Cart.objects.count() == before


def test_a_write_inside_a_savepoint_to_a_table_with_a_write_pending_is_refused_not_lost():
    variant_with_stock("WB-1", on_hand=5)

    def pay_with_a_savepoint():
        with transaction.atomic(), write_batches.batched_writes():
            write_batches.update(Stock.objects.filter(variant__sku="WB-1"), on_hand=F("on_hand") - 2)
            try:
                with transaction.atomic():
                    write_batches.update(Stock.objects.filter(variant__sku="WB-1"), on_hand=F("on_hand") - 1)
                    raise ValueError
            except ValueError:
                pass

    # On PostgreSQL sending the pending -2 inside the savepoint would lose it in the rollback; SQLite, whose writes
    # run at once, refuses it the same (KOLSHOP_WRITE_BATCH_CHECKS), so either suite shows the mistake.
    with pytest.raises(RuntimeError, match="inside a savepoint"):
        pay_with_a_savepoint()
    assert on_hand("WB-1") == 5  # the refusal rolled the whole transaction back


def test_a_block_opened_inside_a_savepoint_of_an_open_block_joins_it_and_the_outer_writes_still_wait():
    variant_with_stock("WB-1", on_hand=5)
    carts_before = Cart.objects.count()

    with transaction.atomic(), write_batches.batched_writes():
        write_batches.update(Stock.objects.filter(variant__sku="WB-1"), on_hand=F("on_hand") - 2)
        with transaction.atomic(), write_batches.batched_writes():  # a service with a block of its own
            [in_savepoint] = write_batches.insert([Cart()])  # runs at once, inside the savepoint
        [after] = write_batches.insert([Cart()])  # the outer block's again: it waits on PostgreSQL
        key_while_pending = after.pk
        # A second write to the table with a write pending: sent after it, in order (not at once, before it).
        write_batches.update(Stock.objects.filter(variant__sku="WB-1"), on_hand=F("on_hand") - 1)

    assert (key_while_pending is None) if BATCHED else (key_while_pending is not None and key_while_pending == after.pk)
    assert in_savepoint.pk is not None and after.pk > in_savepoint.pk
    assert (on_hand("WB-1"), Cart.objects.count()) == (2, carts_before + 2)


def test_a_write_in_a_block_inside_a_savepoint_to_a_table_the_outer_block_has_pending_is_refused():
    variant_with_stock("WB-1", on_hand=5)

    with pytest.raises(RuntimeError, match="inside a savepoint"), transaction.atomic(), write_batches.batched_writes():
        write_batches.update(Stock.objects.filter(variant__sku="WB-1"), on_hand=F("on_hand") - 2)
        with transaction.atomic(), write_batches.batched_writes():
            write_batches.update(Stock.objects.filter(variant__sku="WB-1"), on_hand=F("on_hand") - 1)

    assert on_hand("WB-1") == 5


def test_a_statement_inside_a_block_touching_a_table_with_a_write_pending_is_refused():
    cart = _cart_with_a_line()

    with pytest.raises(RuntimeError, match="shop_cartline"), transaction.atomic(), write_batches.batched_writes():
        write_batches.delete(CartLine.objects.filter(cart=cart))
        list(CartLine.objects.filter(cart=cart))  # a read (a signal's receiver, say) that would miss the delete

    assert CartLine.objects.filter(cart=cart).count() == 1


def test_an_order_placed_receiver_reading_the_orders_events_is_refused_on_either_database():
    from shop import events

    variant_with_stock("WB-1", on_hand=5)
    cart = cart_with(("WB-1", 1))
    seen = []

    def count_events(order, **kwargs):
        # The placed event is pending in checkout's block on PostgreSQL: this read would not see it there.
        seen.append(order.events.count())

    events.order_placed.connect(count_events)
    try:
        with pytest.raises(RuntimeError, match="shop_orderevent"):
            checkout(cart)
    finally:
        events.order_placed.disconnect(count_events)

    assert (seen, on_hand("WB-1"), cart.lines.count()) == ([], 5, 1)


def test_a_guarded_update_is_refused_in_a_block_and_runs_outside_one():
    variant_with_stock("WB-1", on_hand=1)
    guarded = Stock.objects.filter(variant__sku="WB-1", on_hand__gte=2)

    with pytest.raises(ValueError, match="on_hand"), write_batches.batched_writes():
        write_batches.update(guarded, on_hand=F("on_hand") - 2)
    write_batches.update(guarded, on_hand=F("on_hand") - 2)  # outside a block: Django's update, nothing taken

    assert on_hand("WB-1") == 1


def test_a_guard_in_a_subquery_is_refused_and_a_joined_tables_column_of_the_same_name_is_not_a_guard():
    variant_with_stock("WB-2", on_hand=1)
    order = checkout(cart_with(("WB-2", 1))).order
    guarded_ids = Stock.objects.filter(variant__sku="WB-2", on_hand__gte=2).values("pk")

    with pytest.raises(ValueError, match="on_hand"), transaction.atomic(), write_batches.batched_writes():
        write_batches.update(Stock.objects.filter(pk__in=guarded_ids), on_hand=F("on_hand") - 2)
    with transaction.atomic(), write_batches.batched_writes():  # the order's status, not the payment's
        write_batches.update(Payment.objects.filter(order__status=order.status, order=order), status="cancelled")

    assert on_hand("WB-2") == 1  # held by the checkout, not taken; the refused update took nothing
    assert Payment.objects.get(order=order).status == "cancelled"


def test_inserts_of_one_shape_compiled_once_keep_each_rows_values_and_keys():
    variant_with_stock("WB-1", on_hand=5)
    order = checkout(cart_with(("WB-1", 1))).order
    before = set(order.events.values_list("pk", flat=True))
    written = []

    for round_number in range(3):
        with transaction.atomic(), write_batches.batched_writes():
            written += write_batches.insert([
                OrderEvent(order=order, type=OrderEventType.FULFILLED, data={"round": round_number, "row": row})
                for row in range(2)])

    stored = {event.pk: (event.data, event.created_at) for event in order.events.exclude(pk__in=before)}
    assert stored == {event.pk: (event.data, event.created_at) for event in written}
    assert sorted(data["round"] * 2 + data["row"] for data, _created in stored.values()) == [0, 1, 2, 3, 4, 5]


def _stock_of(*, skus: list[str], on_hand: int):
    return Stock.objects.filter(variant__sku__in=skus), {"on_hand": on_hand}


def _lines_of(*, cart_id: int):
    return CartLine.objects.filter(cart_id=cart_id)


def test_compiled_updates_and_deletes_write_what_their_querysets_say_in_and_outside_a_block():
    set_stock = write_batches.compiled_update(Stock, _stock_of)
    delete_lines = write_batches.compiled_delete(CartLine, _lines_of)
    variant_with_stock("WB-2", on_hand=5)
    kept, emptied = _cart_with_a_line(), cart_with(("WB-2", 1))

    with write_batches.batched_writes():
        set_stock(skus=["WB-1"], on_hand=7)
        delete_lines(cart_id=emptied.pk)
    with write_batches.batched_writes():  # the same shapes again: compiled SQL, new values
        set_stock(skus=["WB-2"], on_hand=3)
    set_stock(skus=["WB-1"], on_hand=6)  # outside a block: Django's update

    assert (on_hand("WB-1"), on_hand("WB-2")) == (6, 3)
    assert (kept.lines.count(), emptied.lines.count()) == (1, 0)


def test_a_write_no_row_can_match_sends_nothing_and_leaves_nothing_pending_on_either_database():
    # given a block whose update and delete name an empty list of rows (a paid cart with no lines left, say)
    cart = _cart_with_a_line()
    delete_lines = write_batches.compiled_delete(CartLine, lambda ids: CartLine.objects.filter(pk__in=ids))

    with CaptureQueriesContext(connection) as sent, transaction.atomic(), write_batches.batched_writes():
        write_batches.update(CartLine.objects.filter(pk__in=[]), quantity=3)
        write_batches.delete(CartLine.objects.filter(pk__in=[]))
        delete_lines(ids=[])
        lines = CartLine.objects.filter(cart=cart).count()  # so a read of the table inside the block is no breach

    # then no statement was sent for them, on PostgreSQL (no EmptyResultSet) as on SQLite
    assert lines == 1
    assert not [query for query in sent.captured_queries if query["sql"].startswith(("UPDATE", "DELETE"))]


def test_rows_given_keys_taken_ahead_wait_in_the_block_with_them_and_rows_pointing_at_them_go_along():
    """Checkout's order, groups and lines: keys from the sequences (``keyed_inserts.NextKey``) before the insert."""
    variant = variant_with_stock("WB-K", on_hand=3)
    [(cart_key, line_key)] = Cart.objects.filter(pk=Cart.objects.create().pk).annotate(
        cart_key=NextKey(Cart), line_key=NextKey(CartLine)).values_list("cart_key", "line_key")
    cart = Cart(pk=cart_key)

    with CaptureQueriesContext(connection) as captured, transaction.atomic(), write_batches.batched_writes():
        keyed_inserts.save_new_keyed(cart)
        [line] = keyed_inserts.insert_known([CartLine(pk=line_key, cart=cart, variant=variant, quantity=1)])
        keys_in_the_block = (cart.pk, line.pk)

    writes = [query for query in captured.captured_queries if query["sql"].startswith(("INSERT", "WITH"))]
    assert len(writes) == (1 if BATCHED else 2)  # PostgreSQL: both rows in one statement, with their given keys
    assert keys_in_the_block == ((cart_key, line_key) if BATCHED else (cart.pk, line.pk))
    assert CartLine.objects.get(pk=line.pk).cart_id == Cart.objects.get(pk=cart.pk).pk
    assert not cart._state.adding and not line._state.adding


@pytest.mark.skipif(not BATCHED, reason="SQLite writes at once: nothing waits, so nothing is matched by order")
def test_a_batched_insert_refuses_rows_some_given_keys_and_some_not():
    with pytest.raises(ValueError, match="all given"), transaction.atomic(), write_batches.batched_writes():
        write_batches.insert([Cart(pk=10**9), Cart()])


def test_a_row_loaded_or_saved_already_is_refused_at_the_call_not_when_the_block_is_sent():
    with transaction.atomic(), write_batches.batched_writes():
        with pytest.raises(ValueError, match="new rows only"):
            write_batches.insert([Cart.objects.create()])


def test_an_orders_post_save_receiver_finds_its_row_in_the_table_during_a_checkout():
    """Checkout's order waits in its write batch (PostgreSQL): ``post_save`` is sent once the batch has sent it."""
    seen = []

    def receiver(sender, instance, created, **kwargs):
        seen.append((created, Order.objects.filter(pk=instance.pk).exists()))

    variant_with_stock("WB-PS", on_hand=2)
    cart = cart_with(("WB-PS", 1))
    signals.post_save.connect(receiver, sender=Order, weak=False)
    try:
        order = checkout(cart).order
    finally:
        signals.post_save.disconnect(receiver, sender=Order)

    assert seen[0] == (True, True)
    assert Order.objects.filter(pk=order.pk).exists()
