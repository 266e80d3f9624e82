"""A page's buy links, signed once per process and reused while a cached copy of the page could still be
served with them.

A buy link's token is signed with a timestamp (``shop.attribution.sign_attribution``); signing every
variant of every block was about a tenth of an uncached page. The page cache already serves a page's
links for ``cache_seconds()`` after signing them, so a page rendered again within that time may reuse
them: its readers get tokens no older than a cached page's. With caching off, every link is signed anew.
"""

import time

from content.services.page_cache import cache_seconds
from shop.attribution import Attribution, buy_path
from shop.cached_settings import cached_setting

_SIGNED: dict[tuple, tuple[float, str]] = {}
_SIGNED_LIMIT = 50_000


def page_buy_path(sku: str, attribution: Attribution) -> str:
    """``buy_path(sku, attribution)``, from this process's memory when it signed it less than
    ``cache_seconds()`` ago under the same secret key."""
    reuse_for = cache_seconds()
    if reuse_for <= 0 or attribution.is_empty():
        return buy_path(sku, attribution)
    key = (cached_setting("SECRET_KEY"), sku, attribution)
    now = time.monotonic()
    signed = _SIGNED.get(key)
    if signed is not None and now - signed[0] < reuse_for:
        return signed[1]
    path = buy_path(sku, attribution)
    if len(_SIGNED) >= _SIGNED_LIMIT:
        _SIGNED.clear()
    _SIGNED[key] = (now, path)
    return path


def forget_signed_links() -> None:
    _SIGNED.clear()
