"""Distribution (S2B2C): brands offer variants to creators, creators list them in their storefronts.

A ``SupplyOffer`` is a brand's (or staff's) terms for one variant in one market, currency and
period: the wholesale price, a recommended price, optional bounds and a mode (``agency``: the
brand's recommended price is the price and the creator earns a commission; ``reseller``: the
creator sets the price within the bounds and earns the margin).

A ``StorefrontListing`` is a creator's pick of an offer. The shop knows the creator only as an
opaque id (``creator_id``, a ``creators.CreatorProfile`` pk), like cart and order lines. The bounds
in force are copied onto the listing (``price_floor``/``price_ceiling``) whenever the offer changes,
so the database can refuse a live listing priced outside them (``listing_live_within_bounds``).
"""

from decimal import Decimal

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Abs
from django.db.models.lookups import LessThan
from django.utils.translation import gettext_lazy as _

from shop.models.catalog import currency_validator


class SupplyMode(models.TextChoices):
    AGENCY = "agency", _("Agency (brand sets the price, creator earns commission)")
    RESELLER = "reseller", _("Reseller (creator sets the price within bounds, earns the margin)")


class ListingStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    LIVE = "live", _("Live")
    PAUSED = "paused", _("Paused")


class SupplyOffer(models.Model):
    variant = models.ForeignKey("shop.Variant", on_delete=models.PROTECT, related_name="supply_offers")
    market = models.CharField(
        max_length=2, help_text=_("ISO country code, or EU / CN; decides whether a minimum price may be imposed."),
    )
    currency = models.CharField(max_length=3, validators=[currency_validator])
    wholesale_price = models.DecimalField(max_digits=12, decimal_places=2)
    recommended_price = models.DecimalField(max_digits=12, decimal_places=2)
    min_price = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True,
        help_text=_("Lowest resale price; only where the market allows a minimum price."),
    )
    max_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    mode = models.CharField(max_length=10, choices=SupplyMode, default=SupplyMode.RESELLER)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    wagtail_reference_index_ignore = True

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(wholesale_price__gte=0), name="supply_wholesale_not_negative"),
            models.CheckConstraint(condition=Q(recommended_price__gte=F("wholesale_price")),
                                   name="supply_recommended_covers_wholesale"),
            models.CheckConstraint(condition=Q(min_price__isnull=True) | Q(min_price__lte=F("recommended_price")),
                                   name="supply_min_below_recommended"),
            models.CheckConstraint(condition=Q(max_price__isnull=True) | Q(max_price__gte=F("recommended_price")),
                                   name="supply_max_above_recommended"),
            models.CheckConstraint(condition=Q(ends_at__isnull=True) | Q(ends_at__gt=F("starts_at")),
                                   name="supply_period_ordered"),
            models.CheckConstraint(condition=Q(currency__regex=r"^[A-Z]{3}$"), name="supply_currency_iso"),
            models.CheckConstraint(condition=Q(market__regex=r"^[A-Z]{2}$"), name="supply_market_code"),
            models.CheckConstraint(condition=Q(mode__in=SupplyMode.values), name="supply_mode_known"),
        ]
        indexes = [models.Index(fields=["variant", "market", "currency"], name="supply_offer_variant_idx")]
        verbose_name = _("supply offer")

    def __str__(self) -> str:
        # Choosers and forms select_related the variant and product (the variant's name shows both).
        return f"{self.variant} · {self.market} · {self.mode}"


class StorefrontListing(models.Model):
    offer = models.ForeignKey(SupplyOffer, on_delete=models.PROTECT, related_name="listings")
    creator_id = models.BigIntegerField(help_text=_("The creator whose storefront lists the offer (raw id)."))
    status = models.CharField(max_length=10, choices=ListingStatus, default=ListingStatus.DRAFT)
    price = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True,
        help_text=_("The creator's price (reseller offers); agency offers sell at the recommended price."),
    )
    # The offer's bounds in force (copied by shop.services.supply whenever the offer changes).
    price_floor = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0.00"), editable=False)
    price_ceiling = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True, editable=False)
    paused_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    wagtail_reference_index_ignore = True

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["offer", "creator_id"], name="unique_listing_per_creator_offer"),
            models.CheckConstraint(condition=Q(status__in=ListingStatus.values), name="listing_status_known"),
            models.CheckConstraint(condition=Q(price__isnull=True) | Q(price__gte=0), name="listing_price_not_negative"),
            models.CheckConstraint(
                condition=~Q(status=ListingStatus.LIVE) | (
                    Q(price__isnull=True) | (Q(price__gte=F("price_floor")) & (
                        Q(price_ceiling__isnull=True) | Q(price__lte=F("price_ceiling"))))
                ),
                name="listing_live_within_bounds",
            ),
        ]
        indexes = [models.Index(fields=["creator_id", "status"], name="listing_creator_status_idx")]
        verbose_name = _("storefront listing")

    def __str__(self) -> str:
        # Choosers and admin lists select_related ``offer__variant__product``.
        return f"{self.offer.variant} · {self.status}"


class FulfilmentGroup(models.Model):
    """The lines of one order one brand ships: a brand sees its groups, never the buyer's contact."""

    order = models.ForeignKey("shop.Order", on_delete=models.CASCADE, related_name="fulfilment_groups")
    brand_id = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    wagtail_reference_index_ignore = True

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["order", "brand_id"], name="unique_fulfilment_group_brand")]

    def __str__(self) -> str:
        return f"{self.order_id} / brand {self.brand_id}"


