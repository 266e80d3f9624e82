"""Payout runs and the Stripe Connect transfer each creator receives in a run."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shop.models.catalog import currency_validator


class PayoutRun(models.Model):
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    threshold = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"Payout run {self.pk} ({self.started_at:%Y-%m-%d %H:%M})"


class PayoutStatus(models.TextChoices):
    PROCESSING = "processing", _("Processing")
    PAID = "paid", _("Paid")
    FAILED = "failed", _("Failed")


class Payout(models.Model):
    run = models.ForeignKey(PayoutRun, on_delete=models.PROTECT, related_name="payouts")
    creator = models.ForeignKey("creators.CreatorProfile", on_delete=models.PROTECT, related_name="payouts")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, validators=[currency_validator])
    destination = models.CharField(max_length=64, help_text=_("The connected Stripe account paid."))
    transfer_group = models.CharField(max_length=100, unique=True)
    idempotency_key = models.CharField(max_length=100, unique=True)
    status = models.CharField(max_length=12, choices=PayoutStatus, default=PayoutStatus.PROCESSING)
    transfer_id = models.CharField(max_length=100, blank=True)
    failure_message = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["run", "creator", "currency"], name="one_payout_per_creator_per_run"),
            # While a transfer is in flight, no other run may pay the same balance.
            models.UniqueConstraint(
                fields=["creator", "currency"], condition=Q(status="processing"), name="one_processing_payout_per_creator"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payout_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} to {self.creator_id} ({self.status})"
