"""Background work for the shop (Django's tasks API through django-tasks).

``release_expired_reservations_task`` is a scheduled job (``KOLSHOP_SCHEDULE``, every minute):
expired holds stop counting at once anyway (every availability query filters on expiry); the sweep
cancels the pending orders whose hold ran out and drops the rows. ``manage.py
release_expired_reservations`` runs the same sweep by hand.

``retry_refund_task`` tries a failed automatic refund again, with backoff (see shop.services.refunds).
"""

from datetime import datetime

from django_tasks import task

from shop.services.refunds import retry_automatic_refund
from shop.services.reservations import release_expired_reservations


@task()
def release_expired_reservations_task() -> int:
    return release_expired_reservations()


@task()
def retry_refund_task(refund_id: int) -> str:
    return retry_automatic_refund(refund_id)


def enqueue_refund_retry(refund_id: int, *, run_after: datetime) -> bool:
    """Queue one retry of a failed automatic refund; False when the backend can't wait (dev's immediate
    backend would retry at once, without backoff: staff retry from the order's refund page instead)."""
    if not retry_refund_task.get_backend().supports_defer:
        return False
    retry_refund_task.using(run_after=run_after).enqueue(refund_id)
    return True


@task()
def send_order_email_task(order_id: int, kind: str, reference: str = "") -> bool:
    """One notice to a buyer (shop.services.notifications): sent once, outside the webhook's request."""
    from shop.services.notifications import send_order_email

    return send_order_email(order_id, kind, reference)
