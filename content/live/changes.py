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


def sessions_showing(product_ids: Iterable[int], *, now: datetime | None = None) -> list[int]:
    """Live sessions whose open pin is one of these products, or with a deal on one not yet ended."""
    product_ids = sorted(set(product_ids))
    if not product_ids:
        return []
    now = now or timezone.now()
    shown = (Q(pins__unpinned_at__isnull=True, pins__product_id__in=product_ids)
             | Q(flash_deals__promotion__variant__product_id__in=product_ids,
                 flash_deals__promotion__ends_at__gt=now))
    return list(LiveSession.objects.filter(shown, status=LiveStatus.LIVE).values_list("pk", flat=True).distinct())


@transaction.atomic
def raise_versions_showing(product_ids: Iterable[int]) -> dict[int, int]:
    return raise_versions(sessions_showing(product_ids))


def _after_commit(product_ids: set[int]) -> None:
    if product_ids:
        transaction.on_commit(lambda: raise_versions_showing(product_ids))


def _catalog_changed(*, product_ids, **_payload) -> None:
    """Stock edits, holds, sales, prices and deal windows of a product (``touch_products``)."""
    _after_commit(set(product_ids))


def _order_changed(*, order, **_payload) -> None:
    """An order placed, paid, cancelled, refunded or disputed moves a deal's used units (read after commit:
    no query inside the shop's transaction)."""
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
