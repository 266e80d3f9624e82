"""One rule for an attempt in flight, shared by brand transfers and their reversals (``PaymentAttempt`` rows).

An attempt is marked in flight (``sending``/``recovering``) under the row lock before Stripe is called and
never while the lock is held; a concurrent worker or the retry job then leaves the row alone. One left in
flight by a crashed worker is abandoned after ``STALE_ATTEMPT`` and may be tried again under the same key.
"""

from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from shop.models.supply import PaymentAttempt

# An attempt still marked in flight after this long was abandoned (its worker died); it may be tried again.
STALE_ATTEMPT = timedelta(minutes=10)


def in_flight(row: PaymentAttempt, status: str, *, now: datetime | None = None) -> bool:
    """Whether another worker's attempt on ``row`` is running now: marked ``status`` and not yet stale."""
    return row.status == status and row.updated_at > (now or timezone.now()) - STALE_ATTEMPT


def abandoned(status: str, *, now: datetime | None = None) -> Q:
    """Rows left in flight (``status``) past ``STALE_ATTEMPT``: the retry jobs pick them up again."""
    return Q(status=status, updated_at__lte=(now or timezone.now()) - STALE_ATTEMPT)


def count_attempt(row: PaymentAttempt, status: str) -> None:
    """Mark ``row`` in flight as ``status`` and count the attempt (under the caller's row lock)."""
    row.status = status
    row.attempts += 1
    row.save(update_fields=["status", "attempts", "updated_at"])
