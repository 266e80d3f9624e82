"""PostgreSQL: one buyer follows two sharers' links and pays two orders at once: one reward, to the first click."""

import threading
from decimal import Decimal
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, transaction

from creators.models import Click
from creators.services.links import record_buy_link_click, record_click
from readers.models import RefusalReason, RewardEntry, RewardRefusal
from tests.creators.helpers import PHONE, LineSpec, make_order
from tests.factories import make_creator, make_guide, make_product
from tests.readers.reward_helpers import pay_order, share_of


def _all_at_once(functions) -> list:
    barrier = threading.Barrier(len(functions))

    def run(function):
        try:
            barrier.wait(timeout=30)
            with transaction.atomic():
                return function()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(functions)) as pool:
        return list(pool.map(run, functions))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_orders_through_two_sharers_links_give_one_reward_to_the_first_click(wagtail_base_data):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (concurrent transactions)")
    from content.services.site_tree import ensure_site_tree

    ensure_site_tree()
    guide = make_guide(make_creator("maya"), title="Desk lamps")
    lamp = make_product(title="Arc lamp", variants=[("ARC-1", "40.00", 50)])
    first_link, second_link = share_of(guide, "first@example.com"), share_of(guide, "second@example.com")
    ip = "198.51.100.42"
    first_click = record_click(first_link, ip=ip, user_agent=PHONE)
    record_click(second_link, ip=ip, user_agent=PHONE)
    orders = []
    for link in (second_link, first_link):
        button = record_buy_link_click(creator_id=link.creator_id, page_id=link.page_id, block_id="b1",
                                       product_id=lamp.pk, ip=ip, user_agent=PHONE)
        orders.append(make_order(LineSpec(lamp, unit_price="40.00", creator=link.creator, page_id=link.page_id,
                                          block_id="b1", click_id=button.pk), email="friend@example.com"))

    _all_at_once([lambda order=order: pay_order(order) for order in orders])

    reward = RewardEntry.objects.get()
    assert (reward.kind, reward.reader.email, reward.click_id, reward.amount) == (
        "accrual", "first@example.com", first_click.pk, Decimal("2.00"))
    assert reward.order_id == orders[0].pk  # the buyer's first order
    assert list(RewardRefusal.objects.values_list("order_id", "reason")) == [(orders[1].pk, RefusalReason.RETURNING_BUYER)]
    assert Click.objects.filter(link__in=[first_link, second_link]).count() == 2
