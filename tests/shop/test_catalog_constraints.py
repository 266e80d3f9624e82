from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from shop.models import Stock, StockLevel, Variant
from shop.models.inventory import StockStatus
from shop.services.inventory import adjust_stock_on_hand, ensure_stock_records, set_stock_on_hand
from tests.factories import make_product

pytestmark = pytest.mark.django_db


def test_stock_on_hand_can_never_go_negative_in_the_database():
    product = make_product(variants=[("NEG-1", "10.00", 2)])
    variant = product.variants.get()

    with pytest.raises(IntegrityError), transaction.atomic():
        adjust_stock_on_hand(variant, delta=-3)

    assert Stock.objects.get(variant=variant).on_hand == 2


def test_stock_decrement_within_what_is_on_hand_is_exact():
    variant = make_product(variants=[("DEC-1", "10.00", 7)]).variants.get()

    adjust_stock_on_hand(variant, delta=-7)

    assert Stock.objects.get(variant=variant).on_hand == 0


def test_set_stock_refuses_a_negative_count_and_keeps_the_old_one():
    variant = make_product(variants=[("SET-1", "10.00", 4)]).variants.get()

    with pytest.raises(ValueError):
        set_stock_on_hand(variant, on_hand=-1)
    set_stock_on_hand(variant, on_hand=12)

    assert Stock.objects.get(variant=variant).on_hand == 12


def test_sku_is_unique_across_products():
    make_product(variants=[("DUP-1", "10.00", 1)])
    with pytest.raises(IntegrityError), transaction.atomic():
        make_product(variants=[("DUP-1", "12.00", 1)])
    assert Variant.objects.filter(sku="DUP-1").count() == 1


@pytest.mark.parametrize(
    ("price", "compare_at"),
    [(Decimal("-0.01"), None), (Decimal("10.00"), Decimal("10.00")), (Decimal("10.00"), Decimal("9.99"))],
)
def test_database_refuses_negative_prices_and_compare_at_not_above_price(price, compare_at):
    product = make_product(variants=[("OK-1", "10.00", 1)])
    with pytest.raises(IntegrityError), transaction.atomic():
        Variant.objects.create(product=product, sku="BAD-1", price=price, compare_at_price=compare_at, currency="USD")


def test_database_refuses_a_currency_that_is_not_an_iso_code():
    product = make_product(variants=[("OK-2", "10.00", 1)])
    with pytest.raises(IntegrityError), transaction.atomic():
        Variant.objects.create(product=product, sku="BAD-2", price=Decimal("1.00"), currency="usd")


def test_variant_clean_explains_a_compare_at_price_below_the_price():
    product = make_product(variants=[("OK-3", "10.00", 1)])
    variant = Variant(product=product, sku="CLEAN-1", price=Decimal("20.00"), compare_at_price=Decimal("15.00"))
    with pytest.raises(ValidationError) as error:
        variant.full_clean()
    assert error.value.message_dict["compare_at_price"] == ["The compare-at price must be above the price."]


def test_money_is_stored_exactly():
    product = make_product(variants=[("EXACT-1", "19.99", 1)])
    assert Variant.objects.get(sku="EXACT-1").price == Decimal("19.99")
    assert product.variants.get().currency == "USD"


def test_every_variant_gets_a_stock_record_once():
    product = make_product(variants=[("ENS-1", "10.00", 3)])
    Variant.objects.create(product=product, sku="ENS-2", price=Decimal("11.00"), currency="USD")

    assert ensure_stock_records(product) == 1
    assert ensure_stock_records(product) == 0
    assert dict(Stock.objects.filter(variant__product=product).values_list("variant__sku", "on_hand")) == {
        "ENS-1": 3,
        "ENS-2": 0,
    }


@pytest.mark.parametrize(
    ("quantity", "threshold", "expected"),
    [(0, None, StockLevel.OUT_OF_STOCK), (5, None, StockLevel.LOW_STOCK), (6, None, StockLevel.IN_STOCK),
     (6, 10, StockLevel.LOW_STOCK), (-2, None, StockLevel.OUT_OF_STOCK)],
)
def test_stock_status_levels(quantity, threshold, expected, settings):
    settings.KOLSHOP_LOW_STOCK_THRESHOLD = 5
    assert StockStatus.for_quantity(quantity, low_stock_threshold=threshold).level == expected
