"""Payments (one gateway intent each), refunds and the webhook events already handled."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from shop.models.catalog import currency_validator


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the buyer")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class Payment(models.Model):
    order = models.ForeignKey("shop.Order", on_delete=models.PROTECT, related_name="payments")
    gateway = models.CharField(max_length=20)
    intent_id = models.CharField(max_length=100, unique=True)
    client_secret = models.CharField(max_length=200, blank=True, editable=False)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, validators=[currency_validator])
    status = models.CharField(max_length=12, choices=PaymentStatus, default=PaymentStatus.PENDING)
    amount_refunded = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    disputed = models.BooleanField(default=False)
    # When Stripe closed the dispute (won or lost); while ``disputed`` and unset, the creators' earnings from
    # the order are held (``creators.services.ledger.held_order_ids``).
    dispute_closed_at = models.DateTimeField(null=True, blank=True)
    failure_message = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    wagtail_reference_index_ignore = True  # transactional rows, not content: no usage tracking

    class Meta:
        ordering = ["-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_refunded__gte=0) & Q(amount_refunded__lte=F("amount")),
                name="payment_refund_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.gateway} {self.intent_id}"


class RefundStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class Refund(models.Model):
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    order = models.ForeignKey("shop.Order", on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, validators=[currency_validator])
    status = models.CharField(max_length=10, choices=RefundStatus, default=RefundStatus.PENDING)
    gateway_refund_id = models.CharField(max_length=100, null=True, blank=True, unique=True)
    restock = models.BooleanField(default=False)
    includes_shipping = models.BooleanField(default=False)
    reason = models.CharField(max_length=200, blank=True)
    # Automatic: money taken without an order to keep (stock ran out, paid twice); retried when it fails.
    automatic = models.BooleanField(default=False)
    attempts = models.PositiveSmallIntegerField(default=0, help_text=_("Calls made to the payment gateway."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    wagtail_reference_index_ignore = True  # transactional rows, not content: no usage tracking

    class Meta:
        ordering = ["pk"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive")]
        indexes = [models.Index(fields=["created_at"], name="refund_created_at_idx")]

    def __str__(self) -> str:
        return f"Refund {self.amount} {self.currency} on {self.order_id}"


class RefundLine(models.Model):
    refund = models.ForeignKey(Refund, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey("shop.OrderLine", on_delete=models.PROTECT, related_name="refund_lines")
    quantity = models.PositiveIntegerField()
    amount = models.DecimalField(max_digits=12, decimal_places=2)

    wagtail_reference_index_ignore = True  # transactional rows, not content: no usage tracking

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="refund_line_quantity_positive")]

    def __str__(self) -> str:
        return f"{self.quantity} × line {self.order_line_id}"


class ProcessedWebhookEvent(models.Model):
    """A gateway event already handled: the unique id makes every retry a no-op."""

    event_id = models.CharField(max_length=100, unique=True)
    type = models.CharField(max_length=60)
    received_at = models.DateTimeField(auto_now_add=True)

    wagtail_reference_index_ignore = True  # transactional rows, not content: no usage tracking

    class Meta:
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"
