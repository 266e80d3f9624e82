"""The live loop's rules: a session's lifecycle, pins, flash deals and replay chapters.

Every change goes through one of these functions: the session row is locked, the change and its
time are written, the session's ``version`` is raised, and after the commit the cached live state
is dropped and subscribers (SSE streams in any process) are told the new version.

Lifecycle: ``scheduled → live → ended → replay_ready``, or ``scheduled → cancelled``. Asking for the
state a session is already in (ending it twice) changes nothing and returns it; any other move
from the wrong state is a ``Conflict`` (``session_not_live``, ``session_not_scheduled``, ...).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from content.live.models import LiveFlashDeal, LivePin, LiveSession, LiveStatus, ReplayChapter
from content.live.changes import raise_versions, status_changed
from content.live.viewers import viewer_figures
from content.services.catalog import StreamReferences, collect_references, product_ids_of_promotions
from shop.errors import Conflict, InvalidInput, NotFound
from shop.models import Product, ProductStatus, Promotion, PromotionKind, Variant
from shop.models.promotions import FLASH_MAX_WINDOW, FLASH_MIN_WINDOW

MAX_COUNTDOWN = timedelta(minutes=10)


def session_of(page) -> LiveSession:
    """The live state of a LiveSessionPage (made on first use: a page starts out scheduled)."""
    session, _ = LiveSession.objects.get_or_create(page_id=page.pk)
    return session


def _locked(page) -> LiveSession:
    session_of(page)
    return LiveSession.objects.select_for_update().get(page_id=page.pk)


def _offset(session: LiveSession, now: datetime) -> int:
    return max(int((now - session.started_at).total_seconds()), 0)


def _changed(session: LiveSession, **fields) -> LiveSession:
    """Write ``fields`` and raise the version (``content.live.changes``: readers are told after the commit)."""
    for name, value in fields.items():
        setattr(session, name, value)
    if fields:
        LiveSession.objects.filter(pk=session.pk).update(**fields)
    if "status" in fields:
        status_changed(fields["status"])
    session.version = raise_versions([session.pk])[session.page_id]
    return session


def _require(session: LiveSession, status: str, code: str, message: str) -> None:
    if session.status != status:
        raise Conflict(message, code=code, field="status")


@transaction.atomic
def start_session(page, *, now: datetime | None = None) -> LiveSession:
    """Go on air. Starting a live session again is a no-op."""
    session = _locked(page)
    if session.status == LiveStatus.LIVE:
        return session
    _require(session, LiveStatus.SCHEDULED, "session_not_scheduled", "Only a scheduled session can go live.")
    return _changed(session, status=LiveStatus.LIVE, started_at=now or timezone.now())


@transaction.atomic
def end_session(page, *, now: datetime | None = None) -> LiveSession:
    """Go off air: close the open pin, end every deal still running or counting down (its price stops at
    once, as when the host ends it), keep the peak and unique viewer counts, make replay chapters from the
    pin log. Ending twice is a no-op."""
    session = _locked(page)
    if session.status in (LiveStatus.ENDED, LiveStatus.REPLAY_READY):
        return session
    _require(session, LiveStatus.LIVE, "session_not_live", "Only a live session can end.")
    now = now or timezone.now()
    _close_open_pin(session, now)
    for promotion in Promotion.objects.select_for_update().filter(live_flash_deal__session=session, ends_at__gt=now) \
            .order_by("pk"):
        _stop_deal(promotion, now)
    viewers = viewer_figures(page.pk, since=session.started_at, until=now)
    session = _changed(session, status=LiveStatus.ENDED, ended_at=now, peak_viewers=viewers.peak,
                       unique_viewers=viewers.unique)
    chapters_from_pins(session)
    return session


@transaction.atomic
def cancel_session(page, *, now: datetime | None = None) -> LiveSession:
    """Call a scheduled session off. Cancelling twice is a no-op; a session that went live can't be cancelled."""
    session = _locked(page)
    if session.status == LiveStatus.CANCELLED:
        return session
    _require(session, LiveStatus.SCHEDULED, "session_not_scheduled", "Only a scheduled session can be cancelled.")
    return _changed(session, status=LiveStatus.CANCELLED, cancelled_at=now or timezone.now())


