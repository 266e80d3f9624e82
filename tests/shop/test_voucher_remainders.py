"""A reward voucher (money owed to its holder) larger than what a cart can carry: used up by the order, and the
unused rest issued as a new single-use voucher when the order is paid, once, whatever the webhooks do; a refund
gives back its part of the discount the same way. Promotional single-use vouchers just apply partly."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from shop.errors import InvalidInput
from shop.models import (
    Cart, Order, OrderStatus, Payment, PaymentStatus, Refund, RefundLine, SupplyMode, Variant, Voucher,
)
from shop.services.cart import add_line_to_cart
from shop.services.checkout import confirm_payment
from shop.services.payments import complete_checkout
from shop.services.refunds import refund_order
from shop.services.voucher_remainders import refunded_discount
from shop.services.vouchers import validate_voucher
from tests.factories import make_brand, make_creator, make_product
from tests.shop.helpers import checkout
from tests.shop.late_payments import let_the_hold_run_out, pay_by_webhook
from tests.shop.supply_helpers import live_listing, offer_for

pytestmark = pytest.mark.django_db

UNTIL = timezone.now() + timedelta(days=90)


def reward_voucher(value: str, *, code: str = "SHARE-1", currency: str = "USD") -> Voucher:
    """A reader's redeemed reward as ``readers.services.rewards.redeem_rewards`` makes it, with an expiry."""
    return Voucher.objects.create(code=code, kind="fixed", value=Decimal(value), currency=currency, usage_limit=1,
                                  per_buyer_limit=1, valid_until=UNTIL, reissue_unused=True)


def remainders() -> list[tuple]:
    return list(Voucher.objects.filter(remainder_of__isnull=False).order_by("pk").values_list(
        "value", "currency", "usage_limit", "per_buyer_limit", "valid_until", "creator_id", "reissue_unused",
        "remainder_of__code", "origin__code", "remainder_source"))


@pytest.fixture
def storefront_cart(shop_settings):
    """2 × A-1 at 24.00 (brand A, wholesale 10.00) and 1 × B-1 at 39.99 (brand B, wholesale 18.00), both from one
    creator's storefront: at a 5 % fee the platform's parts are 2.40 and 2.00, 4.40 in all."""
    shop_settings.KOLSHOP_PLATFORM_FEE_RATE = "0.05"
    make_product(brand=make_brand(), variants=[("A-1", "25.00", 10)])
    make_product(brand=make_brand(), variants=[("B-1", "40.00", 10)])
    creator = make_creator()
    listing_a = live_listing(offer_for(Variant.objects.get(sku="A-1")), creator_id=creator.pk, price="24.00")
    listing_b = live_listing(offer_for(Variant.objects.get(sku="B-1"), wholesale_price="18.00",
                                       recommended_price="35.00", max_price="45.00"), creator_id=creator.pk,
                             price="39.99")
    cart = Cart.objects.create()
    add_line_to_cart(cart, sku="A-1", quantity=2, listing_id=listing_a.pk)
    add_line_to_cart(cart, sku="B-1", quantity=1, listing_id=listing_b.pk)
    return cart


def test_a_reward_on_a_storefront_only_cart_leaves_its_rest_as_a_new_voucher_once(storefront_cart, fake_stripe):
    voucher = reward_voucher("50.00")
    order = checkout(storefront_cart, voucher_code="share-1").order
    assert (order.discount_total, order.total) == (Decimal("4.40"), Decimal("88.59"))  # the fees only
    assert remainders() == []  # nothing issued before the order is paid

    assert pay_by_webhook(order, event_id="evt_1") == "processed"
    pay_by_webhook(order, event_id="evt_2")  # Stripe sends it again under a new event id

    assert remainders() == [(Decimal("45.60"), "USD", 1, 1, UNTIL, None, True, "SHARE-1", "SHARE-1", "paid")]
    with pytest.raises(InvalidInput) as used:
        validate_voucher(voucher, email="someone@example.com", currency="USD")
    assert used.value.code == "voucher_used_up"
    rest = Voucher.objects.get(remainder_of=voucher)
    validate_voucher(rest, email="someone@example.com", currency="USD")  # spendable


