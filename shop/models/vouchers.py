"""Voucher codes: a percentage or fixed discount within a validity window and usage limits."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shop.models.catalog import currency_validator


class VoucherKind(models.TextChoices):
    PERCENTAGE = "percentage", _("Percentage off")
    FIXED = "fixed", _("Fixed amount off")


class Voucher(models.Model):
    code = models.CharField(max_length=40, unique=True, help_text=_("Stored upper-case; buyers may type any case."))
    kind = models.CharField(max_length=10, choices=VoucherKind)
    value = models.DecimalField(
        max_digits=12, decimal_places=2, help_text=_("Percent (e.g. 10) or an amount in the voucher's currency.")
    )
    currency = models.CharField(
        max_length=3, blank=True, validators=[currency_validator], help_text=_("Required for fixed amounts.")
    )
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    usage_limit = models.PositiveIntegerField(null=True, blank=True, help_text=_("Total uses; blank for no limit."))
    per_buyer_limit = models.PositiveIntegerField(null=True, blank=True, help_text=_("Uses per email address."))
    creator_id = models.BigIntegerField(
        null=True, blank=True, help_text=_("A creator's voucher attributes the sale to that creator (opaque id)."),
    )
    brand = models.ForeignKey(
        "shop.Brand", null=True, blank=True, on_delete=models.PROTECT, related_name="vouchers",
        help_text=_("A brand's voucher applies to that brand's lines only, and the brand bears the discount."),
    )
    active = models.BooleanField(default=True)
    # Money owed to the voucher's holder (a reader's reward): what an order leaves unused, and the discount a
    # refund gives back, is issued as a new voucher (shop.services.voucher_remainders). A database default: the
    # previous release creates vouchers without it during a rolling deploy.
    reissue_unused = models.BooleanField(
        default=False, db_default=False,
        help_text=_("Money owed to its holder (a reward): the unused rest is re-issued as a new voucher."),
    )
    remainder_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="remainders",
        help_text=_("The voucher whose unused rest this is."),
    )
    origin = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text=_("The first voucher of a chain of remainders (its owner owns them all)."),
    )
    remainder_order = models.ForeignKey(
        "shop.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text=_("The order that left this remainder."),
    )
    remainder_source = models.CharField(max_length=40, blank=True, db_default="", help_text=_("paid, or refund:<id>."))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(value__gt=0), name="voucher_value_positive"),
            models.CheckConstraint(
                condition=~Q(kind="percentage") | Q(value__lte=100), name="voucher_percentage_at_most_100"
            ),
            models.CheckConstraint(
                condition=~Q(kind="fixed") | Q(currency__regex=r"^[A-Z]{3}$"), name="voucher_fixed_has_currency"
            ),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True) | Q(valid_until__isnull=True) | Q(valid_until__gt=models.F("valid_from")),
                name="voucher_window_ordered",
            ),
            models.CheckConstraint(condition=Q(creator_id__isnull=True) | Q(brand__isnull=True),
                                   name="voucher_one_funder"),
            # one remainder per order and cause: a duplicate webhook or a retried refund never issues twice
            models.UniqueConstraint(fields=["remainder_order", "remainder_source"],
                                    condition=Q(remainder_order__isnull=False), name="voucher_remainder_once"),
        ]

    def __str__(self) -> str:
        return self.code

    def save(self, *args, **kwargs):
        self.code = self.code.strip().upper()
        super().save(*args, **kwargs)
