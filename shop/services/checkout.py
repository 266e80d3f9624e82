"""Checkout: turn a cart into a pending order with reserved stock and a gateway payment.

``start_checkout`` works in two steps so no gateway call happens under a row lock: one
transaction places the order and reserves stock (cart, then voucher, then stock rows in
primary-key order), and only after the commit is the payment intent created.

Promotions: lines that carry one are priced again under the promotion row locks (taken after the
voucher, before the stock rows, in primary-key order) with the buyer's email known. Checkout never
charges a price other than the one the cart showed: when a line's promotion stopped applying (it
ended, or its unit cap was used up) since the line was added, checkout answers 409
``price_changed`` (field ``sku``), places nothing and takes the promotion off those lines, so the
client re-reads the cart (now at the list price) and checks out again (``checkout_prices``). A
buyer past the promotion's per-buyer limit gets 409 ``promotion_limit`` (field ``quantity``) and
keeps the line.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from shop import events
from shop.errors import Conflict, InvalidInput, PaymentFailed, Unavailable
from shop.models import (
    Cart,
    FulfilmentMethod,
    Order,
    OrderEventType,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentStatus,
    ProductStatus,
)
from shop.money import quantize
from shop.payments.gateway import UNAVAILABLE_MESSAGE, PaymentGateway, PaymentGatewayError
from shop.payments.registry import get_gateway
from shop.services.cart import CartInfo, ensure_cart_open, fetch_cart, max_quantity_per_variant
from shop.services.cart_locks import lock_cart_for_checkout
from shop.services.client_identity import VisitorKey
from shop.services import write_batches
from shop.services import keyed_inserts
from shop.services.compiled_inserts import save_new
from shop.services.keyed_inserts import insert_known
from shop.services.compiled_queries import compiled
from shop.services.fulfilment_groups import open_fulfilment_groups
from shop.services.checkout_prices import PriceChanged, mend_refused_lines, price_promotions
from shop.services.buyer_identity import buyer_key
from shop.services.orders import (
    assign_pickup_code, check_buyer_secret, record_event, record_event_at_current_status,
)
from shop.services.payments import cancel_open_intents, complete_checkout, complete_payment
from shop.services.reservations import ReservationRequest, cancel_pending_orders, client_lock_name, reserve_stock
from shop.services.supply_checkout import (
    ListingPriceChanged,
    has_listing_lines,
    price_listing_lines,
    supply_line_fields,
)
from shop.services.vouchers import allocate_voucher_discount, lock_voucher, validate_voucher, voucher_funder

logger = logging.getLogger(__name__)

FREE_GATEWAY = "free"


@dataclass(frozen=True)
class ShippingAddress:
    name: str
    line1: str
    city: str
    postal_code: str
    country: str
    line2: str = ""


@dataclass(frozen=True)
class CheckoutResult:
    order: Order
    payment: Payment
    publishable_key: str = ""
    lines: list[OrderLine] | None = None  # the order's lines as written (None: read them from the order)


def reservation_ttl() -> timedelta:
    return timedelta(minutes=settings.KOLSHOP_RESERVATION_MINUTES)


# The required parts of a shipping address, as a reader would name them.
_ADDRESS_PARTS = {"name": "full name", "line1": "street address", "city": "city", "postal_code": "postal code",
                  "country": "country"}


def shipping_rates() -> dict[str, Decimal]:
    """``KOLSHOP_SHIPPING_RATES`` ("US:5.00,DE:7.50") as {country: rate in the default currency}."""
    rates = {}
    for item in settings.KOLSHOP_SHIPPING_RATES.split(","):
        if ":" in item:
            country, rate = item.split(":", 1)
            rates[country.strip().upper()] = quantize(Decimal(rate.strip()))
    return rates


def shipping_snapshot(*, fulfilment: str, address: ShippingAddress | None) -> dict[str, str]:
    """The order's copy of where it ships (its ``shipping_*`` fields, trimmed); nothing for pickup.
    Checkout and group-buy orders both take it from here."""
    if fulfilment != FulfilmentMethod.SHIPPING or address is None:
        return {}
    return {
        "shipping_name": address.name.strip(), "shipping_line1": address.line1.strip(),
        "shipping_line2": address.line2.strip(), "shipping_city": address.city.strip(),
        "shipping_postal_code": address.postal_code.strip(), "shipping_country": address.country,
    }


def shipping_cost(*, fulfilment: str, address: ShippingAddress | None, currency: str) -> Decimal:
    if fulfilment == FulfilmentMethod.PICKUP:
        return Decimal("0.00")
    rate = shipping_rates().get(address.country) if address else None
    if rate is None or currency != settings.KOLSHOP_DEFAULT_CURRENCY:
        raise InvalidInput("We don't ship to this country.", code="shipping_unavailable", field="address.country")
    return rate


def _validate_buyer(email: str, fulfilment: str, address: ShippingAddress | None) -> str:
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError as error:
        raise InvalidInput("Enter a valid email address.", code="invalid_email", field="email") from error
    if fulfilment not in FulfilmentMethod.values:
        raise InvalidInput("Choose shipping or pickup.", code="invalid_fulfilment", field="fulfilment")
    if fulfilment == FulfilmentMethod.PICKUP and not settings.KOLSHOP_PICKUP_ENABLED:
        raise InvalidInput("Store pickup is not offered.", code="pickup_unavailable", field="fulfilment")
    if fulfilment == FulfilmentMethod.SHIPPING:
        if address is None:
            raise InvalidInput("Shipping needs an address.", code="address_required", field="address")
        for name, label in _ADDRESS_PARTS.items():
            if not getattr(address, name).strip():
                raise InvalidInput(f"Enter the {label}: it is required for shipping.", code="address_incomplete",
                                   field=f"address.{name}")
    return email


def _cancel_pending_orders_of(cart: Cart) -> list[int]:
    """A buyer who restarts checkout replaces their pending order (and frees its reservations)."""
    pending = list(Order.objects.select_for_update().filter(cart=cart, status=OrderStatus.PENDING).order_by("pk"))
    return cancel_pending_orders(pending, reason="checkout restarted")


def _buyer_locks(key: str, client: VisitorKey | None) -> list[str]:
    """The named locks serialising checkouts by one buyer (PostgreSQL advisory locks, released at commit), so
    two carts checking out at once can't both pass the per-buyer limit; SQLite already serialises all writers.
    ``key``: the buyer's ``buyer_key``. The client's hold lock (``reserve_stock``) follows the buyer's (group buys
    take them in this order too). Checkout takes them in the statement that locks the cart."""
    return [f"kolshop-buyer:{key}", *([client_lock_name(client)] if client is not None else [])]


def _check_buyer_limit(info: CartInfo) -> None:
    """Each line's units plus those the buyer already bought (``shop.services.cart_reads.units_bought``, read with the
    lines)."""
    limit = max_quantity_per_variant()
    for line in info.lines:
        if line.quantity + line.line.units_bought > limit:
            raise Conflict(f"You can buy at most {limit} of {line.sku}.", code="quantity_limit", field="quantity")


def _order_lines(order: Order, info: CartInfo, discounts: list[Decimal]):
    """Copy each cart line's buy-link token as raw facts; creators decides who sold it on order_placed. The groups
    and lines keep the keys the cart lines' read took (``cart_reads._lines_taking_keys``; a brand's group its first
    line's) and wait in the caller's write batch."""
    funder = voucher_funder(order.voucher) if order.voucher is not None else None
    group_keys = {}
    for line in info.lines:
        group_keys.setdefault(line.variant.product.brand_id, line.line.group_key)
    groups = open_fulfilment_groups(order, group_keys)
    lines = []
    for line, discount in zip(info.lines, discounts):
        attribution = line.attribution
        lines.append(OrderLine(
            pk=line.line.line_key, order=order, variant=line.variant, sku=line.sku,
            product_title=line.variant.product.title, variant_name=line.variant.name,
            brand_id=line.variant.product.brand_id, unit_price=line.unit_price,
            list_unit_price=line.price.list_unit_price, promotion=line.promotion,
            currency=line.currency, quantity=line.quantity, discount_amount=discount,
            line_total=line.line_total - discount,
            creator_id=attribution.creator_id, page_id=attribution.page_id, block_id=attribution.block_id,
            click_id=attribution.click_id, attributed_at=line.line.attributed_at,
            fulfilment_group=groups[line.variant.product.brand_id],
            **supply_line_fields(line.price, discount=discount, funder=funder),
        ))
    return insert_known(lines)


@transaction.atomic
def _place_order(
    cart: Cart | str, *, email: str, fulfilment: str, address: ShippingAddress | None, voucher_code: str, now: datetime,
    client: VisitorKey | None = None, referral_click_id: int | None = None,
) -> tuple[Order, list[OrderLine], list[int]]:
    key = buyer_key(email)  # computed once: the buyer's lock, limits and the order row share it
    # The API passes the token: the cart is found, locked and counted in one statement, which then takes the
    # buyer's and the client's locks, and on PostgreSQL the order's key (``cart.order_key``).
    cart = lock_cart_for_checkout(cart, then_lock=_buyer_locks(key, client))
    ensure_cart_open(cart)
    # The cart's first checkout has no earlier order to replace.
    replaced_order_ids = _cancel_pending_orders_of(cart) if cart.checkouts_started > 1 else []
    # Stock is checked under its row locks below; the units the buyer already bought come with the lines.
    # The lines' read also takes the keys of the order's lines and groups (on PostgreSQL).
    info = fetch_cart(cart, now=now, with_availability=False, bought_by=key, taking_keys=True)
    if not info.lines:
        raise InvalidInput("The cart is empty.", code="empty_cart")
    for line in info.lines:
        if line.variant.product.status != ProductStatus.ACTIVE:
            raise Conflict(f"{line.sku} is no longer sold.", code="unavailable", field="sku")
    _check_buyer_limit(info)
    voucher = lock_voucher(voucher_code) if voucher_code.strip() else None
    if voucher is not None:
        validate_voucher(voucher, email=email, currency=info.currency, exclude_cart_id=cart.pk, now=now)
    info = price_promotions(info, email=email, key=key, now=now)
    info = price_listing_lines(info, now=now)
    subtotal = quantize(info.subtotal)
    discounts = allocate_voucher_discount(voucher, info.lines, subtotal=subtotal, currency=info.currency)
    discount = sum(discounts, Decimal("0.00"))
    shipping = shipping_cost(fulfilment=fulfilment, address=address, currency=info.currency)
    order = Order(
        # No key taken ahead (SQLite): the order is inserted at once and the database chooses it.
        pk=cart.order_key, cart=cart, currency=info.currency, subtotal=subtotal, discount_total=discount,
        shipping_total=shipping, total=subtotal - discount + shipping, email=email, buyer_key=key,
        fulfilment_method=fulfilment,
        voucher=voucher, voucher_code=voucher.code if voucher else "",
        voucher_creator_id=voucher.creator_id if voucher else None,
        reserved_until=now + reservation_ttl(), sells_supply=has_listing_lines(info),
        referral_click_id=referral_click_id,
        **shipping_snapshot(fulfilment=fulfilment, address=address),
    )
    assign_pickup_code(order)
    # The order, its groups and lines, the holds, the placed event and the attribution decisions are one statement
    # on PostgreSQL (the rows keep the keys taken ahead): the stock rows are locked (and the holds read) before any
    # of them is written; order_placed's receivers only read rows this block doesn't write (clicks, creators,
    # listings) and write through the batch or elsewhere.
    with write_batches.batched_writes():
        keyed_inserts.save_new_keyed(order)
        lines = _order_lines(order, info, discounts)
        reserve_stock(
            [ReservationRequest(line.variant.pk, line.sku, line.quantity, line.variant.product_id)
             for line in info.lines],
            order=order, ttl=reservation_ttl(), now=now, client=client, client_locked=True,
        )
        record_event(order, OrderEventType.PLACED, after=OrderStatus.PENDING,
                     data={"total": str(order.total), "currency": order.currency})
        # Creators decide attribution now, from the raw facts, so later setting changes never rewrite it.
        events.order_placed.send(order=order, lines=lines)
    return order, lines, replaced_order_ids


def _abandon(order: Order, reason: str) -> None:
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status == OrderStatus.PENDING:
            cancel_pending_orders([order], reason=reason)


def _create_payment(order: Order, gateway: PaymentGateway) -> Payment:
    if order.total == 0:
        payment = save_new(Payment(order=order, gateway=FREE_GATEWAY, intent_id=f"free_{order.number}",
                                   amount=order.total, currency=order.currency))
        complete_checkout(payment.intent_id)
        order.refresh_from_db()
        return payment
    try:
        # The buyer's email stays out of the gateway's metadata: it is stored once, on the order.
        intent = gateway.create_intent(
            amount=order.total, currency=order.currency, reference=order.number,
            idempotency_key=f"kolshop-order-{order.number}-intent", metadata={},
        )
    except PaymentGatewayError as error:
        # The detail (hosts, keys) stays in the server log; the buyer reads one generic message.
        logger.warning("Opening a %s payment for order %s failed [%s]: %s", gateway.name, order.number, error.code,
                       error.detail)
        _abandon(order, f"payment gateway: {error.code}")
        raise Unavailable(UNAVAILABLE_MESSAGE, code="payment_unavailable") from error
    payment = Payment(
        order=order, gateway=gateway.name, intent_id=intent.intent_id, client_secret=intent.client_secret,
        amount=order.total, currency=order.currency,
    )
    # The payment and its event: one statement on PostgreSQL (autocommit). The event's insert reads the order's
    # status under a share lock (or, elsewhere, after the payment's commit): a payment of the cart that closed this
    # order before then has cancelled every intent it could see, so this one is closed here; one closing it later
    # sees this one.
    status = record_event_at_current_status(order, OrderEventType.PAYMENT_CREATED, saving=payment,
                                            data={"gateway": gateway.name, "intent_id": intent.intent_id})
    if status != OrderStatus.PENDING:
        # The cart was paid by an earlier order while this intent was being opened: close it again.
        cancel_open_intents([order.pk])
        payment.refresh_from_db()
        order.refresh_from_db()
    return payment


def start_checkout(
    cart: Cart | str,
    *,
    email: str,
    fulfilment: str,
    address: ShippingAddress | None = None,
    voucher_code: str = "",
    gateway: PaymentGateway | None = None,
    now: datetime | None = None,
    client: VisitorKey | None = None,
    referral_click_id: int | None = None,
) -> CheckoutResult:
    """Place a pending order for the cart (or the cart with this token), hold its stock for the reservation
    time, open a payment.

    ``client`` (``identify_client(request)``) caps what one anonymous client may hold at once;
    ``referral_click_id`` (``shop.attribution.referral_click_id(request)``) is stored on the order."""
    gateway = gateway or get_gateway()
    if address is not None:
        address = ShippingAddress(**{**address.__dict__, "country": address.country.strip().upper()})
    email = _validate_buyer(email, fulfilment, address)
    try:
        order, lines, replaced_order_ids = _place_order(
            cart, email=email, fulfilment=fulfilment, address=address, voucher_code=voucher_code or "",
            now=now or timezone.now(), client=client, referral_click_id=referral_click_id,
        )
    except (PriceChanged, ListingPriceChanged) as error:
        # Nothing was placed; the lines are mended so the cart now shows what checkout will charge.
        mend_refused_lines(cart, error)
        raise
    if replaced_order_ids:
        cancel_open_intents(replaced_order_ids)
    payment = _create_payment(order, gateway)  # refreshes the order when paying it changed it
    return CheckoutResult(order=order, payment=payment, publishable_key=gateway.publishable_key,
                          lines=lines)


def confirm_payment(order: Order, *, gateway: PaymentGateway | None = None, now: datetime | None = None) -> Order:
    """Pay a pending order on the server (the dummy gateway); Stripe's buyers confirm in the browser."""
    payments = list(order.payments.exclude(status=PaymentStatus.CANCELLED).order_by("pk"))
    return _confirm(order, payments, gateway=gateway, now=now).order


