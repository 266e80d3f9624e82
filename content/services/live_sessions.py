"""Which live sessions readers see where: upcoming (or on air now) and ended ones with their replays."""

from datetime import datetime

from django.utils import timezone
from wagtail.query import PageQuerySet


def _published_sessions() -> PageQuerySet:
    from content.models import LiveSessionPage  # content.models builds the home page from these

    return LiveSessionPage.objects.live().public()


def upcoming_live_sessions(*, now: datetime | None = None, limit: int = 6) -> list:
    """Sessions still to come or on air now (not yet ended), soonest first."""
    now = now or timezone.now()
    return list(_published_sessions().filter(ends_at__gt=now).order_by("starts_at", "pk")[:limit])


def recent_live_sessions(*, now: datetime | None = None, limit: int = 6) -> list:
    """Sessions that have ended, most recently ended first, with their replay video."""
    now = now or timezone.now()
    return list(_published_sessions().filter(ends_at__lte=now).select_related("replay")
                .order_by("-ends_at", "-pk")[:limit])