def test_an_agency_line_carries_its_fee_and_the_rest_is_reissued(shop_settings, dummy_gateway):
    shop_settings.KOLSHOP_PLATFORM_FEE_RATE = "0.05"
    make_product(brand=make_brand(), variants=[("A-1", "30.00", 10)])
    offer = offer_for(Variant.objects.get(sku="A-1"), mode=SupplyMode.AGENCY, wholesale_price="15.00",
                      recommended_price="30.00", max_price=None)
    cart = Cart.objects.create()
    add_line_to_cart(cart, sku="A-1", quantity=1, listing_id=live_listing(offer, creator_id=make_creator().pk,
                                                                          price=None).pk)
    reward_voucher("10.00")

    order = confirm_payment(checkout(cart, voucher_code="SHARE-1").order)

    assert (order.status, order.discount_total) == (OrderStatus.PAID, Decimal("1.50"))  # 5 % of 30.00
    assert [row[0] for row in remainders()] == [Decimal("8.50")]


def test_a_multi_brand_cart_with_a_catalog_line_reissues_what_no_line_carried(storefront_cart, dummy_gateway):
    make_product(brand=make_brand(), variants=[("C-1", "9.00", 10)])
    add_line_to_cart(storefront_cart, sku="C-1", quantity=1)
    reward_voucher("20.00")

    order = confirm_payment(checkout(storefront_cart, voucher_code="SHARE-1").order)

    # the fees 2.40 + 2.00 and the whole catalog line 9.00: 13.40 used, 6.60 left
    assert list(order.lines.order_by("pk").values_list("sku", "discount_amount")) == [
        ("A-1", Decimal("2.40")), ("B-1", Decimal("2.00")), ("C-1", Decimal("9.00"))]
    assert [row[0] for row in remainders()] == [Decimal("6.60")]


def test_a_voucher_the_cart_uses_whole_leaves_nothing(storefront_cart, dummy_gateway):
    reward_voucher("3.00")
    confirm_payment(checkout(storefront_cart, voucher_code="SHARE-1").order)
    assert remainders() == []


def test_a_promotional_single_use_voucher_applies_partly_and_keeps_no_rest(storefront_cart, dummy_gateway):
    Voucher.objects.create(code="WELCOME", kind="fixed", value=Decimal("50.00"), currency="USD", usage_limit=1)
    order = confirm_payment(checkout(storefront_cart, voucher_code="WELCOME").order)
    assert (order.discount_total, remainders()) == (Decimal("4.40"), [])


def test_an_expired_checkout_uses_nothing_and_the_paid_restart_issues_one_rest(storefront_cart, fake_stripe):
    voucher = reward_voucher("50.00")
    first = checkout(storefront_cart, voucher_code="SHARE-1").order
    let_the_hold_run_out(first)
    first.refresh_from_db()
    assert first.status == OrderStatus.CANCELLED
    validate_voucher(voucher, email="ada@example.com", currency="USD")  # the cancelled order holds no use
    assert remainders() == []

    second = checkout(storefront_cart, voucher_code="SHARE-1").order
    replaced = checkout(storefront_cart, voucher_code="SHARE-1").order  # the buyer restarts checkout
    pay_by_webhook(replaced, event_id="evt_paid")
    pay_by_webhook(replaced, event_id="evt_paid_again")

    assert Order.objects.get(pk=second.pk).status == OrderStatus.CANCELLED
    assert [(row[0], row[-1]) for row in remainders()] == [(Decimal("45.60"), "paid")]
    assert Voucher.objects.get(remainder_of__isnull=False).remainder_order_id == replaced.pk


