"""shop.services.compiled_inserts: a batched insert's SQL is compiled once per model, row count and kind, and every
later insert of that shape still writes its own rows' values (Decimals and NULLs alike); an expression among the
values goes through Django's compiler and is written as Django writes it. The buy flow's own rows (cart, order,
groups, lines, payment) are inserted now through the same compiled statements, announced and returned as ``save()``
and ``bulk_create`` announce and return them."""

from collections import Counter
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models import Value, signals
from django.db.models.functions import Upper
from django.utils import timezone

from shop.models import Cart, CartLine, Order, OrderStatus
from shop.services import compiled_inserts, write_batches
from shop.services.cart import add_to_cart, create_cart
from shop.services.cart_locks import lock_cart_for_checkout, stamp_open_cart
from shop.services.checkout import confirm_payment
from tests.shop.helpers import cart_with, checkout, variant_with_stock

pytestmark = pytest.mark.django_db

BATCHED = connection.vendor == "postgresql"


@pytest.fixture
def compiles(monkeypatch) -> Counter:
    """Django's INSERT compiles for this database, by model, from an empty cache of compiled inserts."""
    monkeypatch.setattr(compiled_inserts, "_compiled_inserts", {})
    compiler = connection.ops.compiler("SQLInsertCompiler")
    as_sql, counted = compiler.as_sql, Counter()

    def counting_as_sql(self, *args, **kwargs):
        counted[self.query.model.__name__] += 1
        return as_sql(self, *args, **kwargs)

    monkeypatch.setattr(compiler, "as_sql", counting_as_sql)
    return counted


@pytest.fixture
def batched_models(monkeypatch) -> Counter:
    """The models whose rows went through a block's insert (``write_batches.insert`` in a block)."""
    insert_statement, counted = write_batches.insert_statement, Counter()

    def counting_insert_statement(model, *args, **kwargs):
        counted[model.__name__] += 1
        return insert_statement(model, *args, **kwargs)

    monkeypatch.setattr(write_batches, "insert_statement", counting_insert_statement)
    return counted


def _buy(sku: str) -> None:
    confirm_payment(checkout(cart_with((sku, 1))).order)


@pytest.mark.skipif(not BATCHED, reason="SQLite runs each insert at once through the ORM: nothing is compiled ahead")
def test_a_second_buy_flow_compiles_none_of_its_batched_inserts(compiles, batched_models):
    variant_with_stock("CI-1", on_hand=5)

    _buy("CI-1")
    first_compiles, first_batched = Counter(compiles), Counter(batched_models)
    _buy("CI-1")
    second_compiles = compiles - first_compiles

    assert {"OrderEvent", "StockReservation"} <= set(first_batched)
    assert batched_models == first_batched + first_batched  # the same batched inserts, flow after flow
    assert all(first_compiles[model] >= 1 for model in first_batched)
    assert {model: second_compiles[model] for model in first_batched} == dict.fromkeys(first_batched, 0)


def _lines(carts: list[Cart], variants: list, prices: list[Decimal | None], **values) -> list[CartLine]:
    return [CartLine(cart=cart, variant=variant, quantity=1, quoted_unit_price=price, **values)
            for cart, variant, price in zip(carts, variants, prices)]


def test_inserts_of_one_shape_in_two_blocks_compile_once_and_keep_each_rows_decimals_and_nulls(compiles):
    variants = [variant_with_stock(f"CI-{number}") for number in (1, 2)]
    carts = [Cart.objects.create() for _ in range(2)]
    compiles.clear()

    with transaction.atomic(), write_batches.batched_writes():
        first = write_batches.insert(_lines(carts, variants, [Decimal("30.00"), None], creator_id=7))
    with transaction.atomic(), write_batches.batched_writes():
        second = write_batches.insert(_lines(carts[::-1], variants, [None, Decimal("12.50")]))

    stored = {line.pk: (line.cart_id, line.variant_id, line.quoted_unit_price, line.creator_id)
              for line in CartLine.objects.filter(pk__in=[line.pk for line in first + second])}
    assert stored == {
        first[0].pk: (carts[0].pk, variants[0].pk, Decimal("30.00"), 7),
        first[1].pk: (carts[1].pk, variants[1].pk, None, 7),
        second[0].pk: (carts[1].pk, variants[0].pk, None, None),
        second[1].pk: (carts[0].pk, variants[1].pk, Decimal("12.50"), None)}
    assert compiles["CartLine"] == 1  # SQLite too: its block writes at once through the same compiled insert


