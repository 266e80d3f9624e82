"""Done when (issue 19): a reader signs in by the mailed link, shares a guide, a friend buys through the
share, and after the return window the reader turns the reward into a voucher and uses it."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from readers.models import RewardEntry
from readers.services.rewards import lock_matured_rewards
from shop.models import Order, OrderStatus
from tests.factories import make_creator, make_guide, make_product, product_card

pytestmark = pytest.mark.django_db(transaction=True)

# Headless Chromium says "HeadlessChrome", which the click counter rightly takes for a bot.
DESKTOP = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
PHONE = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36"


def _context(browser, user_agent: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US", user_agent=user_agent)
    context.set_default_timeout(15_000)
    return context


def _buy(page, *, email: str, voucher: str = "") -> None:
    page.get_by_role("link", name="Buy Arc lamp").first.click()
    page.get_by_role("link", name="Go to checkout").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Pick up in store").check()
    if voucher:
        page.get_by_label("Voucher code (optional)").fill(voucher)
    page.get_by_role("button", name=re.compile("Place order")).click()
    page.get_by_text("Status: Paid").wait_for()


def test_a_reader_shares_a_guide_and_spends_the_reward(browser, live_server, shop_settings):
    shop_settings.KOLSHOP_SITE_URL = live_server.url
    lamp = make_product(title="Arc lamp", variants=[("ARC-1", "80.00", 20)])
    guide = make_guide(make_creator("mia"), title="Desk lamps", slug="desk-lamps", body=[product_card(lamp)])
    sharer_context, friend_context = _context(browser, DESKTOP), _context(browser, PHONE)
    try:
        sharer = sharer_context.new_page()
        sharer.goto(f"{live_server.url}/account/sign-in/")
        sharer.get_by_label("E-mail").fill("ada@example.com")
        sharer.get_by_role("button", name="E-mail me a sign-in link").click()
        sharer.get_by_text("Check your e-mail").wait_for()
        link = re.search(r"https?://\S+/account/sign-in/link/\S+/", mail.outbox[-1].body)[0]
        sharer.goto(link)
        sharer.get_by_role("button", name="Sign in to kolshop").click()
        sharer.get_by_text("Signed in as").wait_for()

        sharer.goto(f"{live_server.url}{guide.url}")
        sharer.get_by_role("link", name="Share this guide").click()
        sharer.get_by_role("button", name="Create my share link").click()
        share_url = re.search(r"http\S+/r/[A-Za-z0-9_-]+/", sharer.locator(".messages").inner_text())[0]

        friend = friend_context.new_page()
        friend.goto(share_url)
        assert friend.get_by_role("heading", name="Desk lamps").count() == 1
        _buy(friend, email="friend@example.com")

        reward = RewardEntry.objects.get()
        assert (reward.kind, reward.amount) == ("accrual", Decimal("4.00"))
        assert lock_matured_rewards(now=timezone.now() + timedelta(days=31)) == 1  # the return window passes

        sharer.goto(f"{live_server.url}/account/")
        sharer.get_by_role("button", name="Turn 4.00 USD into a voucher").click()
        voucher = re.search(r"SHARE-[0-9A-F]+", sharer.locator(".messages").inner_text())[0]
        sharer.goto(f"{live_server.url}{guide.url}")
        _buy(sharer, email="ada@example.com", voucher=voucher)
    finally:
        sharer_context.close()
        friend_context.close()

    own = Order.objects.get(email="ada@example.com")
    assert (own.status, own.discount_total, own.total, own.voucher_code) == (
        OrderStatus.PAID, Decimal("4.00"), Decimal("76.00"), voucher)
    assert RewardEntry.objects.filter(kind="redemption").get().amount == Decimal("4.00")
