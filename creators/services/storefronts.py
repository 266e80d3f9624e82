"""Which creator a place in the page tree belongs to: the storefront (``CreatorPage``) it sits under.

Content pages take their creator from here when saved and when their form is checked, so both ask one
function (it lives a floor below ``content``, which uses it twice).
"""

from wagtail.models import Page

from creators.models import CreatorPage, CreatorProfile


def creator_above(parent: Page | None) -> CreatorProfile | None:
    """The creator whose storefront is ``parent`` or one of its ancestors (a child page's creator)."""
    if parent is None:
        return None
    storefront = CreatorPage.objects.filter(
        path__in=[parent.path[:index] for index in range(Page.steplen, len(parent.path) + 1, Page.steplen)]
    ).select_related("creator").first()
    return storefront.creator if storefront else None
