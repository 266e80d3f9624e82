"""Stock reservations: available = on hand minus active (unexpired) reservations.

Checkout locks the variants' stock rows in primary-key order (so overlapping baskets never
deadlock), checks availability and records reservations in the same transaction.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import IntegerField, Min, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from shop import events
from shop.errors import Conflict, RateLimited
from shop.models import Order, OrderEventType, OrderStatus, Stock, StockReservation
from shop.services.client_identity import VisitorKey
from shop.services import write_batches
from shop.services.compiled_queries import compiled
from shop.services.inventory import stock_changed
from shop.services.locks import lock_for_transaction
from shop.services.orders import record_event


@dataclass(frozen=True)
class ReservationRequest:
    variant_id: int
    sku: str
    quantity: int
    product_id: int | None = None  # the variant's product, when the caller has it (no look-up after commit)


class InsufficientStock(Conflict):
    def __init__(self, sku: str, available: int):
        super().__init__(
            f"Only {available} of {sku} available.", code="insufficient_stock", field="sku"
        )
        self.sku = sku
        self.available = available


def client_lock_name(client: VisitorKey) -> str:
    """The named lock (``lock_for_transaction``) serialising one client's holds."""
    return f"kolshop-client:{client.lock_name}"


# The client cap (KOLSHOP_MAX_RESERVED_UNITS_PER_CLIENT): without it one anonymous client could hold a product's
# whole stock, again and again. The client's lock is held until commit so two carts checking out at once can't
# both slip under the cap; ``reserve_stock`` counts the client's holds after it.
def _check_client_cap_units(units: int) -> int:
    cap = settings.KOLSHOP_MAX_RESERVED_UNITS_PER_CLIENT
    if units > cap:
        raise Conflict(f"One checkout can hold at most {cap} items.", code="reservation_cap", field=None)
    return cap


def _check_client_holds(held_units: int, first_expiry: datetime | None, *, units: int, cap: int,
                        now: datetime) -> None:
    if held_units + units > cap:
        raise RateLimited(
            f"You already hold {held_units} items in unpaid checkouts; pay or wait for them to expire "
            f"(at most {cap} at a time).",
            retry_after=max(int((first_expiry - now).total_seconds()) + 1, 1), code="reservation_cap",
        )


