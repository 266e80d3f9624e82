"""``/r/<code>`` in front of Django's ASGI handler (mounted by ``settings.asgi``): the same answer for far less.

Django's ASGI handler costs a follow more than the follow itself: a new thread per request, two hops
into it, the URL resolver walking the project's patterns, and fourteen middleware. This app answers a
tracked-link follow with the same code and nothing else:

* **The same decisions.** ``creators.views.follow_cached_link`` shares ``follow_link``'s code (the
  cached route, the click buffer with group commit and the client's click limit, the trusted-proxy
  client address, the referral cookie) and gives up (``NotDecidedHere``) before counting anything
  it can't decide without the database: Django then answers, through its whole stack.
* **The same headers.** The request goes through the project's own middleware instances
  (``settings.MIDDLEWARE``) minus ``NOT_FOR_FOLLOWS``, each left out for a stated reason; a new
  middleware runs here too unless it is listed. The view's ``never_cache`` is the same decorator
  (``creators.never_cache``: Django's headers, computed once).
* **Only redirects.** Any other answer (a 400 for control characters, a refused host, an exception)
  is left to Django, which also logs it; the fast path decides before any click is counted. (An
  exception after the count, Redis and the database both failing, leaves the follow to Django too,
  which counts it again by the same rules: the same visit, one more use of the client's limit.)
* **Only what the URL conf sends to ``follow_link``**: the path must match its pattern, and the
  project's resolver must send a sample code there (checked once per process).

Requests with a body, other methods and other paths go to Django untouched (their body unread).

**On the event loop when nothing blocks.** A follow is first decided on the loop itself
(``click_tickets.deciding_on_loop``): its route from this process's memory, a click id at hand, its click
appended to the buffer and its ticket awaited while the buffer's sender thread counts the batch (one hand-off
per batch, none per follow). The redirect built with the provisional id is sent when the queue counted that
id; when it counted another (a visit another process counted, the client's limit), the chain runs once more
with the queue's id, counting nothing (``FOLLOW_COUNTED_KEY``). A follow that would block (``MustBlock``:
nothing counted yet, or a later step after the count) runs in a thread, as every follow did before.
"""

import asyncio
import contextvars
import io
import logging
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor
from functools import cache

from django.conf import settings
from django.core import signals
from django.core.exceptions import MiddlewareNotUsed, SynchronousOnlyOperation
from django.core.handlers.asgi import ASGIHandler, ASGIRequest, get_script_prefix
from django.http import HttpResponseBase
from django.urls import resolve, set_script_prefix
from django.utils.module_loading import import_string

from creators import urls as creator_urls
from creators.services.click_buffer import click_buffer_if_made
from creators.services.click_tickets import MustBlock, Ticket, deciding_on_loop
from creators.views import FOLLOW_COUNTED_KEY, NotDecidedHere, follow_cached_link, follow_link

log = logging.getLogger(__name__)

# Middleware that changes nothing about a follow's redirect, each with the reason.
NOT_FOR_FOLLOWS = {
    "operations.health.HealthCheckMiddleware": "answers /healthz and /readyz only",
    "whitenoise.middleware.WhiteNoiseMiddleware": "serves files under STATIC_URL only",
    "shop.site_middleware.SiteSessionMiddleware": "a follow never reads or writes the session",
    "django.middleware.csrf.CsrfViewMiddleware": "GET and HEAD only, no CSRF token used",
    "shop.site_middleware.SiteAuthenticationMiddleware": "a follow never asks who the user is",
    "shop.site_middleware.SiteMessageMiddleware": "a follow adds or reads no message",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware": "acts on 404s, which Django answers",
    "content.middleware.SerialisedPageWritesMiddleware": "admin POSTs only",
}
_SAFE_METHODS = ("GET", "HEAD")
_PREFIX = "/r/"
_SAMPLE_CODE = "sample-code"
# A follow past its ack wait with every slot taken looks for its answer after 10 ms, then twice as long each time.
SETTLE_POLL_SECONDS, SETTLE_POLL_MAX_SECONDS = 0.01, 0.2
THREADS = 32  # per process: follows that need a blocking call (their group commit's wait, say)
_IN_THREAD = object()  # ``_answer``'s word for a follow that would block on the loop


@cache
def _follow_pattern():
    return next(pattern for pattern in creator_urls.urlpatterns if pattern.name == "follow-link").pattern


@cache
def _resolver_sends_follows_here() -> bool:
    """Whether the project's URL conf routes ``/r/<code>/`` to ``follow_link`` (no pattern ahead shadows it)."""
    return resolve(f"{_PREFIX}{_SAMPLE_CODE}/").func is follow_link