@dataclass(frozen=True)
class PaymentConfirmation:
    order: Order
    payments: list[Payment]  # every payment of the order, as this left them (the buyer's answer shows one)


def _payments_of_order(*, number: str):
    return Payment.objects.select_related("order").filter(order__number=number).order_by("pk")


_compiled_payments_of_order = compiled(_payments_of_order)  # built and compiled once per process


def pay_order(number: str, secret: str, *, gateway: PaymentGateway | None = None,
              now: datetime | None = None) -> PaymentConfirmation:
    """``confirm_payment`` for the buyer's API: the order (by number and secret) and its payments are read in
    one statement, and the answer reuses them."""
    payments = _compiled_payments_of_order(number=number)
    order = check_buyer_secret(payments[0].order if payments else Order.objects.filter(number=number).first(),
                               secret)
    return _confirm(order, payments, gateway=gateway, now=now)


def _confirm(order: Order, payments: list[Payment], *, gateway: PaymentGateway | None,
             now: datetime | None) -> PaymentConfirmation:
    now = now or timezone.now()
    if order.is_paid:
        raise Conflict("This order is already paid.", code="already_paid")
    expired = order.reserved_until is not None and order.reserved_until <= now
    if order.status == OrderStatus.CANCELLED or expired:
        raise Conflict("The reservation for this order has expired; start checkout again.",
                       code="reservation_expired")
    payment = max((payment for payment in payments if payment.status != PaymentStatus.CANCELLED),
                  key=lambda payment: payment.pk, default=None)
    if payment is None:
        raise Conflict("This order has no open payment.", code="no_payment")
    gateway = gateway or get_gateway(payment.gateway)
    if not gateway.confirms_on_server:
        raise Conflict("Confirm this payment with the payment form.", code="client_confirmation_required")
    try:
        result = gateway.confirm_intent(payment.intent_id, idempotency_key=f"kolshop-order-{order.number}-confirm")
    except PaymentGatewayError as error:
        raise PaymentFailed(error.message, code="payment_failed") from error
    if result.succeeded and not gateway.sends_webhooks:
        order, paid = complete_payment(payment.intent_id)
        return PaymentConfirmation(order, [paid if other.pk == paid.pk else other for other in payments])
    order.refresh_from_db()
    return PaymentConfirmation(order, list(order.payments.all()))