def test_an_expression_among_the_values_goes_through_djangos_compiler_and_is_written(compiles):
    variants = [variant_with_stock(f"CI-{number}") for number in (1, 2)]
    carts = [Cart.objects.create() for _ in range(3)]
    compiles.clear()

    written = []
    for cart, block_id in zip(carts, ["plain", Upper(Value("hero-block")), "plain again"]):
        with transaction.atomic(), write_batches.batched_writes():
            written += write_batches.insert(_lines([cart, cart], variants, [Decimal("1.00"), None], block_id=block_id))

    stored = dict(CartLine.objects.filter(pk__in=[line.pk for line in written]).values_list("pk", "block_id"))
    assert [stored[line.pk] for line in written] == ["plain", "plain", "HERO-BLOCK", "HERO-BLOCK", "plain again",
                                                     "plain again"]
    # The first compile is kept, the expression is compiled on its own, the third reuses the first (both databases).
    assert compiles["CartLine"] == 2


def test_a_second_buy_flow_compiles_no_insert_of_its_cart_order_groups_lines_or_payment(compiles):
    variant_with_stock("CI-1", on_hand=5)

    def buy() -> None:
        cart = create_cart()
        add_to_cart(cart, sku="CI-1", quantity=1)
        confirm_payment(checkout(cart).order)

    buy()
    first = Counter(compiles)
    buy()
    second = compiles - first

    inserted_now = {"Cart", "Order", "FulfilmentGroup", "OrderLine", "Payment"}  # save_new / insert_now
    assert inserted_now <= set(first)
    assert {model: second[model] for model in inserted_now} == dict.fromkeys(inserted_now, 0)
    assert Order.objects.filter(status=OrderStatus.PAID).count() == 2


def test_a_row_saved_through_its_compiled_insert_is_announced_and_returned_as_save_does_it():
    announced = []

    def before(sender, instance, raw, using, update_fields, **kwargs):
        announced.append(("pre_save", sender, instance.pk, instance._state.adding, raw, using, update_fields))

    def after(sender, instance, created, raw, using, update_fields, **kwargs):
        announced.append(("post_save", sender, instance.pk, instance._state.adding, created, raw, using,
                          update_fields, instance.checkouts_started))

    signals.pre_save.connect(before, sender=Cart, weak=False)
    signals.post_save.connect(after, sender=Cart, weak=False)
    try:
        cart = create_cart()
        second = create_cart()  # through the insert compiled by the first
    finally:
        signals.pre_save.disconnect(before, sender=Cart)
        signals.post_save.disconnect(after, sender=Cart)

    assert announced == [
        ("pre_save", Cart, None, True, False, "default", None),
        ("post_save", Cart, cart.pk, False, True, False, "default", None, 0),
        ("pre_save", Cart, None, True, False, "default", None),
        ("post_save", Cart, second.pk, False, True, False, "default", None, 0),
    ]
    for saved in (cart, second):
        assert _as_stored(saved) == _as_stored(Cart.objects.get(pk=saved.pk))
    assert cart.token != second.token


def test_the_cart_its_checkout_locks_by_token_reads_as_the_database_holds_it():
    cart = create_cart()

    with transaction.atomic():
        locked = lock_cart_for_checkout(cart.token)

    assert locked.checkouts_started == 1 and locked._state.adding is False
    assert _as_stored(locked) == _as_stored(Cart.objects.get(pk=cart.pk))


def test_a_cart_stamped_by_its_token_keeps_the_moment_as_django_stores_it_so_the_orm_finds_it_by_it():
    cart = create_cart()
    now = timezone.now()

    with transaction.atomic():
        stamped = stamp_open_cart(cart.token, now=now)

    assert stamped.updated_at == now == Cart.objects.get(pk=cart.pk).updated_at
    # SQLite: naive UTC text, as every moment Django writes (the raw cursor wrote "+00:00", which no filter matched)
    assert Cart.objects.filter(pk=cart.pk, updated_at=now).exists()
    assert Cart.objects.filter(pk=cart.pk, updated_at__gte=now).exists()