def _innermost(request: ASGIRequest) -> HttpResponseBase:
    match = _follow_pattern().match(request.path_info.removeprefix("/"))
    if match is None:
        raise NotDecidedHere(request.path_info)
    _route, _args, kwargs = match
    return follow_cached_link(request, **kwargs)


def follow_handler():
    """The follow view inside new instances of the project's middleware, in their order (the outermost first),
    as Django's handler builds its chain (middleware read their settings when made)."""
    handler = _innermost
    for path in reversed(settings.MIDDLEWARE):
        if path not in NOT_FOR_FOLLOWS:
            try:
                handler = import_string(path)(handler)
            except MiddlewareNotUsed:  # as Django's load_middleware: left out of the chain
                continue
    return handler


class FastFollow:
    """An ASGI app answering ``/r/`` follows it can decide and handing everything else to ``django``."""

    def __init__(self, django: ASGIHandler) -> None:
        self.django = django
        self._executor: ThreadPoolExecutor | None = None
        self._free: threading.BoundedSemaphore | None = None
        self._handler = None
        self._broken = False

    async def __call__(self, scope, receive, send) -> None:
        response = None
        if not self._broken and self._may_answer(scope):
            response = await self._on_loop(scope)
        # A free thread or Django: follows never queue behind each other (Redis slow, say).
        if response is _IN_THREAD and self._slots().acquire(blocking=False):
            response = await self._in_thread(contextvars.copy_context().run, self._answer, scope, None)
        if response is None or response is _IN_THREAD:
            await self.django(scope, receive, send)
            return
        await self._send(response, send)

    async def _send(self, response: HttpResponseBase, send) -> None:
        """A redirect's headers and cookies encoded as Django's ``send_response`` encodes them, its short body in one
        message (Django's own for anything else): two sends, no chunking generator."""
        if response.streaming or len(response.content) > ASGIHandler.chunk_size:
            await self.django.send_response(response, send)
            return
        headers = [(name.encode("ascii"), value.encode("latin1")) for name, value in response.items()]
        headers += [(b"Set-Cookie", cookie.output(header="").encode("ascii").strip())
                    for cookie in response.cookies.values()]
        await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
        await send({"type": "http.response.body", "body": response.content, "more_body": False})

    async def _on_loop(self, scope):
        """The redirect decided on the loop, sent once its click is in the queue; None for Django to answer;
        ``_IN_THREAD`` for a follow that needs a blocking call (its count, if made, in ``scope``)."""
        buffer = click_buffer_if_made()
        if buffer is not None and buffer.declines_on_loop():  # write-behind, an outage window, a full buffer:
            return _IN_THREAD  # a thread at once, not the chain run on the loop first and then again
        tickets: list[Ticket] = []
        answer = contextvars.copy_context().run(self._answer, scope, tickets)
        if not tickets:
            return answer
        try:
            counted = await tickets[0].counted(settle=self._settle) or None
        except Exception:  # noqa: BLE001 - the click could not be handed on: Django counts the follow again
            log.exception("a follow's click could not be handed on; Django answers it")
            scope.pop(FOLLOW_COUNTED_KEY, None)
            return None
        if counted == scope.get(FOLLOW_COUNTED_KEY) or answer is _IN_THREAD:
            scope[FOLLOW_COUNTED_KEY] = counted
            return answer
        scope[FOLLOW_COUNTED_KEY] = counted  # the queue's id: the chain again, counting nothing
        return None if answer is None else contextvars.copy_context().run(self._answer, scope, [])

    async def _settle(self, ticket: Ticket) -> None:
        """The ticket's click sent from a thread, which takes a slot as a threaded follow does: with every slot
        taken (Redis or the database stalled, say) the follow waits for its batch's answer instead of queueing
        one more thread behind the others."""
        pause = SETTLE_POLL_SECONDS
        while ticket.answer is None:
            if self._slots().acquire(blocking=False):
                await self._in_thread(click_buffer_if_made().settle, ticket)
                return
            await asyncio.sleep(pause)
            pause = min(pause * 2, SETTLE_POLL_MAX_SECONDS)  # many waiting follows must not keep the loop busy

    def warm(self) -> None:
        """Check the URL conf and build the middleware chain now (at the process's start, in a thread), not on the
        event loop during the first follow."""
        self._ready()

    async def _in_thread(self, call, *args):
        """``call(*args)`` in a thread holding the slot its caller took, let go when the call ends: a follow
        cancelled meanwhile (its client gone) leaves its thread running, and the slot taken, until then."""
        def holding_slot():
            try:
                return call(*args)
            finally:
                self._slots().release()

        try:
            submitted = self._threads().submit(holding_slot)
        except BaseException:
            self._slots().release()
            raise
        running = asyncio.wrap_future(submitted)
        running.add_done_callback(_retrieved)  # a follow cancelled meanwhile: the thread's error not "never retrieved"
        return await asyncio.shield(running)

    def _slots(self) -> threading.BoundedSemaphore:
        if self._free is None:
            self._free = threading.BoundedSemaphore(THREADS)
        return self._free

    def _threads(self) -> ThreadPoolExecutor:
        if self._executor is None:  # made in the serving process (gunicorn forks after import)
            self._executor = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="fast-follow")
        return self._executor

    @staticmethod
    def _may_answer(scope) -> bool:
        if scope["type"] != "http" or scope["method"] not in _SAFE_METHODS:
            return False
        if not scope["path"].removeprefix(scope.get("root_path", "")).startswith(_PREFIX):
            return False
        for name, value in scope["headers"]:  # a body Django would read: leave the request to it
            if name == b"transfer-encoding" or (name == b"content-length" and value.strip() not in (b"", b"0")):
                return False
        return True

    def _ready(self) -> bool:
        """Whether the fast path can answer: the URL conf sends follows to ``follow_link`` and the chain is built."""
        try:
            if not _resolver_sends_follows_here():
                return False
            if self._handler is None:
                self._handler = follow_handler()
        except Exception:  # noqa: BLE001 - the fast path can't be set up: every follow goes to Django from now on
            log.exception("fast follow path unavailable; Django answers every follow")
            self._broken = True
            return False
        return True

    def _answer(self, scope, tickets: list[Ticket] | None):
        """The redirect, None for Django to answer, or ``_IN_THREAD``. On the loop (``tickets``: where the
        click's ticket goes) or in a thread, as Django runs a sync view; the request's signals are sent as
        Django sends them (database connections closed at the end)."""
        if not self._ready():
            return None
        set_script_prefix(get_script_prefix(scope))
        signalled = tickets is None or _request_signals_act_on_loop()
        if tickets is not None:
            deciding_on_loop(tickets)  # this context only (the caller's copy)
        try:
            if signalled:
                signals.request_started.send(sender=self.django.__class__, scope=scope)
            response = self._handler(ASGIRequest(scope, io.BytesIO()))
        except (MustBlock, SynchronousOnlyOperation):  # only on the loop: in a thread, then
            response = _IN_THREAD
        except Exception:  # noqa: BLE001 - NotDecidedHere, a refused host, bad bytes: Django decides (and logs)
            response = None
        if response is None or response is _IN_THREAD or response.status_code not in (301, 302):
            if signalled:
                signals.request_finished.send(sender=self.django.__class__)
            return response if response is _IN_THREAD else None
        if signalled:
            response.close()  # sends request_finished, as Django's handler does after its response
        return response


