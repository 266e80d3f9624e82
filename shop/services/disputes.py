"""Stripe disputes of a payment, one ``Dispute`` row per Stripe dispute id: opened, closed, lost.

Every ``charge.dispute.*`` event carries the dispute object as it is now (id, status, amount), so each is
read the same way (``record_dispute_status``): the row is made the first time any event names the dispute,
then follows Stripe's status until the dispute closes (``CLOSED_DISPUTE_STATUSES``), after which no event
opens it again. A charge can be disputed more than once (an inquiry closed as ``warning_closed``, later a
chargeback under a new dispute id): each dispute holds the order's earnings while it is open, and the order is
held while any of them is (``held_order_ids``), so closing one never releases another.

Only a loss takes money back (``order_chargeback``, sent once per dispute, when its row becomes lost):
Stripe withdraws the funds when a chargeback opens and reinstates them when it is won, so neither
``funds_withdrawn`` nor ``funds_reinstated`` is final.

Events about one payment run under its row lock, so one payment's disputes change one at a time.
"""

from decimal import Decimal

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from shop import events
from shop.models import CLOSED_DISPUTE_STATUSES, Dispute, OrderEventType
from shop.services.orders import record_event
from shop.services.payments import lock_payment

LOST = "lost"


def record_dispute_status(intent_id: str, *, dispute_id: str, status: str, amount: Decimal, currency: str,
                          reason: str = "") -> Dispute:
    """What a ``charge.dispute.*`` event says of one dispute: opened (the first event naming it, whichever that
    is), its status, closed (won, lost, an inquiry closed), lost (the amount taken back, once).

    Idempotent and order-independent: a duplicate changes nothing; a late ``created`` or ``updated`` after the
    dispute closed changes nothing; a ``closed`` arriving first opens and closes it in one go."""
    with transaction.atomic():
        payment = lock_payment(intent_id)
        dispute = Dispute.objects.filter(gateway_dispute_id=dispute_id).first() or _adopt_legacy(payment, dispute_id)
        if dispute is None:
            dispute = Dispute.objects.create(payment=payment, gateway_dispute_id=dispute_id, status=status,
                                             amount=amount, currency=currency, reason=reason[:60])
            if not payment.disputed:
                payment.disputed = True
                payment.save(update_fields=["disputed", "updated_at"])
            record_event(payment.order, OrderEventType.DISPUTED, before=payment.order.status,
                         data={"dispute_id": dispute_id, "amount": str(amount), "reason": reason, "status": status})
            events.order_disputed.send(order=payment.order)
        elif dispute.closed_at is not None:
            return dispute  # closed for good: a late or repeated event changes nothing
        closes = status in CLOSED_DISPUTE_STATUSES
        dispute.status, dispute.amount = status, amount
        if closes:
            dispute.closed_at = timezone.now()
        if status == LOST:
            dispute.lost_at = dispute.closed_at
        dispute.save(update_fields=["status", "amount", "closed_at", "lost_at"])
        if status == LOST:
            events.order_chargeback.send(order=payment.order, dispute_id=dispute_id, amount=amount)
    return dispute


def _adopt_legacy(payment, dispute_id: str) -> Dispute | None:
    """The payment's open dispute recorded before dispute ids were kept (``legacy-<payment>``, shop 0023), now
    known by the id Stripe names: the same dispute, already announced, so it is renamed rather than opened
    again (else it would hold the order's earnings for ever)."""
    legacy = Dispute.objects.filter(payment=payment, gateway_dispute_id__startswith="legacy-",
                                    closed_at__isnull=True).first()
    if legacy is not None:
        legacy.gateway_dispute_id = dispute_id
        legacy.save(update_fields=["gateway_dispute_id"])
    return legacy


def held_order_ids() -> QuerySet:
    """Orders whose payment has any dispute open: their earnings (creators' commissions and margins, sharers'
    rewards) stay pending, not locked or paid, until every dispute of the payment closes (a subquery)."""
    return Dispute.objects.filter(closed_at__isnull=True).values("payment__order_id")
