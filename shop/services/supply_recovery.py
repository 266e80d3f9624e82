"""Recovering money already sent to a brand: a Stripe transfer reversal per ``SupplyTransferReversal`` to recover.

A reversal is tried once its transfer is paid (Stripe can only reverse a transfer that exists): after the
commit that recorded it, when its transfer's payment lands, and by the scheduled job
(``retry_supply_reversals``). Each row has its own idempotency key, so a retry of a reversal that did go
through gets Stripe's first answer and takes nothing twice. Like a transfer, an attempt is marked in flight
(``recovering``) under the row lock before Stripe is called, never while the lock is held.
"""

import structlog
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from shop.models import SupplyReversalStatus, SupplyTransferReversal, SupplyTransferStatus
from shop.money import to_minor_units
from shop.payments import stripe_api
from shop.payments.gateway import PaymentGatewayError
from shop.services.supply_attempts import abandoned, count_attempt, in_flight

log = structlog.get_logger(__name__)


@transaction.atomic
def _start_recovery(reversal_id: int) -> SupplyTransferReversal | None:
    reversal = SupplyTransferReversal.objects.select_for_update().select_related("transfer").get(pk=reversal_id)
    if in_flight(reversal, SupplyReversalStatus.RECOVERING):
        return None  # another worker is recovering it right now
    if reversal.status not in (SupplyReversalStatus.TO_RECOVER, SupplyReversalStatus.RECOVERING):
        return None
    if reversal.transfer.status != SupplyTransferStatus.PAID or not reversal.transfer.transfer_id:
        return None  # nothing reached the brand yet; tried again once the transfer is paid
    count_attempt(reversal, SupplyReversalStatus.RECOVERING)
    return reversal


def _recover(reversal_id: int) -> None:
    reversal = _start_recovery(reversal_id)
    if reversal is None:
        return
    transfer = reversal.transfer
    try:
        stripe_reversal_id = stripe_api.create_transfer_reversal(
            transfer_id=transfer.transfer_id, amount_minor=to_minor_units(reversal.amount, reversal.currency),
            idempotency_key=reversal.idempotency_key,
            metadata={"order": transfer.transfer_group, "cause": reversal.source_ref},
        )
    except PaymentGatewayError as error:
        failure = f"{error.code}: {getattr(error, 'provider_message', '') or error.message}"[:300]
        SupplyTransferReversal.objects.filter(pk=reversal.pk).update(
            status=SupplyReversalStatus.TO_RECOVER, failure_message=failure, updated_at=timezone.now())
        log.warning("supply transfer reversal failed", reversal_id=reversal.pk, failure=failure)
    else:
        SupplyTransferReversal.objects.filter(pk=reversal.pk).update(
            status=SupplyReversalStatus.RECOVERED, reversal_id=stripe_reversal_id, failure_message="",
            updated_at=timezone.now())


def recover_supply_reversals(*, order_id: int | None = None, transfer_id: int | None = None) -> list[int]:
    """Try the reversals still to recover (of one order or one transfer), each under its own key; their ids."""
    rows = SupplyTransferReversal.objects.filter(
        Q(status=SupplyReversalStatus.TO_RECOVER)
        | abandoned(SupplyReversalStatus.RECOVERING),
        transfer__status=SupplyTransferStatus.PAID)
    if order_id is not None:
        rows = rows.filter(transfer__order_id=order_id)
    if transfer_id is not None:
        rows = rows.filter(transfer_id=transfer_id)
    ids = list(rows.order_by("pk").values_list("pk", flat=True))
    for reversal_id in ids:
        _recover(reversal_id)
    return ids


def retry_supply_reversals() -> list[int]:
    """Every reversal whose recovery failed, never ran or was abandoned (the scheduled job)."""
    return recover_supply_reversals()


def recover_supply_reversal(reversal_id: int) -> None:
    """One reversal now (staff's "retry now"), under its own key; a row in flight or not yet sendable is left."""
    _recover(reversal_id)
