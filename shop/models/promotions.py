"""Promotions: a variant sold below its list price for a while, perhaps for a limited number of units.

One model, one ``kind``. A deal (a creator's reader deal) is the first kind; a live flash deal
and a group price become further kinds of the same row: they share the variant, price, currency,
window, unit cap and per-buyer limit, and add their own rule in ``shop.services.pricing``
(the one place a line's price is decided) rather than a second pricing path. Kind-specific
fields, when a kind needs them (e.g. a group's minimum participants), go on this model as
nullable columns guarded by a check constraint per kind.
"""

from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel

from shop.models.catalog import ProductStatus, currency_validator


class PromotionKind(models.TextChoices):
    DEAL = "deal", _("Deal")
    FLASH = "flash", _("Live flash deal")
    GROUP = "group", _("Group price")  # sold only to members of a group-buy team (shop.models.groupbuy)


# A live flash deal's window: short enough to create urgency on air, long enough to check out.
FLASH_MIN_WINDOW = timedelta(seconds=10)
FLASH_MAX_WINDOW = timedelta(minutes=20)


class Promotion(models.Model):
    kind = models.CharField(max_length=16, choices=PromotionKind, default=PromotionKind.DEAL)
    name = models.CharField(max_length=120, help_text=_("For editors, e.g. 'Spring reader deal'."))
    variant = models.ForeignKey("shop.Variant", on_delete=models.PROTECT, related_name="promotions")
    price = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("The promotional unit price; must be below the variant's price."),
    )
    currency = models.CharField(max_length=3, blank=True, validators=[currency_validator],
                                help_text=_("The variant's currency (filled in when left blank)."))
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    unit_cap = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("Units sold at this price in total; blank for no cap.")
    )
    per_buyer_limit = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("Units one buyer (email address) may buy at this price; blank for no limit.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    panels = [
        FieldPanel("name"),
        FieldPanel("variant"),
        FieldRowPanel([FieldPanel("price"), FieldPanel("currency")]),
        FieldRowPanel([FieldPanel("starts_at"), FieldPanel("ends_at")]),
        FieldRowPanel([FieldPanel("unit_cap"), FieldPanel("per_buyer_limit")]),
    ]

    class Meta:
        ordering = ["-starts_at", "pk"]
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        constraints = [
            models.CheckConstraint(condition=Q(price__gt=0), name="promotion_price_positive"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="promotion_ends_after_start"),
            models.CheckConstraint(
                condition=Q(unit_cap__isnull=True) | Q(unit_cap__gte=1), name="promotion_unit_cap_positive"
            ),
            models.CheckConstraint(
                condition=Q(per_buyer_limit__isnull=True) | Q(per_buyer_limit__gte=1),
                name="promotion_per_buyer_limit_positive",
            ),
            models.CheckConstraint(condition=Q(currency__regex=r"^[A-Z]{3}$"), name="promotion_currency_iso"),
            models.CheckConstraint(condition=Q(kind__in=PromotionKind.values), name="promotion_kind_known"),
            # A flash deal always has a cap and a per-buyer limit, and runs 10 s to 20 min.
            models.CheckConstraint(
                condition=~Q(kind=PromotionKind.FLASH) | (
                    Q(unit_cap__isnull=False, per_buyer_limit__isnull=False)
                    & Q(ends_at__gte=F("starts_at") + FLASH_MIN_WINDOW)
                    & Q(ends_at__lte=F("starts_at") + FLASH_MAX_WINDOW)
                ),
                name="promotion_flash_window_and_caps",
            ),
        ]
        indexes = [models.Index(fields=["variant", "ends_at"], name="promotion_variant_ends_idx")]

    def __str__(self) -> str:
        sku = self.variant.sku if self.variant_id else "?"
        return f"{self.name} ({sku} at {self.price} {self.currency})"

    def clean(self) -> None:
        """The editor's rules: an active product, the variant's currency, a price below the list price."""
        errors = {}
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = _("The deal must end after it starts.")
        elif self.kind == PromotionKind.FLASH and self.starts_at and self.ends_at and not (
                FLASH_MIN_WINDOW <= self.ends_at - self.starts_at <= FLASH_MAX_WINDOW):
            errors["ends_at"] = _("A flash deal runs between 10 seconds and 20 minutes.")
        if self.kind == PromotionKind.FLASH and (self.unit_cap is None or self.per_buyer_limit is None):
            errors["unit_cap"] = _("A flash deal needs a unit cap and a per-buyer limit.")
        variant = self.variant if self.variant_id else None
        if variant is not None:
            product = variant.product
            if product.status != ProductStatus.ACTIVE:
                errors["variant"] = _("“%(title)s” is archived and can't be sold; choose an active product.") % {
                    "title": product.title}
            if not self.currency:
                self.currency = variant.currency
            if self.currency != variant.currency:
                errors["currency"] = _("Use the variant's currency, %(currency)s.") % {"currency": variant.currency}
            if self.price is not None and self.price >= variant.price:
                errors["price"] = _("The deal price %(deal)s must be below the price %(price)s %(currency)s.") % {
                    "deal": self.price, "price": variant.price, "currency": variant.currency}
        if errors:
            raise ValidationError(errors)
