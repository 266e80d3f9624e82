"""The reader sees their reward vouchers: each one redeemed, and the rest an order left of it as a new voucher."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from readers.models import Reader
from readers.services.rewards import lock_matured_rewards, redeem_rewards
from shop.models import Cart, Voucher
from shop.services.cart import add_to_cart
from shop.services.checkout import confirm_payment
from tests.factories import make_product
from tests.readers.helpers import sign_in
from tests.readers.reward_helpers import buy_through, share_of
from tests.shop.helpers import checkout

pytestmark = pytest.mark.django_db
MONTH_AGO = timezone.now() - timedelta(days=31)


def _redeemed(guide, lamp, *, friend: str) -> Voucher:
    """Ada's share sells one lamp at 40.00 (5 %: a 2.00 reward); a month on, she redeems it."""
    link = share_of(guide, "ada@example.com")
    buy_through(link, lamp, email=friend, paid_at=MONTH_AGO)
    lock_matured_rewards()
    return redeem_rewards(Reader.objects.get(email="ada@example.com"), currency="USD")


def _spend(voucher: Voucher, *, email: str) -> Voucher:
    """A 1.50 clip bought with the voucher: the order is paid and 0.50 of it is left as a new voucher."""
    cart = Cart.objects.create()
    add_to_cart(cart, sku="CLIP-1", quantity=1)
    confirm_payment(checkout(cart, voucher_code=voucher.code, email=email).order)
    return Voucher.objects.get(remainder_of=voucher)


def test_the_api_lists_the_readers_reward_vouchers_with_their_remainders(
        client, ask, guide, lamp, django_assert_num_queries):
    make_product(title="Cable clip", variants=[("CLIP-1", "1.50", 10)])
    first = _redeemed(guide, lamp, friend="friend@example.com")
    assert (first.value, first.reissue_unused) == (Decimal("2.00"), True)
    rest = _spend(first, email="ada@example.com")
    sign_in(client, ask, "ada@example.com")
    client.get("/api/v1/account/rewards/vouchers")  # warm-up
    with django_assert_num_queries(4):  # session, reader, redemptions, vouchers with their uses
        small = client.get("/api/v1/account/rewards/vouchers").json()

    second = _redeemed(guide, lamp, friend="friend2@example.com")
    second_rest = _spend(second, email="bo@example.com")
    with django_assert_num_queries(4):
        large = client.get("/api/v1/account/rewards/vouchers").json()

    assert small == [
        {"code": rest.code, "value": "0.50", "currency": "USD", "valid_until": None, "used": False,
         "remainder_of": first.code},
        {"code": first.code, "value": "2.00", "currency": "USD", "valid_until": None, "used": True,
         "remainder_of": None},
    ]
    assert [(item["code"], item["used"]) for item in large] == [
        (second_rest.code, False), (second.code, True), (rest.code, False), (first.code, True)]


def test_another_readers_vouchers_are_not_listed(client, ask, guide, lamp):
    _redeemed(guide, lamp, friend="friend@example.com")
    sign_in(client, ask, "bo@example.com")
    assert client.get("/api/v1/account/rewards/vouchers").json() == []


def test_the_migration_makes_earlier_reward_vouchers_money_owed_and_leaves_others_alone(guide, lamp):
    import importlib

    from django.apps import apps

    _redeemed(guide, lamp, friend="friend@example.com")
    Voucher.objects.update(reissue_unused=False)  # as redeemed before readers 0004
    Voucher.objects.create(code="WELCOME", kind="fixed", value=Decimal("5.00"), currency="USD", usage_limit=1)

    importlib.import_module("readers.migrations.0004_vouchers2").mark_reward_vouchers(apps, None)

    assert sorted(Voucher.objects.values_list("code", "reissue_unused")) == [
        (Voucher.objects.get(code__startswith="SHARE-").code, True), ("WELCOME", False)]
