"""Issue 16: a pickup buyer gets the confirmation e-mail and opens the order from its link in a fresh
browser; the storefront and a guide work at phone width (390 px) with 44 px targets."""

import re

import pytest
from django.core import mail

from shop.services.orders import pickup_code_for
from shop.models import Order
from tests.factories import (
    comparison_table, make_creator, make_guide, make_image, make_product, product_card, shop_the_look, storefront_of,
)

pytestmark = pytest.mark.django_db(transaction=True)

SMALL_TARGETS = """() => [...document.querySelectorAll('a, button, input, select, [tabindex]')]
  .filter(el => { const r = el.getBoundingClientRect(); return r.width > 1 && r.height > 1
                  && getComputedStyle(el).visibility !== 'hidden' && !el.closest('.visually-hidden'); })
  .map(el => { const r = el.getBoundingClientRect();
               return {text: (el.innerText || el.name || el.tagName).trim().slice(0, 40),
                       width: Math.round(r.width), height: Math.round(r.height)}; })
  .filter(t => t.width < 44 || t.height < 44)"""


def test_a_pickup_buyer_opens_the_order_from_the_e_mail_in_a_fresh_browser(page, browser, live_server, shop_settings):
    shop_settings.KOLSHOP_SITE_URL = live_server.url
    lamp = make_product(title="Arc lamp", variants=[("LAMP-1", "89.00", 4)])
    guide = make_guide(make_creator("mia"), title="Desk setup", slug="desk", body=[product_card(lamp)])

    page.goto(f"{live_server.url}{guide.url}")
    page.get_by_role("link", name="Buy Arc lamp").click()
    page.get_by_role("link", name="Go to checkout").click()
    page.get_by_label("Email").fill("reader@example.com")
    page.get_by_label("Pick up in store").check()
    assert not page.get_by_label("Street address").is_visible()
    assert page.locator("#checkout-total").inner_text() == "89.00 USD"
    page.get_by_role("button", name=re.compile("Place order and pay 89.00 USD")).click()
    page.get_by_text("Status: Paid").wait_for()

    order = Order.objects.get(email="reader@example.com")
    [message] = mail.outbox
    assert message.to == ["reader@example.com"]
    link = re.search(r"(http://\S+/orders/open/\S+/)", message.body).group(1)
    fresh = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        other = fresh.new_page()
        assert other.goto(f"{live_server.url}/orders/{order.number}/").status == 404
        other.goto(link)
        assert other.url == f"{live_server.url}/orders/{order.number}/"
        assert other.locator(".pickup-code").inner_text() == pickup_code_for(order)
        assert other.get_by_role("img", name=re.compile("QR code")).evaluate("img => img.naturalWidth") > 0
    finally:
        fresh.close()


@pytest.mark.parametrize("which", ["storefront", "guide"])
def test_phone_width_has_no_horizontal_scroll_and_44px_targets(browser, live_server, which):
    creator = make_creator("pia")
    creator.bio = "Lamps, desks and the light to work by."
    creator.avatar = make_image("Pia")
    creator.save()
    lamp = make_product(title="Arc lamp with a rather long name for a phone", variants=[("LAMP-1", "89.00", 4)],
                        attributes={"Height": "1.8 m", "Bulb": "E27"})
    chair = make_product(title="Desk chair", variants=[("CHAIR-1", "240.00", 3)], attributes={"Height": "1.1 m"})
    guide = make_guide(creator, title="Desk setup", slug="desk", body=[
        product_card(lamp), comparison_table([lamp, chair], attributes=["Height", "Bulb"]),
        shop_the_look(make_image(width=800, height=600), [(chair, None, "50", "50", "Chair")]),
    ])
    url = storefront_of(creator).url if which == "storefront" else guide.url
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        phone = context.new_page()
        phone.goto(f"{live_server.url}{url}")
        widths = phone.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert widths[0] <= widths[1] == 390
        assert phone.evaluate(SMALL_TARGETS) == []
    finally:
        context.close()
