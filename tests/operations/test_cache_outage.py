"""A cache (Redis) outage in the middle of a buyer's flow: the sale and its payment succeed after their commits,
the content API answers from the database meanwhile, and once the server is back with the data it had (the
tokens the failed invalidations could not move) no page JSON written before the sale is served."""

import json

import pytest

from operations import cache_guard, owed_settles
from shop.models import Order, OrderStatus
from shop.services.refunds import refund_order
from tests.factories import make_creator, make_guide, make_product, product_card
from tests.shop.helpers import FakeStripeGateway, intent_object, on_hand, post_webhook, signed_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def outage(restartable_redis, shop_settings, monkeypatch):
    """Stripe faked, a guide showing a product with 2 in stock, and a Redis the test can stop and start."""
    shop_settings.KOLSHOP_PAYMENT_GATEWAY = "stripe"
    shop_settings.KOLSHOP_API_CACHE_SECONDS = 300
    monkeypatch.setattr("shop.payments.stripe_api.StripeGateway", FakeStripeGateway)
    monkeypatch.setattr(cache_guard, "RETRY_SECONDS", 0)  # every call tries the server again
    return restartable_redis


def _post(client, path, payload=None, **environ):
    return client.post(f"/api/v1{path}", json.dumps(payload or {}), content_type="application/json", **environ)


def _offer(client, page_id):
    response = client.get(f"/api/v2/pages/{page_id}/")
    assert response.status_code == 200, response.content
    value = response.json()["body"][0]["value"]
    return value["available"], value["unavailable_reason"], response["ETag"]


def _buy_two(client) -> tuple[list[int], Order]:
    """Cart, line, checkout through the API, then Stripe's signed webhook: the statuses and the order."""
    created = _post(client, "/carts/")
    token = created.json()["token"]
    added = _post(client, f"/carts/{token}/lines", {"sku": "MP-1", "quantity": 2})
    placed = _post(client, f"/carts/{token}/checkout", {"email": "ada@example.com", "fulfilment": "pickup"})
    number = placed.json()["order"]["number"]
    paid = post_webhook(*signed_event("payment_intent.succeeded", intent_object(f"pi_{number}", amount=4000),
                                      event_id=f"evt_{number}"))
    shown = client.get(f"/api/v1/orders/{number}", headers={"X-Order-Secret": placed.json()["order_secret"]})
    return [created.status_code, added.status_code, placed.status_code, paid.status_code, shown.status_code,
            ], Order.objects.get(number=number)


@pytest.fixture
def guide(site_tree):
    product = make_product(variants=[("MP-1", "20.00", 2)])
    return make_guide(make_creator("pia"), body=[product_card(product)])


def test_a_sale_and_its_payment_during_an_outage_succeed_and_no_stale_page_is_served_after_it(
        outage, guide, client, django_assert_num_queries, django_capture_on_commit_callbacks):
    before = _offer(client, guide.pk)
    assert _offer(client, guide.pk) == before  # cached: the entry and its tokens are now in Redis
    assert before[:2] == (True, None)

    outage.stop()
    with django_capture_on_commit_callbacks(execute=True):  # the sale's invalidations run after its commits: lost
        statuses, order = _buy_two(client)
    owed = owed_settles.settle_owed()
    during = _offer(client, guide.pk)
    outage.start()  # back with the data it had: the tokens the sale could not move, the entry of `before`
    after = _offer(client, guide.pk)
    with django_assert_num_queries(0):
        cached_again = _offer(client, guide.pk)

    assert statuses == [201, 201, 201, 200, 200]
    assert (order.status, on_hand("MP-1")) == (OrderStatus.PAID, 0)
    assert owed == 1  # the page cache's lost token moves (the lost fills of the page entry are not owed)
    assert during[:2] == after[:2] == (False, "sold_out")
    assert cached_again == after


