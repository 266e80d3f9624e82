"""Viewer counts from heartbeats in the shared cache (Redis in production): never a SQL write per viewer.

Time is cut into windows of ``KOLSHOP_LIVE_VIEWER_WINDOW_SECONDS``. A viewer's first heartbeat in a
window adds them to that window's counter (``cache.add`` on a per-viewer key decides "first", so a
viewer beating twice counts once). The count shown is the larger of the current and the previous
window, so it does not drop to zero at each window's start. Clients beat at half the window.
"""

import time

from django.conf import settings
from django.core.cache import cache


def _window(now: float) -> int:
    return int(now // settings.KOLSHOP_LIVE_VIEWER_WINDOW_SECONDS)


def _counter_key(page_id: int, window: int) -> str:
    return f"kolshop-live-viewers:{page_id}:{window}"


def record_heartbeat(page_id: int, viewer: str, *, now: float | None = None) -> None:
    """``viewer`` is an opaque id the client keeps for the session (or a hash of its cookie)."""
    window = _window(now if now is not None else time.time())
    ttl = settings.KOLSHOP_LIVE_VIEWER_WINDOW_SECONDS * 3
    if cache.add(f"kolshop-live-viewer:{page_id}:{window}:{viewer[:64]}", 1, ttl):
        counter = _counter_key(page_id, window)
        cache.add(counter, 0, ttl)
        try:
            cache.incr(counter)
        except ValueError:  # evicted between add and incr
            cache.set(counter, 1, ttl)


def viewer_count(page_id: int, *, now: float | None = None) -> int:
    window = _window(now if now is not None else time.time())
    counts = cache.get_many([_counter_key(page_id, window), _counter_key(page_id, window - 1)])
    return max(counts.values(), default=0)
