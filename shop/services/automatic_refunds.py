"""Automatic refunds: money taken for nothing (the stock ran out after the hold, a duplicate payment) goes
back without staff, and a refund the gateway failed is tried again with backoff.

A failed automatic refund is kept (failed refund, order event) and retried by ``retry_refund_task`` with
its first idempotency key after 1, 4, 16 and 64 minutes; the task and the code that queues it live here,
beside the service they run, so ``refunds`` (staff refunds, gateway reports) never imports the queue.
"""

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django_tasks import task

from shop.errors import Unavailable
from shop.models import OrderEventType, Payment, Refund, RefundStatus
from shop.services.orders import record_event
from shop.services.refunds import send_refund, refunds_needing_staff, retry_refund

# An automatic refund that fails is retried this many times in all, waiting 1, 4, 16, 64 minutes.
AUTOMATIC_REFUND_ATTEMPTS = 5
_RETRY_BASE_DELAY = timedelta(minutes=1)

logger = logging.getLogger(__name__)


def refund_payment_in_full(payment: Payment, *, reason: str) -> Refund | None:
    """Give back a payment that bought nothing (stock ran out after the hold, or a duplicate)."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        already = payment.refunds.exclude(status=RefundStatus.FAILED).aggregate(total=Sum("amount"))["total"] or 0
        if already >= payment.amount:
            return None
        refund = Refund.objects.create(payment=payment, order_id=payment.order_id, amount=payment.amount - already,
                                       currency=payment.currency, reason=reason[:200], automatic=True)
        record_event(payment.order, OrderEventType.REFUND_REQUESTED, before=payment.order.status,
                     data={"refund_id": refund.pk, "amount": str(refund.amount), "reason": reason})
    return _send_automatic_refund(refund)


def _send_automatic_refund(refund: Refund) -> Refund:
    """Nobody waits on an automatic refund: a failure is kept (failed refund, order event) and retried later."""
    try:
        return send_refund(refund)
    except Unavailable:
        refund.refresh_from_db()
        schedule_refund_retry(refund)
        return refund


def retry_delay(attempts: int) -> timedelta:
    """Backoff after ``attempts`` failed calls: 1, 4, 16, 64 minutes."""
    return _RETRY_BASE_DELAY * 4 ** (attempts - 1)


def schedule_refund_retry(refund: Refund) -> bool:
    """Queue the next try of a failed automatic refund; False once its attempts are used up (staff take over)."""
    if refund.attempts >= AUTOMATIC_REFUND_ATTEMPTS:
        logger.error("Automatic refund %s of order %s failed %s times; staff must refund it from the admin.",
                     refund.pk, refund.order_id, refund.attempts)
        return False
    return enqueue_refund_retry(refund.pk, run_after=timezone.now() + retry_delay(refund.attempts))


def retry_automatic_refund(refund_id: int) -> str:
    """The background retry: one more try, and another queued if it fails and attempts are left."""
    refund = Refund.objects.filter(pk=refund_id, automatic=True).first()
    if refund is None or refund.status != RefundStatus.FAILED:
        return "nothing to do"
    if refund.attempts >= AUTOMATIC_REFUND_ATTEMPTS:
        return "gave up"
    try:
        retry_refund(refund)
    except Unavailable:
        refund.refresh_from_db()
        return "retry scheduled" if schedule_refund_retry(refund) else "gave up"
    return "sent"


def retry_failed_refunds() -> dict[str, int]:
    """One more try for every failed automatic refund with attempts left (cron, when no task worker defers)."""
    outcomes: dict[str, int] = {}
    for refund_id in refunds_needing_staff().filter(attempts__lt=AUTOMATIC_REFUND_ATTEMPTS).order_by("pk") \
            .values_list("pk", flat=True):
        outcome = retry_automatic_refund(refund_id)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


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
