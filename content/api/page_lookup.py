"""How the content API finds a page for a detail read: the page-class memo, the request's site, who an anonymous
reader is, and the viewset's look-up (``PageLookupMixin``); plus the serializer classes it remembers. Moved from
``content.api.views``."""

import time

from django.conf import settings
from django.core.cache import cache
from django.contrib.auth.models import AnonymousUser
from django.db.models import prefetch_related_objects
from django.http import Http404
from django.http.request import split_domain_port
from wagtail.api.v2.utils import BadRequestError
from wagtail.api.validators import SiteFilterValidator
from wagtail.models import PageViewRestriction, Site
from wagtail.models.sites import SITE_ROOT_PATHS_CACHE_KEY, SITE_ROOT_PATHS_CACHE_VERSION

from content.api.filters import is_page_id_in_range
from content.api.page_query import read_public_page, sites_for_host
from content.services.page_cache import any_view_restriction, cache_seconds

# A page's specific model never changes (Wagtail has no way to change a page's type), so each process
# remembers it for the pages it has served: a known page is read in one query instead of two (the
# Page row, then the specific row). Bounded; a wrong entry (a deleted page) only costs the fallback.
_PAGE_CLASSES: dict[int, type] = {}
_PAGE_CLASSES_LIMIT = 10_000


def known_page_class(pk: int) -> type | None:
    return _PAGE_CLASSES.get(pk)


def forget_page_classes() -> None:
    _PAGE_CLASSES.clear()


def remember_page_class(page) -> None:
    if len(_PAGE_CLASSES) >= _PAGE_CLASSES_LIMIT:
        _PAGE_CLASSES.clear()
    _PAGE_CLASSES[page.pk] = type(page)


_SERIALIZER_CLASSES: dict[tuple, type] = {}
_SERIALIZER_CLASSES_LIMIT = 1_000


def remembered_serializer_class(key: tuple, build) -> type:
    """The serializer class for ``key`` (see ``frozen_fields_config``), built by ``build()`` once per process.
    Bounded: ``?fields=`` is the client's to vary."""
    serializer_class = _SERIALIZER_CLASSES.get(key)
    if serializer_class is None:
        serializer_class = build()
        if len(_SERIALIZER_CLASSES) >= _SERIALIZER_CLASSES_LIMIT:
            _SERIALIZER_CLASSES.clear()
        _SERIALIZER_CLASSES[key] = serializer_class
    return serializer_class


def frozen_fields_config(fields_config) -> tuple:
    """Wagtail's parsed ``?fields=`` (lists of (name, negated, sub-fields)) as a dictionary key."""
    return tuple((name, negated, frozen_fields_config(sub_fields) if sub_fields else sub_fields)
                 for name, negated, sub_fields in fields_config)


class AnonymousReader:
    """A request as an anonymous reader sees pages: Wagtail's view-restriction checks read only its user and
    session, so those are an anonymous user's and an empty session; everything else is the request's."""

    def __init__(self, request) -> None:
        vars(self).update(_request=request, user=AnonymousUser(), session={})

    def __getattr__(self, name):
        return getattr(self._request, name)

    def __setattr__(self, name, value):
        setattr(self._request, name, value)  # what Wagtail remembers on the request (its site) stays remembered


def may_pass_view_restrictions(request) -> bool:
    """Whether this request may see pages an anonymous reader can't: Wagtail lets a signed-in user past
    LOGIN and GROUPS restrictions, and a session that entered a page's password past that page's. Its
    answer is its own: never read from or written to the shared cache, and never cacheable downstream.
    Nothing is read for a request without a session cookie, and only a cache flag while no page anywhere has a
    view restriction (``page_cache.any_view_restriction``): a signed-in reader's hit stays free of queries.
    Asked once per request (the cache's check, the page's lookup and the response's headers share the answer)."""
    answer = getattr(request, "kolshop_may_pass_view_restrictions", None)
    if answer is None:
        answer = request.kolshop_may_pass_view_restrictions = _may_pass_view_restrictions(request)
    return answer


def _may_pass_view_restrictions(request) -> bool:
    if settings.SESSION_COOKIE_NAME not in request.COOKIES or not any_view_restriction():
        return False
    session = getattr(request, "session", None)
    if session is not None and session.get(PageViewRestriction.passed_view_restrictions_session_key):
        return True
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


_HOST_SITES: dict[tuple, tuple[tuple | None, float]] = {}  # (found, until when it may be used)
_HOST_SITE_SECONDS = 60  # an answer's longest life, however long page JSON is kept
_HOST_SITES_LIMIT = 1_000


