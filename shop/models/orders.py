"""Orders, their lines (price snapshots carrying attribution) and the append-only audit trail.

The buyer's email and address live on the order only: nothing else copies them, and no creator
or brand view reads them (brand users get no order permissions at all).
"""

import base64
import secrets
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Abs
from django.db.models.lookups import LessThan
from django.utils.translation import gettext_lazy as _

from shop.models.catalog import currency_validator

_NUMBER_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
_RFC4648_TO_CROCKFORD = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", _NUMBER_ALPHABET.encode())


def new_order_number() -> str:
    """60 random bits: numbers say nothing about volume and can't be guessed from each other.

    Drawn at once and written as 12 Crockford base32 digits, the most significant first: the same numbers as
    twelve ``secrets.choice`` draws, at an eighth of the cost (checkout makes one per order)."""
    padded = (secrets.randbits(60) << 4).to_bytes(8, "big")  # 64 bits: the first 12 digits are the 60 drawn
    return "KS-" + base64.b32encode(padded)[:12].translate(_RFC4648_TO_CROCKFORD).decode()


def new_order_secret() -> str:
    return secrets.token_urlsafe(24)


class OrderStatus(models.TextChoices):
    PENDING = "pending", _("Pending payment")
    PAID = "paid", _("Paid")
    FULFILLED = "fulfilled", _("Fulfilled")
    PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
    REFUNDED = "refunded", _("Refunded")
    CANCELLED = "cancelled", _("Cancelled")
    # A group-buy member's order: units held and the card authorised until the team fills (captured,
    # then paid) or its deadline passes (cancelled). The reservation sweep leaves it alone.
    AWAITING_GROUP = "awaiting_group", _("Waiting for the group to fill")


# An order is paid once its payment succeeded, whatever followed (fulfilment, partial or full refund).
PAID_ORDER_STATUSES = frozenset({
    OrderStatus.PAID, OrderStatus.FULFILLED, OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED,
})


class FulfilmentMethod(models.TextChoices):
    SHIPPING = "shipping", _("Shipping")
    PICKUP = "pickup", _("Store pickup")


