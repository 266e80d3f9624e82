"""Tracked short links (``/r/<code>/``) and the clicks they record.

A click never stores the reader's IP address: only an HMAC of address and user agent keyed with a
secret and the day (``shop.services.client_identity.visitor_key``), so the same reader can be
recognised for a day, never for longer, and the value can't be turned back into an address.
"""

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

code_validator = RegexValidator(r"^[A-Za-z0-9_-]{4,32}$", _("4–32 letters, digits, '-' or '_'."))


class LinkTarget(models.TextChoices):
    PRODUCT = "product", _("Product")
    PAGE = "page", _("Page")
    STOREFRONT = "storefront", _("Storefront")
    TEAM = "team", _("Group-buy team")  # readers' shares only: a team's share page (``team_code``)


class LinkKind(models.TextChoices):
    """Who made the link: the creator for their own audience, or a reader sharing what they liked.

    A reader's share is a tracked link like any other (same ``/r/``, click counting, bot filter and
    visitor hash); ``sharer_id`` names the reader (an opaque id: the readers app sits above creators).
    The link's ``creator`` is still the creator whose guide it opens, who keeps their commission."""

    CREATOR = "creator", _("Creator's link")
    READER_SHARE = "reader_share", _("Reader's share")


class UserAgentClass(models.TextChoices):
    DESKTOP = "desktop", _("Desktop")
    MOBILE = "mobile", _("Mobile")
    TABLET = "tablet", _("Tablet")
    OTHER = "other", _("Other")


class TrackedLink(models.Model):
    code = models.CharField(max_length=32, unique=True, validators=[code_validator])
    creator = models.ForeignKey("creators.CreatorProfile", on_delete=models.PROTECT, related_name="tracked_links")
    target_kind = models.CharField(max_length=12, choices=LinkTarget)
    product = models.ForeignKey(
        "shop.Product", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text=_("The product a product link sells."),
    )
    page = models.ForeignKey(
        "wagtailcore.Page", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text=_("The page a page link opens; for a product link, the page it is promoted from (optional)."),
    )
    block_id = models.CharField(max_length=64, blank=True, help_text=_("The page's block the link stands for."))
    label = models.CharField(max_length=120, blank=True)
    active = models.BooleanField(default=True)
    kind = models.CharField(max_length=12, choices=LinkKind, default=LinkKind.CREATOR)
    sharer_id = models.BigIntegerField(
        null=True, blank=True, help_text=_("The reader who shared it (readers.Reader id), for a reader's share."))
    team_code = models.CharField(
        max_length=20, blank=True, help_text=_("The group-buy team a team link opens (shop.GroupTeam code)."))
    blocked_at = models.DateTimeField(
        null=True, blank=True, editable=False,
        help_text=_("When staff blocked this reader's share (readers.ShareBlock has the reason); a blocked link stays "
                    "inactive."))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["sharer_id", "kind"], name="tracked_link_sharer_idx")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="creator") & Q(sharer_id__isnull=True)) | (Q(kind="reader_share") & Q(sharer_id__isnull=False)),
                name="tracked_link_sharer_matches_kind",
            ),
            models.CheckConstraint(
                condition=~Q(target_kind="product") | Q(product__isnull=False), name="tracked_link_product_target"
            ),
            models.CheckConstraint(
                condition=~Q(target_kind="page") | Q(page__isnull=False), name="tracked_link_page_target"
            ),
            models.CheckConstraint(
                condition=~Q(target_kind="team") | (~Q(team_code="") & Q(kind="reader_share")),
                name="tracked_link_team_target",
            ),
            models.CheckConstraint(condition=Q(code__regex=r"^[A-Za-z0-9_-]{4,32}$"), name="tracked_link_code_format"),
            models.CheckConstraint(condition=Q(blocked_at__isnull=True) | Q(active=False),
                                   name="tracked_link_blocked_is_inactive"),
        ]

    def __str__(self) -> str:
        return f"/r/{self.code}/"

    def get_absolute_url(self) -> str:
        return f"/r/{self.code}/"


class Click(models.Model):
    """One counted visit of a tracked link. Bots are never stored; repeats within a rolling hour collapse.

    On PostgreSQL the table is partitioned by month of ``clicked_at`` (``operations.partitions``): its key
    there is ``(id, clicked_at)``, so other tables refer to a click by plain id, never a database foreign key."""

    link = models.ForeignKey(TrackedLink, on_delete=models.PROTECT, related_name="clicks")
    creator = models.ForeignKey("creators.CreatorProfile", on_delete=models.PROTECT, related_name="clicks")
    page_id = models.BigIntegerField(null=True, blank=True)
    block_id = models.CharField(max_length=64, blank=True)
    product_id = models.BigIntegerField(null=True, blank=True)
    clicked_at = models.DateTimeField()
    visitor_hash = models.CharField(max_length=64)
    referrer = models.CharField(max_length=500, blank=True)
    ua_class = models.CharField(max_length=10, choices=UserAgentClass)

    partitioned_by_month = "clicked_at"  # on PostgreSQL (creators 0012_partition); operations.checks

    class Meta:
        ordering = ["-clicked_at", "-pk"]
        indexes = [
            models.Index(fields=["link", "visitor_hash", "clicked_at"], name="click_link_visitor_idx"),
            models.Index(fields=["creator", "page_id", "block_id"], name="click_creator_page_block_idx"),
            models.Index(fields=["clicked_at"], name="click_clicked_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.link_id} at {self.clicked_at:%Y-%m-%d %H:%M}"


class ClickAlias(models.Model):
    """A reserved click id (already in a redirect's token) that was not counted itself, written while the
    click queue's Redis was unreachable: the visit's counted click stands for it, or nothing (``counted_id``
    None: its client was over the click limit). With Redis up the queue keeps these in Redis instead."""

    reserved_id = models.BigIntegerField(primary_key=True)
    counted_id = models.BigIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.reserved_id} -> {self.counted_id}"


class ClickLimitUse(models.Model):
    """Clicks a client followed in one period of its click limit, counted here only while Redis (where the
    click queue counts them) is unreachable. ``client`` is a keyed hash, never an address; rows of past
    periods are deleted whenever a period's first row is written."""

    client = models.CharField(max_length=64)
    period_seconds = models.PositiveIntegerField()
    period = models.BigIntegerField()  # the period's number: epoch seconds // period_seconds
    used = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "period_seconds", "period"],
                                               name="click_limit_use_unique")]

    def __str__(self) -> str:
        return f"{self.client[:8]}: {self.used} in period {self.period}"
