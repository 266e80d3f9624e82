"""Distribution reports: a creator's margin, units and sell-through per listing; a brand's sales per storefront."""

from collections import defaultdict
from decimal import Decimal

import pytest

from creators.reports.supply_figures import brand_storefront_sales, listing_figures
from shop.models import Cart, Order, OrderLine, Variant
from shop.payments.webhooks import handle_event
from shop.services.cart import add_line_to_cart
from shop.services.checkout import confirm_payment
from shop.services.refunds import refund_order
from tests.creators.helpers import LOST, dispute_event
from tests.factories import make_product
from tests.shop.helpers import checkout
from tests.shop.supply_helpers import live_listing, offer_for, sell

pytestmark = pytest.mark.django_db


def test_a_creator_sees_margin_units_and_sell_through_per_listing(sales):
    _, anna, _, anna_listing, other = sales
    figures = {figure.listing_id: figure for figure in listing_figures(anna.pk)}
    # 3 paid units at 24.00: fee 1.20 each, wholesale 10.00 each → margin 12.80 each; 10 − 6 paid = 4 on hand.
    mine = figures[anna_listing.pk]
    assert (mine.sku, mine.units, mine.margin) == ("REP-1", 3, Decimal("38.40"))
    assert mine.sell_through == Decimal("0.43")  # 3 ÷ (3 + 4)
    assert (figures[other.pk].units, figures[other.pk].margin, figures[other.pk].sell_through) == (
        0, Decimal("0.00"), Decimal("0.00"))


def test_a_brand_sees_its_supply_sales_per_storefront_as_aggregates(sales):
    brand, anna, ben, _, _ = sales
    rows = {row.creator_id: (row.storefront, row.units, row.sales, row.wholesale)
            for row in brand_storefront_sales({brand.pk})}
    assert rows == {anna.pk: ("Anna", 3, Decimal("72.00"), Decimal("30.00")),
                    ben.pk: ("Ben", 3, Decimal("60.00"), Decimal("30.00"))}


def test_a_storefronts_wholesale_is_the_sum_of_its_lines_net_of_each_lines_refunds_and_disputes(sales):
    brand, anna, ben, anna_listing, _ = sales
    make_product(brand=brand, variants=[("REP-3", "40.00", 10)])
    dearer = live_listing(offer_for(Variant.objects.get(sku="REP-3"), wholesale_price="18.00",
                                    recommended_price="35.00", max_price="45.00"), creator_id=anna.pk, price="39.99")
    cart = Cart.objects.create()
    add_line_to_cart(cart, sku="REP-1", quantity=1, listing_id=anna_listing.pk)
    add_line_to_cart(cart, sku="REP-3", quantity=1, listing_id=dearer.pk)
    order = confirm_payment(checkout(cart).order)
    cheap = order.lines.get(variant__sku="REP-1")
    refund_order(order, quantities={cheap.pk: 1})  # the 24.00 line back in full, the 39.99 one kept
    # Ben's new order loses a 7.77 dispute: 6.22 of its 20.00 line (the 5.00 shipping takes 1.55).
    ben_order = sell(Order.objects.filter(lines__listing__creator_id=ben.pk).first().lines.get().listing, 1)
    for number, (event_type, status) in enumerate(LOST):
        handle_event(dispute_event(ben_order, event_type=event_type, event_id=f"evt_{number}", amount=777,
                                   status=status))

    rows = {row.creator_id: (row.units, row.sales, row.wholesale) for row in brand_storefront_sales({brand.pk})}

    # Anna: 30.00 of the earlier sales + 18.00 (summed totals netted once would say 49.30).
    # Ben: 30.00 + 10.00 − 3.11, the dispute's wholesale part of his line (10.00 × 13.78 / 20.00 = 6.89 left).
    assert rows == {anna.pk: (4, Decimal("111.99"), Decimal("48.00")),
                    ben.pk: (4, Decimal("73.78"), Decimal("36.89"))}
    SOLD = ["paid", "fulfilled", "partially_refunded"]
    per_line = defaultdict(lambda: Decimal("0.00"))
    sold = OrderLine.objects.filter(listing__isnull=False, brand_id=brand.pk, order__status__in=SOLD)
    for line in sold.select_related("listing").prefetch_related("supply_splits"):
        per_line[line.listing.creator_id] += line.wholesale_amount - sum(
            (split.wholesale_part for split in line.supply_splits.all()), Decimal("0.00"))
    assert {creator_id: row[2] for creator_id, row in rows.items()} == dict(per_line)
    assert {f.listing_id: f.margin for f in listing_figures(anna.pk)}[dearer.pk] == Decimal("19.99")
