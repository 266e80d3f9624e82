"""Querysets compiled once per process (shop.services.compiled_queries) answer as the ORM does, with each call's own
values; and checkout's payment event reads the order's status in its insert ("paid meanwhile?")."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import F, Q
from django.utils import timezone

from shop.models import CartLine, Order, OrderEvent, OrderStatus, Payment, PaymentStatus, Variant
from shop.services.cart_reads import _lines_of
from shop.services.compiled_queries import PLAN_VALUES_LIMIT, _Marker, compiled
from shop.services.payments import complete_checkout
from shop.services.reservations import _holds_of
from tests.shop.helpers import FakeStripeGateway, cart_with, checkout, variant_with_stock

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _settings(shop_settings):
    return shop_settings


def _line_facts(lines):
    return [(line.pk, line.cart_id, line.variant.sku, line.variant.product.title, line.quantity, line.available)
            for line in lines]


def test_a_compiled_queryset_answers_as_the_orm_for_each_calls_own_values():
    variant_with_stock("HP-1", price="20.00", on_hand=5)
    variant_with_stock("HP-2", price="30.00", on_hand=2)
    first, second = cart_with(("HP-1", 2), ("HP-2", 1)), cart_with(("HP-2", 2))
    checkout(cart_with(("HP-1", 1)), email="bob@example.com")  # one unit of HP-1 held
    lines_of = compiled(_lines_of)
    now = timezone.now()

    answers = [_line_facts(lines_of(cart_id=cart.pk, available_at=now)) for cart in (first, second, first)]

    expected = [_line_facts(_lines_of(cart_id=cart.pk, available_at=now)) for cart in (first, second)]
    assert answers == [expected[0], expected[1], expected[0]]
    assert [(sku, quantity, available) for _, _, sku, _, quantity, available in answers[0]] == [
        ("HP-1", 2, 4), ("HP-2", 1, 2)]
    # A later time sees the hold expired: the datetime is a parameter too, not a constant of the first call.
    later = [line.available for line in lines_of(cart_id=first.pk, available_at=now + timedelta(days=1))]
    assert later == [5, 2]


def test_lists_of_any_length_and_none_are_shapes_of_their_own():
    hp1, hp2 = variant_with_stock("HP-1", on_hand=5), variant_with_stock("HP-2", on_hand=5)
    order = checkout(cart_with(("HP-1", 2), ("HP-2", 1))).order
    holds_of = compiled(_holds_of)
    now = timezone.now()

    both = holds_of(variant_ids=[hp1.pk, hp2.pk], now=now)
    one = holds_of(variant_ids=[hp2.pk], now=now)
    none = holds_of(variant_ids=[], now=now)
    others = holds_of(variant_ids=[hp1.pk, hp2.pk], now=now, exclude_order_id=order.pk)

    assert (sorted(both), one, none, others) == ([(hp1.pk, 2), (hp2.pk, 1)], [(hp2.pk, 1)], [], [])


class _PaysTheEarlierOrderMeanwhile(FakeStripeGateway):
    """While the restarted checkout's intent is being opened, the cart's earlier order is paid (its webhook)."""

    def __init__(self):
        super().__init__()
        self.earlier_intent = ""

    def create_intent(self, **kwargs):
        if self.earlier_intent:
            complete_checkout(self.earlier_intent)
        return super().create_intent(**kwargs)


def test_an_intent_opened_while_the_cart_was_paid_is_closed_and_its_event_says_so(monkeypatch):
    variant_with_stock("HP-1", price="20.00", on_hand=5)
    cart = cart_with(("HP-1", 1))
    gateway = _PaysTheEarlierOrderMeanwhile()
    monkeypatch.setattr("shop.services.payments.get_gateway", lambda name=None: gateway)
    earlier = checkout(cart, gateway=gateway)
    gateway.earlier_intent = earlier.payment.intent_id

    restarted = checkout(cart, gateway=gateway)

    earlier.order.refresh_from_db()
    assert (earlier.order.status, restarted.order.status) == (OrderStatus.PAID, OrderStatus.CANCELLED)
    assert restarted.payment.status == PaymentStatus.CANCELLED
    assert Payment.objects.get(order=restarted.order).status == PaymentStatus.CANCELLED
    assert ("cancel_intent", f"kolshop-cancel-{restarted.payment.intent_id}") in gateway.calls
    event = OrderEvent.objects.get(order=restarted.order, type="payment_created")
    assert (event.status_before, event.status_after, event.data) == (
        "cancelled", "cancelled", {"gateway": "stripe", "intent_id": restarted.payment.intent_id})
    assert not CartLine.objects.filter(cart=cart).exists()


def test_the_payment_event_of_an_ordinary_checkout_is_pending_to_pending():
    variant_with_stock("HP-1", price="20.00", on_hand=5)

    result = checkout(cart_with(("HP-1", 1)), gateway=FakeStripeGateway())

    event = OrderEvent.objects.get(order=result.order, type="payment_created")
    assert (event.status_before, event.status_after, result.payment.status) == ("pending", "pending", "pending")


def test_an_argument_django_alters_is_refused_when_first_compiled():
    variant_with_stock("HP-1")
    like_sku = compiled(lambda *, part: Variant.objects.filter(sku__contains=part))

    with pytest.raises(ValueError, match="reached the SQL altered"):
        like_sku(part="HP")


def test_an_argument_that_also_reaches_the_sql_altered_is_refused():
    variant_with_stock("HP-1")
    either = compiled(lambda *, part: Variant.objects.filter(Q(sku=part) | Q(sku__icontains=part)))

    with pytest.raises(ValueError, match="also reached the SQL altered"):
        either(part="HP-1")


def test_every_marker_made_is_recognised_as_passed_altered_or_adapted_and_real_values_are_not():
    made = [_Marker.make(value, number) for number, value in enumerate((7, "sku", timezone.now()), start=1)]
    days = [_Marker.make(timezone.now().date(), number) for number in (1, PLAN_VALUES_LIMIT)]

    passed = [*made, f"%{made[1]}%", connection.ops.adapt_datetimefield_value(made[2]), *days,
              *(connection.ops.adapt_datefield_value(day) for day in days)]
    assert [_Marker.recognises(value) for value in passed] == [True] * 9
    real = [7, -1, True, "sku", "", timezone.now(), str(timezone.now()), None, Decimal("1.00")]
    assert [_Marker.recognises(value) for value in real] == [False] * 9


def test_a_marker_django_finds_no_rows_for_is_refused_not_remembered_as_empty():
    variant_with_stock("HP-1")
    cart = cart_with(("HP-1", 2))
    # -2,000,000,001 is outside a small positive column's range: Django answers "no rows" without asking
    lines = compiled(lambda *, cart, quantity: CartLine.objects.filter(cart_id=cart, quantity=quantity))

    with pytest.raises(ValueError, match="no rows for its markers"):
        lines(cart=cart.pk, quantity=2)
    assert compiled(lambda *, ids: CartLine.objects.filter(pk__in=ids))(ids=[]) == []


def test_an_argument_named_twice_gets_each_calls_value_in_both_places():
    variant_with_stock("HP-1")
    variant_with_stock("HP-2")
    by_sku = compiled(lambda *, sku: Variant.objects.filter(sku=sku).filter(sku__in=[sku]).order_by("pk"))

    assert [[variant.sku for variant in by_sku(sku=sku)] for sku in ("HP-1", "HP-2", "HP-3")] == [["HP-1"], ["HP-2"], []]
    assert len(by_sku.query.plans) == 1


def test_only_instances_values_list_tuples_and_values_dicts_are_read():
    variant_with_stock("HP-1")
    as_dicts = compiled(lambda *, sku: Variant.objects.filter(sku=sku).values("sku", on_hand=F("stock__on_hand")))
    flat = compiled(lambda *, sku: Variant.objects.filter(sku=sku).values_list("sku", flat=True))

    assert as_dicts(sku="HP-1") == list(Variant.objects.filter(sku="HP-1").values("sku", on_hand=F("stock__on_hand")))
    assert as_dicts(sku="HP-2") == []
    with pytest.raises(ValueError, match="values_list tuples or values dicts, not FlatValuesListIterable"):
        flat(sku="HP-1")


def test_a_one_item_list_and_none_are_different_shapes():
    hp1, _hp2 = variant_with_stock("HP-1"), variant_with_stock("HP-2")

    def skus(*, ids):  # None: every variant (a shape of its own, not a value)
        queryset = Variant.objects.order_by("pk").values_list("sku")
        return queryset if ids is None else queryset.filter(pk__in=ids)

    skus_of = compiled(skus)

    assert skus_of(ids=None) == [("HP-1",), ("HP-2",)]
    assert skus_of(ids=[hp1.pk]) == [("HP-1",)]  # was answered with the None shape's SQL: every variant
    assert skus_of(ids=[]) == []


def test_a_shape_with_more_dates_than_a_year_has_days_is_kept_and_answers_with_each_calls_days():
    # A year of dates and more (a report's folded days): two day markers fell on the same day past 365 (numbered
    # modulo a year, process-wide), and the query was refused (a 500).
    variant_with_stock("HP-1")
    order = checkout(cart_with(("HP-1", 1))).order
    placed = timezone.localdate(order.created_at)
    days = [placed - timedelta(days=offset) for offset in range(400)]
    numbers_on = compiled(lambda *, days: Order.objects.filter(created_at__date__in=days).values_list("number"))

    assert numbers_on(days=days) == [(order.number,)]
    assert numbers_on(days=days[1:]) == []
    assert numbers_on(days=list(reversed(days))) == [(order.number,)]
    assert len(numbers_on.query.plans) == 2


def test_a_call_with_more_values_than_a_kept_shape_takes_is_compiled_for_itself_and_not_kept(monkeypatch):
    monkeypatch.setattr("shop.services.compiled_queries.PLAN_VALUES_LIMIT", 3)
    hp1, hp2 = variant_with_stock("HP-1"), variant_with_stock("HP-2")
    skus_of = compiled(lambda *, ids: Variant.objects.filter(pk__in=ids).order_by("pk").values_list("sku"))

    assert skus_of(ids=[hp1.pk, hp2.pk, 0, -1]) == [("HP-1",), ("HP-2",)]
    assert skus_of(ids=[hp2.pk, 0, -1, -2]) == [("HP-2",)]
    assert skus_of.query.plans == {}
    assert skus_of(ids=[hp1.pk]) == [("HP-1",)]
    assert len(skus_of.query.plans) == 1


def test_the_shapes_a_query_keeps_hold_a_bounded_number_of_values(monkeypatch):
    hp1, hp2 = variant_with_stock("HP-1"), variant_with_stock("HP-2")
    monkeypatch.setattr("shop.services.compiled_queries.PLAN_VALUES_BUDGET", 4)
    skus_of = compiled(lambda *, ids: Variant.objects.filter(pk__in=ids).order_by("pk").values_list("sku"))

    answers = [skus_of(ids=ids) for ids in ([hp1.pk, hp2.pk], [hp2.pk, hp1.pk, 0])]

    assert answers == [[("HP-1",), ("HP-2",)], [("HP-1",), ("HP-2",)]]
    assert list(skus_of.query.plans.values())[0].sql.count("%s") == 3  # only the second shape is kept
    assert len(skus_of.query.plans) == 1 and skus_of.query.kept_values == 3


def test_a_query_keeps_a_bounded_number_of_shapes(monkeypatch):
    hp1, hp2 = variant_with_stock("HP-1"), variant_with_stock("HP-2")
    monkeypatch.setattr("shop.services.compiled_queries.PLAN_LIMIT", 2)
    skus_of = compiled(lambda *, ids: Variant.objects.filter(pk__in=ids).order_by("pk").values_list("sku"))

    answers = [skus_of(ids=ids) for ids in ([hp1.pk], [hp1.pk, hp2.pk], [hp2.pk, hp1.pk, 0])]

    assert answers == [[("HP-1",)], [("HP-1",), ("HP-2",)], [("HP-1",), ("HP-2",)]]
    assert len(skus_of.query.plans) == 1  # the third shape started the cache afresh