def active_reserved_quantity(now: datetime, *, variant_ref: str = "variant_id"):
    """An annotation: units of the outer row's variant held by unexpired reservations (0 when none).

    ``variant_ref`` names the outer field holding the variant id (``"pk"`` on Variant querysets).
    This is the one definition of "reserved" that availability everywhere is computed from.
    """
    summed = (
        StockReservation.objects.filter(variant_id=OuterRef(variant_ref), expires_at__gt=now)
        .order_by()
        .values("variant_id")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    return Coalesce(Subquery(summed, output_field=IntegerField()), Value(0))


def available_quantity(now: datetime, *, variant_ref: str = "variant_id"):
    """An annotation: the outer row's variant's units on hand minus its active reservations, at least 0 (0 without
    a stock row), for a query that reads rows anyway (the variant added to a cart, the cart's lines).
    ``available_quantities`` gives the same figure for a list of ids."""
    on_hand = Subquery(Stock.objects.filter(variant_id=OuterRef(variant_ref)).values("on_hand")[:1],
                       output_field=IntegerField())
    return Greatest(Coalesce(on_hand, Value(0)) - active_reserved_quantity(now, variant_ref=variant_ref), Value(0))


def available_quantities(variant_ids: list[int], *, now: datetime | None = None) -> dict[int, int]:
    """One query: each variant's on-hand stock minus its active reservations (missing stock = 0)."""
    now = now or timezone.now()
    rows = (
        Stock.objects.filter(variant_id__in=variant_ids)
        .annotate(reserved=active_reserved_quantity(now))
        .values_list("variant_id", "on_hand", "reserved")
    )
    available = {variant_id: 0 for variant_id in variant_ids}
    available.update({variant_id: max(on_hand - reserved, 0) for variant_id, on_hand, reserved in rows})
    return available


def lock_stock(variant_ids: list[int], *, now: datetime, exclude_order_id: int | None = None) -> dict[int, Stock]:
    """Lock the stock rows in primary-key order; each row is annotated with others' active reservations."""
    return _lock_stock_and_count(variant_ids, now=now, exclude_order_id=exclude_order_id)[0]


def _stock_rows_locked(*, variant_ids: list[int]):
    return Stock.objects.select_for_update().filter(variant_id__in=variant_ids).order_by("pk")


def _holds_of(*, variant_ids: list[int], now: datetime, exclude_order_id: int | None = None,
              client_keys: list[str] | None = None):
    """Per variant, units of ``variant_ids`` held by others; with ``client_keys``, also every variant the client
    holds, with the client's units and the first of its holds to expire."""
    for_variants = Q(variant_id__in=variant_ids)
    holds = StockReservation.objects.filter(expires_at__gt=now).exclude(order_id=exclude_order_id).order_by()
    if client_keys is None:
        return (holds.filter(for_variants).values("variant_id").annotate(total=Sum("quantity"))
                .values_list("variant_id", "total"))
    for_client = Q(client_key__in=client_keys)
    return (holds.filter(for_variants | for_client).values("variant_id")
            .annotate(total=Sum("quantity", filter=for_variants), client_units=Sum("quantity", filter=for_client),
                      first_expiry=Min("expires_at", filter=for_client))
            .values_list("variant_id", "total", "client_units", "first_expiry"))


# Built and compiled once per process (shop.services.compiled_queries): the buy flow runs them on every checkout
# and payment.
_compiled_stock_rows_locked, _compiled_holds_of = compiled(_stock_rows_locked), compiled(_holds_of)


def _lock_stock_and_count(variant_ids: list[int], *, now: datetime, exclude_order_id: int | None,
                          client_keys: list[str] = ()) -> tuple[dict[int, Stock], int, datetime | None]:
    """``lock_stock``, and in the same read of the holds (taken after the locks, so it sees every hold committed
    before them) the units ``client_keys`` hold and the first of those holds to expire."""
    locked = {stock.variant_id: stock for stock in _compiled_stock_rows_locked(variant_ids=list(variant_ids))}
    if client_keys:
        rows = _compiled_holds_of(variant_ids=list(variant_ids), now=now, exclude_order_id=exclude_order_id,
                                  client_keys=list(client_keys))
    else:
        rows = ((variant_id, total, 0, None) for variant_id, total in
                _compiled_holds_of(variant_ids=list(variant_ids), now=now, exclude_order_id=exclude_order_id))
    reserved, client_units, first_expiry = {}, 0, None
    for variant_id, total, units, expiry in rows:
        reserved[variant_id] = total or 0
        client_units += units or 0
        if expiry is not None and (first_expiry is None or expiry < first_expiry):
            first_expiry = expiry
    for variant_id, stock in locked.items():
        stock.reserved_by_others = reserved.get(variant_id, 0)
    return locked, client_units, first_expiry


def reserve_stock(
    lines: list[ReservationRequest], *, order: Order, ttl: timedelta, now: datetime | None = None,
    client: VisitorKey | None = None, client_locked: bool = False,
) -> list[StockReservation]:
    """Hold ``lines`` for ``order`` until now + ttl. Call inside a transaction; raises InsufficientStock,
    or RateLimited/Conflict (``reservation_cap``) when ``client`` would hold too much (the client cap
    above). ``client_locked``: the caller already holds ``client_lock_name(client)``."""
    now = now or timezone.now()
    units = sum(line.quantity for line in lines)
    cap = _check_client_cap_units(units) if client is not None else 0
    if client is not None and not client_locked:
        lock_for_transaction(client_lock_name(client))
    # The client's holds are counted in the same statement as the stock rows' (after both locks).
    locked, client_units, first_expiry = _lock_stock_and_count(
        sorted({line.variant_id for line in lines}), now=now, exclude_order_id=order.pk,
        client_keys=list(client.candidates) if client is not None else [])
    if client is not None:
        _check_client_holds(client_units, first_expiry, units=units, cap=cap, now=now)
    for line in lines:
        stock = locked.get(line.variant_id)
        available = stock.on_hand - stock.reserved_by_others if stock is not None else 0
        if line.quantity > available:
            raise InsufficientStock(line.sku, max(available, 0))
    expires_at = now + ttl
    reservations = write_batches.insert(  # sent with the caller's other writes when it batches them
        [StockReservation(variant_id=line.variant_id, order=order, quantity=line.quantity, expires_at=expires_at,
                          client_key=client.current if client else "")
         for line in lines]
    )
    known = all(line.product_id is not None for line in lines)
    stock_changed([line.variant_id for line in lines],
                  product_ids=[line.product_id for line in lines] if known else None)
    return reservations


def shorten_reservations(order_ids, *, expires_at: datetime) -> None:
    """Holds of these orders now end at ``expires_at`` (a group-buy team whose card holds end sooner)."""
    reservations = StockReservation.objects.filter(order_id__in=order_ids)
    variant_ids = set(reservations.values_list("variant_id", flat=True))
    reservations.update(expires_at=expires_at)
    stock_changed(variant_ids)


def _order_holds(*, order_id: int):
    return StockReservation.objects.filter(order_id=order_id)


_delete_holds = write_batches.compiled_delete(StockReservation, _order_holds)  # compiled once per process


def release_reservations(order: Order, *, variant_ids: list[int] | None = None,
                         product_ids: list[int] | None = None) -> None:
    """Drop an order's holds (paid, cancelled or expired); cached availability is refreshed after commit.
    ``variant_ids``: the variants they hold when the caller knows them (the order's lines), else read;
    ``product_ids``: those variants' products, when known too (``stock_changed``)."""
    if variant_ids is None:
        variant_ids, product_ids = list(order.reservations.values_list("variant_id", flat=True)), None
    _delete_holds(order_id=order.pk)  # sent with the caller's other writes when it batches them
    stock_changed(variant_ids, product_ids=product_ids)


def cancel_pending_orders(orders: list[Order], *, reason: str = "",
                          event_type: str = OrderEventType.CANCELLED) -> list[int]:
    """Cancel locked pending orders and free their holds; returns their ids, whose payment intents the
    caller cancels after commit (never under a lock). The one way a pending order ends unpaid:
    replaced, abandoned, closed by its cart's payment, or expired (``event_type=EXPIRED``)."""
    for order in orders:
        before = order.status  # pending, or awaiting_group (a group-buy member released)
        release_reservations(order)
        order.status = OrderStatus.CANCELLED
        order.save(update_fields=["status", "updated_at"])
        events.order_cancelled.send(order=order)
        record_event(order, event_type, before=before, after=OrderStatus.CANCELLED,
                     data={"reason": reason} if reason else None)
    return [order.pk for order in orders]
