"""The content API (Wagtail API v2): pages with creator, tags and resolved shoppable blocks.

Thin: filtering, caching and preview rules live in ``content.services``; the blocks resolve
themselves from the page's catalog snapshot (``content.services.catalog``).
"""

import copy
import functools
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse, HttpResponseNotModified
from django.urls import path
from django.utils.functional import SimpleLazyObject
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import NotFound
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from wagtail.api import APIField
from wagtail.api.querysets import get_public_pages_queryset
from wagtail.api.v2.utils import BadRequestError
from wagtail.api.v2.filters import SearchFilter
from wagtail.api.v2.serializers import PageParentField, PageSerializer, get_serializer_class
from wagtail.api.v2.views import BaseAPIViewSet, PagesAPIViewSet

from content.api.errors import ContentApiError, field_of_wagtail_message
from content.api.fields import CreatorSummaryField
from content.api.filters import (
    CreatorFilter,
    PageIdRangeFilter,
    PlainTextSearchFilter,
    TagFilter,
    check_page_id_parameters,
    is_page_id_in_range,
)
from content.api.page_lookup import (
    AnonymousReader, PageLookupMixin, frozen_fields_config, may_pass_view_restrictions, remembered_serializer_class,
)
from content.api.pagination import BoundedPagination
from content.models import ShoppableContentPage
from content.services.page_cache import (
    CachedPage, PageLookup, cache_seconds, etag_for, look_up_page, store_page,
)
from content.services.preview import InvalidPreviewToken, load_preview_page, read_preview_token
from creators.models import CreatorPage
from operations.etags import if_none_match_names
from shop.api_edge import domain_error_headers, domain_error_status
from shop.errors import DomainError, NotAuthenticated, PermissionDenied

# Fields the content API shows for models whose app doesn't declare ``api_fields`` itself.
EXTRA_API_FIELDS = {
    CreatorPage: [APIField("creator", serializer=CreatorSummaryField()), APIField("tagline")],
}


# The only query parameters a page's detail read honours. The rest are ignored by the cache key (a
# cache-buster like ``?_=123`` never rebuilds the page) and by the uncached read alike: Wagtail would
# apply listing filters (``?title=x``, ``?type=...``) to a detail read, so a cached and an uncached
# answer could differ (``get_object`` looks the page up by id alone).
# ``site`` names the site whose pages may answer (Wagtail's ``get_public_pages_queryset`` reads it).
DETAIL_VARIANT_PARAMETERS = ("fields", "rich_text_format", "site")


def detail_variant(request) -> str:
    if not request.META.get("QUERY_STRING"):
        return ""  # most reads: no query string to parse
    return urlencode([(name, value) for name in DETAIL_VARIANT_PARAMETERS for value in request.GET.getlist(name)])


def look_up_detail(request, pk: int) -> PageLookup | None:
    """The cache's answer for this request of a page's detail JSON (None: caching is off)."""
    if cache_seconds() <= 0:
        return None
    return look_up_page(pk, variant=f"{request.get_host()}?{detail_variant(request)}")


def page_json_response(request, cached: CachedPage) -> HttpResponse:
    # The headers given whole to a new response (it has no Vary to patch yet): a cached hit's own work is mostly this.
    headers = {"ETag": cached.etag, "Cache-Control": _public_cache_control(cache_seconds()), "Vary": "Accept"}
    if if_none_match_names(request, cached.etag):
        return HttpResponseNotModified(headers=headers)
    return HttpResponse(cached.content, content_type="application/json", headers=headers)


@functools.cache
def _public_cache_control(seconds: int) -> str:
    return f"public, max-age={seconds}"


def serve_cached_detail(view):
    """The detail view, answered from the cache before anything touches the database.

    An entry is used while the tokens it was rendered under are current (``content.services.page_cache``),
    so a hit resolves no page, site or view restriction: those changes move the tokens instead. A miss
    runs the view, which stores under the tokens read here, before the page was loaded.
    """

    @functools.wraps(view)
    def cached_view(request, pk, **kwargs):
        if request.method == "GET" and is_page_id_in_range(str(pk)) and not may_pass_view_restrictions(request):
            lookup = look_up_detail(request, pk)
            if lookup is not None and lookup.cached is not None:
                return page_json_response(request, lookup.cached)
            request.kolshop_page_lookup = lookup
        return view(request, pk=pk, **kwargs)

    return cached_view


