"""Live shopping state beside a LiveSessionPage: its lifecycle, the pin log, its flash deals, replay chapters.

Kept out of the page itself on purpose: page fields are versioned by Wagtail revisions, so
publishing (or reverting to) an older revision would rewind a session that already went live.
These rows change only through ``content.live.services``.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class LiveStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    LIVE = "live", _("Live")
    ENDED = "ended", _("Ended")
    REPLAY_READY = "replay_ready", _("Replay ready")
    CANCELLED = "cancelled", _("Cancelled")


class LiveSession(models.Model):
    page = models.OneToOneField("content.LiveSessionPage", on_delete=models.CASCADE, related_name="live_state")
    status = models.CharField(max_length=16, choices=LiveStatus, default=LiveStatus.SCHEDULED)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    replay_ready_at = models.DateTimeField(null=True, blank=True)
    # Raised by every change readers see (status, pins, deals): clients compare it, SSE events carry it.
    version = models.PositiveBigIntegerField(default=1)
    # Written once by ``end_session`` from the heartbeats (``content.live.viewers``); empty before the end.
    peak_viewers = models.PositiveIntegerField(null=True, blank=True)
    unique_viewers = models.PositiveIntegerField(null=True, blank=True)

    wagtail_reference_index_ignore = True

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(status__in=LiveStatus.values), name="live_session_status_known"),
            models.CheckConstraint(
                condition=Q(status=LiveStatus.SCHEDULED) | Q(status=LiveStatus.CANCELLED) | Q(started_at__isnull=False),
                name="live_session_started_when_on_air",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[LiveStatus.ENDED, LiveStatus.REPLAY_READY])
                | Q(ended_at__isnull=False, ended_at__gte=F("started_at")),
                name="live_session_ended_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.page_id}: {self.status}"


class LivePin(models.Model):
    """One product shown on air. Rows are never deleted or rewritten; an unpin only closes the row once."""

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="pins")
    product = models.ForeignKey("shop.Product", on_delete=models.PROTECT, related_name="+")
    variant = models.ForeignKey("shop.Variant", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    pinned_at = models.DateTimeField()
    offset_seconds = models.PositiveIntegerField(help_text=_("Seconds from the session's start."))
    unpinned_at = models.DateTimeField(null=True, blank=True)
    unpinned_offset_seconds = models.PositiveIntegerField(null=True, blank=True)

    wagtail_reference_index_ignore = True

    class Meta:
        ordering = ["pinned_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["session"], condition=Q(unpinned_at__isnull=True),
                                    name="live_pin_one_open_per_session"),
            models.CheckConstraint(condition=Q(unpinned_at__isnull=True) | Q(unpinned_at__gte=F("pinned_at")),
                                   name="live_pin_unpinned_after_pinned"),
        ]

    def __str__(self) -> str:
        return f"pin {self.product_id} at +{self.offset_seconds}s"


class LiveFlashDeal(models.Model):
    """A flash promotion (``shop.Promotion`` kind ``flash``) started during a session."""

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="flash_deals")
    promotion = models.OneToOneField("shop.Promotion", on_delete=models.PROTECT, related_name="live_flash_deal")
    offset_seconds = models.PositiveIntegerField(help_text=_("Seconds from the session's start."))

    wagtail_reference_index_ignore = True

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"flash deal {self.promotion_id}"


class ReplayChapter(models.Model):
    """A stretch of the replay about one product; made from the pin log at the end, editable by the creator."""

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="chapters")
    product = models.ForeignKey("shop.Product", on_delete=models.PROTECT, related_name="+")
    variant = models.ForeignKey("shop.Variant", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=120)
    start_seconds = models.PositiveIntegerField()
    end_seconds = models.PositiveIntegerField()
    pin = models.OneToOneField(LivePin, null=True, blank=True, on_delete=models.SET_NULL, related_name="chapter")

    wagtail_reference_index_ignore = True

    class Meta:
        ordering = ["start_seconds", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(end_seconds__gt=F("start_seconds")), name="replay_chapter_has_length"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.start_seconds}–{self.end_seconds}s)"


class LiveProducer(models.Model):
    """Someone the session's creator named to run its console on air: go live, pin, start and end deals, end.

    Not an editor of the page, its chapters or its producers, and not shown its money
    (``content.live.permissions``). One row per person per session; removing it ends the role.
    """

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="producers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    assigned_at = models.DateTimeField(auto_now_add=True)

    wagtail_reference_index_ignore = True

    class Meta:
        ordering = ["assigned_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="live_producer_once_per_session"),
        ]

    def __str__(self) -> str:
        return f"producer {self.user_id} of {self.session_id}"
