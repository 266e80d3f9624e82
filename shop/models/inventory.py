"""Stock on hand per variant. Reservations and movements build on this (checkout issue)."""

from dataclasses import dataclass

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shop.cached_settings import cached_setting


class StockLevel(models.TextChoices):
    IN_STOCK = "in_stock", _("In stock")
    LOW_STOCK = "low_stock", _("Low stock")
    OUT_OF_STOCK = "out_of_stock", _("Out of stock")


@dataclass(frozen=True)
class StockStatus:
    level: StockLevel
    quantity: int

    @classmethod
    def for_quantity(cls, quantity: int, *, low_stock_threshold: int | None = None) -> "StockStatus":
        threshold = cached_setting("KOLSHOP_LOW_STOCK_THRESHOLD") if low_stock_threshold is None else low_stock_threshold
        if quantity <= 0:
            return cls(StockLevel.OUT_OF_STOCK, 0)
        if quantity <= threshold:
            return cls(StockLevel.LOW_STOCK, quantity)
        return cls(StockLevel.IN_STOCK, quantity)


class Stock(models.Model):
    variant = models.OneToOneField("shop.Variant", on_delete=models.CASCADE, related_name="stock")
    on_hand = models.IntegerField(default=0, help_text=_("Units physically available to sell."))
    low_stock_threshold = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("Overrides the shop-wide low-stock threshold for this variant.")
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "stock"
        constraints = [
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="stock_on_hand_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.variant.sku}: {self.on_hand}"

    @property
    def status(self) -> StockStatus:
        return StockStatus.for_quantity(self.on_hand, low_stock_threshold=self.low_stock_threshold)
