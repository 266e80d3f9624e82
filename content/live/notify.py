"""How a change reaches readers: the cached live state is dropped and every process's streams are told."""

from django.core.cache import cache

from operations import pubsub
from operations.cache_guard import guarded


def state_cache_key(page_id: int) -> str:
    return f"kolshop-live-state:{page_id}"


def channel(page_id: int) -> str:
    return f"live:{page_id}"


def session_changed(page_id: int, *, version: int) -> None:
    """Run after the commit of a change (``transaction.on_commit``). ``version`` is the stored counter: the
    message only wakes streams, which re-read the state (and its version, ``state.state_version``)."""
    from content.services.page_cache import forget_page

    # After a commit: an unreachable cache must not fail the change (the cached state then lasts its timeout).
    guarded(cache.delete, state_cache_key(page_id), fallback=None)
    forget_page(page_id)  # the content API's cached JSON carries the status and chapters
    pubsub.publish(channel(page_id), {"version": version})
