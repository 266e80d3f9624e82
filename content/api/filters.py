"""Content API filters: ``?creator=<id>``, ``?tag=<slug or name>``, plain-word ``?search=``; bad values are 400s
naming the field."""

import re
from types import SimpleNamespace

from rest_framework.filters import BaseFilterBackend
from taggit.models import Tag
from wagtail.api.v2.filters import SearchFilter

from content.api.errors import ContentApiError
from shop.validation import INT64_MAX, column_max_length

TAG_MAX_LENGTH = column_max_length(Tag, "name")
SEARCH_MAX_LENGTH = 255
_NOT_A_WORD = re.compile(r"[^\w\s]|_")


# Wagtail's filters that take a page id; Wagtail parses them with int(), and the database refuses
# (PostgreSQL) or overflows (SQLite) on anything beyond a bigint.
PAGE_ID_PARAMETERS = ("id", "child_of", "ancestor_of", "descendant_of", "translation_of")


def is_page_id_in_range(raw: str) -> bool:
    return not raw.isdigit() or (len(raw) <= len(str(INT64_MAX)) and int(raw) <= INT64_MAX)


def check_page_id_parameters(query) -> None:
    for name in PAGE_ID_PARAMETERS:
        if not is_page_id_in_range(query.get(name, "")):
            raise ContentApiError(f"{name} must be a page id.", field=name)


class PageIdRangeFilter(BaseFilterBackend):
    """Runs first: refuses out-of-range page ids before Wagtail's filters query with them."""

    def filter_queryset(self, request, queryset, view):
        check_page_id_parameters(request.GET)
        return queryset


def _content_pages():
    from content.models import ShoppableContentPage

    return ShoppableContentPage.objects.all()


class CreatorFilter(BaseFilterBackend):
    def filter_queryset(self, request, queryset, view):
        raw = request.GET.get("creator")
        if raw is None:
            return queryset
        if not raw.isdigit() or int(raw) < 1 or len(raw) > 18:
            raise ContentApiError("creator must be a creator id (a positive integer).", field="creator")
        return queryset.filter(pk__in=_content_pages().filter(creator_id=int(raw)).values("pk"))


class TagFilter(BaseFilterBackend):
    def filter_queryset(self, request, queryset, view):
        raw = request.GET.get("tag")
        if raw is None:
            return queryset
        tag = raw.strip()
        if not tag or len(tag) > TAG_MAX_LENGTH:
            raise ContentApiError(f"tag must be 1–{TAG_MAX_LENGTH} characters.", field="tag")
        from content.models import ContentPageTag

        tagged = ContentPageTag.objects.filter(tag__slug=tag) | ContentPageTag.objects.filter(tag__name__iexact=tag)
        return queryset.filter(pk__in=tagged.values("content_object_id"))


def plain_search_words(query: str) -> str:
    """Search is plain words: quotes and operators would be query syntax to the search backend
    (SQLite's FTS5 fails on a stray ``"``), so everything but letters, digits and spaces goes."""
    return " ".join(_NOT_A_WORD.sub(" ", query).split())


class PlainTextSearchFilter(SearchFilter):
    """Wagtail's ``?search=``, with the query reduced to plain words first."""

    def filter_queryset(self, request, queryset, view):
        raw = request.GET.get("search")
        if not raw:
            return super().filter_queryset(request, queryset, view)
        if len(raw) > SEARCH_MAX_LENGTH:
            raise ContentApiError(f"search must be at most {SEARCH_MAX_LENGTH} characters.", field="search")
        words = plain_search_words(raw)
        if not words:
            return queryset.none()
        query = request.GET.copy()
        query["search"] = words
        return super().filter_queryset(SimpleNamespace(GET=query), queryset, view)
