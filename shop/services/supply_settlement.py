"""Settling a paid storefront order: a payable per brand (wholesale) and per creator (margin).

When an order is paid (``events.order_paid``, inside the payment's transaction) ``record_supply_payables``
writes one ``SupplyTransfer`` per payee, summed from the order lines' snapshots; the unique
(order, payee) makes a repeated event write nothing. After the commit ``pay_supply_transfers`` pays
each by its own Stripe Connect transfer in the order's transfer group (``kolshop-order-<number>``),
never under a row lock. A transfer that fails stays ``failed`` and is retried (``retry_supply_transfers``)
under the same idempotency key, so Stripe answers a retry of a transfer that did go through with
that transfer instead of making a second. A creator's account is asked of the app above
(``events.creator_payout_account``); a brand's is on the brand.
"""

from collections import defaultdict
from decimal import Decimal

import structlog
from django.db import transaction
from django.db.models import Q

from shop import events
from shop.models import Brand, Order, PayeeKind, SupplyTransfer, SupplyTransferStatus
from shop.models.orders import OrderLine
from shop.money import to_minor_units
from shop.payments import stripe_api
from shop.payments.gateway import PaymentGatewayError

log = structlog.get_logger(__name__)


def transfer_group_of(order: Order) -> str:
    return f"kolshop-order-{order.number}"


def record_supply_payables(*, order: Order, **_payload) -> list[SupplyTransfer]:
    """One payable per brand (wholesale) and per creator (margin) of the order's listing lines; idempotent.

    Orders without listing lines (``sells_supply`` false, set at checkout) cost no query."""
    if not order.sells_supply:
        return []
    owed: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
    lines = OrderLine.objects.filter(order=order, listing__isnull=False).select_related("listing").order_by("pk")
    for line in lines:
        owed[(PayeeKind.BRAND, line.brand_id)] += line.wholesale_amount
        owed[(PayeeKind.CREATOR, line.listing.creator_id)] += line.creator_margin
    rows = [
        SupplyTransfer(order=order, payee_kind=kind, payee_id=payee_id, amount=amount, currency=order.currency,
                       transfer_group=transfer_group_of(order),
                       idempotency_key=f"kolshop-supply-{order.number}-{kind}-{payee_id}")
        for (kind, payee_id), amount in sorted(owed.items()) if amount > 0
    ]
    if rows:
        SupplyTransfer.objects.bulk_create(rows, ignore_conflicts=True)
        order_id = order.pk
        transaction.on_commit(lambda: pay_supply_transfers(order_id=order_id))
    return rows


def _destination(transfer: SupplyTransfer) -> str:
    if transfer.payee_kind == PayeeKind.BRAND:
        return Brand.objects.filter(pk=transfer.payee_id).values_list("stripe_account_id", flat=True).first() or ""
    answers = events.creator_payout_account.send(creator_id=transfer.payee_id)
    return next((answer for answer in answers if answer), "")


def _pay(transfer: SupplyTransfer) -> SupplyTransfer:
    """One attempt, outside any transaction; the row records the outcome."""
    destination = _destination(transfer)
    try:
        if not destination:
            raise PaymentGatewayError("The payee has no connected Stripe account yet.", code="no_account")
        transfer_id = stripe_api.create_transfer(
            amount_minor=to_minor_units(transfer.amount, transfer.currency), currency=transfer.currency,
            destination=destination, transfer_group=transfer.transfer_group,
            idempotency_key=transfer.idempotency_key,
            metadata={"order": transfer.transfer_group, "payee": f"{transfer.payee_kind}:{transfer.payee_id}"},
        )
    except PaymentGatewayError as error:
        failure = f"{error.code}: {getattr(error, 'provider_message', '') or error.message}"[:300]
        SupplyTransfer.objects.filter(pk=transfer.pk).update(status=SupplyTransferStatus.FAILED,
                                                             failure_message=failure, attempts=transfer.attempts + 1)
        log.warning("supply transfer failed", transfer_id=transfer.pk, failure=failure)
    else:
        SupplyTransfer.objects.filter(pk=transfer.pk).update(status=SupplyTransferStatus.PAID, transfer_id=transfer_id,
                                                             failure_message="", attempts=transfer.attempts + 1)
    transfer.refresh_from_db()
    return transfer


def pay_supply_transfers(*, order_id: int) -> list[SupplyTransfer]:
    """Pay the order's unpaid transfers (pending or failed), each with its own idempotency key."""
    open_ = SupplyTransfer.objects.filter(order_id=order_id).exclude(status=SupplyTransferStatus.PAID).order_by("pk")
    return [_pay(transfer) for transfer in open_]


def retry_supply_transfers() -> list[SupplyTransfer]:
    """Every failed or stuck transfer again, under the key it was first tried with (a scheduled task may call it)."""
    open_ = SupplyTransfer.objects.filter(Q(status=SupplyTransferStatus.FAILED) | Q(status=SupplyTransferStatus.PENDING))
    return [_pay(transfer) for transfer in open_.order_by("pk")]


def connect_settlement() -> None:
    events.order_paid.connect(record_supply_payables)
