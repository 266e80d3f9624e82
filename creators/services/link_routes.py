"""Where a tracked link leads, cached: ``/r/<code>/`` resolves its link without the database.

A link's route (its ids and where it leads: the product's first SKU, the page's URL or the
creator's storefront) is cached for ``ROUTE_SECONDS`` under its code, unknown codes too. Every
change that moves a route forgets it at once: the link itself (saved, deactivated, deleted), the
product's variants (a new first SKU), a page published, unpublished, moved or deleted (its URL or
its subtree's, and the storefronts in it). The time limit only bounds what no signal announces
(a site's hostname). Each process also keeps routes for ``LOCAL_SECONDS`` (a follow then makes no
round trip to the cache server); another process sees a change when its copy expires.
"""

import time
import uuid
from dataclasses import astuple, dataclass
from urllib.parse import urlencode

from django.db.models.signals import post_delete, post_save
from django.urls import reverse
from wagtail.models import Page, get_page_models
from wagtail.signals import page_published, page_unpublished, post_page_move

from creators.models import CreatorPage, LinkKind, LinkTarget, TrackedLink
from creators.services.click_tickets import refuse_blocking_on_loop
from operations.cache_guard import SharedCache, now_and_at_commit
from shop.attribution import Attribution, buy_path, sign_attribution
from shop.models import Variant

ROUTE_SECONDS = 300
LOCAL_SECONDS = 5
_KEY = "kolshop:link-route:v3:"  # v3: each entry carries the generation it was stored under
# The previous release's entries (v2: the route alone), for its processes while it runs beside this one in a rolling
# deploy. Each v3 entry is stored with a v2 twin in the previous release's format and counts only while the twin is
# there: the previous release's forgets delete v2 keys only, so a link it changes is not followed with the old route
# by this release's processes. This release's forgets delete both. (The next release may drop the twin.)
_PREVIOUS_KEY = "kolshop:link-route:v2:"
_GENERATION_KEY = "kolshop:link-route:generation"
_UNKNOWN = "unknown"


def _settle_after_outage(backend) -> None:
    """A route forgotten while the cache could not be reached (a link disabled or re-pointed during an outage):
    every route stored before becomes unusable (``operations.cache_guard.SharedCache``: paid before this process
    uses the cache again, and by its settler thread within seconds)."""
    backend.set(_GENERATION_KEY, uuid.uuid4().hex, timeout=None)


def _forget_previous_release_routes(backend) -> None:
    """After a settle, by the settler thread only (``operations.owed_settles``: a SCAN of the keyspace): the previous
    release's processes read the v2 twins, which know no generation, so a twin stored before the settle would lead
    them the old way for up to ``ROUTE_SECONDS``; with the twins gone, this release's entries stored before are void
    too. A cache that can't scan its keys (local memory) is no other process's."""
    delete_pattern = getattr(backend, "delete_pattern", None)
    if delete_pattern is not None:
        delete_pattern(_PREVIOUS_KEY + "*", itersize=1000)  # 1,000 keys per SCAN step, not django-redis' 10


# While the cache can't be reached a follow reads its link from the database; a forget the cache did not take is
# owed, and the generation moves once it is back (and the settler deletes the previous release's twins).
cache = SharedCache(name="creators.link_routes", settle=_settle_after_outage,
                    after_settle=_forget_previous_release_routes)


@dataclass(frozen=True)
class LinkRoute:
    link_id: int
    creator_id: int
    page_id: int | None
    block_id: str
    product_id: int | None
    target_kind: str
    sku: str | None  # a product link's first variant
    url: str | None  # a page link's page, a storefront link's storefront, a team link's share page
    kind: str = LinkKind.CREATOR  # a reader's share sets the referral cookie (``shop.attribution``)

    def as_link(self) -> TrackedLink:
        """The link's ids, enough for ``links.record_click`` (not loaded from the database)."""
        return TrackedLink(pk=self.link_id, creator_id=self.creator_id, page_id=self.page_id, block_id=self.block_id,
                           product_id=self.product_id, target_kind=self.target_kind)


