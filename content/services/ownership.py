"""A content page's creator follows its place in the tree (the storefront it sits under)."""

from content.models import ShoppableContentPage
from content.services.page_cache import forget_page


def reassign_creators_under(page_path: str) -> int:
    """Re-derive ``creator`` for every creator page at or under ``page_path`` (after a move)."""
    updated = 0
    for content in ShoppableContentPage.objects.filter(path__startswith=page_path).order_by("path"):
        creator = content.find_creator()
        creator_id = creator.pk if creator else None
        if content.creator_id != creator_id:
            ShoppableContentPage.objects.filter(pk=content.pk).update(creator_id=creator_id)
            forget_page(content.pk)
            updated += 1
    return updated
