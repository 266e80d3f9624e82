"""Two browsers: a creator goes live and pins from the console; a reader sees it without reloading and
buys in a flash deal; the session ends and the replay shows the product's chapter.

pytest-django's live server is WSGI, where the SSE view's stream is buffered until it closes
(KOLSHOP_LIVE_STREAM_SECONDS, one second here); the page gets its updates from those short
streams (EventSource reconnects with Last-Event-ID) or from its polling fallback. Production
serves the stream from the ASGI process.
"""

import re
from decimal import Decimal

import pytest

from shop.models import Order, OrderStatus
from tests.browser.test_authoring import log_in
from tests.factories import make_creator
from tests.live.helpers import lipstick, make_session

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_reader_sees_the_pin_live_and_buys_the_flash_deal_then_the_replay_has_its_chapter(
        browser, page, live_server, shop_settings):
    shop_settings.KOLSHOP_LIVE_STREAM_SECONDS = 1
    shop_settings.KOLSHOP_LIVE_POLL_SECONDS = 0.2
    shop_settings.KOLSHOP_LIVE_STATE_SECONDS = 1
    creator = make_creator("mia")
    product = lipstick("LIP-1", price="20.00", on_hand=30)
    session = make_session(creator, products=[product], title="Lipstick live")
    console_context = browser.new_context(viewport={"width": 1280, "height": 900})
    # Closed however the test ends: an open console would keep polling the session-wide live server,
    # whose queries then deadlock later transactional tests' flushes.
    try:
        console = console_context.new_page()
        log_in(console, live_server, "mia", "pass")

        # the creator goes live; the reader opens the live page
        console.goto(f"{live_server.url}/admin/live/{session.pk}/")
        console.get_by_role("button", name="Go live").click()
        console.get_by_role("button", name="End session").wait_for()
        page.goto(f"{live_server.url}{session.url}")
        page.locator("[data-live-status]", has_text="live").wait_for()

        # the creator pins the lipstick and opens a flash deal; the reader's page follows without a reload
        console.locator(f"[data-pin='{product.pk}']").click()
        console.get_by_label("Deal price").fill("12.00")
        console.get_by_label("Units").fill("10")
        console.get_by_role("button", name="Start deal").click()
        console.locator("[data-live-pinned]", has_text="Lipstick LIP-1").wait_for()
        page.locator("[data-live-pin]", has_text="Lipstick LIP-1 12.00 USD").wait_for(timeout=20_000)
        page.locator("[data-live-deals]", has_text="10 left").wait_for(timeout=20_000)

        # the reader buys at the flash price
        page.locator("[data-live-pin]").get_by_role("link", name="Buy").click()
        page.get_by_role("link", name="Go to checkout").click()
        page.get_by_label("Email").fill("reader@example.com")
        page.get_by_label("Pick up in store").check()
        page.get_by_role("button", name=re.compile("Place order")).click()
        page.get_by_text("Status: Paid").wait_for()

        # the creator ends the session and releases the replay; the replay page has the lipstick's chapter
        console.goto(f"{live_server.url}/admin/live/{session.pk}/")
        console.get_by_role("button", name="End session").click()
        console.get_by_role("button", name="Replay is ready").click()
        console.get_by_role("heading", name="Replay chapters").wait_for()
        page.goto(f"{live_server.url}{session.url}")
        page.locator("[data-replay-chapters]", has_text="Lipstick LIP-1").wait_for()

        order = Order.objects.get(email="reader@example.com")
        line = order.lines.get()
        assert (order.status, line.unit_price, line.page_id) == (OrderStatus.PAID, Decimal("12.00"), session.pk)
        assert line.promotion.kind == "flash"
    finally:
        console_context.close()
