"""Tracked links: make short codes, count a click once per visitor in a rolling hour, find where it leads.

Privacy: the reader's IP address is never stored, only ``shop.services.client_identity.visitor_key``
(a keyed hash of address and browser that changes every day). Referrers keep only scheme, host and
path (a query string may carry someone's data).
"""

import hashlib
import hmac
import logging
import re
import secrets
import string
import threading
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import redis

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from wagtail.models import Page

from creators.models import (
    Click,
    ClickAlias,
    ClickLimitUse,
    CreatorPage,
    CreatorProfile,
    LinkKind,
    LinkTarget,
    TrackedLink,
    UserAgentClass,
)
from creators.services import click_buffer, click_ids, click_queue, click_spool
from creators.services.link_routes import LinkRoute, route_destination, route_of
from shop.models import Product
from shop.rate_limits import rate_of
from shop.services.client_identity import VisitorKey, client_key, client_subnet, visitor_key
from shop.services.locks import lock_for_transaction

logger = logging.getLogger(__name__)

_BOT_WORDS = (
    r"bot|crawl|spider|slurp|preview|fetch|monitor|scan|curl|wget|python|java/|go-http|okhttp|headless|"
    r"facebookexternalhit|whatsapp|telegram|discord|slack|embedly|lighthouse|pingdom"
)
_BOT_PATTERN = re.compile(_BOT_WORDS, re.IGNORECASE)
# The same words, case-sensitive, for an ASCII user agent lowercased first (the same matches): about 13x faster
# than ``re.IGNORECASE``, which tries every word at every position with case folding (34 µs a follow).
_LOWER_BOT_PATTERN = re.compile(_BOT_WORDS)
_CODE_ALPHABET = string.ascii_letters + string.digits


def is_bot(user_agent: str) -> bool:
    """Crawlers and link unfurlers (and clients sending no user agent at all) are not readers."""
    if not user_agent.strip():
        return True
    if user_agent.isascii():
        return _LOWER_BOT_PATTERN.search(user_agent.lower()) is not None
    return _BOT_PATTERN.search(user_agent) is not None


def user_agent_class(user_agent: str) -> str:
    ua = user_agent.lower()
    if "ipad" in ua or "tablet" in ua:
        return UserAgentClass.TABLET
    if "mobi" in ua or "iphone" in ua or "android" in ua:
        return UserAgentClass.MOBILE
    if any(name in ua for name in ("windows", "macintosh", "x11", "linux", "cros")):
        return UserAgentClass.DESKTOP
    return UserAgentClass.OTHER


def clean_referrer(referrer: str) -> str:
    try:
        parts = urlsplit(referrer.strip())
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}{parts.path}"[:500]


def new_link_code(length: int = 8) -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(length))


def storefront_pages(creator: CreatorProfile):
    """The creator's storefront and every page beneath it (what their links may open or name)."""
    storefront = CreatorPage.objects.filter(creator=creator).first()
    if storefront is None:
        return Page.objects.none()
    return Page.objects.filter(path__startswith=storefront.path, depth__gte=storefront.depth)


def check_link_target(creator: CreatorProfile, *, target_kind: str, product: Product | None, page) -> None:
    """What a link may point at: a page link (and a product link's page) lies in the creator's own storefront."""
    if target_kind == LinkTarget.PAGE and page is None:
        raise ValidationError({"page": "A page link needs a page."})
    if target_kind == LinkTarget.PRODUCT and product is None:
        raise ValidationError({"product": "A product link needs a product."})
    if page is not None and not storefront_pages(creator).filter(pk=page.pk).exists():
        raise ValidationError({"page": "Link only to pages in your own storefront."})


def create_tracked_link(creator: CreatorProfile, *, target_kind: str, product: Product | None = None,
                        page=None, block_id: str = "", label: str = "", code: str | None = None,
                        sharer_id: int | None = None, team_code: str = "") -> TrackedLink:
    """A new short link; a page link must point into the creator's own storefront. With ``sharer_id``
    it is that reader's share of the creator's guide, product or group-buy team (``LinkKind.READER_SHARE``)."""
    check_link_target(creator, target_kind=target_kind, product=product, page=page)
    kind = LinkKind.CREATOR if sharer_id is None else LinkKind.READER_SHARE
    link = TrackedLink(code=code or new_link_code(), creator=creator, target_kind=target_kind, product=product,
                       page=page, block_id=block_id, label=label, kind=kind, sharer_id=sharer_id, team_code=team_code)
    link.full_clean()
    link.save()
    return link


