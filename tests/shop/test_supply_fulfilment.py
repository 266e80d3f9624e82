"""A brand sees each fulfilment group's lines and shipping address, never the buyer's e-mail or phone."""

import pytest
from django.test import Client

from shop.models import Cart, Variant
from shop.services.cart import add_line_to_cart
from shop.services.checkout import confirm_payment
from shop.services.fulfilment_groups import brand_fulfilment_groups
from tests.factories import make_brand, make_brand_user, make_creator, make_product
from tests.shop.helpers import checkout
from tests.shop.supply_helpers import live_listing, offer_for

pytestmark = pytest.mark.django_db
URL = "/admin/shop/fulfilment-groups/"


@pytest.fixture
def paid_order(shop_settings, site_tree):
    brand_a, brand_b = make_brand("Alpha"), make_brand("Bravo")
    make_product(brand=brand_a, title="Alpha lamp", variants=[("LAMP-1", "25.00", 10)])
    make_product(brand=brand_b, title="Bravo mug", variants=[("MUG-1", "12.00", 10)])
    user_a, user_b = make_brand_user("alpha-ops", brand=brand_a), make_brand_user("bravo-ops", brand=brand_b)
    listing = live_listing(offer_for(Variant.objects.get(sku="LAMP-1"), user=user_a), creator_id=make_creator().pk, price="24.00")
    cart = Cart.objects.create()
    add_line_to_cart(cart, sku="LAMP-1", quantity=2, listing_id=listing.pk)
    add_line_to_cart(cart, sku="MUG-1", quantity=1)
    order = confirm_payment(checkout(cart, email="secret-buyer@example.com").order)
    return order, user_a, user_b


def test_each_brand_reads_only_its_own_group(paid_order):
    order, user_a, user_b = paid_order
    [group_a] = brand_fulfilment_groups(user_a)
    [group_b] = brand_fulfilment_groups(user_b)
    assert (group_a.order_number, [(line.sku, line.quantity) for line in group_a.lines]) == (
        order.number, [("LAMP-1", 2)])
    assert [(line.sku, line.quantity) for line in group_b.lines] == [("MUG-1", 1)]
    assert (group_a.ship_to.name, group_a.ship_to.line1, group_a.ship_to.country) == ("Ada Reader", "1 Main St", "US")
    assert not hasattr(group_a, "email") and "email" not in group_a.ship_to.__dataclass_fields__


def test_the_brand_admin_page_shows_lines_and_address_but_no_buyer_contact(paid_order):
    order, user_a, _ = paid_order
    client = Client()
    client.force_login(user_a)
    html = client.get(URL).content.decode()
    assert order.number in html and "LAMP-1" in html and "1 Main St" in html
    assert "MUG-1" not in html
    assert "secret-buyer" not in html and "@example.com" not in html


def test_the_page_costs_the_same_queries_for_one_or_many_groups(paid_order, django_assert_num_queries):
    _, user_a, _ = paid_order
    client = Client()
    client.force_login(user_a)
    client.get(URL)  # warm-up
    with django_assert_num_queries(12):
        client.get(URL)
    listing = Variant.objects.get(sku="LAMP-1").supply_offers.get().listings.get()
    for _ in range(2):
        cart = Cart.objects.create()
        add_line_to_cart(cart, sku="LAMP-1", quantity=1, listing_id=listing.pk)
        confirm_payment(checkout(cart).order)
    assert len(brand_fulfilment_groups(user_a)) == 3
    with django_assert_num_queries(12):
        client.get(URL)


def test_an_order_of_catalog_lines_is_split_per_brand_too(shop_settings, site_tree):
    brand_a, brand_b = make_brand("Alpha"), make_brand("Bravo")
    make_product(brand=brand_a, variants=[("CAT-A1", "10.00", 10)])
    make_product(brand=brand_a, variants=[("CAT-A2", "4.00", 10)])
    make_product(brand=brand_b, variants=[("CAT-B1", "7.00", 10)])
    user_a, user_b = make_brand_user("alpha-cat", brand=brand_a), make_brand_user("bravo-cat", brand=brand_b)
    cart = Cart.objects.create()
    for sku, quantity in (("CAT-A1", 1), ("CAT-B1", 2), ("CAT-A2", 3)):
        add_line_to_cart(cart, sku=sku, quantity=quantity)
    order = confirm_payment(checkout(cart, email="catalog-buyer@example.com").order)
    assert not order.sells_supply
    assert sorted(order.fulfilment_groups.values_list("brand_id", flat=True)) == sorted([brand_a.pk, brand_b.pk])
    [group_a], [group_b] = brand_fulfilment_groups(user_a), brand_fulfilment_groups(user_b)
    assert [(line.sku, line.quantity) for line in group_a.lines] == [("CAT-A1", 1), ("CAT-A2", 3)]
    assert [(line.sku, line.quantity) for line in group_b.lines] == [("CAT-B1", 2)]
    assert (group_b.ship_to.name, group_b.ship_to.line1, group_b.ship_to.city) == ("Ada Reader", "1 Main St",
                                                                                   group_a.ship_to.city)
    client = Client()
    client.force_login(user_b)
    html = client.get(URL).content.decode()
    assert "CAT-B1" in html and "1 Main St" in html and "CAT-A1" not in html
    assert "catalog-buyer" not in html and "@example.com" not in html


def test_orders_placed_before_every_order_had_groups_are_backfilled(shop_settings, site_tree):
    import importlib

    from django.apps import apps

    from shop.models import FulfilmentGroup, OrderLine

    brand_a, brand_b = make_brand("Alpha"), make_brand("Bravo")
    make_product(brand=brand_a, variants=[("OLD-A1", "10.00", 10)])
    make_product(brand=brand_b, variants=[("OLD-B1", "7.00", 10)])
    cart = Cart.objects.create()
    add_line_to_cart(cart, sku="OLD-A1", quantity=1)
    add_line_to_cart(cart, sku="OLD-B1", quantity=2)
    order = checkout(cart).order
    OrderLine.objects.filter(order=order).update(fulfilment_group=None)
    FulfilmentGroup.objects.filter(order=order).delete()  # as an order placed before supplyops
    importlib.import_module("shop.migrations.0021_supplyops").backfill_fulfilment_groups(apps, None)
    groups = {group.brand_id: group for group in FulfilmentGroup.objects.filter(order=order)}
    assert sorted(groups) == sorted([brand_a.pk, brand_b.pk])
    assert {line.sku: line.fulfilment_group_id for line in order.lines.all()} == {
        "OLD-A1": groups[brand_a.pk].pk, "OLD-B1": groups[brand_b.pk].pk}
