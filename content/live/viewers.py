"""Viewer counts from heartbeats in the shared cache (Redis in production): never a SQL write per viewer.

Every app process writes to the same cache, so counts add up across processes: "first in this
window" and "first in this session" are decided by ``cache.add`` (Redis ``SET NX``, atomic), and
counters move by ``cache.incr`` (Redis ``INCR``).

- *Concurrent viewers*: time is cut into windows of ``KOLSHOP_LIVE_VIEWER_WINDOW_SECONDS``. A viewer's
  first heartbeat in a window adds one to that window's counter. The count shown is the larger of the
  current and the previous window, so it does not drop to zero at each window's start. Clients beat at
  half the window (SSE streams beat at each keep-alive).
- *Peak concurrent viewers*: the largest window counter between the session's start and end
  (counters are kept ``HISTORY_SECONDS``); computed when read, so no process races another for a max.
- *Unique viewers*: a viewer's first heartbeat on the session adds one to its counter.

What is stored identifies no one: a viewer is the opaque id its client keeps for the session, or the
daily visitor hash (``shop.services.client_identity.client_key``), and even that only as a digest
salted with the session's page id. ``end_session`` writes the final peak and unique counts on the
session row, so reports do not depend on the cache after the show.
"""

import hashlib
import time
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache

# How long window counters and "already seen" marks stay: long enough for any show to end.
HISTORY_SECONDS = 2 * 24 * 3600


@dataclass(frozen=True)
class ViewerFigures:
    peak: int
    unique: int


def _window(now: float) -> int:
    return int(now // settings.KOLSHOP_LIVE_VIEWER_WINDOW_SECONDS)


def _counter_key(page_id: int, window: int) -> str:
    return f"kolshop-live-viewers:{page_id}:{window}"


def _unique_key(page_id: int) -> str:
    return f"kolshop-live-unique:{page_id}"


def _viewer_digest(page_id: int, viewer: str) -> str:
    return hashlib.sha256(f"{page_id}:{viewer[:64]}".encode()).hexdigest()[:32]


def _count_once(counter: str) -> None:
    cache.add(counter, 0, HISTORY_SECONDS)
    try:
        cache.incr(counter)
    except ValueError:  # evicted between add and incr
        cache.set(counter, 1, HISTORY_SECONDS)


def is_new_viewer(page_id: int, viewer: str) -> bool:
    """Whether ``viewer`` has not beaten on this page before (within the history kept): one cache read."""
    return cache.get(f"kolshop-live-seen:{page_id}:{_viewer_digest(page_id, viewer)}") is None


def record_heartbeat(page_id: int, viewer: str, *, now: float | None = None) -> None:
    """``viewer`` is an opaque id the client keeps for the session (or the visitor hash)."""
    window = _window(now if now is not None else time.time())
    digest = _viewer_digest(page_id, viewer)
    if cache.add(f"kolshop-live-viewer:{page_id}:{window}:{digest}", 1,
                 settings.KOLSHOP_LIVE_VIEWER_WINDOW_SECONDS * 3):
        _count_once(_counter_key(page_id, window))
    if cache.add(f"kolshop-live-seen:{page_id}:{digest}", 1, HISTORY_SECONDS):
        _count_once(_unique_key(page_id))


def viewer_count(page_id: int, *, now: float | None = None) -> int:
    window = _window(now if now is not None else time.time())
    counts = cache.get_many([_counter_key(page_id, window), _counter_key(page_id, window - 1)])
    return max(counts.values(), default=0)


def viewer_figures(page_id: int, *, since: datetime, until: datetime) -> ViewerFigures:
    """Peak concurrent viewers between ``since`` and ``until`` and unique viewers so far: one cache read."""
    last = _window(until.timestamp())
    first = max(_window(since.timestamp()), last - HISTORY_SECONDS // settings.KOLSHOP_LIVE_VIEWER_WINDOW_SECONDS)
    keys = [_counter_key(page_id, window) for window in range(first, last + 1)]
    found = cache.get_many([*keys, _unique_key(page_id)])
    return ViewerFigures(peak=max((found[key] for key in keys if key in found), default=0),
                         unique=found.get(_unique_key(page_id), 0))
