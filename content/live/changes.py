"""Raising a live session's version when something its readers see changes, wherever the change comes from.

Two kinds of change move a session's state:

- a session service (go live, pin, start or end a deal, ...) writes through ``content.live.services``,
  which calls ``raise_versions`` inside its transaction;
- a shop fact the session shows: units sold or held, a stock edit, a deal's price or window, a
  cancelled or refunded order. The shop announces these through ``shop.events`` (it imports no
  content); ``connect`` subscribes here. After the shop's commit, ``raise_versions_showing`` finds
  the live sessions whose open pin or current flash deals involve those products and raises them.

A deal opening after its countdown or ending on time needs no write: ``content.live.state``
counts those moments into the version it reports (``state_version``).

Every raise drops the cached state and tells every process's streams after the commit
(``content.live.notify.session_changed``).
"""

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from content.live.models import LiveSession, LiveStatus
from content.live.notify import session_changed
from shop import events
from shop.models import OrderLine
from shop.services.commit_batches import CommitBatch
from shop.services.shared_flags import SharedFlag


def raise_versions(session_ids: Iterable[int]) -> dict[int, int]:
    """Raise each session's version by one (one UPDATE); after the commit readers are told.

    Returns the new version of each session's page id.
    """
    session_ids = sorted(set(session_ids))
    if not session_ids:
        return {}
    LiveSession.objects.filter(pk__in=session_ids).update(version=F("version") + 1)
    versions = dict(LiveSession.objects.filter(pk__in=session_ids).values_list("page_id", "version"))
    for page_id, version in versions.items():
        transaction.on_commit(lambda page_id=page_id, version=version: session_changed(page_id, version=version))
    return versions


# "Is any session live?" in the shared cache (``shop.services.shared_flags``), so a sale with nothing on air looks
# no session up. A session going live sets it; leaving live drops it after the commit.
_any_live = SharedFlag("kolshop-live:any-session-live", timeout=300,
                       ask_database=lambda: LiveSession.objects.filter(status=LiveStatus.LIVE).exists())


def any_session_live() -> bool:
    """Whether any session may be live: never wrongly "no", and the database's answer when the cache can't
    answer (a cache outage costs a look-up, never a sale or a missed raise)."""
    return _any_live.read()


def status_changed(status: str) -> None:
    """Called by ``content.live.services`` inside the transaction that writes a session's new status."""
    if status == LiveStatus.LIVE:
        _any_live.set()
    else:
        _any_live.drop()


def sessions_showing(product_ids: Iterable[int], *, now: datetime | None = None) -> list[int]:
    """Live sessions whose open pin is one of these products, or with a deal on one not yet ended (no look-up
    when no session is live)."""
    product_ids = sorted(set(product_ids))
    if not product_ids or not any_session_live():
        return []
    now = now or timezone.now()
    shown = (Q(pins__unpinned_at__isnull=True, pins__product_id__in=product_ids)
             | Q(flash_deals__promotion__variant__product_id__in=product_ids,
                 flash_deals__promotion__ends_at__gt=now))
    return list(LiveSession.objects.filter(shown, status=LiveStatus.LIVE).values_list("pk", flat=True).distinct())


def raise_versions_showing(product_ids: Iterable[int]) -> dict[int, int]:
    """Raise the live sessions showing these products. The look-up runs alone (no transaction: most
    changes concern no live session); only a raise opens one."""
    session_ids = sessions_showing(product_ids)
    if not session_ids:
        return {}
    with transaction.atomic():
        return raise_versions(session_ids)


# After the commit, one look-up for every change of the transaction (a checkout's holds and its placed
# order show the same products).
_raised_on_commit = CommitBatch(raise_versions_showing)


def _catalog_changed(*, product_ids, **_payload) -> None:
    """Stock edits, holds, sales, prices and deal windows of a product (``touch_products``)."""
    if product_ids:
        _raised_on_commit.add(product_ids)


def _products_of(lines) -> set[int] | None:
    """The products of an order's lines when every variant's product came with them (placed: the variant
    objects; paid: ``variant_product_id``), else None (read after commit)."""
    products = set()
    for line in lines:
        if line.variant_id is None:
            continue
        if hasattr(line, "variant_product_id"):
            products.add(line.variant_product_id)
        elif OrderLine._meta.get_field("variant").is_cached(line):
            products.add(line.variant.product_id)
        else:
            return None
    return products


def _order_changed(*, order, lines=None, **_payload) -> None:
    """An order placed, paid, cancelled, refunded or disputed moves a deal's used units (read after commit:
    no query inside the shop's transaction)."""
    products = _products_of(lines) if lines is not None else None
    if products:
        _raised_on_commit.add(products)
    elif products is None:
        order_id = order.pk
        transaction.on_commit(lambda: raise_versions_showing(
            OrderLine.objects.filter(order_id=order_id, variant__isnull=False)
            .values_list("variant__product_id", flat=True)))


def connect() -> None:
    """Called from ``ContentConfig.ready``; handlers are idempotent (a repeat only raises a version again)."""
    events.catalog_changed.connect(_catalog_changed)
    for event in (events.order_placed, events.order_paid, events.order_cancelled, events.order_refunded,
                  events.order_disputed):
        event.connect(_order_changed)
