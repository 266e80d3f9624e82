"""Wagtail's ``?offset=&limit=`` paging, with the offset bounded so it fits the database's OFFSET."""

from wagtail.api.v2.pagination import WagtailPagination

from content.api.errors import ContentApiError
from shop.validation import INT32_MAX

MAX_OFFSET = INT32_MAX


class BoundedPagination(WagtailPagination):
    def paginate_queryset(self, queryset, request, view=None):
        raw = request.GET.get("offset", "")
        if raw.isdigit() and (len(raw) > len(str(MAX_OFFSET)) or int(raw) > MAX_OFFSET):
            raise ContentApiError(f"offset must be at most {MAX_OFFSET}.", field="offset")
        return super().paginate_queryset(queryset, request, view)
