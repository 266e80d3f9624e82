"""The content API's ``live`` field on a LiveSessionPage: where to follow it, and its replay chapters."""

from django.urls import reverse
from rest_framework.fields import Field

from content.live.models import LiveSession, LiveStatus, ReplayChapter
from shop.attribution import Attribution, buy_path


def replay_chapters(page) -> list[ReplayChapter]:
    """Chapters readers see: once the replay is ready (before that only the creator's console shows them)."""
    return list(ReplayChapter.objects.filter(session__page_id=page.pk, session__status=LiveStatus.REPLAY_READY)
                .select_related("product", "variant").order_by("start_seconds", "pk"))


def chapter_representation(page, chapter: ReplayChapter) -> dict:
    sku = chapter.variant.sku if chapter.variant_id else None
    return {
        "id": chapter.pk, "title": chapter.title, "product_id": chapter.product_id, "sku": sku,
        "start_seconds": chapter.start_seconds, "end_seconds": chapter.end_seconds,
        "buy_url": buy_path(sku, Attribution(page.creator_id, page.pk, None, None)) if sku else None,
    }


def live_links(page) -> dict:
    return {
        "state_url": reverse("live:state", args=[page.pk]),
        "events_url": reverse("live:events", args=[page.pk]),
        "heartbeat_url": reverse("live:heartbeat", args=[page.pk]),
    }


class LiveSessionField(Field):
    """{"status", "state_url", "events_url", "heartbeat_url", "chapters": [...]}"""

    def __init__(self, **kwargs):
        kwargs.setdefault("source", "*")
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, page):
        status = LiveSession.objects.filter(page_id=page.pk).values_list("status", flat=True).first()
        return {
            "status": status or LiveStatus.SCHEDULED, **live_links(page),
            "chapters": [chapter_representation(page, chapter) for chapter in replay_chapters(page)],
        }