# A visitor's repeat within this long of their counted click or view is the same visit (a rolling window).
DEDUPLICATION_WINDOW = timedelta(hours=1)


def recent_click(link: TrackedLink, visitor: VisitorKey, *, now: datetime) -> Click | None:
    """The visitor's click on ``link`` counted within an hour of ``now``, if any.

    Within an hour either side: a simultaneous click that read the clock a moment earlier (or on a
    server whose clock is a little behind) must still find the click counted just "after" it.
    """
    return _recent_click(link.pk, visitor.candidates, now=now)


def _recent_click(link_id: int, candidates: tuple[str, str], *, now: datetime) -> Click | None:
    return (
        Click.objects.filter(link_id=link_id, visitor_hash__in=candidates,
                             clicked_at__gt=now - DEDUPLICATION_WINDOW, clicked_at__lt=now + DEDUPLICATION_WINDOW)
        .order_by("-clicked_at")
        .first()
    )


def record_click(link: TrackedLink, *, ip: str, user_agent: str, referrer: str = "",
                 now: datetime | None = None) -> Click | None:
    """The click counted for this visit, or None for bots. With Redis (``click_queue``) the click is
    queued and the returned Click is not in the database yet; only its id is meant to be used.

    A visitor's repeat clicks on one link within 60 minutes of the counted click count once: a
    rolling hour, with no reset at the top of the hour or at midnight. The visitor's lock makes
    simultaneous first clicks wait for each other, so only the first is counted.
    """
    if is_bot(user_agent):
        return None
    now = now or timezone.now()
    visitor = visitor_key(ip=ip, user_agent=user_agent, now=now)
    fields = _click_fields(link.pk, link.creator_id, link.page_id, link.block_id, link.product_id, now=now,
                           visitor=visitor, user_agent=user_agent, referrer=referrer)
    if click_queue.queue_enabled():
        try:
            click_id = click_queue.queue_click(fields, visitor_candidates=visitor.candidates,
                                               window_seconds=int(DEDUPLICATION_WINDOW.total_seconds()))
        except click_queue.QueueUnavailable:
            logger.warning("click queue unavailable: click written inline")
        except click_queue.OutcomeUnknown as unknown:  # Redis may have counted it: spooled for Redis, not inline
            _spool_unanswered(unknown.click)
            return Click(pk=unknown.click.click_id, **fields)
        else:
            return Click(pk=click_id, **fields)  # written by the drainer (or by attribution, if sooner)
    return _write_click(fields, candidates=visitor.candidates, lock_name=visitor.lock_name)


def _spool_unanswered(click: click_queue.QueuedClick) -> None:
    """A click Redis may have counted, to the spool (``click_spool``: resent to Redis only). If the spool can't
    take it either, it is logged as an error and left to Redis: written inline it could count twice."""
    try:
        click_spool.spool_clicks([click])
    except (OSError, RuntimeError):
        logger.exception("click %s: no answer from the click queue and no spool; left to what Redis counted",
                         click.click_id)


def count_followed_click(route: LinkRoute, *, ip: str, user_agent: str, referrer: str = "") -> int | None:
    """``/r/``: the id of the click counted for this follow (``record_click``'s rules), None for bots.

    With the click buffer (``click_buffer``) the click is counted a few milliseconds later, with the
    client's click limit (``click_limit_counted_later``), and the follow makes no round trip and no
    model instance; otherwise as ``record_click``."""
    if not click_buffer.buffering_enabled():
        click = record_click(route.as_link(), ip=ip, user_agent=user_agent, referrer=referrer)
        return click.pk if click else None
    if is_bot(user_agent):
        return None
    now = timezone.now()
    visitor = visitor_key(ip=ip, user_agent=user_agent, now=now)
    fields = _click_fields(route.link_id, route.creator_id, route.page_id, route.block_id, route.product_id,
                           now=now, visitor=visitor, user_agent=user_agent, referrer=referrer)
    try:
        click_id = click_ids.reserve_click_id()
    except redis.RedisError:  # ids come from Redis off PostgreSQL
        logger.warning("click queue unavailable: click written inline")
        click_id = None
    queued = click_queue.QueuedClick.of(
        fields, click_id=click_id or 0, visitor_candidates=visitor.candidates,
        window_seconds=int(DEDUPLICATION_WINDOW.total_seconds()), client=client_subnet(ip), limit=rate_of("click"),
        lock_name=visitor.lock_name)
    counted = _buffer().add(queued) if click_id else _count_inline(queued)
    return counted or None  # 0: over the client's click limit, not counted


