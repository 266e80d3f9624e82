"""Recording page views: from the reader site as pages are served, and from headless front ends
through the events API.

A view counts once: an event id once per page (a retry sends the same id; two pages may use the
same id), and one visitor once per page within a rolling hour of their counted view.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from creators.models import PageView
from creators.services.links import DEDUPLICATION_WINDOW, is_bot
from shop.services.client_identity import visitor_key
from shop.services.locks import lock_for_transaction


@dataclass(frozen=True)
class RecordedView:
    view: PageView
    created: bool


def record_page_view(
    *, page_id: int, creator_id: int | None, event_id: str | None = None, ip: str = "", user_agent: str = "",
    viewed_at: datetime | None = None,
) -> RecordedView | None:
    """Store one view (None for bots), or return the view it repeats. Never stores the raw IP."""
    if is_bot(user_agent):
        return None
    viewed_at = viewed_at or timezone.now()
    event_id = event_id or uuid.uuid4().hex
    visitor = visitor_key(ip=ip, user_agent=user_agent, now=viewed_at) if ip else None
    repeat = Q(event_id=event_id)
    if visitor is not None:
        # an hour either side, like clicks: a simultaneous view may have read the clock a moment earlier
        repeat |= Q(visitor_hash__in=visitor.candidates, viewed_at__gt=viewed_at - DEDUPLICATION_WINDOW,
                    viewed_at__lt=viewed_at + DEDUPLICATION_WINDOW)
    with transaction.atomic():
        # the event id first: on PostgreSQL the (page, event id) constraint includes viewed_at (page views are
        # partitioned by month), so this lock and the query below keep an event id to one view per page
        locks = [f"kolshop-view-event:{page_id}:{event_id}"]
        if visitor is not None:
            locks.append(f"kolshop-view:{page_id}:{visitor.lock_name}")
        lock_for_transaction(*locks)
        earlier = PageView.objects.filter(repeat, page_id=page_id).order_by("-viewed_at", "-pk").first()
        if earlier is not None:
            return RecordedView(earlier, created=False)
        view = PageView(event_id=event_id, page_id=page_id, creator_id=creator_id, viewed_at=viewed_at,
                        visitor_hash=visitor.current if visitor else "")
        try:
            with transaction.atomic():
                view.save()
        except IntegrityError:  # another visitor's event with this id on this page was stored first
            return RecordedView(PageView.objects.get(page_id=page_id, event_id=event_id), created=False)
    return RecordedView(view, created=True)
