"""The reader site's preview route: what "Preview on the front end" in the editor opens.

``/preview/?content_type=…&token=…`` (wagtail-headless-preview's client URL shape) renders the draft
revision the token names with the page's own template, like the published page but never cached or
indexed. Without a valid, unexpired token it shows nothing of the draft.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from content.services.preview import InvalidPreviewToken, load_preview_page, read_preview_token


@never_cache
@require_GET
def preview(request: HttpRequest) -> HttpResponse:
    try:
        draft = load_preview_page(read_preview_token(request.GET.get("token", "")))
    except InvalidPreviewToken as error:
        response = render(request, "content/preview_refused.html", {"message": error.message}, status=403)
    else:
        response = draft.serve_preview(request, draft.default_preview_mode)
        if hasattr(response, "render"):
            response.render()
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