_PARENT_SERIALIZER_CLASSES: dict[type, type] = {}


class InSiteParentField(PageParentField):
    """Wagtail's ``parent`` meta field in one query instead of two: the parent found by its tree path
    within the API's pages (Wagtail's own reads the parent, then asks whether the API's pages hold it)."""

    def to_representation(self, value):
        # Wagtail's own, with the serializer class it builds for the parent's model built once per model.
        serializer_class = _PARENT_SERIALIZER_CLASSES.get(type(value))
        if serializer_class is None:
            serializer_class = _PARENT_SERIALIZER_CLASSES[type(value)] = get_serializer_class(
                type(value), ["id", "type", "detail_url", "html_url", "title"],
                meta_fields=["type", "detail_url", "html_url"], base=ParentPageSerializer)
        return serializer_class(context=self.context).to_representation(value)

    def get_attribute(self, instance):
        if hasattr(instance, "api_parent"):  # read with the page (content.api.page_query)
            return instance.api_parent
        if instance.depth <= 1:
            return None
        return self.context["base_queryset"].filter(path=instance.path[: -instance.steplen]).first()


class FieldsBuiltOnce:
    """A model serializer whose fields each class builds once: DRF builds them per instance, but a class's fields
    depend only on the class (Meta, declared fields), so every instance gets its own copies of the class's
    (DRF copies declared fields the same way)."""

    def get_fields(self):
        prototype = type(self).__dict__.get("_field_prototype")
        if prototype is None:
            prototype = super().get_fields()
            type(self)._field_prototype = prototype
        return copy.deepcopy(prototype)


class ParentPageSerializer(FieldsBuiltOnce, PageSerializer):
    """Wagtail's serializer for a page's ``parent`` (its ``PageParentField``'s base)."""


class ContentPageSerializer(FieldsBuiltOnce, PageSerializer):
    parent = InSiteParentField(read_only=True)