def route_of(link: TrackedLink) -> LinkRoute:
    sku = url = None
    if link.target_kind == LinkTarget.PRODUCT:
        sku = Variant.objects.filter(product_id=link.product_id).order_by("sort_order", "pk").values_list(
            "sku", flat=True).first()
    elif link.target_kind == LinkTarget.PAGE:
        url = link.page.get_url() if link.page.live else None
    elif link.target_kind == LinkTarget.TEAM:
        url = reverse("shop:group-team", args=[link.team_code])
    else:
        storefront = CreatorPage.objects.live().filter(creator_id=link.creator_id).first()
        url = storefront.get_url() if storefront else None
    return LinkRoute(link.pk, link.creator_id, link.page_id, link.block_id, link.product_id, link.target_kind, sku, url,
                     link.kind)


def leads_somewhere(route: LinkRoute) -> bool:
    """Whether ``route_destination`` has somewhere to send the reader (a product with a SKU, a live page)."""
    return bool(route.sku) if route.target_kind == LinkTarget.PRODUCT else route.url is not None


def route_destination(route: LinkRoute, *, click_id: int | None) -> str | None:
    """Where the link leads, carrying a signed attribution token (with the click id when counted)."""
    if not leads_somewhere(route):
        return None
    attribution = Attribution(creator_id=route.creator_id, page_id=route.page_id, block_id=route.block_id,
                              click_id=click_id)
    if route.target_kind == LinkTarget.PRODUCT:
        return buy_path(route.sku, attribution)
    return f"{route.url}?{urlencode({'ref': sign_attribution(attribution, sku=None)})}"


class _LocalRoutes:
    """A few seconds of routes in this process, in front of the shared cache: a follow then costs no
    round trip to the cache server either. A change forgets the route here at once and in other
    processes within ``LOCAL_SECONDS`` (their copies expire; the shared entry is already gone)."""

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._routes: dict[str, tuple[float, LinkRoute | None]] = {}

    def get(self, code: str) -> tuple[bool, LinkRoute | None]:
        entry = self._routes.get(code)
        if entry is None or entry[0] < time.monotonic():
            return False, None
        return True, entry[1]

    def put(self, code: str, route: LinkRoute | None) -> None:
        if len(self._routes) >= self._size:
            self._routes.clear()  # a burst of distinct codes: start again rather than track age
        self._routes[code] = (time.monotonic() + LOCAL_SECONDS, route)

    def forget(self, codes: list[str]) -> None:
        for code in codes:
            self._routes.pop(code, None)


_local_routes = _LocalRoutes()


def cached_link_route(code: str) -> LinkRoute | None:
    """The active link's route for ``code`` (None: no such active link), from the cache when it can."""
    known, route, generation = _cached_route(code)
    if known:
        return route
    if generation is None:  # none yet (or the cache is down): what the entry is stored under, made when missing
        generation = cache.token(_GENERATION_KEY)
    link = TrackedLink.objects.select_related("page").filter(code=code, active=True).first()
    route = route_of(link) if link is not None else None
    if generation is not None:
        store_route(code, route, generation=generation)
    _local_routes.put(code, route)
    return route


def store_route(code: str, route: LinkRoute | None, *, generation: str) -> None:
    """Keep ``route`` (None: no active link) under the routes' ``generation``, with its twin for the previous
    release's processes (``_PREVIOUS_KEY``): one round trip."""
    value = astuple(route) if route else _UNKNOWN
    cache.fill_many({_KEY + code: (generation, value), _PREVIOUS_KEY + code: value}, ROUTE_SECONDS)


