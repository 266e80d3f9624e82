"""``never_cache`` for ``/r/``: Django's decorator's headers, without recomputing them for every follow.

Django's ``add_never_cache_headers`` parses and rebuilds ``Cache-Control`` twice and formats ``Expires`` per
response; a follow's redirect starts with neither header, so its two values are always the same: a constant
``Cache-Control`` and ``Expires`` = now (formatted once per second). A response that already carries either
header goes through Django's function, which merges them.
"""

import time
from functools import wraps

from django.utils.cache import add_never_cache_headers
from django.utils.http import http_date

# What add_never_cache_headers writes on a response without caching headers (tests/creators/test_never_cache.py).
NEVER_CACHE_CONTROL = "max-age=0, no-cache, no-store, must-revalidate, private"
_expires_at: tuple[int, str] = (0, "")  # (second, its HTTP date): one tuple, replaced whole by any thread


def _expires_now() -> str:
    global _expires_at
    second = int(time.time())
    if _expires_at[0] != second:
        _expires_at = (second, http_date(second))
    return _expires_at[1]


def add_follow_never_cache_headers(response) -> None:
    """``add_never_cache_headers(response)``, with the values it would compute when it has none yet."""
    if "Expires" in response or "Cache-Control" in response:
        add_never_cache_headers(response)
        return
    response.headers["Expires"] = _expires_now()
    response.headers["Cache-Control"] = NEVER_CACHE_CONTROL


def never_cache(view):
    """Django's ``never_cache`` for a sync view (the same headers, in the same order)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        add_follow_never_cache_headers(response)
        return response

    return wrapper