class ContentPagesAPIViewSet(PageLookupMixin, PagesAPIViewSet):
    renderer_classes = [JSONRenderer]
    # Who the reader is comes from the session alone, as ``may_pass_view_restrictions`` asks it (DRF's default
    # also signs in by HTTP Basic: a request with no session cookie would have looked anonymous to the cache and
    # signed in to the page look-up, and put a restricted page into the shared cache).
    authentication_classes = [SessionAuthentication]
    filter_backends = [  # search stays last, and is plain words
        PageIdRangeFilter, CreatorFilter, TagFilter,
        *(PlainTextSearchFilter if backend is SearchFilter else backend for backend in PagesAPIViewSet.filter_backends),
    ]
    pagination_class = BoundedPagination
    base_serializer_class = ContentPageSerializer
    known_query_parameters = PagesAPIViewSet.known_query_parameters.union(["creator", "tag"])
    # A body costs its catalog queries; listings never repeat that per page.
    detail_only_fields = [*PagesAPIViewSet.detail_only_fields, "body"]

    @classmethod
    def get_body_fields(cls, model):
        fields = super().get_body_fields(model)
        for base_model, extra_fields in EXTRA_API_FIELDS.items():
            if issubclass(model, base_model) and "api_fields" not in vars(model):
                fields += cls._convert_api_fields(extra_fields)
        return fields

    @classmethod
    def cached_detail_view(cls):
        """The detail view behind the cache (``serve_cached_detail``)."""
        return serve_cached_detail(cls.as_view({"get": "detail_view"}))

    @classmethod
    def get_urlpatterns(cls):
        return [
            path("preview/", cls.as_view({"get": "preview_view"}), name="preview"),
            path("<int:pk>/", cls.cached_detail_view(), name="detail"),
            *(pattern for pattern in super().get_urlpatterns() if pattern.name != "detail"),
        ]

    @staticmethod
    def related_rows(model) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """What the API shows with a page of ``model``: rows joined to the page (``select_related``) and
        relations read once for all pages (``prefetch_related``)."""
        if issubclass(model, ShoppableContentPage):
            return ("locale", "creator__avatar", "hero_image"), ("tags",)
        if issubclass(model, CreatorPage):
            return ("locale", "creator__avatar"), ()
        return (), ()

    @classmethod
    def with_related_rows(cls, queryset):
        """Creator, hero image and tags in the page query (or one prefetch), not once per page."""
        joined, prefetched = cls.related_rows(queryset.model)
        if joined:
            queryset = queryset.select_related(*joined)
        return queryset.prefetch_related(*prefetched) if prefetched else queryset

    def get_base_queryset(self):
        # Wagtail asks for it several times per request and each build reads the view restrictions.
        # A request that may pass no view restriction sees the pages as an anonymous reader, whatever its user: the
        # look-up and the cache decide from one answer, so a wrong answer can only cost a signed-in reader a 404.
        if not hasattr(self, "_base_queryset"):
            request = self.request._request
            reader = request if may_pass_view_restrictions(request) else AnonymousReader(request)
            try:
                self._base_queryset = get_public_pages_queryset(reader)
            except ValueError as error:
                raise BadRequestError(str(error)) from error
        return self._base_queryset

    def get_queryset(self):
        return self.with_related_rows(super().get_queryset())

    def get_serializer_context(self):
        # Only a parent read without its page (not by content.api.page_query) asks for the API's pages: built
        # when asked, as building it reads the view restrictions and the site.
        return {**BaseAPIViewSet.get_serializer_context(self), "base_queryset": SimpleLazyObject(self.get_base_queryset)}

    def find_object(self, queryset, request):
        if "id" in request.GET and not request.GET["id"].isdigit():
            raise ContentApiError("id must be a positive integer.", field="id")
        check_page_id_parameters(request.GET)
        return super().find_object(queryset, request)

    def detail_view(self, request, pk):
        # The cache was read before the page was loaded (serve_cached_detail): see page_cache.
        lookup = getattr(request, "kolshop_page_lookup", None)
        page = self.get_object()
        content = JSONRenderer().render(self.get_serializer(page).data)
        cached = store_page(lookup, content) if lookup is not None else CachedPage(content, etag_for(content))
        response = page_json_response(request, cached)
        if may_pass_view_restrictions(request):
            response["Cache-Control"] = "private, no-store"
        return response

    def preview_view(self, request):
        """A draft revision, only with a valid, unexpired preview token; never cached."""
        token = request.GET.get("token")
        if not token:
            raise NotAuthenticated("A preview token is required.", code="required", field="token")
        try:
            self._preview_page = load_preview_page(read_preview_token(token))
        except InvalidPreviewToken as error:
            raise PermissionDenied(error.message, code=error.code, field="token") from error
        response = Response(self.get_serializer(self._preview_page).data)
        response["Cache-Control"] = "private, no-store"
        return response

    @classmethod
    def _get_serializer_class(cls, router, model, fields_config, show_details=False, nested=False):
        """Wagtail builds a serializer class per request, and DRF then builds its fields; the class depends only
        on these arguments (and the i18n setting), so each process builds it once. Bounded: ``?fields=`` is
        the client's to vary."""
        key = (cls, id(router), model, frozen_fields_config(fields_config), show_details, nested,
               getattr(settings, "WAGTAIL_I18N_ENABLED", False))
        return remembered_serializer_class(key, lambda: super(ContentPagesAPIViewSet, cls)._get_serializer_class(
            router, model, fields_config, show_details=show_details, nested=nested))

    def get_serializer_class(self):
        if self.action == "preview_view":
            self.action = "detail_view"  # serialize with the detail fields
            try:
                return super().get_serializer_class()
            finally:
                self.action = "preview_view"
        return super().get_serializer_class()

    def handle_exception(self, exc):
        if isinstance(exc, DomainError):
            return Response(exc.as_body(), status=domain_error_status(exc), headers=domain_error_headers(exc))
        if isinstance(exc, (Http404, NotFound)):
            return Response({"code": "not_found", "message": "Page not found.", "field": None}, status=404)
        if isinstance(exc, BadRequestError):
            field = field_of_wagtail_message(str(exc), self.request.GET.keys())
            return Response({"code": "invalid", "message": str(exc), "field": field}, status=400)
        if isinstance(exc, (ValueError, DjangoValidationError)):
            return Response({"code": "invalid", "message": "Invalid query parameter.", "field": None}, status=400)
        return super().handle_exception(exc)
