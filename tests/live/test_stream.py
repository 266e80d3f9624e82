"""The SSE stream: the state first, an event when a change is published, resume by Last-Event-ID, keep-alives."""

import asyncio

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.core.cache import cache
from django.test import AsyncClient

from content.live.services import pin_product, start_session
from tests.live.helpers import lipstick, make_session

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _quick_stream(settings):
    cache.clear()
    settings.KOLSHOP_LIVE_POLL_SECONDS = 30  # only a published change wakes the stream in these tests
    settings.KOLSHOP_LIVE_KEEPALIVE_SECONDS = 30
    settings.KOLSHOP_LIVE_STREAM_SECONDS = 60
    return settings


def _parse(chunk) -> dict:
    fields = {}
    for line in (chunk.decode() if isinstance(chunk, bytes) else chunk).strip().splitlines():
        name, _, value = line.partition(": ")
        fields[name] = value
    return fields


async def _read(chunks, *, timeout: float = 5):
    return _parse(await asyncio.wait_for(anext(chunks), timeout))


def _live(page, capture):
    with capture(execute=True):
        start_session(page)


def test_a_pin_reaches_a_connected_stream(django_capture_on_commit_callbacks):
    product = lipstick("LIP-1")
    page = make_session(products=[product])
    _live(page, django_capture_on_commit_callbacks)

    def pin():
        with django_capture_on_commit_callbacks(execute=True):
            pin_product(page, product_id=product.pk)

    async def scenario():
        response = await AsyncClient().get(f"/api/live/{page.pk}/events/")
        chunks = aiter(response.streaming_content)
        retry, first = await _read(chunks), await _read(chunks)
        await sync_to_async(pin)()
        second = await _read(chunks)
        await chunks.aclose()
        return response, retry, first, second

    response, retry, first, second = async_to_sync(scenario)()

    assert (response["Content-Type"], response["Cache-Control"]) == ("text/event-stream", "no-cache")
    assert retry == {"retry": "2000"}
    assert (first["event"], first["id"]) == ("state", "2")
    assert (second["event"], second["id"]) == ("state", "3")
    assert '"sku": "LIP-1"' in second["data"]
    assert '"pin": null' in first["data"]


def test_a_client_resuming_at_the_current_version_gets_no_repeat_and_an_older_one_catches_up(
        django_capture_on_commit_callbacks):
    product = lipstick("LIP-1")
    page = make_session(products=[product])
    _live(page, django_capture_on_commit_callbacks)

    async def first_events(last_event_id):
        response = await AsyncClient().get(f"/api/live/{page.pk}/events/", headers={"Last-Event-ID": last_event_id})
        chunks = aiter(response.streaming_content)
        await _read(chunks)  # retry
        try:
            return await _read(chunks, timeout=0.5)
        except TimeoutError:
            return None
        finally:
            await chunks.aclose()

    assert async_to_sync(first_events)("2") is None
    assert async_to_sync(first_events)("1")["id"] == "2"


def test_a_quiet_stream_sends_keep_alive_comments(settings, django_capture_on_commit_callbacks):
    settings.KOLSHOP_LIVE_POLL_SECONDS = 0.05
    settings.KOLSHOP_LIVE_KEEPALIVE_SECONDS = 0.1
    page = make_session(products=[lipstick()])

    async def scenario():
        response = await AsyncClient().get(f"/api/live/{page.pk}/events/")
        chunks = aiter(response.streaming_content)
        seen = [await asyncio.wait_for(anext(chunks), 5) for _ in range(3)]
        await chunks.aclose()
        return seen

    retry, first, keep_alive = async_to_sync(scenario)()

    assert keep_alive == b": keep-alive\n\n"


def test_an_unknown_session_has_no_stream(client):
    async def scenario():
        return await AsyncClient().get("/api/live/999999/events/")

    response = async_to_sync(scenario)()

    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_a_deal_ending_on_time_reaches_a_connected_stream_with_no_write_or_publish(django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    from content.live.services import start_flash_deal
    from tests.live.helpers import flash

    product = lipstick("LIP-1", price="20.00")
    page = make_session(products=[product])
    with django_capture_on_commit_callbacks(execute=True):
        start_session(page, now=timezone.now() - timedelta(seconds=60))
        # opened 9.2 s ago for 10 s: it ends in under a second
        start_flash_deal(page, deal=flash(product.variants.get(), seconds=10), now=timezone.now() - timedelta(seconds=9.2))

    async def scenario():
        response = await AsyncClient().get(f"/api/live/{page.pk}/events/")
        chunks = aiter(response.streaming_content)
        await _read(chunks)  # retry
        first = await _read(chunks)
        second = await _read(chunks, timeout=5)  # the poll is 30 s: only the deal's end can wake it
        await chunks.aclose()
        return first, second

    first, second = async_to_sync(scenario)()

    assert int(second["id"]) == int(first["id"]) + 1
    assert '"remaining_units": 50' in first["data"] and '"deals": []' in second["data"]
