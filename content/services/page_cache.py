"""Published page JSON in Django's cache, served on a hit without a database query.

A hit is one cache round trip: the page's entry and two tokens. The entry is keyed by the page id
and what the request may vary on (host, ``fields``, ``rich_text_format``) and is used only while the
tokens it was rendered under are still current. The entry is small (the JSON's entity tag and the tokens): the JSON
itself is kept under its entity tag (content-addressed, so never stale) in the shared cache and in a bounded
memo in this process, so a hit in a process that served the page before moves and unpickles no body
(a second round trip fetches it otherwise):

- the page's version, moved whenever something the page shows changes: it is published or
  unpublished, deleted, its creator's byline changes, or a product it shows changes
  (``shop.events.catalog_changed``; the pages showing a product come from Wagtail's reference index,
  kept per product in the cache: the writer finds them, the reader never checks a product),
- a generation shared by every page, moved by what changes which pages the API may serve at all:
  a site's hostname or root, a view restriction (private pages), a page moved in the tree.

Versions are random tokens: an evicted or expired one reads as new, which can only cause a miss, never
a stale hit. The tokens are read *before* rendering, so a change racing a render makes that entry invalid.
Invalidation runs when the change is made and again once its transaction commits, so a render that read
the old rows before the commit is never kept under a current token. Reservations expire without an event, so entries also expire after
``KOLSHOP_API_CACHE_SECONDS``; live stock comes from the offers endpoint.
"""

import hashlib
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterable
from typing import NamedTuple

from wagtail.models import PageViewRestriction

from operations.cache_guard import SharedCache, now_and_at_commit
from shop.cached_settings import cached_setting
from shop.services.shared_flags import SharedFlag

_GENERATION_KEY = "kolshop:api:page-generation"


def _settle_after_outage(backend) -> None:
    """A token move the cache did not take (it was unreachable) is made up for before this process uses the
    cache again: every entry and every ``pages_showing`` list written before it become unusable
    (``operations.cache_guard.SharedCache``; the view-restriction flag settles its own, ``shared_flags``).
    A process killed while it owed leaves the debt in the database for another process's settler; entries nobody
    settles for (the database refused the record too) still expire after ``cache_seconds()``."""
    backend.set_many({_GENERATION_KEY: uuid.uuid4().hex, _REFERENCES_KEY: uuid.uuid4().hex}, timeout=None)


# The shared cache with its outages absorbed: while it can't be reached nothing is served from it (a read finds
# nothing, the page is rendered) and a sale still succeeds after its commit (a token move is skipped and owed).
cache = SharedCache(name="content.page_cache", settle=_settle_after_outage)


# Named tuples, not frozen dataclasses: one of each is made per hit, and a frozen dataclass sets each field through
# ``object.__setattr__``.
class CachedPage(NamedTuple):
    content: bytes
    etag: str
    tokens: tuple[str, str] = ("", "")  # the generation and page version it was rendered under


class PageLookup(NamedTuple):
    """What the cache holds for one request of a page: a usable entry, or the tokens to store under."""

    key: str
    tokens: tuple[str, str] | None  # None: the cache keeps nothing (store nothing)
    cached: CachedPage | None


def _page_version_key(page_id: int) -> str:
    return f"kolshop:api:page-version:{page_id}"


def cache_seconds() -> int:
    return cached_setting("KOLSHOP_API_CACHE_SECONDS")  # read for every buy link of a page (content.api.buy_links)


def etag_for(content: bytes) -> str:
    return '"' + hashlib.sha256(content).hexdigest()[:32] + '"'


_BODIES: OrderedDict[str, bytes] = OrderedDict()  # entity tag -> JSON, this process's, least recently used first
_BODIES_LIMIT_BYTES = 32 * 1024 * 1024
_bodies_bytes = 0
_bodies_lock = threading.Lock()


def _body_key(etag: str) -> str:
    return f"kolshop:api:page-body:{etag.strip(chr(34))}"


def _remember_body(etag: str, content: bytes) -> None:
    """Keep ``content`` in this process under its entity tag; the least recently used go first beyond the limit."""
    global _bodies_bytes
    if len(content) > _BODIES_LIMIT_BYTES // 4:
        return
    with _bodies_lock:
        if etag in _BODIES:
            _BODIES.move_to_end(etag)
            return
        _BODIES[etag] = content
        _bodies_bytes += len(content)
        while _bodies_bytes > _BODIES_LIMIT_BYTES:
            _bodies_bytes -= len(_BODIES.popitem(last=False)[1])


def _body(etag: str) -> bytes | None:
    # A hit here never touches the body's key in the shared cache (its LRU sees it cold): this memo keeps its own
    # recency, a hit moving the body to the end.
    with _bodies_lock:
        content = _BODIES.get(etag)
        if content is not None:
            _BODIES.move_to_end(etag)
    if content is None:
        content = cache.get(_body_key(etag))
        if content is not None:
            _remember_body(etag, content)
    return content