class PageLookupMixin:
    """The detail view's page: by id alone within the API's pages, in one statement when this process knows the
    page's type. For ``content.api.views.ContentPagesAPIViewSet`` (its ``get_base_queryset``, ``related_rows``
    and ``with_related_rows`` say which pages and related rows)."""

    def get_object(self):
        if getattr(self, "_preview_page", None) is not None:
            return self._preview_page
        if not hasattr(self, "_specific_object"):
            if not is_page_id_in_range(str(self.kwargs.get("pk", ""))):
                raise Http404("not found")
            page = self.page_of_known_type()
            if page is None:
                # Like the cache key, the lookup ignores every parameter but DETAIL_VARIANT_PARAMETERS:
                # a page within the API's pages, by id (Wagtail's would apply ?title=, ?type=, ...).
                page = self.get_base_queryset().filter(pk=int(self.kwargs["pk"])).first()
                if page is None:
                    raise Http404("not found")
                if type(page) is not page.specific_class:
                    page = self.with_related_rows(page.specific_class.objects.filter(pk=page.pk)).first()
                    if page is None:
                        raise Http404("not found")
                remember_page_class(page)
            self.check_object_permissions(self.request, page)
            self._specific_object = page
        return self._specific_object

    def page_of_known_type(self):
        """The page in one query when this process has served it before: its specific model, filtered to
        the API's pages (Wagtail's ``get_queryset`` does the same for ``?type=``). None when its type is
        not known yet."""
        pk = int(self.kwargs["pk"])
        page_class = known_page_class(pk)
        if page_class is None:
            return None
        if may_pass_view_restrictions(self.request) or getattr(settings, "WAGTAIL_I18N_ENABLED", False):
            public_ids = self.get_base_queryset().filter(pk=pk).values("pk")
            return self.with_related_rows(page_class.objects.filter(pk__in=public_ids)).first()
        # Anonymous as far as view restrictions go: Wagtail's rule for the API's pages in one statement.
        site_root_path = self.requested_site_root_path()
        if site_root_path is None:
            return None  # Wagtail's lookup answers (no site: no pages)
        joined, prefetched = self.related_rows(page_class)
        tags_in_statement = prefetched == ("tags",)  # the tag names are read by the page's own statement
        page = read_public_page(page_class, pk, site_root_path=site_root_path, related=joined,
                                tag_names_of="tags" if tags_in_statement else None)
        if page is not None and prefetched and not tags_in_statement:
            prefetch_related_objects([page], *prefetched)
        return page

    def requested_site_root_path(self) -> str | None:
        """The tree path of the site whose pages may answer, as Wagtail's ``get_public_pages_queryset`` finds it
        (``?site=``, else the request's host); None: no site."""
        site_and_root_path = self.host_site()
        if self.request.GET.get("site") is None:
            return site_and_root_path[1] if site_and_root_path is not None else None
        try:
            site = SiteFilterValidator(site=self.request.GET.get("site"), request=self.request).site_obj
        except ValueError as e:
            raise BadRequestError(str(e)) from e
        return site.root_page.path if site is not None else None

    def host_site(self):
        """The request's site as Wagtail's ``Site.find_for_request`` finds it (and keeps it on the request for
        every URL the answer shows), with its root page's tree path; None: no site.

        Remembered per process under the page cache's generation this request read (``serve_cached_detail``):
        a site's change, a page's move and a flushed cache move it (``page_cache.forget_all_pages``), and each
        answer is kept at most ``host_site_seconds()`` (a move lost in a cache outage)."""
        request = self.request
        lookup = getattr(request, "kolshop_page_lookup", None)
        port = request.get_port()
        key = None
        if lookup is not None and lookup.tokens is not None:
            key = (lookup.tokens[0], request._get_raw_host(), port)
        remembered = _HOST_SITES.get(key) if key is not None else None
        if remembered is not None and remembered[1] > time.monotonic():
            found = remembered[0]
        else:
            if port.isdigit():
                found, root_paths = sites_for_host(split_domain_port(request._get_raw_host())[0], int(port))
                offer_site_root_paths(root_paths)
            else:  # Wagtail's own lookup decides what such a port means
                site = Site.find_for_request(request)
                found = (site, site.root_page.path) if site is not None else None
            if key is not None:
                if len(_HOST_SITES) >= _HOST_SITES_LIMIT:
                    _HOST_SITES.clear()
                _HOST_SITES[key] = (found, time.monotonic() + host_site_seconds())
        getattr(request, "_request", request)._wagtail_site = found[0] if found is not None else None
        return found


def offer_site_root_paths(root_paths: list) -> None:
    """Keep the site root paths the site's statement read (``page_query.sites_for_host``) where Wagtail's
    ``Site.get_site_root_paths()`` looks first, as it would keep them (an hour; cleared by Wagtail when a site or a
    site's root page is saved), unless a value is there already: on a cold cache the page's URLs then cost no query
    of their own. Not with ``WAGTAIL_I18N_ENABLED``, where Wagtail adds each root page's translations."""
    if not getattr(settings, "WAGTAIL_I18N_ENABLED", False):
        cache.add(SITE_ROOT_PATHS_CACHE_KEY, root_paths, 3600, version=SITE_ROOT_PATHS_CACHE_VERSION)


def host_site_seconds() -> float:
    """How long a process remembers a host's site: as long as the page JSON, and never more than a minute (a site
    change whose generation move a cache outage lost is seen within it, however long pages are kept)."""
    return min(cache_seconds(), _HOST_SITE_SECONDS)