def link_route_if_cached(code: str) -> tuple[bool, LinkRoute | None]:
    """(known, route) from this process's copy or the shared cache, without the database: ``/r/``'s fast
    path (``creators.fast_follow``) answers only what is known here. A shared entry counts only while the
    routes' generation is the one it was stored under and its twin for the previous release holds the same route
    (one round trip for all three): a previous-release process that changed the link deleted the twin, and one of
    its processes may have stored the new route there since."""
    known, route, _generation = _cached_route(code)
    return known, route


def _cached_route(code: str) -> tuple[bool, LinkRoute | None, str | None]:
    """``link_route_if_cached`` and the routes' generation it read (None: not read or missing), which a miss
    stores its entry under (read before the link's row, so a settle after an outage moved meanwhile voids it)."""
    known, route = _local_routes.get(code)
    if known:
        return True, route, None
    refuse_blocking_on_loop()  # the shared cache is a round trip: a follow on the event loop reads it in a thread
    found = cache.get_many([_GENERATION_KEY, _KEY + code, _PREVIOUS_KEY + code])
    generation = found.get(_GENERATION_KEY)
    cached = found.get(_KEY + code)
    if cached is None or cached[0] != generation or found.get(_PREVIOUS_KEY + code) != cached[1]:
        return False, None, generation
    route = None if cached[1] == _UNKNOWN else LinkRoute(*cached[1])
    _local_routes.put(code, route)
    return True, route, generation


def forget_link_routes(codes) -> None:
    """Forget the routes of ``codes`` now and again when the change commits: a follow between the two reads the
    row as it was and may store it again (it would redirect for ``ROUTE_SECONDS`` more)."""
    codes = list(codes)
    if not codes:
        return
    now_and_at_commit(lambda: _forget(codes))


def _forget(codes: list[str]) -> None:
    _local_routes.forget(codes)
    cache.delete_many([prefix + code for prefix in (_KEY, _PREVIOUS_KEY) for code in codes])


def _link_changed(sender, instance: TrackedLink, **kwargs) -> None:
    forget_link_routes([instance.code])


def _variant_changed(sender, instance: Variant, **kwargs) -> None:
    forget_link_routes(TrackedLink.objects.filter(product_id=instance.product_id, target_kind=LinkTarget.PRODUCT)
                       .values_list("code", flat=True))


def _page_changed(sender, instance: Page, **kwargs) -> None:
    if not isinstance(instance, Page):
        return
    subtree = Page.objects.filter(path__startswith=instance.path)
    page_ids = list(subtree.values_list("pk", flat=True))
    creator_ids = set(CreatorPage.objects.filter(pk__in=page_ids).values_list("creator_id", flat=True))
    if isinstance(instance, CreatorPage):  # a deleted storefront is no longer in the table
        creator_ids.add(instance.creator_id)
    forget_link_routes(
        TrackedLink.objects.filter(page_id__in=page_ids, target_kind=LinkTarget.PAGE).values_list("code", flat=True))
    forget_link_routes(TrackedLink.objects.filter(creator_id__in=creator_ids, target_kind=LinkTarget.STOREFRONT)
                       .values_list("code", flat=True))


def connect_route_invalidation() -> None:
    for signal in (post_save, post_delete):
        signal.connect(_link_changed, sender=TrackedLink, dispatch_uid=f"creators.link_route.link.{id(signal)}")
        signal.connect(_variant_changed, sender=Variant, dispatch_uid=f"creators.link_route.variant.{id(signal)}")
    # Page models only: a receiver for every sender would make every delete in the project (cart lines,
    # holds) read its rows first instead of one DELETE.
    for page_model in {Page, *get_page_models()}:
        post_delete.connect(_page_changed, sender=page_model,
                            dispatch_uid=f"creators.link_route.page_deleted.{page_model._meta.label_lower}")
    for signal in (page_published, page_unpublished, post_page_move):
        signal.connect(_page_changed, dispatch_uid=f"creators.link_route.page.{id(signal)}")