def _click_fields(link_id: int, creator_id: int, page_id: int | None, block_id: str, product_id: int | None, *,
                  now: datetime, visitor: VisitorKey, user_agent: str, referrer: str) -> dict:
    """A click's columns (the link's ids, the visitor's hash, a clean referrer, the device class)."""
    return {"link_id": link_id, "creator_id": creator_id, "page_id": page_id, "block_id": block_id,
            "product_id": product_id, "clicked_at": now, "visitor_hash": visitor.current,
            "referrer": clean_referrer(referrer), "ua_class": user_agent_class(user_agent)}


def click_limit_counted_later() -> bool:
    """Whether ``/r/`` leaves the client's click limit to the click buffer (counted in Redis with the
    click) instead of counting it in the request."""
    return click_buffer.buffering_enabled()


def _write_click(fields: dict, *, candidates: tuple[str, str], lock_name: str, click_id: int | None = None) -> Click:
    """Write the click now unless the visitor's click on the link within the hour is in already."""
    now = fields["clicked_at"]
    with transaction.atomic():
        lock_for_transaction(f"kolshop-click:{fields['link_id']}:{lock_name}")
        counted = _recent_click(fields["link_id"], candidates, now=now)
        if counted is not None:
            return counted
        return Click.objects.create(pk=click_id, **fields)


def _write_buffered_inline(clicks: list[click_queue.QueuedClick]) -> list[int]:
    """The click buffer's fallback while Redis is unreachable: the queue's counting script, in the database.
    Per click, as ``click_queue.count_clicks``: the id counted for its visit (its own, the visitor's earlier
    click's) or 0 over the client's click limit."""
    return [_count_inline(queued) for queued in clicks]


def _count_inline(queued: click_queue.QueuedClick) -> int:
    """Count one click in the database: the client's click limit spent (``ClickLimitUse``), a repeat of the
    visit not written. A reserved id (already in a redirect's token) not counted itself is left as a
    ``ClickAlias`` that attribution follows (``click_buffer.resolve_clicks``). Counting a click again (its
    row or alias in) changes nothing, not even the limit. ``click_id`` 0: none reserved, the row takes a new id."""
    fields = queued.fields()
    with transaction.atomic():
        lock_for_transaction(f"kolshop-click:{queued.link_id}:{queued.lock_name}")
        if queued.click_id:
            if Click.objects.filter(pk=queued.click_id).exists():
                return queued.click_id
            alias = ClickAlias.objects.filter(pk=queued.click_id).first()
            if alias is not None:
                return alias.counted_id or 0
        counted = 0
        if not (queued.client and queued.limit) or _spend_click_limit(queued.client, queued.limit,
                                                                      at=fields["clicked_at"]):
            click = _recent_click(queued.link_id, queued.visitor_candidates, now=fields["clicked_at"])
            if click is None:
                return Click.objects.create(pk=queued.click_id or None, **fields).pk
            counted = click.pk
        if queued.click_id:
            ClickAlias.objects.create(reserved_id=queued.click_id, counted_id=counted or None)
        return counted