def test_a_refund_during_an_outage_puts_the_stock_back_on_the_page_after_it(
        outage, guide, client, django_capture_on_commit_callbacks):
    assert _offer(client, guide.pk)[:2] == (True, None)
    with django_capture_on_commit_callbacks(execute=True):
        statuses, order = _buy_two(client)
    assert _offer(client, guide.pk)[:2] == _offer(client, guide.pk)[:2] == (False, "sold_out")

    outage.stop()
    with django_capture_on_commit_callbacks(execute=True):  # the refund's invalidations, after its commits: lost
        refund = refund_order(order, restock=True)
        settled = post_webhook(*signed_event(
            "charge.refunded", {"id": "ch_1", "object": "charge", "payment_intent": f"pi_{order.number}",
                                "currency": "usd", "captured": True, "amount_refunded": 4000}, event_id="evt_refund"))
    during = _offer(client, guide.pk)
    outage.start()
    after = _offer(client, guide.pk)

    order.refresh_from_db()
    assert statuses == [201, 201, 201, 200, 200]
    assert (settled.status_code, order.status, on_hand("MP-1")) == (200, OrderStatus.REFUNDED, 2)
    assert refund.pk is not None
    assert during[:2] == after[:2] == (True, None)


def test_while_the_cache_is_down_each_process_counts_the_rate_limit_itself(outage, client, settings,
                                                                           steady_rate_limit_clock, monkeypatch):
    from types import SimpleNamespace

    import shop.rate_limits

    monkeypatch.setattr(shop.rate_limits, "time", SimpleNamespace(time=lambda: steady_rate_limit_clock))
    settings.KOLSHOP_RATE_LIMITS = {**settings.KOLSHOP_RATE_LIMITS, "cart_create": "2/m"}
    outage.stop()

    answers = [_post(client, "/carts/", REMOTE_ADDR="203.0.113.9") for _ in range(3)]
    other_client = _post(client, "/carts/", REMOTE_ADDR="203.0.113.10")

    assert [answer.status_code for answer in answers] == [201, 201, 429]
    assert answers[2].json()["code"] == "rate_limited" and answers[2]["Retry-After"] == "30"
    assert other_client.status_code == 201


def test_a_flood_of_new_addresses_during_the_outage_never_resets_a_counted_clients_limit(
        outage, client, settings, steady_rate_limit_clock, monkeypatch):
    from types import SimpleNamespace

    import shop.rate_limits

    monkeypatch.setattr(shop.rate_limits, "time", SimpleNamespace(time=lambda: steady_rate_limit_clock))
    monkeypatch.setattr(shop.rate_limits, "_in_process_counts", shop.rate_limits._InProcessCounts())
    monkeypatch.setattr(shop.rate_limits._InProcessCounts, "MAX_CLIENTS", 3)
    settings.KOLSHOP_RATE_LIMITS = {**settings.KOLSHOP_RATE_LIMITS, "cart_create": "2/m"}
    outage.stop()

    counted = [_post(client, "/carts/", REMOTE_ADDR="203.0.113.9").status_code for _ in range(2)]
    flood = [_post(client, "/carts/", REMOTE_ADDR=f"198.51.100.{n}").status_code for n in range(1, 7)]
    again = _post(client, "/carts/", REMOTE_ADDR="203.0.113.9").status_code

    assert counted == [201, 201]
    # Two more clients counted (three in all); each newcomer after them takes the place of the oldest client
    # seen once, never of a client counted twice.
    assert flood == [201, 201, 201, 201, 201, 201]
    assert again == 429  # its count was kept: the flood did not evict it


def test_a_tracked_link_followed_during_the_outage_redirects_and_counts_its_click(outage, site_tree, client,
                                                                                 monkeypatch):
    from creators.models import Click, LinkTarget
    from creators.services import click_buffer, click_drain, click_ids, link_routes
    from creators.services.links import create_tracked_link
    from tests.creators.test_click_buffer import click_id_in, follow

    monkeypatch.setattr(click_ids, "_id_block", click_ids._IdBlock())
    monkeypatch.setattr(click_buffer, "_buffer", None)
    product = make_product(variants=[("MUG-1", "12.00", 3)])
    create_tracked_link(make_creator("anna"), target_kind=LinkTarget.PRODUCT, product=product, code="mug-anna")
    follow(client, "mug-anna", "203.0.113.1")  # with Redis up: the route cached, a block of click ids reserved
    click_drain.drain_all_clicks()

    outage.stop()  # the cache and the click queue (one Redis): the route and the click come from the database
    link_routes._local_routes.forget(["mug-anna"])  # this process's few seconds' copy gone: the cache is asked
    followed = follow(client, "mug-anna", "203.0.113.2")

    assert followed.status_code == 302
    assert followed["Location"].startswith("/buy/MUG-1/")
    assert Click.objects.filter(pk=click_id_in(followed, "MUG-1")).count() == 1
