"""The content API router (Wagtail API v2), mounted at /api/v2/ in settings/urls.py: /api/v2/pages/…"""

from django.urls import path, re_path
from wagtail.api.v2.router import WagtailAPIRouter

from content.api.errors import json_not_found
from content.api.views import ContentPagesAPIViewSet

PAGES_ENDPOINT = "pages"  # the pages' URL segment: registered with the router, and their top-level detail URL

api_router = WagtailAPIRouter("content_api")
api_router.register_endpoint(PAGES_ENDPOINT, ContentPagesAPIViewSet)


def content_api_urlpatterns(prefix: str = "api/v2/") -> list:
    """A page's detail, then the router, then a JSON 404 for anything else under the prefix (never Wagtail's HTML
    404). The detail, the most requested URL (a cached page's hit), is matched at the top level first: through the
    router it walks two includes more. The router's own detail pattern stays for reversing (``detail_url``)."""
    return [
        path(f"{prefix}{PAGES_ENDPOINT}/<int:pk>/",
             api_router.wrap_view(ContentPagesAPIViewSet.cached_detail_view())),
        path(prefix, api_router.urls),
        re_path(rf"^{prefix}", json_not_found),
    ]
