"""A signed-in reader shares a guide, a product from a guide or a group-buy team: a ``/r/<code>`` link of
its own kind.

The share is a ``creators`` tracked link (``LinkKind.READER_SHARE``, ``sharer_id`` = the reader), so
following it goes through the one ``/r/`` view: the same cached route, click counting, bot filter and
visitor hash (``creators.services.links.record_click``), and the same signed attribution to the
guide's creator, whose commission a share never changes. One link per reader and target: sharing again
gives the same code, unless staff blocked it (``block_shares``): then sharing it again is refused.
"""

from datetime import datetime

import structlog
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from wagtail.models import Page

from creators.models import CreatorProfile, LinkKind, LinkTarget, TrackedLink
from creators.services.links import create_tracked_link, with_link_figures
from creators.services.storefronts import creator_above
from readers.models import Reader, ShareBlock
from shop.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from shop.models import GroupTeam, GroupTeamStatus, Product, ProductStatus

log = structlog.get_logger(__name__)


def reader_shares(reader: Reader) -> QuerySet[TrackedLink]:
    """The reader's share links with their counted clicks and orders (``with_link_figures``)."""
    return with_link_figures(
        TrackedLink.objects.filter(kind=LinkKind.READER_SHARE, sharer_id=reader.pk)
        .select_related("page", "product").order_by("-created_at", "-pk"))


def _shared_page(page_id: int) -> Page:
    page = Page.objects.live().public().filter(pk=page_id).specific().first()
    if page is None:
        raise NotFound("No such guide.", code="page_not_found", field="page_id")
    return page


def _blocked(link: TrackedLink) -> bool:
    return not link.active or link.blocked_at is not None


def _existing_share(reader: Reader, **target) -> TrackedLink | None:
    """The reader's link to this target, refused when staff blocked it: a blocked share is never handed
    back, and no second link to the same target is made around the block."""
    existing = TrackedLink.objects.filter(kind=LinkKind.READER_SHARE, sharer_id=reader.pk, **target).first()
    if existing is not None and _blocked(existing):
        raise PermissionDenied("This share was blocked by our staff.", code="share_blocked", field="target")
    return existing


def share(reader: Reader, *, page_id: int | None = None, product_id: int | None = None,
          team_code: str | None = None) -> TrackedLink:
    """The reader's link to a live guide, to a product on it (bought through the guide's buy link), or to
    a group-buy team (its share page, where a friend joins)."""
    if team_code is not None:
        return _share_team(reader, team_code)
    if page_id is None:
        raise InvalidInput("Choose a guide or a team to share.", code="missing_target", field="page_id")
    page = _shared_page(page_id)
    creator = creator_above(page)
    if creator is None:
        raise InvalidInput("Only creators' guides can be shared.", code="not_shareable", field="page_id")
    product = None
    if product_id is not None:
        product = Product.objects.filter(pk=product_id, status=ProductStatus.ACTIVE).first()
        if product is None:
            raise NotFound("No such product.", code="product_not_found", field="product_id")
    target_kind = LinkTarget.PRODUCT if product else LinkTarget.PAGE
    existing = _existing_share(reader, target_kind=target_kind, page=page, product=product)
    if existing is not None:
        return existing
    return create_tracked_link(creator, target_kind=target_kind, product=product, page=page,
                               label=f"Shared by reader {reader.pk}", sharer_id=reader.pk)


def _share_team(reader: Reader, team_code: str) -> TrackedLink:
    """A forming team's share link; the team's creator (from the block it was opened on) keeps the credit."""
    team = GroupTeam.objects.filter(code=team_code).first()
    if team is None:
        raise NotFound("No team has this share code.", code="team_not_found", field="team_code")
    existing = _existing_share(reader, target_kind=LinkTarget.TEAM, team_code=team.code)
    if existing is not None:
        return existing
    if team.status != GroupTeamStatus.FORMING:
        raise Conflict("This team is no longer open.", code="team_closed", field="team_code")
    creator = CreatorProfile.objects.filter(pk=team.creator_id).first() if team.creator_id else None
    if creator is None:
        raise InvalidInput("Only teams opened on a creator's guide can be shared.", code="not_shareable",
                           field="team_code")
    page = Page.objects.filter(pk=team.page_id).first() if team.page_id else None
    return create_tracked_link(creator, target_kind=LinkTarget.TEAM, page=page, block_id=team.block_id,
                               label=f"Team {team.code} shared by reader {reader.pk}", sharer_id=reader.pk,
                               team_code=team.code)


@transaction.atomic
def block_shares(link_ids: list[int], *, reason: str, by=None, now: datetime | None = None) -> list[ShareBlock]:
    """Staff block readers' share links, with the reason recorded: each stops leading anywhere (inactive,
    its cached route forgotten) and earns nothing more (``RefusalReason.LINK_BLOCKED``). Blocking a blocked
    link again keeps the first record."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Say why the links are blocked.", code="reason_required", field="reason")
    if len(reason) > ShareBlock._meta.get_field("reason").max_length:
        raise InvalidInput("The reason is too long.", code="too_long", field="reason")
    now = now or timezone.now()
    links = list(TrackedLink.objects.select_for_update().filter(pk__in=link_ids, kind=LinkKind.READER_SHARE)
                 .order_by("pk"))
    if not links:
        raise NotFound("No such share link.", code="link_not_found", field="links")
    known = set(ShareBlock.objects.filter(link__in=links).values_list("link_id", flat=True))
    blocks = [ShareBlock(link=link, reason=reason, blocked_by=by, blocked_at=now) for link in links
              if link.pk not in known]
    ShareBlock.objects.bulk_create(blocks)
    for link in links:
        if link.active or link.blocked_at is None:
            link.active = False
            link.blocked_at = link.blocked_at or now  # the database then refuses re-activating it
            link.save(update_fields=["active", "blocked_at"])  # post_save forgets the link's cached route
    log.info("share links blocked", link_ids=[link.pk for link in links], by=getattr(by, "pk", None))
    return blocks