def look_up_page(page_id: int, *, variant: str) -> PageLookup:
    """The page's cached JSON for this request if still valid, in one cache round trip (two when this process
    has not seen the JSON yet).

    Call it before loading the page: the tokens it returns were read before rendering, so a change
    racing the render makes the stored entry invalid. ``variant`` distinguishes requests that render
    differently (host, honoured query parameters).
    """
    # The entry (etag, generation, version) has a key of its own since it keeps no body: a process of the release
    # before, during a rolling deploy, reads its own layout under its own key (``kolshop:api:page:…``).
    entry_key = f"kolshop:api:page-entry:{page_id}:{hashlib.sha256(variant.encode()).hexdigest()[:24]}"
    token_keys = [_GENERATION_KEY, _page_version_key(page_id)]
    found = cache.get_many([*token_keys, entry_key])
    missing = [key for key in token_keys if key not in found]
    if missing:
        for key in missing:
            # A page's token lives as long as its entries: a request for a page id that does not exist
            # leaves one small key behind for a while, not for ever.
            cache.add(key, uuid.uuid4().hex, timeout=None if key == _GENERATION_KEY else cache_seconds())
        found.update(cache.get_many(missing))
        if any(key not in found for key in token_keys):
            return PageLookup(key=entry_key, tokens=None, cached=None)
    tokens = (found[token_keys[0]], found[token_keys[1]])
    entry = found.get(entry_key)  # (etag, generation, version): a plain tuple unpickles fastest
    if entry is None or (entry[1], entry[2]) != tokens:
        return PageLookup(key=entry_key, tokens=tokens, cached=None)
    content = _body(entry[0])
    if content is None:  # the body was evicted before its entry: render again
        return PageLookup(key=entry_key, tokens=tokens, cached=None)
    return PageLookup(key=entry_key, tokens=tokens, cached=CachedPage(content=content, etag=entry[0], tokens=tokens))


def store_page(lookup: PageLookup, content: bytes) -> CachedPage:
    """Keep ``content`` under the tokens ``lookup`` read before the page was loaded."""
    cached = CachedPage(content=content, etag=etag_for(content), tokens=lookup.tokens or ("", ""))
    if lookup.tokens is not None:
        _remember_body(cached.etag, content)
        # The body first in the same write: an entry is never found without its body but by eviction.
        cache.fill_many({_body_key(cached.etag): content, lookup.key: (cached.etag, *lookup.tokens)},
                        timeout=cache_seconds())
    return cached


def forget_pages(page_ids: Iterable[int]) -> None:
    """Drop every cached representation of these pages, now and again once the transaction commits."""
    page_ids = set(page_ids)
    if not page_ids:
        return

    def move_versions() -> None:
        cache.set_many({_page_version_key(page_id): uuid.uuid4().hex for page_id in page_ids},
                       timeout=cache_seconds() or None)

    now_and_at_commit(move_versions)


def forget_page(page_id: int) -> None:
    forget_pages([page_id])


def forget_all_pages() -> None:
    """Drop every cached page (which pages the API may serve changed: sites, restrictions, moves)."""

    def move_generation() -> None:
        cache.set(_GENERATION_KEY, uuid.uuid4().hex, timeout=None)

    now_and_at_commit(move_generation)


# "Does any page have a view restriction?" in the shared cache (``shop.services.shared_flags``), so a request with
# a session cookie asks its session whether it passed one only when one exists (a wrong "no" would serve a
# restricted page from the cache). A restriction saved sets it; one deleted drops it after the commit.
_any_restriction = SharedFlag("kolshop:api:any-view-restriction", timeout=None,
                              ask_database=lambda: PageViewRestriction.objects.exists())


def any_view_restriction() -> bool:
    return _any_restriction.read()


def view_restrictions_changed(*, saved: bool) -> None:
    if saved:
        _any_restriction.set()
    else:
        _any_restriction.drop()


_REFERENCES_KEY = "kolshop:api:references-generation"
_PAGES_SHOWING_SECONDS = 24 * 3600


def references_changed() -> None:
    """A page's references (which products it shows) may have changed: recompute ``pages_showing``.

    Moved now and again after commit: a list computed before the page's references were committed is
    stored under a generation nobody reads any more.
    """

    def move_generation() -> None:
        cache.set(_REFERENCES_KEY, uuid.uuid4().hex, timeout=None)

    now_and_at_commit(move_generation)


def pages_showing(product_ids: Iterable[int]) -> set[int]:
    """Pages whose content chooses one of these products.

    The truth is Wagtail's reference index (one query); the answer per product is kept in the cache
    under a generation that every page save moves, so a sale costs no query once its product is known.
    """
    from wagtail.models import Page, ReferenceIndex

    from shop.models import Product

    product_ids = set(product_ids)
    if not product_ids:
        return set()
    generation = cache.token(_REFERENCES_KEY)
    keys = {product_id: f"kolshop:api:pages-showing:{generation}:{product_id}" for product_id in product_ids}
    found = cache.get_many(list(keys.values())) if generation is not None else {}
    page_ids = {page_id for pages in found.values() for page_id in pages}
    missing = {product_id for product_id, key in keys.items() if key not in found}
    if missing:
        pages_by_product: dict[int, set[int]] = {product_id: set() for product_id in missing}
        references = ReferenceIndex.objects.filter(  # content types joined: no lookups of their own
            to_content_type__app_label=Product._meta.app_label, to_content_type__model=Product._meta.model_name,
            to_object_id__in=sorted(str(product_id) for product_id in missing),
            base_content_type__app_label=Page._meta.app_label, base_content_type__model=Page._meta.model_name,
        )
        for page_id, product_id in references.values_list("object_id", "to_object_id").distinct():
            pages_by_product[int(product_id)].add(int(page_id))
        if generation is not None:
            cache.fill_many({keys[product_id]: sorted(pages) for product_id, pages in pages_by_product.items()},
                           timeout=_PAGES_SHOWING_SECONDS)
        page_ids |= {page_id for pages in pages_by_product.values() for page_id in pages}
    return page_ids


def forget_pages_showing(product_ids: Iterable[int]) -> None:
    forget_pages(pages_showing(product_ids))
