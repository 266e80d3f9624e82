"""Reader accounts without passwords: a reader is a verified e-mail address, nothing more.

A reader proves the address by a one-time link or a 6-digit code mailed to it (``SignInToken``; both
stored only as hashes). ``session_version`` is copied into each signed-in session: raising it signs the
reader out on every device at once. Orders are never copied here: a reader's orders are those placed
with the same buyer identity (``shop.services.buyer_identity.buyer_key``), found when asked.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from creators.models import LinkKind, TrackedLink


class Reader(models.Model):
    email = models.EmailField(help_text=_("The address as the reader last verified it (mail goes here)."))
    buyer_key = models.CharField(
        max_length=64, unique=True, editable=False,
        help_text=_("shop.services.buyer_identity.buyer_key of the e-mail: one reader per buyer identity."),
    )
    session_version = models.PositiveIntegerField(
        default=1, help_text=_("Raised by 'sign out everywhere': older sessions stop working."))
    verified_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    wagtail_reference_index_ignore = True

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Reader {self.pk}"


class SignInToken(models.Model):
    """One mailed sign-in: its link token and its code, hashed; expiring, used once."""

    buyer_key = models.CharField(max_length=64, db_index=True, editable=False)
    email = models.EmailField(help_text=_("The address the sign-in was mailed to."))
    link_hash = models.CharField(max_length=64, unique=True, editable=False)
    code_hash = models.CharField(max_length=64, editable=False)
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    wagtail_reference_index_ignore = True

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["buyer_key", "expires_at"], name="reader_signin_key_expiry_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(expires_at__gt=models.F("created_at")),
                                   name="reader_signin_expires_after_created"),
        ]

    def __str__(self) -> str:
        return f"Sign-in {self.pk}"


class RewardEntryKind(models.TextChoices):
    ACCRUAL = "accrual", _("Accrual")
    REVERSAL = "reversal", _("Reversal")
    LOCK = "lock", _("Lock")
    REDEMPTION = "redemption", _("Redemption")


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Reward entries are append-only: add a correcting entry instead.")

    def delete(self):
        raise TypeError("Reward entries are append-only: add a correcting entry instead.")


class RewardEntry(models.Model):
    """The sharers' append-only rewards ledger, mirroring the creators' commission ledger.

    Balances are sums over entries, per reader and currency (``readers.services.rewards.reward_balances``):

    * pending   = Σ accrual + Σ reversal − Σ lock   (reversals are negative)
    * available = Σ lock − Σ redemption             (a lock moves a reward out of pending after the return window)
    * redeemed  = Σ redemption                      (turned into a single-use voucher)

    One reward per order (the first sharer's click). A reversal after the lock adds a matching negative lock.
    """

    reader = models.ForeignKey(Reader, on_delete=models.PROTECT, related_name="reward_entries")
    kind = models.CharField(max_length=10, choices=RewardEntryKind)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    order_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    link_id = models.BigIntegerField(null=True, blank=True, help_text=_("The share link (creators.TrackedLink id)."))
    click_id = models.BigIntegerField(null=True, blank=True, help_text=_("The share click rewarded."))
    source_ref = models.CharField(max_length=60, help_text=_("paid, refund:<id>, dispute, window, voucher:<code>."))
    rate = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    base_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    effective_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AppendOnlyQuerySet.as_manager()
    wagtail_reference_index_ignore = True

    class Meta:
        ordering = ["pk"]
        verbose_name_plural = _("reward entries")
        constraints = [
            models.UniqueConstraint(fields=["order_id", "kind", "source_ref"], name="reward_entry_once_per_cause"),
            models.UniqueConstraint(fields=["order_id"], condition=Q(kind="accrual"), name="reward_one_per_order"),
            models.CheckConstraint(condition=~Q(kind="accrual") | Q(amount__gte=0), name="reward_accrual_not_negative"),
            models.CheckConstraint(condition=~Q(kind="reversal") | Q(amount__lte=0), name="reward_reversal_not_positive"),
            models.CheckConstraint(condition=~Q(kind="redemption") | Q(amount__gt=0), name="reward_redemption_positive"),
            models.CheckConstraint(condition=Q(currency__regex=r"^[A-Z]{3}$"), name="reward_currency_iso"),
        ]
        indexes = [models.Index(fields=["reader", "currency", "kind"], name="reward_reader_currency_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} {self.currency}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("Reward entries are append-only: add a correcting entry instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Reward entries are append-only: add a correcting entry instead.")


class RewardRate(models.Model):
    """The share of a line's value a sharer earns: one default row (no brand) and per-brand overrides,
    set by staff. Read when an order is paid (``readers.services.rewards.reward_rates``); each line's rate
    is kept on its ``RewardLine``, so a later change never rewrites a reward."""

    brand = models.OneToOneField("shop.Brand", null=True, blank=True, on_delete=models.CASCADE, related_name="+",
                                 help_text=_("Empty: the default for every brand without its own rate."))
    rate = models.DecimalField(max_digits=5, decimal_places=4, help_text=_("0.0500 is 5%."))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["brand__name", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(rate__gte=0) & Q(rate__lte=1), name="reward_rate_between_0_and_1"),
            # One default: NULL brands are distinct to a plain unique index, so index the brand or 0.
            models.UniqueConstraint(Coalesce("brand", models.Value(0)), name="reward_rate_one_default"),
        ]

    def __str__(self) -> str:
        return f"{self.brand or 'Default'}: {self.rate}"


class RewardLine(models.Model):
    """One order line's part of a reward: its brand's rate when the order was paid and its base, so
    refunds of a multi-brand order reverse each line at its own rate (``readers.services.rewards``)."""

    order_id = models.BigIntegerField(db_index=True)
    order_line_id = models.BigIntegerField(unique=True)
    brand_id = models.BigIntegerField(null=True, blank=True)
    rate = models.DecimalField(max_digits=5, decimal_places=4)
    base_amount = models.DecimalField(max_digits=12, decimal_places=2)

    wagtail_reference_index_ignore = True

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"line {self.order_line_id}: {self.rate}"


class RefusalReason(models.TextChoices):
    SELF_PURCHASE = "self_purchase", _("The buyer is the sharer")
    RETURNING_BUYER = "returning_buyer", _("The buyer has ordered before")
    BELOW_MINIMUM = "below_minimum", _("Below the minimum order value")
    SHARER_CAP = "sharer_cap", _("The sharer reached the rewards allowed per 30 days")
    VISITOR_CAP = "visitor_cap", _("The visitor reached the rewarded orders allowed per day")
    LINK_BLOCKED = "link_blocked", _("Staff blocked the link")


class RewardRefusal(models.Model):
    """A share that led to a paid order but earned no reward, and why (one row per order)."""

    reader = models.ForeignKey(Reader, on_delete=models.PROTECT, related_name="reward_refusals")
    order_id = models.BigIntegerField(unique=True)
    link_id = models.BigIntegerField()
    click_id = models.BigIntegerField(null=True, blank=True)
    reason = models.CharField(max_length=20, choices=RefusalReason)
    decided_at = models.DateTimeField()

    wagtail_reference_index_ignore = True

    class Meta:
        ordering = ["-decided_at", "-pk"]

    def __str__(self) -> str:
        return f"order {self.order_id}: {self.reason}"


class ShareLinkManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(kind=LinkKind.READER_SHARE)


class ShareLink(TrackedLink):
    """Readers' shares among the tracked links (a proxy: the staff admin lists these only)."""

    objects = ShareLinkManager()

    class Meta:
        proxy = True
        verbose_name = _("share link")
        permissions = [("block_sharelink", _("Can block readers' share links"))]


class ShareBlock(models.Model):
    """Staff blocked a reader's share link, and why: the link leads nowhere, earns nothing, and sharing
    the same thing again is refused (``readers.services.shares``)."""

    link = models.OneToOneField(TrackedLink, on_delete=models.PROTECT, related_name="share_block")
    reason = models.CharField(max_length=300)
    blocked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    blocked_at = models.DateTimeField()

    wagtail_reference_index_ignore = True

    class Meta:
        ordering = ["-blocked_at", "-pk"]
        constraints = [models.CheckConstraint(condition=~Q(reason=""), name="share_block_has_reason")]

    def __str__(self) -> str:
        return f"link {self.link_id} blocked"
