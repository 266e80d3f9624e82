"""Flash deals and late payments: the one rule (``shop.services.pricing.lapsed_promotion_lines``).

A hold made while the flash deal ran is honoured at payment; a payment arriving after that hold ran
out gets the flash price only if a checkout at that moment would (the deal still runs, units left,
the buyer within the limit); otherwise it is refunded in full, once, however often the webhook comes.
"""

from datetime import timedelta
from decimal import Decimal

import pytest

from content.live.services import start_flash_deal, start_session
from shop.models import OrderEventType, OrderStatus, Promotion, Refund
from shop.services.cart import add_to_cart
from shop.services.checkout import confirm_payment
from tests.live.helpers import flash, lipstick, make_session
from tests.shop.helpers import cart_with, checkout, on_hand
from tests.shop.late_payments import let_the_hold_run_out, pay_by_webhook

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _shop(shop_settings):
    return shop_settings


def _flash_deal(*, unit_cap: int) -> Promotion:
    product = lipstick("LIP-1", price="20.00", on_hand=10)
    page = make_session(products=[product])
    start_session(page)
    return start_flash_deal(page, deal=flash(product.variants.get(), unit_cap=unit_cap, seconds=120)).promotion


def _flash_order(deal: Promotion, email: str):
    cart = cart_with()
    add_to_cart(cart, sku="LIP-1", quantity=1, promotion_id=deal.pk)
    return checkout(cart, email=email).order


def test_a_late_flash_payment_past_the_sold_out_cap_is_refunded_once(django_capture_on_commit_callbacks):
    deal = _flash_deal(unit_cap=1)
    late = _flash_order(deal, "late@example.com")
    let_the_hold_run_out(late)
    confirm_payment(_flash_order(deal, "quick@example.com"))

    with django_capture_on_commit_callbacks(execute=True):
        results = [pay_by_webhook(late, event_id="evt_1"), pay_by_webhook(late, event_id="evt_2"),
                   pay_by_webhook(late, event_id="evt_1")]

    late.refresh_from_db()
    assert results == ["processed", "processed", "duplicate"]
    assert late.status == OrderStatus.CANCELLED
    assert list(Refund.objects.values_list("order_id", "amount")) == [(late.pk, Decimal("17.00"))]
    assert list(late.events.filter(type=OrderEventType.PROMOTION_LAPSED).values_list("data__lines", flat=True)) == [
        [{"sku": "LIP-1", "promotion_id": deal.pk, "refusal": "sold_out"}]]
    assert on_hand("LIP-1") == 9


def test_a_late_flash_payment_after_the_deal_ended_is_refunded(django_capture_on_commit_callbacks):
    deal = _flash_deal(unit_cap=100)
    late = _flash_order(deal, "late@example.com")
    let_the_hold_run_out(late)
    Promotion.objects.filter(pk=deal.pk).update(starts_at=deal.starts_at - timedelta(minutes=5),
                                                ends_at=deal.starts_at - timedelta(seconds=1))

    with django_capture_on_commit_callbacks(execute=True):
        pay_by_webhook(late, event_id="evt_late")

    late.refresh_from_db()
    assert late.status == OrderStatus.CANCELLED
    assert list(Refund.objects.values_list("amount", flat=True)) == [Decimal("17.00")]
    assert late.events.get(type=OrderEventType.PROMOTION_LAPSED).data["lines"][0]["refusal"] == "ended"
    assert on_hand("LIP-1") == 10


def test_a_late_flash_payment_while_the_deal_still_has_units_is_honoured(django_capture_on_commit_callbacks):
    deal = _flash_deal(unit_cap=100)
    late = _flash_order(deal, "late@example.com")
    let_the_hold_run_out(late)

    with django_capture_on_commit_callbacks(execute=True):
        pay_by_webhook(late, event_id="evt_late")

    late.refresh_from_db()
    assert (late.status, late.lines.get().unit_price, Refund.objects.count()) == (
        OrderStatus.PAID, Decimal("12.00"), 0)
    assert on_hand("LIP-1") == 9
