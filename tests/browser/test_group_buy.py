"""Group buy end to end in three browsers: one reader opens a team from a creator's guide, two friends
join through its share link, and all three orders are paid at the group price (issue 18's "done when").

The dummy gateway holds each card at once (the fake Stripe's holds are tested in tests/shop/); the
team fills on the third join, every hold is captured, and the opener's share page follows without a reload.
"""

import re
from decimal import Decimal

import pytest

from shop.models import GroupMemberStatus, GroupTeam, GroupTeamStatus, Order, OrderStatus
from tests.factories import block, make_creator, make_guide
from tests.shop.group_helpers import make_campaign

pytestmark = pytest.mark.django_db(transaction=True)


def _fill_buyer(page, *, first_name: str, email: str) -> None:
    page.get_by_label("First name (others in the team see only this)").fill(first_name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Pick up in store (free)").check()


def test_three_readers_fill_a_team_and_all_pay_the_group_price(browser, live_server, shop_settings):
    campaign = make_campaign("GRP-HP", price="30.00", group_price="20.00", on_hand=10, team_size=3)
    creator = make_creator("mia")
    guide = make_guide(creator, title="Better together", slug="together",
                       body=[block("group_buy", {"campaign": campaign.pk, "note": "Bring two friends"})])
    contexts = [browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US") for _ in range(3)]
    try:
        opener, second, third = (context.new_page() for context in contexts)
        for page in (opener, second, third):
            page.set_default_timeout(15_000)

        opener.goto(f"{live_server.url}{guide.url}")
        _fill_buyer(opener, first_name="Ada", email="ada@example.com")
        opener.get_by_role("button", name="Open a team at 20.00 USD").click()
        opener.get_by_text("2 seats left").wait_for()
        share_url = opener.locator("a.share-link").get_attribute("href")
        code = share_url.rstrip("/").rsplit("/", 1)[-1]
        assert share_url == f"{live_server.url}/group/{code}/"

        second.goto(share_url)
        assert second.locator(".group-members li").all_inner_texts() == ["Ada"]
        _fill_buyer(second, first_name="Bea Surname", email="bea@example.com")
        second.get_by_role("button", name="Join the team at 20.00 USD").click()
        second.get_by_text("1 seat left").wait_for()
        opener.get_by_text("1 seat left").wait_for()  # the opener's page follows without a reload

        third.goto(share_url)
        _fill_buyer(third, first_name="Cy", email="cy@example.com")
        third.get_by_role("button", name="Join the team at 20.00 USD").click()

        for page in (opener, second, third):
            page.get_by_text("The team is full: everyone pays the group price.").wait_for()
            page.locator(".own-order-status", has_text="Paid").wait_for()
        assert opener.locator(".group-members li").all_inner_texts() == ["Ada", "Bea", "Cy"]
        third.locator("#your-order ~ p a").click()
        third.get_by_text("Status: Paid").wait_for()
        assert third.get_by_role("row", name=re.compile("Total")).last.inner_text().endswith("20.00 USD")
    finally:
        for context in contexts:
            context.close()

    team = GroupTeam.objects.get(code=code)
    assert team.status == GroupTeamStatus.CAPTURED
    orders = Order.objects.filter(group_member__team=team).order_by("group_member__seat")
    assert [(o.email, o.status, o.total, o.lines.get().unit_price) for o in orders] == [
        ("ada@example.com", OrderStatus.PAID, Decimal("20.00"), Decimal("20.00")),
        ("bea@example.com", OrderStatus.PAID, Decimal("20.00"), Decimal("20.00")),
        ("cy@example.com", OrderStatus.PAID, Decimal("20.00"), Decimal("20.00")),
    ]
    assert set(team.members.values_list("status", flat=True)) == {GroupMemberStatus.CAPTURED}
    # Every member's line credits the guide the team was opened from.
    assert {(o.lines.get().creator_id, o.lines.get().page_id) for o in orders} == {(creator.pk, guide.pk)}
