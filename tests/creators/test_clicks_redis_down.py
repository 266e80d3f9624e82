"""Clicks while the click queue's Redis is unreachable: the buffer writes them inline with the queue's
rules (once per visit, the client's click limit) and a reserved id already in a redirect's token that was
not counted itself is left as an alias in the database, so an order through that redirect is still
attributed to the visit's click."""

import pytest

from creators.models import Click, ClickAlias, ClickLimitUse, LinkTarget, OrderLineAttribution
from creators.services import click_buffer, click_drain, click_queue
from creators.services.links import create_tracked_link
from tests.creators.helpers import ADDRESS
from tests.creators.test_click_buffer import PHONE, click_id_in, follow
from tests.factories import make_creator, make_product
from tests.support.servers import free_port


@pytest.fixture
def mug_link(site_tree, shop_settings):
    shop_settings.KOLSHOP_RATE_LIMITS = {**shop_settings.KOLSHOP_RATE_LIMITS, "click": "3/m"}
    anna = make_creator("anna")
    product = make_product(variants=[("MUG-1", "12.00", 3)])
    return create_tracked_link(anna, target_kind=LinkTarget.PRODUCT, product=product, code="mug-anna")


def take_redis_down(settings) -> None:
    """Redis stops answering (nothing listens at the address any more); reserved click ids are in hand."""
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"


def buy_through(client, response, ip: str) -> OrderLineAttribution:
    client.get(response["Location"], headers={"User-Agent": PHONE}, REMOTE_ADDR=ip)
    client.post("/checkout/", {"email": "ada@example.com", "fulfilment": "shipping", **ADDRESS})
    return OrderLineAttribution.objects.get()


@pytest.mark.django_db
def test_while_redis_is_down_a_follow_counts_once_per_visit_and_the_client_limit_in_the_database(
        mug_link, client, queue, settings, monkeypatch, steady_click_clock):
    follow(client, "mug-anna", "203.0.113.1")  # warm-up with Redis up: a block of click ids reserved
    click_drain.drain_all_clicks()
    take_redis_down(settings)

    first = follow(client, "mug-anna", "203.0.113.2")
    monkeypatch.setattr(click_buffer, "_buffer", None)  # another app process: no memory of the visit
    repeat = follow(client, "mug-anna", "203.0.113.2")
    other_reader = follow(client, "mug-anna", "203.0.113.2", agent=f"{PHONE} reader-2")
    over_limit = follow(client, "mug-anna", "203.0.113.2", agent=f"{PHONE} reader-3")
    counted = click_id_in(first, "MUG-1")

    assert [r.status_code for r in (first, repeat, other_reader, over_limit)] == [302] * 4
    assert click_id_in(repeat, "MUG-1") == counted  # the visit's click, written before the redirect
    assert click_id_in(over_limit, "MUG-1") is None  # the 4th click of the client in the minute: not counted
    assert sorted(Click.objects.values_list("pk", flat=True)) == sorted(
        [Click.objects.order_by("pk").first().pk, counted, click_id_in(other_reader, "MUG-1")])
    assert list(ClickLimitUse.objects.values_list("used", flat=True)) == [4]
    assert ClickLimitUse.objects.get().client not in ("203.0.113.2", "")  # a keyed hash, never the address
    assert set(ClickAlias.objects.values_list("counted_id", flat=True)) == {counted, None}

    decision = buy_through(client, repeat, "203.0.113.2")
    assert (decision.creator_id, decision.click_id, decision.source) == (mug_link.creator_id, counted, "click")


@pytest.mark.django_db
def test_a_repeat_buffered_before_redis_went_down_leaves_its_reserved_id_as_an_alias(mug_link, client, queue,
                                                                                   settings, monkeypatch,
                                                                                   steady_click_clock):
    settings.KOLSHOP_CLICK_FLUSH_MS = 60_000  # write-behind: the redirect leaves before the click is counted
    settings.KOLSHOP_CLICK_ACK_WAIT_MS = 0
    first = follow(client, "mug-anna", "203.0.113.5")
    click_buffer.flush_clicks()
    click_drain.drain_all_clicks()
    monkeypatch.setattr(click_buffer, "_buffer", None)  # another app process
    repeat = follow(client, "mug-anna", "203.0.113.5")
    others = [follow(client, "mug-anna", "203.0.113.5", agent=f"{PHONE} reader-{n}") for n in range(3)]
    counted, reserved, refused = (click_id_in(first, "MUG-1"), click_id_in(repeat, "MUG-1"),
                                  click_id_in(others[2], "MUG-1"))
    take_redis_down(settings)

    assert click_buffer.flush_clicks() == 4  # written inline; the limit (3/m) counted in the database from here
    assert click_buffer.flush_clicks() == 0

    assert reserved != counted
    assert dict(ClickAlias.objects.values_list("reserved_id", "counted_id")) == {reserved: counted, refused: None}
    assert Click.objects.filter(pk__in=[click_id_in(r, "MUG-1") for r in others[:2]]).count() == 2
    assert not Click.objects.filter(pk=refused).exists() and click_buffer.never_counted(refused)
    assert click_buffer.resolve_clicks({reserved, refused}) == {reserved: counted}
    decision = buy_through(client, repeat, "203.0.113.5")
    assert (decision.click_id, decision.source) == (counted, "click")


@pytest.mark.django_db
def test_a_click_over_the_limit_during_an_outage_is_never_counted_and_leads_to_no_click(mug_link, client, queue,
                                                                                       settings, steady_click_clock):
    settings.KOLSHOP_CLICK_ACK_WAIT_MS = 0
    settings.KOLSHOP_CLICK_FLUSH_MS = 60_000
    responses = [follow(client, "mug-anna", "203.0.113.6", agent=f"{PHONE} reader-{n}") for n in range(5)]
    take_redis_down(settings)
    click_buffer.flush_clicks()
    click_ids = [click_id_in(response, "MUG-1") for response in responses]

    assert sorted(Click.objects.values_list("pk", flat=True)) == sorted(click_ids[:3])
    assert [click_buffer.never_counted(click_id) for click_id in click_ids] == [False] * 3 + [True] * 2
    assert click_buffer.resolve_clicks(set(click_ids)) == {}
    assert click_buffer.flush_clicks() == 0 and ClickLimitUse.objects.get().used == 5


def test_a_failed_inline_write_keeps_the_batch_for_the_next_flush(settings):
    """Redis down and the database failing too: the request whose send failed gets the error, and the batch (its
    click and other requests') stays buffered for the next flush instead of being dropped."""
    settings.KOLSHOP_CLICK_ACK_WAIT_MS = 50
    take_redis_down(settings)
    written: list[list[int]] = []

    def database_down(clicks):
        raise RuntimeError("database unavailable")

    buffer = click_buffer.ClickBuffer(write_inline=database_down)
    clicks = [click_queue.QueuedClick(click_id=n, payload="{}", link_id=1, visitor_candidates=(f"v{n}", f"v{n}"),
                                      window_seconds=60) for n in (101, 102)]
    for click in clicks:
        with pytest.raises(RuntimeError):
            buffer.add(click)
    assert buffer.pending() == 2

    buffer._write_inline = lambda batch: written.append([c.click_id for c in batch]) or [c.click_id for c in batch]
    assert buffer.flush() == 2
    assert (written, buffer.pending()) == ([[101, 102]], 0)
