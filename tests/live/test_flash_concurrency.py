"""Real threads against PostgreSQL: a 100-unit flash deal under a rush of buyers.

The issue asks for 1,000 concurrent attempts; CI runs 200 attempts from 20 threads (each its own
connection, a pool PostgreSQL's default max_connections leaves room for) so the test stays bounded.
``KOLSHOP_FLASH_RUSH_ATTEMPTS`` raises it for a local run.
"""

import os
from collections import Counter

import pytest
from django.db.models import Sum

from content.live.services import start_flash_deal, start_session
from shop.api_edge import domain_error_status
from shop.errors import DomainError
from shop.models import OrderLine, OrderStatus
from shop.services.cart import add_to_cart
from shop.services.checkout import confirm_payment, start_checkout
from tests.live.helpers import flash, lipstick, make_session
from tests.shop.conftest import skip_unless_postgres
from tests.shop.helpers import US_ADDRESS, cart_with, on_hand
from tests.shop.test_concurrency import _run_in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("wagtail_base_data")]

ATTEMPTS = int(os.environ.get("KOLSHOP_FLASH_RUSH_ATTEMPTS", "200"))
THREADS = 20


@pytest.fixture(autouse=True)
def _postgres_only(shop_settings):
    skip_unless_postgres()


def _attempt(cart, email):
    def buy():
        try:
            order = start_checkout(cart, email=email, fulfilment="shipping", address=US_ADDRESS).order
            return confirm_payment(order).status, None
        except DomainError as error:
            return error.code, domain_error_status(error)
    return buy


def test_a_rush_on_a_100_unit_flash_deal_sells_exactly_100_within_each_buyers_limit():
    product = lipstick("LIP-1", price="20.00", on_hand=ATTEMPTS * 2)
    page = make_session(products=[product])
    start_session(page)
    deal = start_flash_deal(page, deal=flash(product.variants.get(), unit_cap=100, per_buyer_limit=2)).promotion
    buyers = [f"buyer{number % (ATTEMPTS // 3)}@example.com" for number in range(ATTEMPTS)]  # ~3 tries each
    carts = []
    for _ in buyers:
        cart = cart_with()
        add_to_cart(cart, sku="LIP-1", quantity=1, promotion_id=deal.pk)
        carts.append(cart)

    outcomes = _run_in_threads([_attempt(cart, email) for cart, email in zip(carts, buyers)], workers=THREADS)

    sold = OrderLine.objects.filter(promotion=deal, order__status=OrderStatus.PAID)
    per_buyer = dict(sold.values("order__email").annotate(units=Sum("quantity")).values_list("order__email", "units"))
    refused = Counter(code for code, status in outcomes if code != OrderStatus.PAID)
    assert sold.aggregate(units=Sum("quantity"))["units"] == 100
    assert [code for code, _ in outcomes].count(OrderStatus.PAID) == 100
    assert max(per_buyer.values()) <= 2
    assert {status for code, status in outcomes if code != OrderStatus.PAID} == {409}
    assert set(refused) <= {"price_changed", "promotion_limit"}
    assert sum(refused.values()) == ATTEMPTS - 100
    assert on_hand("LIP-1") == ATTEMPTS * 2 - 100