# Django's own receivers of the request signals, each a no-op for a follow decided on the event loop: no database
# connection is opened there (Django refuses one on a running loop: the follow goes to a thread), the shared cache
# is not read (``refuse_blocking_on_loop``), the queries log is the database connections', and nothing on the path
# sets a request's URL conf.
_NOTHING_TO_DO_ON_LOOP = {
    "django.db.reset_queries", "django.db.close_old_connections", "django.core.cache.close_caches",
    "django.core.handlers.base.reset_urlconf",
}


def _request_signals_act_on_loop() -> bool:
    """Whether a receiver of ``request_started`` or ``request_finished`` could act on a follow decided on the
    loop: any receiver but Django's own (``_NOTHING_TO_DO_ON_LOOP``), so a project's or a library's receiver is
    still sent them. Looked at again whenever the receivers change."""
    receivers = (tuple(signals.request_started.receivers), tuple(signals.request_finished.receivers))
    if _receivers_seen[0] != receivers:
        _receivers_seen[:] = [receivers, any(
            f"{getattr(receiver, '__module__', '')}.{getattr(receiver, '__qualname__', '')}"
            not in _NOTHING_TO_DO_ON_LOOP
            for receiver in _live(signals.request_started) + _live(signals.request_finished))]
    return _receivers_seen[1]


_receivers_seen: list = [None, True]


def _live(signal) -> list:
    return [receiver() if isinstance(receiver, weakref.ReferenceType) else receiver
            for _key, receiver, *_rest in signal.receivers]


def _retrieved(future: asyncio.Future) -> None:
    if not future.cancelled():
        future.exception()

