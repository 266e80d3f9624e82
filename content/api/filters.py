"""Content API filters: ``?creator=<id>`` and ``?tag=<slug or name>``; bad values are 400s naming the field."""

from rest_framework.filters import BaseFilterBackend

from content.api.errors import ContentApiError

TAG_MAX_LENGTH = 100


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
