"""A guide share is credited when the friend buys days later from the same browser: following the share
sets a signed referral cookie, and the checkout stores its click on the order (``Order.referral_click_id``)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from creators.models import Click
from creators.services.storefronts import creator_above
from readers.models import RewardEntry
from shop.attribution import REFERRAL_COOKIE, Attribution, buy_path
from shop.models import Order
from shop.services.client_identity import visitor_key
from tests.creators.conftest import queue  # noqa: F401  (a fixture: the test Redis's click queue)
from tests.creators.helpers import PHONE
from tests.readers.reward_helpers import share_of

pytestmark = pytest.mark.django_db

FRIEND_IP = "198.51.100.40"


def _friend() -> Client:
    return Client(headers={"User-Agent": PHONE}, REMOTE_ADDR=FRIEND_IP)


def _followed_days_ago(friend: Client, code: str, *, days: int) -> Click:
    """The friend follows the share, and the click is moved back ``days`` (with that day's visitor hash)."""
    assert friend.get(f"/r/{code}/").status_code == 302
    click = Click.objects.get(link__code=code)
    then = timezone.now() - timedelta(days=days)
    Click.objects.filter(pk=click.pk).update(
        clicked_at=then, visitor_hash=visitor_key(ip=FRIEND_IP, user_agent=PHONE, now=then).current)
    return click


def _buy_on_the_guide(friend: Client, guide, lamp, *, email: str = "friend@example.com") -> Order:
    """Today: the guide's buy button, then checkout (the demo gateway pays at once)."""
    button = buy_path("ARC-1", Attribution(creator_id=creator_above(guide).pk, page_id=guide.pk, block_id="b1"))
    assert friend.get(button).status_code == 302
    placed = friend.post("/checkout/", {"email": email, "fulfilment": "pickup"})
    assert placed.status_code == 302, placed.content
    return Order.objects.get(email=email)


def test_a_friend_who_buys_three_days_after_following_a_guide_share_earns_the_sharer(guide, lamp):
    link = share_of(guide)
    friend = _friend()
    click = _followed_days_ago(friend, link.code, days=3)

    order = _buy_on_the_guide(friend, guide, lamp)

    assert REFERRAL_COOKIE in friend.cookies
    assert (order.status, order.referral_click_id) == ("paid", click.pk)
    entry = RewardEntry.objects.get()
    assert (entry.kind, entry.amount, entry.order_id, entry.link_id, entry.click_id) == (
        "accrual", Decimal("2.00"), order.pk, link.pk, click.pk)


def test_without_the_cookie_a_later_day_is_not_credited(guide, lamp):
    link = share_of(guide)
    _followed_days_ago(_friend(), link.code, days=3)

    order = _buy_on_the_guide(_friend(), guide, lamp)  # same address and phone, another browser

    assert order.referral_click_id is None
    assert RewardEntry.objects.count() == 0


def test_a_share_followed_before_the_attribution_window_earns_nothing(guide, lamp, settings):
    settings.KOLSHOP_ATTRIBUTION_WINDOW_DAYS = 30
    link = share_of(guide)
    friend = _friend()
    click = _followed_days_ago(friend, link.code, days=31)

    order = _buy_on_the_guide(friend, guide, lamp)

    assert order.referral_click_id == click.pk  # the cookie is signed now; the click itself is too old
    assert RewardEntry.objects.count() == 0


def test_the_first_share_followed_stays_in_the_cookie(guide, lamp):
    first, second = share_of(guide, "ada@example.com"), share_of(guide, "bob@example.com")
    friend = _friend()
    first_click = _followed_days_ago(friend, first.code, days=2)
    _followed_days_ago(friend, second.code, days=1)

    order = _buy_on_the_guide(friend, guide, lamp)

    assert order.referral_click_id == first_click.pk
    assert RewardEntry.objects.get().link_id == first.pk


def test_a_forged_cookie_is_ignored(guide, lamp):
    link = share_of(guide)
    friend = _friend()
    click = _followed_days_ago(friend, link.code, days=3)
    friend.cookies[REFERRAL_COOKIE] = str(click.pk)  # unsigned

    order = _buy_on_the_guide(friend, guide, lamp)

    assert order.referral_click_id is None
    assert RewardEntry.objects.count() == 0


def test_a_creators_own_link_sets_no_referral_cookie(guide, lamp):
    from creators.models import LinkTarget
    from creators.services.links import create_tracked_link

    own = create_tracked_link(creator_above(guide), target_kind=LinkTarget.PAGE, page=guide)
    friend = _friend()

    friend.get(f"/r/{own.code}/")

    assert REFERRAL_COOKIE not in friend.cookies


def test_a_follow_over_the_click_limit_does_not_pin_a_dead_referral(guide, lamp, queue, settings):
    """With the click buffer, /r/ learns only later whether a follow was counted: a first follow refused as
    over its address's click limit must not keep the cookie from the friend's next, counted follow."""
    from creators.services import click_buffer, click_drain, click_queue

    settings.KOLSHOP_RATE_LIMITS = {**settings.KOLSHOP_RATE_LIMITS, "click": "1/m"}
    settings.KOLSHOP_CLICK_ACK_WAIT_MS = 0  # write-behind: the redirect leaves before the limit is counted
    link = share_of(guide)
    ip = "198.51.100.77"
    neighbour = Client(headers={"User-Agent": PHONE + " other"}, REMOTE_ADDR=ip)
    friend = Client(headers={"User-Agent": PHONE}, REMOTE_ADDR=ip)
    neighbour.get(f"/r/{link.code}/")  # takes the address's one click this minute
    friend.get(f"/r/{link.code}/")  # over the limit: a reserved id never counted
    click_buffer.flush_clicks()
    click_drain.drain_all_clicks()
    dead = int(friend.cookies[REFERRAL_COOKIE].value.split(":")[0])
    for key in queue.scan_iter(f"{click_queue.RATE_PREFIX}*"):  # the minute is over
        queue.delete(key)

    friend.get(f"/r/{link.code}/")
    click_buffer.flush_clicks()
    click_drain.drain_all_clicks()
    order = _buy_on_the_guide(friend, guide, lamp)

    assert not Click.objects.filter(pk=dead).exists()
    assert order.referral_click_id != dead and Click.objects.filter(pk=order.referral_click_id, link=link).exists()
    assert RewardEntry.objects.filter(order_id=order.pk).count() == 1


def test_with_group_commit_a_follow_over_the_click_limit_sets_no_referral(guide, lamp, queue, settings):
    """The redirect waits for its click to be counted: a follow over the limit carries no click and no cookie."""
    settings.KOLSHOP_RATE_LIMITS = {**settings.KOLSHOP_RATE_LIMITS, "click": "1/m"}
    link = share_of(guide)
    neighbour = Client(headers={"User-Agent": PHONE + " other"}, REMOTE_ADDR="198.51.100.78")
    friend = Client(headers={"User-Agent": PHONE}, REMOTE_ADDR="198.51.100.78")

    counted = neighbour.get(f"/r/{link.code}/")
    refused = friend.get(f"/r/{link.code}/")

    assert (counted.status_code, refused.status_code) == (302, 302)
    assert REFERRAL_COOKIE in neighbour.cookies and REFERRAL_COOKIE not in friend.cookies
