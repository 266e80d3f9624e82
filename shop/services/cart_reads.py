"""Reading a cart: its lines with their variants, products, promotions and listings, priced now (``fetch_cart``),
into plain dataclasses; ``shop.services.cart`` changes carts and answers with these.

``fetch_cart`` loads a cart for display or checkout in a constant number of queries (cart, lines with their
variants, products and promotions, availability, and promotion usage when a line carries a promotion); each line is
priced by ``shop.services.pricing.price_line``. Checkout's read also takes, on PostgreSQL, the keys its order's lines
and fulfilment groups will have (``taking_keys``), so they are written with the order in one statement.
"""

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db.models import IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from shop.attribution import Attribution
from shop.models import Cart, CartLine, FulfilmentGroup, OrderLine, OrderStatus, Promotion, Variant
from shop.services.buyer_identity import ordered_by
from shop.services.keyed_inserts import NextKey
from shop.services.compiled_queries import compiled
from shop.services.pricing import LinePrice, PromotionUsage, price_line, promotion_usage
from shop.services.reservations import available_quantities, available_quantity


@dataclass(frozen=True)
class CartLineInfo:
    line: CartLine
    variant: Variant
    quantity: int
    unit_price: Decimal
    currency: str
    line_total: Decimal
    available: int
    price: LinePrice | None = None

    @property
    def promotion(self) -> Promotion | None:
        """The promotion pricing this line now (None when it asked for one that no longer applies)."""
        return self.price.promotion if self.price is not None else None

    @property
    def sku(self) -> str:
        return self.variant.sku

    @property
    def attribution(self) -> Attribution:
        return Attribution(self.line.creator_id, self.line.page_id, self.line.block_id, self.line.click_id)


@dataclass(frozen=True)
class CartInfo:
    cart: Cart
    lines: list[CartLineInfo] = field(default_factory=list)

    @property
    def currency(self) -> str:
        return self.lines[0].currency if self.lines else settings.KOLSHOP_DEFAULT_CURRENCY

    @property
    def subtotal(self) -> Decimal:
        return sum((line.line_total for line in self.lines), Decimal("0.00"))

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines)


def _line_info(line: CartLine, *, available: int, usage: PromotionUsage, now: datetime,
               buyer_known: bool) -> CartLineInfo:
    price = price_line(line.variant, quantity=line.quantity, now=now, promotion=line.promotion, usage=usage,
                       buyer_known=buyer_known, listing=line.listing)
    return CartLineInfo(line=line, variant=line.variant, quantity=line.quantity, unit_price=price.unit_price,
                        currency=price.currency, line_total=price.line_total, available=available, price=price)


# Orders in these states still count towards a buyer's per-variant limit.
_COUNTED_STATUSES = [OrderStatus.PENDING, OrderStatus.PAID, OrderStatus.FULFILLED, OrderStatus.PARTIALLY_REFUNDED]


def units_bought(key: str) -> Coalesce:
    """An annotation on cart lines: units of the line's variant the buyer ``key`` (``buyer_key``) has in orders that
    still count towards the per-variant limit. Checkout reads it after the buyer's lock, so a concurrent
    checkout's order is seen."""
    bought = (OrderLine.objects.filter(ordered_by(key=key), order__status__in=_COUNTED_STATUSES,
                                       variant_id=OuterRef("variant_id"))
              .order_by().values("variant_id").annotate(total=Sum("quantity")).values("total"))
    return Coalesce(Subquery(bought, output_field=IntegerField()), Value(0))


def _lines_of(*, cart_id: int, available_at: datetime | None = None, bought_by: str | None = None):
    lines = CartLine.objects.filter(cart_id=cart_id).select_related("variant__product", "promotion", "listing__offer")
    if available_at is not None:
        lines = lines.annotate(available=available_quantity(available_at))
    if bought_by is not None:
        lines = lines.annotate(units_bought=units_bought(bought_by))
    return lines.order_by("pk")


def _lines_taking_keys(*, cart_id: int, bought_by: str):
    """Checkout's read of the lines: each also takes the key of the order line it becomes (``line_key``) and one for
    a fulfilment group (``group_key``: its brand's group takes its first line's), from their sequences
    (``keyed_inserts.NextKey``; None on SQLite). A key taken and not used leaves a gap, as a rolled-back insert
    does."""
    return _lines_of(cart_id=cart_id, bought_by=bought_by).annotate(line_key=NextKey(OrderLine),
                                                                     group_key=NextKey(FulfilmentGroup))


_compiled_lines_of, _compiled_lines_taking_keys = compiled(_lines_of), compiled(_lines_taking_keys)


def _cart_lines(cart: Cart, *, available_at: datetime | None = None, bought_by: str | None = None,
                taking_keys: bool = False) -> list[CartLine]:
    """The cart's lines; with ``available_at``, each also carries ``available`` (its variant's units available
    then, ``shop.services.reservations.available_quantity``), with ``bought_by`` (a ``buyer_key``) the units that
    buyer already bought (``units_bought``), each read in the same statement (compiled once per process);
    ``taking_keys`` (with ``bought_by``): ``_lines_taking_keys``."""
    if taking_keys:
        lines = _compiled_lines_taking_keys(cart_id=cart.pk, bought_by=bought_by)
    else:
        arguments = {"available_at": available_at, "bought_by": bought_by}
        lines = _compiled_lines_of(cart_id=cart.pk,
                                   **{name: value for name, value in arguments.items() if value is not None})
    for line in lines:
        CartLine.cart.field.set_cached_value(line, cart)
    return lines


def _priced(cart: Cart, lines: list[CartLine], *, available: dict[int, int] | None, now: datetime) -> CartInfo:
    usage = promotion_usage([line.promotion_id for line in lines if line.promotion_id is not None], now=now,
                            exclude_cart_id=cart.pk)
    return CartInfo(cart=cart, lines=[
        _line_info(line, available=available[line.variant_id] if available is not None else 0, usage=usage, now=now,
                   buyer_known=False)
        for line in lines
    ])


def fetch_cart(cart: Cart, *, now: datetime | None = None, with_availability: bool = True,
               bought_by: str | None = None, taking_keys: bool = False) -> CartInfo:
    """The cart's lines priced now. ``with_availability=False`` skips the availability query (every
    line then says 0 available): checkout, which checks stock under the stock row locks instead.
    ``bought_by``: a ``buyer_key``; each ``CartLineInfo.line`` then carries ``units_bought`` (read with the lines),
    and with ``taking_keys`` its order line's and group's keys (``_lines_taking_keys``)."""
    now = now or timezone.now()
    lines = _cart_lines(cart, bought_by=bought_by, taking_keys=taking_keys)
    available = available_quantities([line.variant_id for line in lines]) if with_availability else None
    return _priced(cart, lines, available=available, now=now)


def reprice_cart(info: CartInfo, *, usage: PromotionUsage, now: datetime) -> CartInfo:
    """The same lines priced again with ``usage`` counted for the buyer (checkout, under the promotion locks)."""
    return replace(info, lines=[
        _line_info(line.line, available=line.available, usage=usage, now=now, buyer_known=True)
        for line in info.lines
    ])