@transaction.atomic
def mark_replay_ready(page, *, now: datetime | None = None) -> LiveSession:
    """The recording is up (the page's replay video): readers get the replay with its chapters."""
    session = _locked(page)
    if session.status == LiveStatus.REPLAY_READY:
        return session
    _require(session, LiveStatus.ENDED, "session_not_ended", "Only an ended session can get its replay.")
    return _changed(session, status=LiveStatus.REPLAY_READY, replay_ready_at=now or timezone.now())


def line_up(page) -> list[Product]:
    """The products the session's page features (its shoppable blocks), in page order: what may be pinned."""
    references = collect_references(page.body.stream_block, list(page.body.raw_data), StreamReferences())
    product_ids = references.product_ids | product_ids_of_promotions(references.promotion_ids)
    products = Product.objects.filter(
        Q(pk__in=product_ids) | Q(variants__pk__in=references.variant_ids)).distinct().in_bulk()
    return sorted(products.values(), key=lambda product: (product.title, product.pk))


def _close_open_pin(session: LiveSession, now: datetime) -> LivePin | None:
    pin = session.pins.filter(unpinned_at__isnull=True).first()
    if pin is not None:
        pin.unpinned_at = max(now, pin.pinned_at)
        pin.unpinned_offset_seconds = max(_offset(session, now), pin.offset_seconds)
        pin.save(update_fields=["unpinned_at", "unpinned_offset_seconds"])
    return pin


def _pinnable(page, product_id: int, variant_id: int | None) -> tuple[Product, Variant | None]:
    product = next((product for product in line_up(page) if product.pk == product_id), None)
    if product is None:
        raise InvalidInput("Pin a product from this session's line-up.", code="not_in_line_up", field="product")
    if product.status != ProductStatus.ACTIVE:
        raise Conflict(f"“{product.title}” is no longer sold.", code="unavailable", field="product")
    variant = None
    if variant_id is not None:
        variant = Variant.objects.filter(pk=variant_id, product=product).first()
        if variant is None:
            raise InvalidInput("That variant is not one of the product's.", code="invalid_variant", field="variant")
    return product, variant


@transaction.atomic
def pin_product(page, *, product_id: int, variant_id: int | None = None, now: datetime | None = None) -> LivePin:
    """Show a product on air; the pin before it closes. Only while live (``session_not_live`` otherwise)."""
    session = _locked(page)
    _require(session, LiveStatus.LIVE, "session_not_live", "Pin products while the session is live.")
    product, variant = _pinnable(page, product_id, variant_id)
    now = now or timezone.now()
    _close_open_pin(session, now)
    try:
        with transaction.atomic():
            pin = LivePin.objects.create(session=session, product=product, variant=variant, pinned_at=now,
                                         offset_seconds=_offset(session, now))
    except IntegrityError as error:  # the database's one-open-pin rule; the session lock makes this rare
        raise Conflict("Another pin was made at the same moment.", code="pin_conflict") from error
    _changed(session)
    return pin


@transaction.atomic
def unpin_product(page, *, now: datetime | None = None) -> LivePin | None:
    """Take the pinned product off screen (nothing pinned: no-op)."""
    session = _locked(page)
    _require(session, LiveStatus.LIVE, "session_not_live", "Unpin products while the session is live.")
    pin = _close_open_pin(session, now or timezone.now())
    if pin is not None:
        _changed(session)
    return pin


@dataclass(frozen=True)
class FlashDealRequest:
    variant_id: int
    price: Decimal
    unit_cap: int
    per_buyer_limit: int
    duration: timedelta
    countdown: timedelta = timedelta(0)


def _validated_flash_deal(page, request: FlashDealRequest, now: datetime) -> Promotion:
    if not FLASH_MIN_WINDOW <= request.duration <= FLASH_MAX_WINDOW:
        raise InvalidInput("A flash deal runs between 10 seconds and 20 minutes.", code="invalid_window",
                           field="duration")
    if not timedelta(0) <= request.countdown <= MAX_COUNTDOWN:
        raise InvalidInput("The countdown is at most 10 minutes.", code="invalid_countdown", field="countdown")
    if request.unit_cap < 1 or request.per_buyer_limit < 1:
        raise InvalidInput("Cap and per-buyer limit are at least 1.", code="invalid_limit", field="unit_cap")
    variant = Variant.objects.select_related("product").filter(pk=request.variant_id).first()
    if variant is None or variant.product_id not in {product.pk for product in line_up(page)}:
        raise InvalidInput("Choose a variant of a product in the line-up.", code="not_in_line_up", field="variant")
    starts_at = now + request.countdown
    promotion = Promotion(
        kind=PromotionKind.FLASH, name=f"Live flash: {page.title}"[:120], variant=variant, price=request.price,
        currency=variant.currency, starts_at=starts_at, ends_at=starts_at + request.duration,
        unit_cap=request.unit_cap, per_buyer_limit=request.per_buyer_limit,
    )
    try:
        promotion.clean()
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise InvalidInput(messages[0], code="invalid_deal", field=field) from error
    return promotion


