"""One buyer, however they spell their e-mail: the normalisation rules and the limits that count by them."""

from decimal import Decimal

import pytest

from shop.errors import DomainError
from shop.models import Order, Voucher
from shop.services.buyer_identity import buyer_key, normalise_email
from shop.services.checkout import confirm_payment
from tests.shop.helpers import cart_with, checkout, variant_with_stock

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("typed", "normalised"), [
    ("  Ada@Example.COM ", "ada@example.com"),
    ("ada+shop@example.com", "ada@example.com"),
    ("ada+a+b@example.com", "ada@example.com"),
    ("A.da.Lovelace@gmail.com", "adalovelace@gmail.com"),
    ("a.da+x@googlemail.com", "ada@gmail.com"),
    ("a.da@example.com", "a.da@example.com"),  # dots only matter at Gmail
    ("+tag@example.com", "+tag@example.com"),  # nothing before the tag: left as typed
])
def test_normalise_email(typed, normalised):
    assert normalise_email(typed) == normalised


def test_buyer_key_is_a_keyed_hash_of_the_normalised_address(settings):
    key = buyer_key("ada@example.com")
    assert len(key) == 64 and "ada" not in key
    assert buyer_key("ADA+promo@example.com") == key
    assert buyer_key("bob@example.com") != key
    settings.BUYER_IDENTITY_KEY = "another-key"
    assert buyer_key("ada@example.com") != key


def test_every_order_stores_its_buyer_key():
    variant_with_stock("K-1", on_hand=5)
    order = checkout(cart_with(("K-1", 1)), email="Ada+shop@Gmail.com").order
    assert Order.objects.get(pk=order.pk).buyer_key == buyer_key("ada@gmail.com")
    assert order.email == "Ada+shop@Gmail.com"  # the address the buyer typed is where mail goes


def test_plus_tags_and_gmail_dots_do_not_lift_the_quantity_limit(shop_settings):
    shop_settings.KOLSHOP_MAX_QUANTITY_PER_VARIANT = 3
    variant_with_stock("HP-1", on_hand=20)
    confirm_payment(checkout(cart_with(("HP-1", 2)), email="ada.lovelace@gmail.com").order)

    with pytest.raises(DomainError) as error:
        checkout(cart_with(("HP-1", 2)), email="AdaLovelace+again@googlemail.com")

    assert error.value.code == "quantity_limit"
    assert Order.objects.count() == 1


def test_a_plus_tag_does_not_reuse_a_once_per_buyer_voucher():
    variant_with_stock("A-1", on_hand=5)
    Voucher.objects.create(code="ONCE", kind="percentage", value=Decimal("5"), per_buyer_limit=1)
    confirm_payment(checkout(cart_with(("A-1", 1)), email="a@example.com", voucher_code="ONCE").order)

    with pytest.raises(DomainError) as error:
        checkout(cart_with(("A-1", 1)), email="a+2@example.com", voucher_code="ONCE")

    assert error.value.code == "voucher_buyer_limit"
    assert checkout(cart_with(("A-1", 1)), email="b@example.com", voucher_code="ONCE").order.voucher_code == "ONCE"


def test_a_checkout_computes_the_buyer_key_once_and_copies_the_address_it_ships_to(monkeypatch):
    """The buyer's lock, the per-buyer limit and the order row share one key; the order keeps the address trimmed."""
    from shop.services import checkout as checkout_service

    computed = []
    monkeypatch.setattr(checkout_service, "buyer_key", lambda email: computed.append(email) or buyer_key(email))
    variant_with_stock("K-1", on_hand=5)

    order = checkout(cart_with(("K-1", 1)), email="Ada@Example.com").order

    stored = Order.objects.get(pk=order.pk)
    assert (computed, stored.buyer_key) == (["Ada@Example.com"], buyer_key("ada@example.com"))
    assert (stored.shipping_name, stored.shipping_line1, stored.shipping_line2, stored.shipping_city,
            stored.shipping_postal_code, stored.shipping_country) == ("Ada Reader", "1 Main St", "", "Springfield",
                                                                      "12345", "US")
