"""``resolve_offer``: what a product block sells (one rule for the API, the reader site and the editor)."""

import pytest

from shop.services.offers import resolve_offer
from tests.factories import make_product

pytestmark = pytest.mark.django_db


def test_a_chosen_variant_of_another_product_is_never_sold_under_this_products_card():
    # given a card for a lamp whose stored variant belongs to headphones (refused when saved; older data may hold it)
    lamp = make_product(title="Lamp", variants=[("LAMP-1", "20.00", 3), ("LAMP-2", "15.00", 0)])
    phones = make_product(title="Phones", variants=[("PH-1", "99.00", 40)])

    # when the offer is resolved, with the product's variants at hand (the API) or read (the reader site)
    from_snapshot = resolve_offer(lamp, phones.variants.get(), variants=list(lamp.variants.all()))
    read_here = resolve_offer(lamp, phones.variants.get())

    # then the lamp's own cheapest variant in stock is offered, at its price, never the headphones' SKU
    for offer in (from_snapshot, read_here):
        assert (offer.product, offer.variant.sku, offer.price, offer.available) == (lamp, "LAMP-1", 20, True)


def test_a_chosen_variant_of_the_product_is_offered_even_when_a_cheaper_one_is_in_stock():
    lamp = make_product(title="Lamp", variants=[("LAMP-1", "20.00", 3), ("LAMP-2", "25.00", 2)])

    offer = resolve_offer(lamp, lamp.variants.get(sku="LAMP-2"))

    assert (offer.variant.sku, offer.price, offer.available) == ("LAMP-2", 25, True)
