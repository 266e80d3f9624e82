"""Catalog changes announced: anything cached from a product is stale once it changed.

Whoever changes what a reader is shown about a product — its fields, a variant's price, stock,
reservations — calls ``touch_products`` or ``touch_variants`` after the change. Model saves are
covered by signal glue; ``QuerySet.update()`` / ``F()`` updates fire no signal, so services that
use them go through ``shop.services.inventory``, which calls these for every stock change.

The apps caching what they show of a product hear it through ``shop.events.catalog_changed`` and forget
their copies (the page cache: ``content.services.page_cache``). No per-product version is kept: nothing
read one, and writing it cost every sale a cache write after its commit.
"""

from collections.abc import Iterable

from shop.services.commit_batches import CommitBatch


def touch_products(product_ids: Iterable[int]) -> None:
    """Mark products changed: the apps caching what they show of them hear ``shop.events.catalog_changed``."""
    from shop import events

    product_ids = set(product_ids)
    if product_ids:
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