@transaction.atomic
def start_flash_deal(page, *, deal: FlashDealRequest, now: datetime | None = None) -> LiveFlashDeal:
    """Open a flash deal on air (after its countdown). It sells from the same stock and holds as every sale."""
    session = _locked(page)
    _require(session, LiveStatus.LIVE, "session_not_live", "Start flash deals while the session is live.")
    now = now or timezone.now()
    promotion = _validated_flash_deal(page, deal, now)
    promotion.save()
    flash_deal = LiveFlashDeal.objects.create(session=session, promotion=promotion, offset_seconds=_offset(session, now))
    _changed(session)
    return flash_deal


@transaction.atomic
def end_flash_deal(page, *, promotion_id: int, now: datetime | None = None) -> LiveFlashDeal:
    """The host closes a deal early (or calls off one still counting down): it stops pricing at once.

    The deal's end moves to now. A flash deal runs at least ``FLASH_MIN_WINDOW`` (a database rule), so a
    deal younger than that (or not yet open) gets its start moved back too: no one could have held units
    at its price in that stretch, because it was not running. Holds made before now are honoured as for
    any deal that ended. Ending an ended deal changes nothing.
    """
    session = _locked(page)
    flash_deal = session.flash_deals.select_related("promotion").filter(promotion_id=promotion_id).first()
    if flash_deal is None:
        raise NotFound("No such flash deal in this session.", code="deal_not_found", field="deal")
    now = now or timezone.now()
    promotion = flash_deal.promotion
    if promotion.ends_at <= now:
        return flash_deal
    _stop_deal(promotion, now)
    _changed(session)
    return flash_deal


def _stop_deal(promotion: Promotion, now: datetime) -> None:
    """A deal's end moves to ``now``: ``price_line`` no longer applies it (see ``end_flash_deal``)."""
    promotion.ends_at = now
    promotion.starts_at = min(promotion.starts_at, now - FLASH_MIN_WINDOW)
    promotion.save(update_fields=["starts_at", "ends_at"])  # the shop's signals: pages showing it forget it


def chapters_from_pins(session: LiveSession) -> list[ReplayChapter]:
    """One chapter per closed pin (product, start and end offsets) that has none yet; edits are kept."""
    pins = list(session.pins.filter(chapter__isnull=True, unpinned_offset_seconds__isnull=False)
                .select_related("product"))
    return ReplayChapter.objects.bulk_create([
        ReplayChapter(session=session, product=pin.product, variant_id=pin.variant_id, title=pin.product.title[:120],
                      start_seconds=pin.offset_seconds, end_seconds=max(pin.unpinned_offset_seconds,
                                                                        pin.offset_seconds + 1), pin=pin)
        for pin in pins
    ])


@transaction.atomic
def edit_chapter(page, *, chapter_id: int, title: str, start_seconds: int, end_seconds: int) -> ReplayChapter:
    """The creator renames or re-times a chapter."""
    session = _locked(page)
    chapter = session.chapters.filter(pk=chapter_id).first()
    if chapter is None:
        raise NotFound("No such chapter.", code="chapter_not_found", field="chapter")
    title = title.strip()
    if not title or len(title) > 120:
        raise InvalidInput("A chapter needs a title of at most 120 characters.", code="invalid_title", field="title")
    if start_seconds < 0 or end_seconds <= start_seconds:
        raise InvalidInput("A chapter ends after it starts.", code="invalid_offsets", field="end_seconds")
    chapter.title, chapter.start_seconds, chapter.end_seconds = title, start_seconds, end_seconds
    chapter.save(update_fields=["title", "start_seconds", "end_seconds"])
    _changed(session)
    return chapter
