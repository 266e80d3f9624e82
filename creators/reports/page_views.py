"""Recording page views: from the reader site as pages are served, and from headless front ends
through the events API. Each event has an id; the same id ingested twice counts once."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from creators.models import PageView
from creators.services.links import is_bot, visitor_hash


@dataclass(frozen=True)
class RecordedView:
    view: PageView
    created: bool


def record_page_view(
    *, page_id: int, creator_id: int | None, event_id: str | None = None, ip: str = "", user_agent: str = "",
    viewed_at: datetime | None = None,
) -> RecordedView | None:
    """Store one view (None for bots). Never stores the raw IP: only a daily keyed hash of it."""
    if is_bot(user_agent):
        return None
    viewed_at = viewed_at or timezone.now()
    view = PageView(
        event_id=event_id or uuid.uuid4().hex, page_id=page_id, creator_id=creator_id, viewed_at=viewed_at,
        visitor_hash=visitor_hash(ip=ip, user_agent=user_agent, day=viewed_at.date().isoformat()) if ip else "",
    )
    try:
        with transaction.atomic():
            view.save()
    except IntegrityError:
        return RecordedView(PageView.objects.get(event_id=view.event_id), created=False)
    return RecordedView(view, created=True)