class PayeeKind(models.TextChoices):
    """Who a supply transfer pays. A creator's margin is not here: the creator ledger accrues and pays it."""

    BRAND = "brand", _("Brand (wholesale payable)")


class SupplyTransferStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Being sent (an attempt is in flight)")
    PAID = "paid", _("Paid")
    FAILED = "failed", _("Failed (retried with the same key)")
    CANCELLED = "cancelled", _("Nothing left to pay (refunded before the first attempt)")


class PaymentAttempt(models.Model):
    """The bookkeeping of a money movement tried against Stripe, retried under one key (transfers, reversals).

    ``attempts`` counts tries; ``failure_message`` is the last failure; ``updated_at`` dates the last change,
    so an attempt marked in flight longer than ``shop.services.supply_attempts.STALE_ATTEMPT`` ago was
    abandoned (``supply_attempts.in_flight``)."""

    attempts = models.PositiveIntegerField(default=0)
    failure_message = models.CharField(max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class SupplyTransfer(PaymentAttempt):
    """What a paid storefront order owes one payee, paid by one Stripe Connect transfer in the order's group."""

    order = models.ForeignKey("shop.Order", on_delete=models.PROTECT, related_name="supply_transfers")
    payee_kind = models.CharField(max_length=10, choices=PayeeKind)
    payee_id = models.BigIntegerField(help_text=_("The brand's or the creator's id (raw)."))
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, validators=[currency_validator])
    transfer_group = models.CharField(max_length=64)
    idempotency_key = models.CharField(max_length=100, unique=True)
    status = models.CharField(max_length=10, choices=SupplyTransferStatus, default=SupplyTransferStatus.PENDING)
    transfer_id = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    wagtail_reference_index_ignore = True

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["order", "payee_kind", "payee_id"], name="unique_supply_transfer_payee"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="supply_transfer_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.payee_kind} {self.payee_id}: {self.amount} {self.currency}"


class SupplyReversalStatus(models.TextChoices):
    NETTED = "netted", _("Taken off the payable before it was sent")
    TO_RECOVER = "to_recover", _("Sent already: to recover from the brand")
    RECOVERING = "recovering", _("Being recovered (a transfer reversal is in flight)")
    RECOVERED = "recovered", _("Recovered by a transfer reversal")


class SupplyTransferReversal(PaymentAttempt):
    """The part of a brand payable a refund takes back (append-only, one per transfer and refund).

    Before the transfer's first attempt the reversal is netted (the transfer sends less); after it, the
    amount was or may have been sent under the transfer's idempotency key, whose amount can't change,
    so the reversal is recorded to be recovered from the brand, by a Stripe transfer reversal made under
    this row's own idempotency key once the transfer is paid."""

    transfer = models.ForeignKey(SupplyTransfer, on_delete=models.PROTECT, related_name="reversals")
    source_ref = models.CharField(max_length=60, help_text=_("What caused it (refund:<id>, dispute:<id>)."))
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, validators=[currency_validator])
    status = models.CharField(max_length=12, choices=SupplyReversalStatus)
    reversal_id = models.CharField(max_length=100, blank=True, help_text=_("Stripe's transfer reversal (trr_…)."))
    created_at = models.DateTimeField(auto_now_add=True)

    wagtail_reference_index_ignore = True

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["transfer", "source_ref"], name="unique_supply_reversal_cause"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="supply_reversal_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.transfer_id}: -{self.amount} {self.currency} ({self.status})"

    @property
    def idempotency_key(self) -> str:
        return f"kolshop-supply-reversal-{self.pk}"


class SupplyLineSplit(models.Model):
    """What one refund or lost dispute took back of an order line, split the way the line was paid.

    ``amount = wholesale_part + margin_part + fee_part``: the brand's, the creator's and the platform's
    share of the money that went back (``shop.services.supply_splits.split_taken_back``, in the currency's
    minor unit), so what is left of a line still adds up to wholesale + margin + fee left. Refunds are split
    for storefront lines; a lost dispute for every line it took from (a line not sold from a listing: the
    whole amount in ``fee_part``, the shop's). Append-only, one row per line and cause; the brands' payables,
    the creator ledger and the distribution reports all read these rows."""

    order_line = models.ForeignKey("shop.OrderLine", on_delete=models.PROTECT, related_name="supply_splits")
    source_ref = models.CharField(max_length=60, help_text=_("What took it back (refund:<id>, dispute:<id>)."))
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    wholesale_part = models.DecimalField(max_digits=12, decimal_places=2)
    margin_part = models.DecimalField(max_digits=12, decimal_places=2)
    # May be -0.01: the brand's and the creator's parts are each rounded to the cent, the fee takes the rest.
    fee_part = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, validators=[currency_validator])
    created_at = models.DateTimeField(auto_now_add=True)

    wagtail_reference_index_ignore = True

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["order_line", "source_ref"], name="unique_supply_split_cause"),
            models.CheckConstraint(condition=Q(amount__gte=0, wholesale_part__gte=0, margin_part__gte=0),
                                   name="supply_split_parts_not_negative"),
            # Whole cents, so "within half a cent" is equality on PostgreSQL and survives SQLite's float sums.
            models.CheckConstraint(
                condition=Q(LessThan(Abs(F("amount") - F("wholesale_part") - F("margin_part") - F("fee_part")),
                                     Decimal("0.005"))),
                name="supply_split_adds_up"),
        ]

    def __str__(self) -> str:
        return f"{self.order_line_id} {self.source_ref}: {self.amount} {self.currency}"