class Order(models.Model):
    number = models.CharField(max_length=20, unique=True, default=new_order_number, editable=False)
    secret = models.CharField(
        max_length=64, default=new_order_secret, editable=False,
        help_text=_("Shown only to the buyer; reading the order through the API needs it."),
    )
    link_generation = models.PositiveIntegerField(
        default=0, editable=False,
        help_text=_("Raised to revoke the order's private links: a link works only in the generation it was made in."),
    )
    status = models.CharField(max_length=20, choices=OrderStatus, default=OrderStatus.PENDING)
    cart = models.ForeignKey("shop.Cart", null=True, blank=True, on_delete=models.SET_NULL, related_name="orders")
    currency = models.CharField(max_length=3, validators=[currency_validator])
    subtotal = models.DecimalField(max_digits=12, decimal_places=2)
    discount_total = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    shipping_total = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    total = models.DecimalField(max_digits=12, decimal_places=2)
    amount_refunded = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    # The buyer, stored once.
    email = models.EmailField()
    buyer_key = models.CharField(
        max_length=64, blank=True, editable=False,
        help_text=_("shop.services.buyer_identity.buyer_key of the e-mail: who the buyer is for per-buyer "
                    "limits, kept when the e-mail is erased."),
    )
    referral_click_id = models.BigIntegerField(
        null=True, blank=True, editable=False,
        help_text=_("A shared link's click that brought the buyer's browser here (the signed referral cookie, "
                    "shop.attribution.referral_click_id); an opaque id, read by the app that rewards shares."),
    )
    shipping_name = models.CharField(max_length=120, blank=True)
    shipping_line1 = models.CharField(max_length=200, blank=True)
    shipping_line2 = models.CharField(max_length=200, blank=True)
    shipping_city = models.CharField(max_length=100, blank=True)
    shipping_postal_code = models.CharField(max_length=20, blank=True)
    shipping_country = models.CharField(max_length=2, blank=True)
    fulfilment_method = models.CharField(max_length=10, choices=FulfilmentMethod)
    pickup_code_hash = models.CharField(max_length=64, blank=True, editable=False)
    pickup_redeemed_at = models.DateTimeField(null=True, blank=True)
    pickup_redeemed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    voucher = models.ForeignKey("shop.Voucher", null=True, blank=True, on_delete=models.PROTECT, related_name="orders")
    voucher_code = models.CharField(max_length=40, blank=True)
    voucher_creator_id = models.BigIntegerField(
        null=True, blank=True, help_text=_("The creator whose voucher code was used (an opaque id).")
    )
    reserved_until = models.DateTimeField(null=True, blank=True)
    # Distribution: the order has storefront-listing lines (settled by shop.services.supply_settlement).
    sells_supply = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    wagtail_reference_index_ignore = True  # transactional rows, not content: no usage tracking

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(total__gte=0), name="order_total_not_negative"),
            models.CheckConstraint(
                condition=Q(amount_refunded__gte=0) & Q(amount_refunded__lte=F("total")),
                name="order_refund_within_total",
            ),
            models.CheckConstraint(condition=Q(currency__regex=r"^[A-Z]{3}$"), name="order_currency_iso"),
        ]
        indexes = [
            models.Index(fields=["status", "reserved_until"], name="order_status_reserved_idx"),
            # The per-buyer limits look orders up by ``shop.services.buyer_identity.ordered_by``.
            models.Index(fields=["buyer_key", "status"], name="order_buyer_key_status_idx"),
            models.Index(fields=["paid_at"], name="order_paid_at_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_paid(self) -> bool:
        return self.status in PAID_ORDER_STATUSES


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey("shop.Variant", null=True, on_delete=models.SET_NULL, related_name="+")
    sku = models.CharField(max_length=64)
    product_title = models.CharField(max_length=200)
    variant_name = models.CharField(max_length=120, blank=True)
    brand_id = models.BigIntegerField(help_text=_("The brand at the time of sale (for brand reports)."))
    unit_price = models.DecimalField(max_digits=12, decimal_places=2, help_text=_("The unit price charged."))
    list_unit_price = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True,
        help_text=_("The catalog price at the time of sale (differs from the unit price under a promotion)."),
    )
    promotion = models.ForeignKey(
        "shop.Promotion", null=True, blank=True, on_delete=models.PROTECT, related_name="order_lines",
        help_text=_("The promotion that priced this line, if any."),
    )
    currency = models.CharField(max_length=3, validators=[currency_validator])
    quantity = models.PositiveIntegerField()
    discount_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    line_total = models.DecimalField(max_digits=12, decimal_places=2, help_text=_("After the line's discount."))
    refunded_quantity = models.PositiveIntegerField(default=0)
    refunded_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    # The buy link's token copied from the cart line, as raw facts (the voucher is on the order, applied
    # when it was placed). Who sold the line is decided by creators.services.attribution, stored there.
    creator_id = models.BigIntegerField(null=True, blank=True, help_text=_("The buy link's creator (raw)."))
    page_id = models.BigIntegerField(null=True, blank=True)
    block_id = models.CharField(max_length=64, blank=True)
    click_id = models.BigIntegerField(null=True, blank=True)
    attributed_at = models.DateTimeField(null=True, blank=True, help_text=_("When the buy link was followed."))
    # Distribution (shop.models.supply): the storefront listing that priced the line, and the split of
    # what the buyer paid, as snapshots: line_total = wholesale_amount + creator_margin + platform_fee.
    listing = models.ForeignKey("shop.StorefrontListing", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="order_lines")
    fulfilment_group = models.ForeignKey("shop.FulfilmentGroup", null=True, blank=True, on_delete=models.SET_NULL,
                                         related_name="lines")
    wholesale_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    creator_margin = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    platform_fee = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    price_floor = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    price_ceiling = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)

    wagtail_reference_index_ignore = True  # transactional rows, not content: no usage tracking

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                # Amounts are whole cents, so "within half a cent" is equality on PostgreSQL's numeric and
                # survives SQLite's floating-point sums.
                condition=Q(listing__isnull=True) | Q(
                    LessThan(Abs(F("line_total") - F("wholesale_amount") - F("creator_margin") - F("platform_fee")),
                             Decimal("0.005")),
                    wholesale_amount__gte=0, creator_margin__gte=0, platform_fee__gte=0,
                ),
                name="order_line_supply_split_exact",
            ),
            models.CheckConstraint(
                condition=Q(listing__isnull=True) | (
                    Q(price_floor__isnull=False, unit_price__gte=F("price_floor"))
                    & (Q(price_ceiling__isnull=True) | Q(unit_price__lte=F("price_ceiling")))
                ),
                name="order_line_supply_within_bounds",
            ),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="order_line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(refunded_quantity__lte=F("quantity")), name="order_line_refund_within_quantity"
            ),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0) & Q(refunded_amount__lte=F("line_total")),
                name="order_line_refund_within_total",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.sku}"

    @property
    def refundable_quantity(self) -> int:
        return self.quantity - self.refunded_quantity


class OrderEventType(models.TextChoices):
    PLACED = "placed", _("Placed")
    PAYMENT_CREATED = "payment_created", _("Payment started")
    PAID = "paid", _("Paid")
    PAYMENT_FAILED = "payment_failed", _("Payment failed")
    AMOUNT_MISMATCH = "amount_mismatch", _("Paid amount does not match")
    EXPIRED = "expired", _("Reservation expired")
    CANCELLED = "cancelled", _("Cancelled")
    STOCK_SHORTFALL = "stock_shortfall", _("Paid after stock ran out")
    PROMOTION_LAPSED = "promotion_lapsed", _("Paid after the promotional price lapsed")
    VOUCHER_LAPSED = "voucher_lapsed", _("Paid after the voucher was used up or ended")
    DUPLICATE_PAYMENT = "duplicate_payment", _("Paid twice")
    REFUND_REQUESTED = "refund_requested", _("Refund requested")
    REFUND_FAILED = "refund_failed", _("Refund failed")
    REFUND_RETRIED = "refund_retried", _("Refund retried")
    REFUNDED = "refunded", _("Refund confirmed")
    RESTOCKED = "restocked", _("Restocked")
    DISPUTED = "disputed", _("Disputed")
    FULFILLED = "fulfilled", _("Fulfilled")
    PICKUP_REDEEMED = "pickup_redeemed", _("Pickup code redeemed")
    GROUP_HOLD = "group_hold", _("Card hold placed for a group buy")
    GROUP_RELEASED = "group_released", _("Group buy hold released")
    PICKUP_READY = "pickup_ready", _("Ready for pickup")


class OrderEvent(models.Model):
    """Append-only: every change to an order adds one; nothing updates or deletes them."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=20, choices=OrderEventType)
    status_before = models.CharField(max_length=20, choices=OrderStatus, blank=True)
    status_after = models.CharField(max_length=20, choices=OrderStatus, blank=True)
    data = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    wagtail_reference_index_ignore = True  # transactional rows, not content: no usage tracking

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.type}"
