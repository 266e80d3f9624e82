"""Who sold each order line, and the append-only commission ledger.

Order and line ids are opaque integers (the shop's ``Order``/``OrderLine`` pks): the ledger must
outlive any change to the shop's tables, and nothing here may cascade-delete money history.

Balances are sums over entries, per creator and currency (never stored elsewhere):

* earned  = Σ accrual + Σ reversal   (reversals are negative)
* locked  = Σ lock − Σ payout        (a lock moves earnings out of pending; a payout out of locked)
* pending = earned − Σ lock
* paid    = Σ payout

A reversal on a line that is already locked adds a matching negative lock, so pending never goes
below zero for a line; on a line already paid out, locked goes negative and the next payout nets it.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shop.models.catalog import currency_validator


class AttributionSourceKind(models.TextChoices):
    VOUCHER = "voucher", _("Creator voucher")
    CLICK = "click", _("Tracked link click")
    LINK = "link", _("Buy link")
    NONE = "none", _("Not attributed")


class NoCommissionReason(models.TextChoices):
    NONE = "", _("Earns commission")
    NOT_ATTRIBUTED = "not_attributed", _("No creator")
    OUTSIDE_WINDOW = "outside_window", _("Click older than the attribution window")
    UNKNOWN_CREATOR = "unknown_creator", _("The creator no longer exists")
    SELF_REFERRAL = "self_referral", _("The creator bought through their own link or code")


class OrderLineAttribution(models.Model):
    """The decision taken when the order was placed; later setting changes never rewrite it."""

    order_id = models.BigIntegerField(db_index=True)
    # The same plain, unique column as before: no constraint, so a line's row is never locked or deleted through
    # it. The relation lets the reports join a line's decision once (``OrderLine.attribution``) instead of one
    # subquery per column (``creators.reports.facts.order_line_facts``).
    order_line = models.OneToOneField("shop.OrderLine", on_delete=models.DO_NOTHING, db_constraint=False,
                                      related_name="attribution")
    creator = models.ForeignKey(
        "creators.CreatorProfile", null=True, blank=True, on_delete=models.PROTECT, related_name="attributions"
    )
    page_id = models.BigIntegerField(null=True, blank=True)
    block_id = models.CharField(max_length=64, blank=True)
    # A plain id in the database (no constraint): on PostgreSQL clicks are partitioned by month and their
    # key is (id, clicked_at), which no foreign key can point at (operations.partitions). The ORM still joins.
    click = models.ForeignKey("creators.Click", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                              db_constraint=False)
    source = models.CharField(max_length=10, choices=AttributionSourceKind)
    earns_commission = models.BooleanField(default=False)
    reason = models.CharField(max_length=20, choices=NoCommissionReason, blank=True, default="")
    attributed_at = models.DateTimeField(null=True, blank=True, help_text=_("The click or buy-link time."))
    window_days = models.PositiveIntegerField(help_text=_("The attribution window when this was decided."))
    decided_at = models.DateTimeField()

    class Meta:
        ordering = ["order_line_id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(earns_commission=True) | Q(creator__isnull=False), name="attribution_earner_has_creator"
            ),
            models.CheckConstraint(
                condition=~Q(earns_commission=True) | Q(reason=""), name="attribution_earner_has_no_reason"
            ),
        ]
        indexes = [models.Index(fields=["creator", "page_id", "block_id"], name="attribution_creator_page_idx")]

    def __str__(self) -> str:
        return f"line {self.order_line_id}: {self.source}"


class EntryKind(models.TextChoices):
    ACCRUAL = "accrual", _("Accrual")
    REVERSAL = "reversal", _("Reversal")
    LOCK = "lock", _("Lock")
    PAYOUT = "payout", _("Payout")


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Ledger entries are append-only: add a correcting entry instead.")

    def delete(self):
        raise TypeError("Ledger entries are append-only: add a correcting entry instead.")


class LedgerEntry(models.Model):
    creator = models.ForeignKey("creators.CreatorProfile", on_delete=models.PROTECT, related_name="ledger_entries")
    kind = models.CharField(max_length=10, choices=EntryKind)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, validators=[currency_validator])
    order_id = models.BigIntegerField(db_index=True)
    order_line_id = models.BigIntegerField()
    page_id = models.BigIntegerField(null=True, blank=True)
    block_id = models.CharField(max_length=64, blank=True)
    source_ref = models.CharField(
        max_length=60, help_text=_("What caused the entry (paid, refund:<id>, dispute, window, payout:<id>…).")
    )
    rate = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    base_amount = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True,
        help_text=_("The net amount sold (accrual) or refunded (reversal) this entry is computed from."),
    )
    payout = models.ForeignKey("creators.Payout", null=True, blank=True, on_delete=models.PROTECT, related_name="entries")
    effective_at = models.DateTimeField(help_text=_("When the fact happened (payment, refund, lock, payout)."))
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        verbose_name_plural = _("ledger entries")
        constraints = [
            # A retried event finds its entry already written.
            models.UniqueConstraint(fields=["order_line_id", "kind", "source_ref"], name="ledger_entry_once_per_cause"),
            models.CheckConstraint(condition=~Q(kind="accrual") | Q(amount__gte=0), name="ledger_accrual_not_negative"),
            models.CheckConstraint(condition=~Q(kind="reversal") | Q(amount__lte=0), name="ledger_reversal_not_positive"),
            models.CheckConstraint(condition=Q(currency__regex=r"^[A-Z]{3}$"), name="ledger_currency_iso"),
        ]
        indexes = [
            models.Index(fields=["creator", "currency", "kind"], name="ledger_creator_currency_idx"),
            models.Index(fields=["creator", "effective_at"], name="ledger_creator_effective_idx"),
            models.Index(fields=["effective_at"], name="ledger_effective_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} {self.currency} (line {self.order_line_id})"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("Ledger entries are append-only: add a correcting entry instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Ledger entries are append-only: add a correcting entry instead.")
