"""Real threads against PostgreSQL: a deal's unit cap and per-buyer limit hold when buyers race."""

from decimal import Decimal

import pytest

from shop.models import Order, OrderStatus
from shop.services.cart import add_to_cart
from tests.factories import make_deal
from tests.shop.conftest import skip_unless_postgres
from tests.shop.helpers import cart_with, on_hand, variant_with_stock
from tests.shop.test_concurrency import _buy, _run_in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only(shop_settings):
    skip_unless_postgres()


def _deal_cart(sku: str, deal, quantity: int = 1):
    cart = cart_with()
    add_to_cart(cart, sku=sku, quantity=quantity, promotion_id=deal.pk)
    return cart


def test_twenty_buyers_racing_for_a_five_unit_deal_get_exactly_five():
    variant = variant_with_stock("HOT-1", price="124.99", on_hand=50)
    deal = make_deal(variant, price="99.00", unit_cap=5)
    carts = [_deal_cart("HOT-1", deal) for _ in range(20)]

    outcomes = _run_in_threads([_buy(cart, f"buyer{n}@example.com") for n, cart in enumerate(carts)], workers=20)

    assert sorted(outcomes).count(OrderStatus.PAID) == 5
    assert sorted(outcomes).count("price_changed") == 15
    paid = Order.objects.filter(status=OrderStatus.PAID)
    assert sorted(paid.values_list("total", flat=True)) == [Decimal("104.00")] * 5
    assert {line.promotion_id for order in paid for line in order.lines.all()} == {deal.pk}
    assert on_hand("HOT-1") == 45


def test_one_buyer_with_two_carts_racing_on_a_limit_of_one_buys_once():
    variant = variant_with_stock("HOT-1", price="124.99", on_hand=50)
    deal = make_deal(variant, price="99.00", per_buyer_limit=1)
    carts = [_deal_cart("HOT-1", deal) for _ in range(2)]

    outcomes = _run_in_threads([_buy(carts[0], "ada@example.com"), _buy(carts[1], "ADA@example.com")], workers=2)

    assert sorted(outcomes) == sorted([OrderStatus.PAID, "promotion_limit"])
    assert Order.objects.filter(status=OrderStatus.PAID).count() == 1
    assert on_hand("HOT-1") == 49
