"""Background work for the shop (Django's tasks API through django-tasks).

Production (django_tasks_db) runs ``release_expired_reservations_task`` just after each hold
ends; ``manage.py release_expired_reservations`` does the same sweep from cron. Expired holds
stop counting at once either way: the task only cleans up and cancels the pending orders.

``retry_refund_task`` tries a failed automatic refund again, with backoff (see shop.services.refunds).
"""

from datetime import datetime, timedelta

from django_tasks import task

from shop.services.refunds import retry_automatic_refund
from shop.services.reservations import release_expired_reservations


@task()
def release_expired_reservations_task() -> int:
    return release_expired_reservations()


def schedule_expiry_sweep(reserved_until: datetime) -> bool:
    """Queue a sweep for just after ``reserved_until``; False when the backend can't defer (dev, tests)."""
    if not release_expired_reservations_task.get_backend().supports_defer:
        return False
    release_expired_reservations_task.using(run_after=reserved_until + timedelta(seconds=5)).enqueue()
    return True


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
