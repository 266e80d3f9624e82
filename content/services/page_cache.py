"""Published page JSON in Django's cache, keyed by page, live revision and the products it shows.

An entry is used only while (1) the page's cache version is unchanged — publishing and
unpublishing move it — (2) the page's live revision is the one it was built from and (3) every
product it shows still has the catalog version recorded when it was built
(``shop.services.cache_versions``). Reservations expire without an event, so entries also expire
after ``KOLSHOP_API_CACHE_SECONDS``; live stock comes from the offers endpoint.
"""

import hashlib
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from shop.services.cache_versions import product_versions, versions_match


@dataclass(frozen=True)
class CachedPage:
    content: bytes
    etag: str
    product_versions: dict[int, str]


def _page_version_key(page_id: int) -> str:
    return f"kolshop:api:page-version:{page_id}"


def _page_version(page_id: int) -> str:
    key = _page_version_key(page_id)
    version = cache.get(key)
    if version is None:
        cache.add(key, uuid.uuid4().hex, timeout=None)
        version = cache.get(key)
    return version


def _entry_key(page_id: int, revision_id: int | None, variant: str) -> str:
    digest = hashlib.sha256(variant.encode()).hexdigest()[:24]
    return f"kolshop:api:page:{page_id}:{_page_version(page_id)}:{revision_id}:{digest}"


def cache_seconds() -> int:
    return settings.KOLSHOP_API_CACHE_SECONDS


def etag_for(content: bytes) -> str:
    return '"' + hashlib.sha256(content).hexdigest()[:32] + '"'


def get_cached_page(page_id: int, revision_id: int | None, *, variant: str) -> CachedPage | None:
    """``variant`` distinguishes requests that render differently (query string, host)."""
    entry = cache.get(_entry_key(page_id, revision_id, variant))
    if entry is None or not versions_match(entry.product_versions):
        return None
    return entry


def current_versions(product_ids: set[int]) -> dict[int, str]:
    """Read before rendering: a change racing the render then only causes a miss, never staleness."""
    return product_versions(product_ids)


def store_page(page_id: int, revision_id: int | None, *, variant: str, cached: CachedPage) -> None:
    """``cached.product_versions`` must come from ``current_versions`` read before rendering."""
    cache.set(_entry_key(page_id, revision_id, variant), cached, timeout=cache_seconds())


def forget_page(page_id: int) -> None:
    """Drop every cached representation of the page (called when it is published or unpublished)."""
    cache.set(_page_version_key(page_id), uuid.uuid4().hex, timeout=None)
