"""Stock held for a buyer between starting checkout and paying; it stops counting when it expires."""

from django.db import models
from django.db.models import Q


class StockReservation(models.Model):
    variant = models.ForeignKey("shop.Variant", on_delete=models.CASCADE, related_name="reservations")
    order = models.ForeignKey("shop.Order", on_delete=models.CASCADE, related_name="reservations")
    quantity = models.PositiveIntegerField()
    expires_at = models.DateTimeField()
    client_key = models.CharField(
        max_length=64, blank=True, default="",
        help_text="A keyed hash standing for the client that checked out (never its address), for the per-client cap.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    wagtail_reference_index_ignore = True  # transactional rows, not content: no usage tracking

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["order", "variant"], name="unique_reservation_order_variant"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="reservation_quantity_positive"),
        ]
        indexes = [
            models.Index(fields=["variant", "expires_at"], name="reservation_variant_expiry_idx"),
            models.Index(fields=["client_key", "expires_at"], name="reservation_client_expiry_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × variant {self.variant_id} until {self.expires_at:%H:%M}"
