"""What the shop holds about a buyer: orders (lines, addresses, pickup, vouchers), carts, group buys.

Erasure anonymises in place: names, address lines, pickup details and free text blanked, the e-mail
replaced by an undeliverable placeholder, and country, a postal prefix, totals and every id kept, so
reports and ledgers (which read ids and amounts only) stay exact. ``Order.buyer_key`` (the keyed hash
of the normalised e-mail) stays while a per-buyer limit could still count the order
(``buyer_key_kept_until``) and is cleared after that.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q

from creators.services.ledger import return_window
from privacy.registry import Row, Section, Subject, register_section
from shop.models import (
    Cart, CartLine, FulfilmentMethod, GroupMember, Order, OrderLine, OrderStatus, Refund,
)

ERASED_DOMAIN = "erased.invalid"  # RFC 2606: never delivered
ERASED_NAME = "Erased"
_WAITING_STATUSES = {OrderStatus.PENDING, OrderStatus.AWAITING_GROUP}


def erased_email(order: Order) -> str:
    return f"erased-{order.pk}@{ERASED_DOMAIN}"


def is_erased(order: Order) -> bool:
    return order.email.endswith("@" + ERASED_DOMAIN)


def _erased_q() -> Q:
    return Q(email__endswith="@" + ERASED_DOMAIN)


def postal_prefix(postal_code: str) -> str:
    """What erasure keeps of a postal code (for tax and regional reports): its first characters."""
    return postal_code.strip()[: settings.KOLSHOP_PRIVACY_POSTAL_PREFIX_LENGTH]


def subject_orders(subject: Subject):
    return Order.objects.filter(buyer_key=subject.key).exclude(buyer_key="")


# --- May this order be erased now? (the one rule) ----------------------------------------------

def order_erasure_blocker(order: Order, *, now: datetime) -> str:
    """Why ``order`` can't be anonymised yet ("" when it can): the shop still needs the address or the
    e-mail while it is pending, unfulfilled, holds an unredeemed pickup code or may still be refunded
    (the commission return window, ``creators.services.ledger.return_window``, counted from payment)."""
    if order.status in _WAITING_STATUSES:
        return f"Order {order.number} is waiting for payment."
    if order.status == OrderStatus.PAID:
        if order.fulfilment_method == FulfilmentMethod.PICKUP and order.pickup_redeemed_at is None:
            return f"Order {order.number} has a pickup code that has not been redeemed."
        return f"Order {order.number} has not been fulfilled yet."
    if order.is_paid and order.status != OrderStatus.REFUNDED and order.paid_at is not None:
        refundable_until = order.paid_at + return_window()
        if now < refundable_until:
            return f"Order {order.number} can be refunded until {refundable_until:%Y-%m-%d}."
    return ""


def _order_blockers(subject: Subject, now: datetime) -> list[str]:
    orders = subject_orders(subject).exclude(_erased_q()).order_by("pk")
    return [reason for order in orders if (reason := order_erasure_blocker(order, now=now))]


# --- How long the buyer key stays --------------------------------------------------------------

def buyer_key_kept_until(order: Order) -> datetime:
    """The end of the longest per-buyer limit that could still count this order: a promotion on one of
    its lines (until it ends), its voucher (until it expires) and the open-ended limits (per-variant
    quantity, new-buyers-only group buys, vouchers without an end) for KOLSHOP_PRIVACY_BUYER_KEY_DAYS."""
    placed = order.paid_at or order.created_at
    ends = [placed + timedelta(days=settings.KOLSHOP_PRIVACY_BUYER_KEY_DAYS)]
    promotion_end = (order.promotion_end if hasattr(order, "promotion_end")
                     else order.lines.aggregate(end=Max("promotion__ends_at"))["end"])
    if promotion_end is not None:
        ends.append(promotion_end)
    if order.voucher_id is not None and order.voucher.valid_until is not None:
        ends.append(order.voucher.valid_until)
    return max(ends)


def clear_expired_buyer_keys(orders, *, now: datetime) -> int:
    """Drop the buyer key of erased orders whose every limit window has passed."""
    candidates = (orders.filter(_erased_q()).exclude(buyer_key="").select_related("voucher")
                  .annotate(promotion_end=Max("lines__promotion__ends_at")))
    expired = [order.pk for order in candidates if buyer_key_kept_until(order) <= now]
    if not expired:
        return 0
    GroupMember.objects.filter(order_id__in=expired).update(buyer_key="")
    return Order.objects.filter(pk__in=expired).update(buyer_key="")


# --- Anonymise -----------------------------------------------------------------------------------

_BLANKED = ["shipping_name", "shipping_line1", "shipping_line2", "shipping_city", "pickup_code_hash"]


@transaction.atomic
def anonymise_orders(orders, *, now: datetime) -> int:
    """Anonymise ``orders`` (not yet erased) in place; returns the orders changed."""
    locked = list(orders.exclude(_erased_q()).select_for_update().order_by("pk"))
    for order in locked:
        order.email = erased_email(order)
        order.shipping_postal_code = postal_prefix(order.shipping_postal_code)
        for name in _BLANKED:
            setattr(order, name, "")
    ids = [order.pk for order in locked]
    if locked:
        # Plain UPDATEs: no save() signals, and updated_at keeps the last business change.
        Order.objects.bulk_update(locked, ["email", "shipping_postal_code", *_BLANKED], batch_size=500)
        Refund.objects.filter(order_id__in=ids).exclude(reason="").update(reason="")
        GroupMember.objects.filter(order_id__in=ids).update(display_name=ERASED_NAME)
    return len(locked)


def _anonymise_subject_orders(subject: Subject, now: datetime) -> int:
    return anonymise_orders(subject_orders(subject), now=now)


def _clear_subject_keys(subject: Subject, now: datetime) -> int:
    return clear_expired_buyer_keys(subject_orders(subject), now=now)


def _clear_all_expired_keys(now: datetime) -> int:
    return clear_expired_buyer_keys(Order.objects.all(), now=now)


# --- Export --------------------------------------------------------------------------------------

def _orders_rows(subject: Subject) -> list[Row]:
    return list(subject_orders(subject).order_by("pk").values(
        "number", "status", "created_at", "paid_at", "currency", "subtotal", "discount_total", "shipping_total",
        "total", "amount_refunded", "email", "fulfilment_method", "shipping_name", "shipping_line1",
        "shipping_line2", "shipping_city", "shipping_postal_code", "shipping_country", "pickup_redeemed_at",
        "voucher_code",
    ))


def _order_lines_rows(subject: Subject) -> list[Row]:
    return list(OrderLine.objects.filter(order__in=subject_orders(subject)).order_by("order_id", "pk").values(
        "order__number", "sku", "product_title", "variant_name", "quantity", "unit_price", "currency",
        "discount_amount", "line_total", "refunded_quantity", "refunded_amount",
    ))


def _carts_rows(subject: Subject) -> list[Row]:
    return list(CartLine.objects.filter(cart__orders__in=subject_orders(subject)).distinct()
                .order_by("cart_id", "pk").values("cart_id", "cart__created_at", "variant__sku", "quantity", "added_at"))


def _group_rows(subject: Subject) -> list[Row]:
    return list(GroupMember.objects.filter(order__in=subject_orders(subject)).order_by("pk").values(
        "order__number", "team__code", "seat", "display_name", "quantity", "status", "joined_at"))


def _voucher_rows(subject: Subject) -> list[Row]:
    return list(subject_orders(subject).exclude(voucher_code="").order_by("pk")
                .values("number", "voucher_code", "discount_total", "currency", "created_at"))


register_section(Section(
    name="orders", order=10, export=_orders_rows, erasure_blockers=_order_blockers,
    anonymise=_anonymise_subject_orders,
))
register_section(Section(name="order_lines", order=11, export=_order_lines_rows))
register_section(Section(name="voucher_uses", order=12, export=_voucher_rows))
register_section(Section(name="carts", order=13, export=_carts_rows))
register_section(Section(name="group_buys", order=14, export=_group_rows))
# --- Retention --------------------------------------------------------------------------------------

def paid_order_years() -> dict[str, int]:
    """KOLSHOP_RETENTION_PAID_ORDER_YEARS ("default:10,DE:10,GB:6"): years a market keeps trade records."""
    years = {}
    for entry in settings.KOLSHOP_RETENTION_PAID_ORDER_YEARS.split(","):
        country, _, count = entry.strip().partition(":")
        years[country.strip() if country.strip() == "default" else country.strip().upper()] = int(count)
    years.setdefault("default", 10)
    return years


def years_before(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year - years, day=28)


def expired_paid_orders(now: datetime):
    """Paid orders older than their market's record-keeping period (by shipping country; pickup and
    unlisted countries use "default")."""
    years = paid_order_years()
    markets = {country: count for country, count in years.items() if country != "default"}
    expired = Q(paid_at__lt=years_before(now, years["default"])) & ~Q(shipping_country__in=list(markets))
    for country, count in markets.items():
        expired |= Q(shipping_country=country, paid_at__lt=years_before(now, count))
    return Order.objects.filter(expired, paid_at__isnull=False)


def _retain_orders(now: datetime) -> int:
    unpaid_cutoff = now - timedelta(days=settings.KOLSHOP_RETENTION_UNPAID_ORDER_DAYS)
    changed = anonymise_orders(
        Order.objects.filter(status=OrderStatus.CANCELLED, paid_at__isnull=True, created_at__lt=unpaid_cutoff),
        now=now)
    paid = expired_paid_orders(now).exclude(_erased_q())
    ready = [order.pk for order in paid.order_by("pk") if not order_erasure_blocker(order, now=now)]
    return changed + anonymise_orders(Order.objects.filter(pk__in=ready), now=now)


def _retain_carts(now: datetime) -> int:
    """Idle carts go (their lines with them); add-to-cart events and orders keep their facts."""
    cutoff = now - timedelta(days=settings.KOLSHOP_RETENTION_CART_DAYS)
    waiting = Order.objects.filter(status__in=_WAITING_STATUSES).values("cart_id")
    idle = Cart.objects.filter(updated_at__lt=cutoff).exclude(pk__in=waiting)
    return idle.delete()[1].get("shop.Cart", 0)


register_section(Section(name="order_retention", order=500, enforce_retention=_retain_orders))
register_section(Section(name="cart_retention", order=501, enforce_retention=_retain_carts))
# Last: the other sections find the subject's rows through the key this one clears.
register_section(Section(name="buyer_keys", order=1000, anonymise=_clear_subject_keys,
                         enforce_retention=_clear_all_expired_keys))
