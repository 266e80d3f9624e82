"""How a change reaches readers: the cached live state is dropped and every process's streams are told."""

from django.core.cache import cache

from operations import pubsub


def state_cache_key(page_id: int) -> str:
    return f"kolshop-live-state:{page_id}"


def channel(page_id: int) -> str:
    return f"live:{page_id}"


def session_changed(page_id: int, *, version: int) -> None:
    """Run after the commit of a change (``transaction.on_commit``)."""
    cache.delete(state_cache_key(page_id))
    pubsub.publish(channel(page_id), {"version": version})
