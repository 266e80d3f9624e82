"""Order bookkeeping shared by checkout, payments, refunds and the admin: audit trail, pickup codes."""

import hmac
from datetime import datetime

import structlog

from django.contrib.auth.models import AbstractBaseUser
from django.db import connections, router, transaction
from django.db.models import Model
from django.utils import timezone

from shop.errors import Conflict, NotFound
from shop.models import FulfilmentMethod, Order, OrderEvent, OrderEventType, OrderNotificationKind, OrderStatus
from shop.services import write_batches
from shop.services.built_statements import Quote, built_once
from shop.services.compiled_inserts import save_new_then
from shop.services.notifications import notify_buyer
from shop.services.pickup_codes import hash_pickup_code, pickup_code_for  # noqa: F401 - pickup_code_for is this module's API too

log = structlog.get_logger(__name__)




def record_event(
    order: Order,
    event_type: str,
    *,
    before: str = "",
    after: str = "",
    data: dict | None = None,
    actor: AbstractBaseUser | None = None,
) -> OrderEvent:
    """Append to the order's audit trail; also one structured log line with the order number (never
    the buyer's data: ``data`` stays in the trail)."""
    [event] = write_batches.insert([OrderEvent(  # sent with the caller's other writes when it batches them
        order=order, type=event_type, status_before=before, status_after=after or before, data=data or {},
        actor=actor if actor is not None and actor.is_authenticated else None,
    )])
    _log_event(order, event_type, before=before, after=after or before)
    return event


def _log_event(order: Order, event_type: str, *, before: str, after: str) -> None:
    log.info("order event", order_number=order.number, order_event=event_type, status_before=before,
             status_after=after, total=str(order.total), currency=order.currency)


def record_event_at_current_status(order: Order, event_type: str, *, data: dict, saving: Model) -> str:
    """``record_event`` for an event that changes no status, written by a transaction that holds no lock on the
    order: its before and after are the order's status as the database has it when the event is written, read
    by the insert itself (``INSERT … SELECT … RETURNING``). Returns that status (checkout's "was the order paid
    or cancelled while its payment was being opened?"). ``saving``: a new row saved first (checkout's payment,
    ``save_new_then``), on PostgreSQL in the same statement. There the order's row is read ``FOR SHARE``: a
    transaction changing its status now is waited for and its status read; one changing it later waits for this
    statement's commit, so it sees the row saved (a statement reading it unlocked would see neither). Checkout
    calls it in autocommit, so the lock lasts this statement alone; a caller in a transaction of its own (the
    demo's loader) holds it until that commits."""
    db = connections[router.db_for_write(OrderEvent)]
    data_field, created_field = OrderEvent._meta.get_field("data"), OrderEvent._meta.get_field("created_at")
    params = [event_type, data_field.get_db_prep_save(data, db), created_field.get_db_prep_save(timezone.now(), db),
              order.pk]
    statement = built_once(db, ("order event at current status",), _event_at_current_status_sql)
    status = save_new_then(saving, (statement, params))[0]
    _log_event(order, event_type, before=status, after=status)
    return status


def _event_at_current_status_sql(quote: Quote, vendor: str) -> str:
    """``record_event_at_current_status``'s statement (built once per process and database: it names only columns)."""
    column = {field.name: field.column for field in OrderEvent._meta.concrete_fields}
    names = ["order", "type", "status_before", "status_after", "data", "created_at"]
    status, order_pk = quote(Order._meta.get_field("status").column), quote(Order._meta.pk.column)
    share = " FOR SHARE" if vendor == "postgresql" else ""  # SQLite serialises writers
    return (f"INSERT INTO {quote(OrderEvent._meta.db_table)} ({', '.join(quote(column[name]) for name in names)}) "
            f"SELECT {order_pk}, %s, {status}, {status}, %s, %s FROM {quote(Order._meta.db_table)} "
            f"WHERE {order_pk} = %s{share} RETURNING {quote(column['status_before'])}")


def order_for_buyer(number: str, secret: str) -> Order:
    """The buyer's own order; a wrong secret looks exactly like an unknown number."""
    return check_buyer_secret(Order.objects.filter(number=number).first(), secret)


def check_buyer_secret(order: Order | None, secret: str) -> Order:
    """``order`` when ``secret`` is its buyer's; a wrong secret looks exactly like an unknown number."""
    if order is None or not secret or not hmac.compare_digest(order.secret, secret):
        raise NotFound("No order with this number and secret.", code="order_not_found")
    return order


def assign_pickup_code(order: Order) -> None:
    if order.fulfilment_method == FulfilmentMethod.PICKUP and not order.pickup_code_hash:
        order.pickup_code_hash = hash_pickup_code(pickup_code_for(order))


@transaction.atomic
def redeem_pickup_code(code: str, *, actor: AbstractBaseUser, now: datetime | None = None) -> Order:
    """Staff hand over a pickup order: the code works once, only on a paid order."""
    code_hash = hash_pickup_code(code)
    order = Order.objects.select_for_update().filter(pickup_code_hash=code_hash).first() if code.strip() else None
    if order is None:
        raise NotFound("No pickup order has this code.", code="unknown_pickup_code", field="code")
    if order.pickup_redeemed_at is not None:
        raise Conflict(
            f"This code was already redeemed on {order.pickup_redeemed_at:%Y-%m-%d %H:%M}.",
            code="pickup_already_redeemed", field="code",
        )
    if order.status != OrderStatus.PAID:
        raise Conflict(f"Order {order.number} is {order.get_status_display()}.", code="pickup_not_ready", field="code")
    before = order.status
    order.pickup_redeemed_at = now or timezone.now()
    order.pickup_redeemed_by = actor
    order.status = OrderStatus.FULFILLED
    order.save(update_fields=["pickup_redeemed_at", "pickup_redeemed_by", "status", "updated_at"])
    record_event(order, OrderEventType.PICKUP_REDEEMED, before=before, after=order.status, actor=actor)
    return order


@transaction.atomic
def mark_fulfilled(order: Order, *, actor: AbstractBaseUser | None = None) -> Order:
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status != OrderStatus.PAID:
        raise Conflict(f"Only paid orders can be fulfilled; this one is {order.get_status_display()}.",
                       code="not_fulfillable")
    order.status = OrderStatus.FULFILLED
    order.save(update_fields=["status", "updated_at"])
    record_event(order, OrderEventType.FULFILLED, before=OrderStatus.PAID, after=order.status, actor=actor)
    if order.fulfilment_method == FulfilmentMethod.SHIPPING:
        _notify(order, kind=OrderNotificationKind.SHIPPED)
    return order


@transaction.atomic
def mark_ready_for_pickup(order: Order, *, actor: AbstractBaseUser | None = None) -> Order:
    """Staff have put a paid pickup order aside: the buyer is told to come (once, however often staff
    press the button)."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.fulfilment_method != FulfilmentMethod.PICKUP or order.status != OrderStatus.PAID:
        raise Conflict(f"Only paid pickup orders can be made ready; this one is {order.get_status_display()}.",
                       code="not_ready_for_pickup")
    if not order.events.filter(type=OrderEventType.PICKUP_READY).exists():
        record_event(order, OrderEventType.PICKUP_READY, before=order.status, actor=actor)
        _notify(order, kind=OrderNotificationKind.PICKUP_READY)
    return order


def _notify(order: Order, *, kind: str) -> None:
    notify_buyer(order, kind=kind)
