"""A reader buys from a guide's block; the brand finds the sale in its report, credited to the
creator, page and block; the creator sees the pending commission."""

import re

import pytest

from creators.services.roles import add_brand_member
from shop.attribution import Attribution
from shop.models import Order, OrderStatus
from shop.services.cart import add_to_cart, create_cart
from shop.services.checkout import confirm_payment, start_checkout
from tests.browser.test_authoring import log_in
from tests.factories import make_brand, make_creator, make_guide, make_product, make_user, product_card

pytestmark = pytest.mark.django_db(transaction=True)


def earlier_sale(sku: str, attribution: Attribution, number: int) -> Order:
    """A sale through the same block before the reader's (so the report row is not folded into 'Other')."""
    cart = create_cart()
    add_to_cart(cart, sku=sku, quantity=1, attribution=attribution)
    result = start_checkout(cart, email=f"earlier{number}@example.com", fulfilment="pickup")
    return confirm_payment(result.order)


def test_a_reader_buys_from_a_block_and_brand_and_creator_see_the_sale(browser, page, live_server):
    # given a published guide whose product card sells an Acme product, and four earlier sales from it
    acme = make_brand("Acme Audio")
    product = make_product(brand=acme, title="Acme Field Speaker", variants=[("ACME-FS", "80.00", 20)])
    creator = make_creator("mia")
    creator.user.set_password("creator-pass")
    creator.user.save()
    card = product_card(product)
    guide = make_guide(creator, title="Speakers for the garden", slug="garden", body=[card])
    attribution = Attribution(creator_id=creator.pk, page_id=guide.pk, block_id=card["id"])
    for number in range(4):
        earlier_sale("ACME-FS", attribution, number)
    brand_user = make_user("acme", password="brand-pass")
    add_brand_member(brand_user, brand=acme)

    # when a reader presses the block's Buy button and checks out with the dummy gateway
    page.goto(f"{live_server.url}{guide.url}")
    page.get_by_role("link", name="Buy Acme Field Speaker").click()
    page.get_by_role("link", name="Go to checkout").click()
    page.get_by_label("Email").fill("reader@example.com")
    page.get_by_label("Pick up in store").check()
    page.get_by_role("button", name=re.compile("Place order")).click()

    # then they see the paid order and their pickup code
    page.get_by_text("Status: Paid").wait_for()
    order = Order.objects.get(email="reader@example.com")
    assert order.status == OrderStatus.PAID
    assert order.number in page.content()
    assert page.locator("img[alt*='QR']").count() == 1
    line = order.lines.get()
    assert (line.creator_id, line.page_id, line.block_id) == (creator.pk, guide.pk, card["id"])

    # when the brand opens its report per block
    brand_page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    try:
        log_in(brand_page, live_server, "acme", "brand-pass")
        brand_page.goto(f"{live_server.url}/admin/reports/brand-performance/?group_by=block")
        row = brand_page.locator("#brand-report tbody tr", has_text="Speakers for the garden")
        # then the sale is credited to that page and block: 5 orders, 400.00 GMV, 40.00 commission
        assert row.locator("th").inner_text() == "Speakers for the garden › Acme Field Speaker"
        # currency, views, clicks, add-to-carts, orders, units, GMV, refunds, net GMV, conversion, EPC, commission
        # (views belong to the page, not a block; no tracked-link clicks, so no conversion rate or EPC)
        assert row.locator("td").all_inner_texts() == [
            "USD", "0", "0", "5", "5", "5", "400.00", "0.00", "400.00", "", "", "40.00",
        ]
        brand_page.goto(f"{live_server.url}/admin/reports/brand-performance/?group_by=creator")
        assert brand_page.locator("#brand-report tbody tr", has_text="Mia").count() == 1
        assert "reader@example.com" not in brand_page.content() and order.number not in brand_page.content()
    finally:
        brand_page.context.close()

    # and the creator sees the pending commission on their earnings page
    creator_page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    try:
        log_in(creator_page, live_server, "mia", "creator-pass")
        creator_page.goto(f"{live_server.url}/admin/earnings/")
        assert "pending 40.00" in creator_page.content()
    finally:
        creator_page.context.close()
