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
    # Ever disputed (one dispute or more: each is a ``Dispute`` row, which says whether it is still open).
    disputed = models.BooleanField(default=False)
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


# Stripe's dispute statuses after which nothing more happens to a dispute (an inquiry closed without becoming a
# chargeback, a chargeback won or lost, a dispute prevented, and the legacy ``charge_refunded``). The others
# (``warning_needs_response``, ``warning_under_review``, ``needs_response``, ``under_review``, and any status
# Stripe adds later) leave it open.
CLOSED_DISPUTE_STATUSES = ("warning_closed", "won", "lost", "prevented", "charge_refunded")


class Dispute(models.Model):
    """One Stripe dispute (an inquiry or a chargeback) of a payment, by Stripe's dispute id.

    A charge can be disputed more than once over its life (an inquiry closed, then a chargeback: a new dispute
    id), so each has its own row: while any row of an order's payment is open (``closed_at`` unset), the
    earnings from the order are held (``shop.services.disputes.held_order_ids``). A row closes once and never
    opens again (a late ``created`` changes nothing); a lost one is taken back once (``lost_at``)."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="disputes")
    gateway_dispute_id = models.CharField(max_length=100, unique=True)
    status = models.CharField(max_length=30, help_text=_("Stripe's last status of the dispute."))
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, validators=[currency_validator])
    reason = models.CharField(max_length=60, blank=True)
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    lost_at = models.DateTimeField(null=True, blank=True)

    wagtail_reference_index_ignore = True  # transactional rows, not content: no usage tracking

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(lost_at__isnull=True) | Q(closed_at__isnull=False),
                                   name="dispute_lost_is_closed"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="dispute_amount_not_negative"),
        ]
        indexes = [models.Index(fields=["payment"], condition=Q(closed_at__isnull=True),
                                name="dispute_open_idx")]

    def __str__(self) -> str:
        return f"Dispute {self.gateway_dispute_id} ({self.status})"


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
