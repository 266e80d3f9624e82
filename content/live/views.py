"""Readers' live endpoints: the state (JSON, ETag), the SSE stream and the viewer heartbeat.

The stream is an async view (Django's async ``StreamingHttpResponse``): serve it from the ASGI
process (``settings.asgi``, the Procfile's ``live`` line). It sends the state when its content
changes, woken by ``operations.pubsub`` (any process's version raise: ``content.live.changes``), at a
deal's opening or end (``next_change_at``) and at least every ``KOLSHOP_LIVE_POLL_SECONDS``, with the session's version as the event
id: a client reconnecting with ``Last-Event-ID`` equal to the current version gets no repeat.
Comments (``: keep-alive``) keep proxies from closing a quiet stream.
"""

import asyncio
import hashlib
import json
import re

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpResponse, HttpResponseNotModified, JsonResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from content.live.notify import channel
from content.live.state import SessionNotFound, live_state, seconds_to_next_change
from content.live.viewers import is_new_viewer, record_heartbeat, viewer_count
from operations import pubsub
from operations.etags import if_none_match_names
from shop.api_edge import error_response
from shop.rate_limits import count_request
from shop.services.client_identity import client_ip, client_key
from shop.validation import row_id

_VIEWER = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def _not_found() -> JsonResponse:
    return JsonResponse({"code": "not_found", "message": "No live session here.", "field": None}, status=404)


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _viewer(request) -> str:
    viewer = request.GET.get("viewer", "") or request.POST.get("viewer", "")
    if _VIEWER.match(viewer):
        return viewer
    return client_key(ip=client_ip(request), now=timezone.now()).current


@require_GET
def state_view(request, page_id: int):
    """The live state as JSON; ``If-None-Match`` with the current ETag gets a 304 (pollers' fallback)."""
    try:
        state = live_state(page_id)
    except SessionNotFound:
        return _not_found()
    body = json.dumps(state, sort_keys=True).encode()
    etag = _etag(body)
    if if_none_match_names(request, etag):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type="application/json")
    response["ETag"] = etag
    patch_cache_control(response, public=True, max_age=settings.KOLSHOP_LIVE_STATE_SECONDS)
    return response


@csrf_exempt  # a reader's "still watching": no session, nothing of the reader's changes
@require_POST
def heartbeat_view(request, page_id: int):
    """A polling reader says it is still watching (EventSource readers beat through their stream).

    New viewers are counted per client address (``live_new_viewer``): a script inventing viewer ids from
    one address gets 429s and adds no viewer, while viewers already counted (a household or an office
    behind one address, beating every few seconds) are never refused."""
    viewer = _viewer(request)
    retry_after = count_request(request, scope="live_new_viewer") if is_new_viewer(page_id, viewer) else None
    if retry_after is not None:
        response = error_response(429, message="Too many new viewers from this address; try again shortly.")
        response["Retry-After"] = str(retry_after)
        return response
    record_heartbeat(page_id, viewer)
    return HttpResponse(status=204)


def _event(state: dict) -> str:
    return f"id: {state['version']}\nevent: state\ndata: {json.dumps(state, sort_keys=True)}\n\n"


def _last_event_id(request) -> int | None:
    raw = request.headers.get("Last-Event-ID", "") or request.GET.get("last_event_id", "")
    return row_id(raw)


def _wait_seconds(state: dict) -> float:
    """Until the next poll, or the moment a deal opens or ends (a new version without any write)."""
    until_change = seconds_to_next_change(state)
    if until_change is None:
        return settings.KOLSHOP_LIVE_POLL_SECONDS
    return min(settings.KOLSHOP_LIVE_POLL_SECONDS, until_change + 0.01)


async def _stream(page_id: int, *, last_version: int | None, viewer: str, first: dict):
    loop = asyncio.get_running_loop()
    wake = asyncio.Event()

    async def listen():
        async for _payload in pubsub.subscribe(channel(page_id)):
            wake.set()

    listener = asyncio.create_task(listen())
    read_state = sync_to_async(live_state)
    beat = sync_to_async(record_heartbeat)
    try:
        await asyncio.sleep(0)  # let the listener subscribe before anything can change
        yield "retry: 2000\n\n"
        sent, shown = json.dumps(first, sort_keys=True), first
        if last_version != first["version"]:
            yield _event(first)
        closes_at = loop.time() + settings.KOLSHOP_LIVE_STREAM_SECONDS
        next_keepalive = loop.time() + settings.KOLSHOP_LIVE_KEEPALIVE_SECONDS
        while loop.time() < closes_at:
            try:
                await asyncio.wait_for(wake.wait(), timeout=_wait_seconds(shown))
            except TimeoutError:
                pass
            wake.clear()
            try:
                state = await read_state(page_id)
            except SessionNotFound:
                return
            if json.dumps(state, sort_keys=True) != sent:
                sent, shown = json.dumps(state, sort_keys=True), state
                yield _event(state)
            if loop.time() >= next_keepalive:
                next_keepalive = loop.time() + settings.KOLSHOP_LIVE_KEEPALIVE_SECONDS
                await beat(page_id, viewer)
                yield ": keep-alive\n\n"
    finally:
        listener.cancel()


async def events_view(request, page_id: int):
    """Server-Sent Events: ``event: state`` whenever the live state changes."""
    if request.method != "GET":
        return HttpResponse(status=405, headers={"Allow": "GET"})
    viewer = await sync_to_async(_viewer)(request)
    try:
        first = await sync_to_async(live_state)(page_id)
    except SessionNotFound:
        return _not_found()
    await sync_to_async(record_heartbeat)(page_id, viewer)
    first["viewers"] = await sync_to_async(viewer_count)(page_id)  # this viewer included
    response = StreamingHttpResponse(
        _stream(page_id, last_version=_last_event_id(request), viewer=viewer, first=first),
        content_type="text/event-stream",
    )
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass events through as they come
    return response
