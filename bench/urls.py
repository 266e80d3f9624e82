"""The app's URLs plus the bench's baselines: the floor views and a plain Wagtail API v2 endpoint."""

from django.http import HttpResponse, HttpResponseRedirect
from django.urls import path
from wagtail.api.v2.router import WagtailAPIRouter
from wagtail.api.v2.views import PagesAPIViewSet

from settings.urls import urlpatterns as app_urlpatterns

PRERENDERED: dict[str, bytes] = {}  # filled by the bench with a page's JSON before measuring

naive_router = WagtailAPIRouter("naive_api")
naive_router.register_endpoint("pages", PagesAPIViewSet)


def floor_json(request, key):
    """The floor for cached JSON: the same bytes from memory, through the same middleware."""
    return HttpResponse(PRERENDERED[key], content_type="application/json")


def bare_redirect(request):
    return HttpResponseRedirect("/buy/BENCH/")


def bare_view(request):
    return HttpResponse(b"ok")


urlpatterns = [
    path("bench/floor/<str:key>/", floor_json),
    path("bench/redirect/", bare_redirect),
    path("bench/bare/", bare_view),
    path("bench/naive-api/", naive_router.urls),
    *app_urlpatterns,
]
