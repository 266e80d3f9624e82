"""Cache versions for catalog rows: anything cached from a product is stale once its version moves.

Whoever changes what a reader is shown about a product — its fields, a variant's price, stock,
reservations — calls ``touch_products`` or ``touch_variants`` after the change. Model saves are
covered by signal glue; ``QuerySet.update()`` / ``F()`` updates fire no signal, so services that
use them go through ``shop.services.inventory``, which calls these for every stock change.

Versions are random tokens in Django's cache: a version that was evicted reads as "unknown",
which never matches a stored one, so eviction can only cause a miss, never a stale hit.
"""

import uuid
from collections.abc import Iterable

from django.core.cache import cache

from operations.cache_guard import guarded
from shop.services.commit_batches import CommitBatch

_PREFIX = "kolshop:catalog-version:product:"


def _key(product_id: int) -> str:
    return f"{_PREFIX}{product_id}"


def product_versions(product_ids: Iterable[int]) -> dict[int, str]:
    """The current version of each product, creating one for products never versioned before."""
    product_ids = sorted(set(product_ids))
    found = cache.get_many([_key(product_id) for product_id in product_ids])
    missing = {_key(product_id): uuid.uuid4().hex for product_id in product_ids if _key(product_id) not in found}
    for key, token in missing.items():
        cache.add(key, token, timeout=None)
    if missing:
        found.update(cache.get_many(list(missing)))
    return {product_id: found[_key(product_id)] for product_id in product_ids if _key(product_id) in found}


def versions_match(stored: dict[int, str]) -> bool:
    """Whether every product still has the version ``stored`` recorded (no DB query)."""
    if not stored:
        return True
    current = cache.get_many([_key(int(product_id)) for product_id in stored])
    return all(current.get(_key(int(product_id))) == token for product_id, token in stored.items())


def touch_products(product_ids: Iterable[int]) -> None:
    """Mark products changed: everything cached from them is stale from now on.

    Apps caching what they show of a product hear it through ``shop.events.catalog_changed``.
    """
    from shop import events

    product_ids = set(product_ids)
    if not product_ids:
        return
    # Run after a sale's commit: an unreachable cache must not fail it, nor keep the event from the apps
    # that cache what they show (the page cache owes its own invalidation, ``operations.cache_guard``).
    guarded(cache.set_many, {_key(product_id): uuid.uuid4().hex for product_id in product_ids}, timeout=None,
            fallback=None)
    events.catalog_changed.send(product_ids=product_ids)


def touch_variants(variant_ids: Iterable[int]) -> None:
    """Mark the products of these variants changed (one query to find the products)."""
    from shop.models import Variant

    variant_ids = set(variant_ids)
    if variant_ids:
        touch_products(Variant.objects.filter(pk__in=variant_ids).values_list("product_id", flat=True).distinct())


def touch_variants_on_commit(variant_ids: Iterable[int], *, product_ids: Iterable[int] | None = None) -> None:
    """``touch_variants`` once the current transaction commits (so readers never cache the old state).

    ``product_ids``: the products of exactly these variants, when the caller has them loaded: no look-up,
    and every such change of one transaction is touched together (one ``catalog_changed``,
    ``shop.services.commit_batches``).
    """
    from django.db import transaction

    variant_ids = set(variant_ids)
    if not variant_ids:
        return
    if product_ids is None:
        transaction.on_commit(lambda: touch_variants(variant_ids))
    else:
        _touched_on_commit.add(product_ids)


_touched_on_commit = CommitBatch(touch_products)
