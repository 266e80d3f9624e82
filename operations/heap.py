"""The web process's heap after start-up: what it imported stays, so the garbage collector stops walking it.

A content API request keeps a few thousand objects alive at once (the page's catalog rows and their
JSON), so the collector runs several times per request; each full collection also walked the hundreds
of thousands of objects Django, Wagtail and the app created while importing, which never become
garbage. ``gc.freeze()`` (CPython's own advice for servers) moves them out of the collector's view.
"""

import gc

from django.urls import get_resolver


def freeze_startup_heap() -> int:
    """Load the URLconf (and so every view module) as the first request would, collect once, then freeze
    what is left. Call once the process has loaded the app, before it serves. Returns how many objects
    were frozen."""
    get_resolver().url_patterns  # noqa: B018 (imports the views now, not on the first request)
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
