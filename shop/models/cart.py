"""A reader's cart: lines by variant, each keeping the buy link's attribution as opaque ids."""

import secrets

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def new_cart_token() -> str:
    return secrets.token_urlsafe(24)


class Cart(models.Model):
    """Identified by an unguessable token: whoever holds it (a session, a front end) owns the cart."""

    token = models.CharField(max_length=64, unique=True, default=new_cart_token, editable=False)
    # Set when one of its orders is paid: a cart buys once, so a restarted checkout can't sell it twice.
    checked_out_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Checkouts started from the cart, counted by the statement that locks it for one (the larger of the count and
    # the cart's orders, plus one: a checkout by an earlier release, which placed an order without counting, counts
    # too): the first has no earlier order to replace, so it doesn't read the cart's orders. A database default,
    # so carts an earlier release creates during a rolling deploy get 0.
    checkouts_started = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    wagtail_reference_index_ignore = True  # transactional rows, not content: no usage tracking

    def __str__(self) -> str:
        return f"Cart {self.pk}"


class CartLine(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey("shop.Variant", on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField()
    # The last buy link's token (see shop.attribution), as raw facts; the creators app decides who sold it.
    creator_id = models.BigIntegerField(null=True, blank=True)
    page_id = models.BigIntegerField(null=True, blank=True)
    block_id = models.CharField(max_length=64, blank=True)
    click_id = models.BigIntegerField(null=True, blank=True)
    attributed_at = models.DateTimeField(null=True, blank=True, help_text=_("When the last buy link was followed."))
    # The promotion the buy link offered (e.g. a deal block); pricing.price_line decides if it still applies.
    promotion = models.ForeignKey(
        "shop.Promotion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)
    # A creator's storefront listing (shop.models.supply) pricing the line; pricing.price_line decides.
    listing = models.ForeignKey(
        "shop.StorefrontListing", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The unit price the listing was quoted at when the reader added the line; checkout charges only
    # that price (pricing.listing_quote_holds), so a brand's agency price change answers 409 price_changed.
    quoted_unit_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)

    wagtail_reference_index_ignore = True  # transactional rows, not content: no usage tracking

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "variant"], name="unique_cart_line_variant"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="cart_line_quantity_positive"),
        ]
        verbose_name = _("cart line")

    def __str__(self) -> str:
        return f"{self.quantity} × variant {self.variant_id}"


class AddToCartEvent(models.Model):
    """Append-only: a reader put units of a variant in a cart, with the attribution they carried.

    Cart lines change and disappear (checkout empties the cart); reports need every add as it happened.
    On PostgreSQL the table is partitioned by month of ``created_at`` (shop 0022_partition).
    """

    cart = models.ForeignKey(Cart, null=True, on_delete=models.SET_NULL, related_name="+")
    variant_id = models.BigIntegerField()
    product_id = models.BigIntegerField()
    brand_id = models.BigIntegerField()
    quantity = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    creator_id = models.BigIntegerField(null=True, blank=True)
    page_id = models.BigIntegerField(null=True, blank=True)
    block_id = models.CharField(max_length=64, blank=True)
    click_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    wagtail_reference_index_ignore = True  # transactional rows, not content: no usage tracking
    partitioned_by_month = "created_at"  # on PostgreSQL (shop 0022_partition); operations.checks

    class Meta:
        ordering = ["pk"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="add_to_cart_quantity_positive")]
        indexes = [models.Index(fields=["created_at"], name="add_to_cart_created_at_idx")]

    def __str__(self) -> str:
        return f"+{self.quantity} of variant {self.variant_id} at {self.created_at:%Y-%m-%d %H:%M}"

