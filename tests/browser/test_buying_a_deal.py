"""A reader buys through a deal block: the page, the cart and the paid order all show the deal price."""

import re
from decimal import Decimal

import pytest

from shop.models import Order, OrderStatus
from tests.factories import block, make_creator, make_deal, make_guide, make_product

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_reader_buys_a_deal_at_the_deal_price(page, live_server, shop_settings):
    variant = make_product(title="Acme Headphones", variants=[("ACME-HP", "124.99", 20)]).variants.get()
    deal = make_deal(variant, price="99.00", unit_cap=5)
    guide = make_guide(make_creator("mia"), title="Deals", slug="deals",
                       body=[block("deal", {"deal": deal.pk, "note": "Readers only"})])

    page.goto(f"{live_server.url}{guide.url}")
    assert page.get_by_text("Deal: 99.00 USD").count() == 1
    assert page.get_by_text("5 left at this price").count() == 1
    page.get_by_role("link", name="Buy Acme Headphones").click()
    assert page.locator("table.cart td", has_text="99.00 USD").count() >= 1
    page.get_by_role("link", name="Go to checkout").click()
    page.get_by_label("Email").fill("reader@example.com")
    page.get_by_label("Pick up in store").check()
    page.get_by_role("button", name=re.compile("Place order")).click()

    page.get_by_text("Status: Paid").wait_for()
    order = Order.objects.get(email="reader@example.com")
    line = order.lines.get()
    assert (order.status, order.total) == (OrderStatus.PAID, Decimal("99.00"))
    assert (line.unit_price, line.list_unit_price, line.promotion_id) == (Decimal("99.00"), Decimal("124.99"), deal.pk)