def test_refunds_give_back_the_discount_on_what_was_refunded_cumulatively(storefront_cart, dummy_gateway):
    reward_voucher("50.00")
    order = confirm_payment(checkout(storefront_cart, voucher_code="SHARE-1").order)
    a_line = order.lines.get(sku="A-1")

    first = refund_order(order, quantities={a_line.pk: 1})  # one of two A-1: half its 2.40
    again = refund_order(order)  # everything left
    order.refresh_from_db()

    assert order.status == OrderStatus.REFUNDED
    assert [(row[0], row[-1]) for row in remainders()] == [
        (Decimal("45.60"), "paid"), (Decimal("1.20"), f"refund:{first.pk}"), (Decimal("3.20"), f"refund:{again.pk}")]
    # the whole 50.00 is owed again: 45.60 never used, 4.40 of discount given back with the goods
    assert sum(row[0] for row in remainders()) == Decimal("50.00")


def test_a_rest_of_a_rest_keeps_the_first_voucher_as_its_origin(storefront_cart, dummy_gateway):
    reward_voucher("50.00")
    confirm_payment(checkout(storefront_cart, voucher_code="SHARE-1").order)
    rest = Voucher.objects.get(remainder_of__code="SHARE-1")
    make_product(brand=make_brand(), variants=[("C-1", "9.00", 10)])
    cart = Cart.objects.create()
    add_line_to_cart(cart, sku="C-1", quantity=1)

    confirm_payment(checkout(cart, voucher_code=rest.code, email="bo@example.com").order)

    assert [(row[0], row[7], row[8]) for row in remainders()] == [
        (Decimal("45.60"), "SHARE-1", "SHARE-1"), (Decimal("36.60"), rest.code, "SHARE-1")]


def _two_units_paid_with_a_reward_of_ten(sku: str) -> Order:
    """2 × ``sku`` at 25.00, paid with a 10.00 reward voucher (money owed: ``reissue_unused``)."""
    make_product(brand=make_brand(), variants=[(sku, "25.00", 10)])
    cart = Cart.objects.create()
    add_line_to_cart(cart, sku=sku, quantity=2)
    Voucher.objects.create(code=f"SHARE-{sku}", kind="fixed", value=Decimal("10.00"), currency="USD", usage_limit=1,
                           per_buyer_limit=1, reissue_unused=True)
    return confirm_payment(checkout(cart, voucher_code=f"SHARE-{sku}").order)


def test_a_duplicate_payment_given_back_neither_refunds_the_order_nor_gives_back_its_voucher(
        django_capture_on_commit_callbacks):
    order = _two_units_paid_with_a_reward_of_ten("DUP-1")
    first = order.payments.get()
    Payment.objects.create(order=order, gateway=first.gateway, intent_id="pi_dup2", amount=first.amount,
                           currency=first.currency, status=PaymentStatus.PENDING)

    with django_capture_on_commit_callbacks(execute=True):
        complete_checkout("pi_dup2")

    order.refresh_from_db()
    assert (order.status, order.amount_refunded) == (OrderStatus.PAID, Decimal("0.00"))
    assert list(Refund.objects.values_list("payment__intent_id", "amount", "status")) == [
        ("pi_dup2", order.total, "succeeded")]
    assert list(Voucher.objects.filter(remainder_order=order).values_list("value", "remainder_source")) == []


def test_a_refund_still_pending_gives_back_no_voucher_value_yet(django_capture_on_commit_callbacks):
    order = _two_units_paid_with_a_reward_of_ten("PEN-1")
    line = order.lines.get()

    assert refunded_discount(order) == Decimal("0.00")
    RefundLine.objects.create(refund=Refund.objects.create(payment=order.payments.get(), order=order,
                                                           amount=Decimal("20.00"), currency="USD"),
                              order_line=line, quantity=1, amount=Decimal("20.00"))  # reserved, not settled
    assert refunded_discount(order) == Decimal("0.00")
    Refund.objects.update(status="succeeded")
    assert refunded_discount(order) == Decimal("5.00")
