"""Which live pages a reader may see listed: none behind a view restriction they have not passed."""

from django.http import HttpRequest
from wagtail.models import PageViewRestriction
from wagtail.query import PageQuerySet


def readable_pages(pages: PageQuerySet, request: HttpRequest) -> PageQuerySet:
    """``pages`` without those (and their descendants) behind a password, login or group restriction
    the request has not passed: a listing shows a reader only titles and links they could open.

    The same rule as Wagtail's page serving and its pages API (``PageViewRestriction.accept_request``);
    one query for the restrictions, whatever the number of pages.
    """
    for restriction in PageViewRestriction.objects.select_related("page"):
        if not restriction.accept_request(request):
            pages = pages.not_descendant_of(restriction.page, inclusive=True)
    return pages
