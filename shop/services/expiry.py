"""The expiry sweep: pending orders whose stock hold ran out are cancelled and their holds dropped.

A scheduled job (``shop.tasks.release_expired_reservations_task``, every minute) and ``manage.py
release_expired_reservations`` run it. It sits above both ``reservations`` (holds, cancelling pending
orders) and ``payments`` (cancelling gateway intents), which never import each other.
"""

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from shop.models import Order, OrderEventType, OrderStatus, StockReservation
from shop.services.inventory import stock_changed
from shop.services.payments import cancel_open_intents
from shop.services.reservations import cancel_pending_orders

logger = logging.getLogger(__name__)


def release_expired_reservations(*, now: datetime | None = None) -> int:
    """Cancel pending orders whose hold ran out and drop their reservations; returns how many expired.

    Expired reservations already stop counting (every availability query filters on expiry);
    this is housekeeping. Orders being paid right now are locked and skipped. Payment intents of
    cancelled orders are cancelled at the gateway after the commit, never under a lock.
    """
    now = now or timezone.now()
    with transaction.atomic():
        orders = list(
            Order.objects.select_for_update(skip_locked=True)
            .filter(status=OrderStatus.PENDING, reserved_until__lte=now)
            .order_by("pk")
        )
        order_ids = cancel_pending_orders(orders, event_type=OrderEventType.EXPIRED)
        stale = StockReservation.objects.filter(expires_at__lte=now).exclude(order__status=OrderStatus.PENDING)
        stock_changed(set(stale.values_list("variant_id", flat=True)))
        stale.delete()
        transaction.on_commit(lambda: cancel_open_intents(order_ids))
    if orders:
        logger.info("Expired %d pending orders.", len(orders))
    return len(orders)
