"""Which e-mail each order has had: one row per (order, kind), claimed before sending.

The unique constraint is what makes a duplicate webhook, a retried task or two workers racing send a
notice once: the second insert fails and that sender stops.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrderNotificationKind(models.TextChoices):
    CONFIRMATION = "confirmation", _("Order confirmation")
    SHIPPED = "shipped", _("Shipped")
    REFUNDED = "refunded", _("Refunded")
    PICKUP_READY = "pickup_ready", _("Ready for pickup")


class OrderNotification(models.Model):
    order = models.ForeignKey("shop.Order", on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=OrderNotificationKind)
    # Refunds: the refunded total the notice announces (one notice per total); blank for the others.
    reference = models.CharField(max_length=40, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    wagtail_reference_index_ignore = True  # transactional rows, not content: no usage tracking

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["order", "kind", "reference"], name="order_notification_once"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.kind}"