def _spend_click_limit(client: str, limit: tuple[int, int], *, at: datetime) -> bool:
    """Count one click against ``client``'s limit of ``limit`` (clicks, per seconds) in the database, as the
    queue's script does in Redis (the same periods); whether it is within the limit. Call in a transaction."""
    count, seconds = limit
    period = int(at.timestamp() // seconds)
    key = {"client": client_key(ip=client, now=at).lock_name, "period_seconds": seconds}
    use = ClickLimitUse.objects.filter(**key)
    if not use.filter(period=period).update(used=F("used") + 1):
        ClickLimitUse.objects.filter(period_seconds=seconds, period__lt=period).delete()  # every client's past
        try:
            with transaction.atomic():
                ClickLimitUse.objects.create(**key, period=period, used=1)
        except IntegrityError:  # another process started the period first
            use.filter(period=period).update(used=F("used") + 1)
    return use.filter(period=period).values_list("used", flat=True).get() <= count


def _buffer() -> click_buffer.ClickBuffer:
    return click_buffer.click_buffer(write_inline=_write_buffered_inline)


def replay_spooled_clicks() -> int:
    """Hand on the click batches spooled on this machine during a Redis and database outage (``click_spool``):
    into the queue, else inline. App processes do it themselves once a send succeeds; this is for an operator
    (``manage.py replay_click_spool``) after a machine restart. Returns the clicks handed on."""
    return click_spool.replay_spooled_clicks(hand_on=_buffer().hand_on)


def start_spool_replayer() -> threading.Event | None:
    """Every app process replays its machine's click spool in a thread of its own (``click_spool.start_replayer``);
    called when the process starts (``settings.asgi``, ``settings.wsgi``)."""
    return click_spool.start_replayer(hand_on=lambda clicks: _buffer().hand_on(clicks))


BUY_BUTTON_CODE_PREFIX = "buy-"  # codes of the links made for buy buttons, never typed by a creator


def is_buy_button_code(code: str) -> bool:
    """Whether a code is (or would pass for) one made by ``buy_button_link``: creators may not pick such a code."""
    return code.lower().startswith(BUY_BUTTON_CODE_PREFIX)


def shared_links(links):
    """The links made to be shared (by a creator or staff): a buy button's own link stands for a block,
    already named and counted in "My earnings", and would bury them in the link list."""
    return links.exclude(code__istartswith=BUY_BUTTON_CODE_PREFIX)


def buy_button_link(*, creator_id: int, product_id: int, page_id: int | None, block_id: str) -> TrackedLink | None:
    """The tracked link that stands for one buy button (creator, product, page, block), made on first use.

    Its code is an HMAC of those ids, so the same button always finds the same link (and two first
    clicks at once can't make two). None when the creator is gone; a deleted page is left out.
    """
    message = f"kolshop.buy-button.v1|{creator_id}|{product_id}|{page_id or ''}|{block_id}".encode()
    code = BUY_BUTTON_CODE_PREFIX + hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()[:28]
    link = TrackedLink.objects.filter(code=code).first()
    if link is not None:
        return link
    if not CreatorProfile.objects.filter(pk=creator_id).exists():
        return None
    page_id = page_id if page_id is not None and Page.objects.filter(pk=page_id).exists() else None
    link, _ = TrackedLink.objects.get_or_create(code=code, defaults={
        "creator_id": creator_id, "target_kind": LinkTarget.PRODUCT, "product_id": product_id, "page_id": page_id,
        "block_id": block_id[:64], "label": "Buy button",
    })
    return link


def record_buy_link_click(*, creator_id: int, page_id: int | None, block_id: str, product_id: int, ip: str,
                          user_agent: str, referrer: str = "", now: datetime | None = None) -> Click | None:
    """A reader followed a buy button: count the click as for its tracked link (bots and repeats alike)."""
    if is_bot(user_agent):
        return None  # no link made for a crawler either
    link = buy_button_link(creator_id=creator_id, product_id=product_id, page_id=page_id, block_id=block_id)
    if link is None:
        return None
    return record_click(link, ip=ip, user_agent=user_agent, referrer=referrer, now=now)


def link_destination(link: TrackedLink, click: Click | None) -> str | None:
    """Where the link leads, carrying a signed attribution token (with the click id when counted)."""
    return route_destination(route_of(link), click_id=click.pk if click else None)


def with_link_figures(links):
    """Each link annotated with ``click_count`` (its counted clicks) and ``order_count`` (the counted orders its
    clicks led to, each once: ``creators.reports.figures``' definition); three subqueries, any number of links.

    Clicks of days whose raw rows retention deleted are read from ``LinkDayClicks`` (kept just before the
    delete); raw clicks count only after the link's last kept day, so the figure is the same before and
    after a purge."""
    from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery, Sum, Value
    from django.db.models.functions import Coalesce

    from creators.models import LinkDayClicks, OrderLineAttribution
    from creators.reports import figures
    from shop.models import Order

    kept_day = LinkDayClicks.objects.filter(link_id=OuterRef("link_id"), day__gte=OuterRef("day"))
    clicks = (Click.objects.filter(link=OuterRef("pk")).annotate(day=figures.report_day("clicked_at"))
              .exclude(Exists(kept_day)).order_by().values("link").annotate(n=Count("pk")).values("n"))
    kept = (LinkDayClicks.objects.filter(link_id=OuterRef("pk")).order_by().values("link_id")
            .annotate(n=Sum("clicks")).values("n"))
    counted = Order.objects.filter(figures.counted_orders()).values("pk")
    orders = (OrderLineAttribution.objects.filter(click__link=OuterRef("pk"), order_id__in=counted).order_by()
              .values("click__link").annotate(n=figures.distinct_orders()).values("n"))
    return links.annotate(
        click_count=Coalesce(Subquery(clicks, output_field=IntegerField()), Value(0))
        + Coalesce(Subquery(kept, output_field=IntegerField()), Value(0)),
        order_count=Coalesce(Subquery(orders, output_field=IntegerField()), Value(0)),
    )
