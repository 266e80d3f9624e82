from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from content import views as content_views
from content.admin_page_views import admin_page_urlpatterns
from content.api.router import content_api_urlpatterns
from settings.api import api as commerce_api
from shop.api_edge import commerce_api_fallback

urlpatterns = [
    # The content API first: the most requested URLs (a cached page's hit is resolved before anything else).
    *content_api_urlpatterns("api/v2/"),
    path("django-admin/", admin.site.urls),
    # Page chooser and page-types report limited to pages the user may see, in front of Wagtail's.
    path("admin/", include(admin_page_urlpatterns())),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("api/v1/", commerce_api.urls),
    re_path(r"^api/v1/", commerce_api_fallback),  # trailing-slash twin or a JSON 404
]

if settings.DEBUG:
    from django.conf.urls.static import static
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# The shop's buying pages and payment webhooks (/buy/, /cart/, /checkout/, /orders/, /webhooks/).
urlpatterns += [path("", include("shop.urls"))]

# Live sessions: state, SSE stream and viewer heartbeat (/api/live/<page id>/…).
urlpatterns += [path("api/live/", include("content.live.urls"))]

# Reader accounts: passwordless sign-in and "my account" (/account/…).
urlpatterns += [path("", include("readers.urls"))]

# Creators' tracked short links (/r/<code>/).
urlpatterns += [path("", include("creators.urls"))]

# The e-mailed link confirming a personal-data request (/privacy/confirm/).
urlpatterns += [path("", include("privacy.urls"))]

# The reader site's draft preview ("Preview on the front end" in the editor; content/views.py).
urlpatterns += [path("preview/", content_views.preview, name="content_preview")]

# Wagtail's page serving catches everything else, so it stays last.
urlpatterns += [path("", include(wagtail_urls))]