def _as_stored(cart: Cart) -> dict:
    return {field.attname: getattr(cart, field.attname) for field in Cart._meta.concrete_fields}


def test_a_row_keyed_by_its_uuid_default_is_saved_through_its_compiled_insert_as_save_writes_it(compiles):
    """A model whose key is its field's default (django_tasks_db's ``DBTaskResult``: a UUID) is inserted through
    the compiled insert too: a second row compiles nothing, each is written once (``save()`` with a default key
    inserts without an ``UPDATE`` first) with its own key and values, and is no longer ``adding``."""
    from django.test.utils import CaptureQueriesContext
    from django_tasks_db.models import DBTaskResult

    def row(path: str) -> DBTaskResult:
        return DBTaskResult(id=DBTaskResult._meta.pk.get_default(), args_kwargs={"args": [1], "kwargs": {}},
                            priority=0, task_path=path, queue_name="default", backend_name="default",
                            run_after=timezone.now())

    first = compiled_inserts.save_new(row("tests.first"))
    with CaptureQueriesContext(connection) as captured:
        second = compiled_inserts.save_new(row("tests.second"))

    assert compiles["DBTaskResult"] == 1
    assert [query["sql"].split()[0] for query in captured.captured_queries] == ["INSERT"]
    assert first.pk != second.pk and not first._state.adding and not second._state.adding
    stored = DBTaskResult.objects.get(pk=second.pk)
    assert (stored.task_path, stored.args_kwargs, stored.run_after) == ("tests.second", second.args_kwargs,
                                                                        second.run_after)


_MOMENT = datetime(2026, 11, 27, 13, 5, 7, 123456)


@pytest.mark.filterwarnings("ignore:DateTimeField .* received a naive datetime")
@pytest.mark.parametrize(("model", "name", "value"), [
    (CartLine, "quoted_unit_price", Decimal("-0")),
    (CartLine, "quoted_unit_price", Decimal("-0.00")),
    (CartLine, "quoted_unit_price", Decimal("1E+2")),
    (CartLine, "quoted_unit_price", Decimal("0E-7")),
    (CartLine, "quoted_unit_price", Decimal("1E-30")),
    (CartLine, "quoted_unit_price", Decimal("12.345678")),
    (CartLine, "quoted_unit_price", Decimal("9999999999.99")),
    (CartLine, "quoted_unit_price", None),
    (Cart, "checked_out_at", _MOMENT.replace(tzinfo=dt_timezone.utc)),
    (Cart, "checked_out_at", _MOMENT.replace(tzinfo=dt_timezone(timedelta(hours=5, minutes=30)))),
    (Cart, "checked_out_at", _MOMENT),  # naive: Django warns and makes it aware, on both paths
    (Cart, "checked_out_at", None),
])
def test_a_compiled_inserts_value_is_the_one_djangos_own_preparation_gives(model, name, value):
    """The compiled insert's shortcuts for moments and Decimals give exactly what ``get_db_prep_save`` gives (its
    type and its text), on this database, for the edge values: signed zeros, exponent forms, more places than the
    field keeps, aware moments in UTC and elsewhere, a naive moment, None."""
    field = model._meta.get_field(name)
    obj = model(**{field.attname: value})

    ours = compiled_inserts._prepared_rows([field], [obj], connection, pre_save=False)[0][0]
    django = field.get_db_prep_save(value, connection=connection)

    assert (type(ours), repr(ours)) == (type(django), repr(django))


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")])
def test_a_decimal_django_refuses_is_refused_by_the_compiled_insert_too(value):
    field = CartLine._meta.get_field("quoted_unit_price")
    with pytest.raises(Exception) as django:
        field.get_db_prep_save(value, connection=connection)
    with pytest.raises(type(django.value)):
        compiled_inserts._prepared_rows([field], [CartLine(quoted_unit_price=value)], connection, pre_save=False)
