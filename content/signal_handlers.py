"""Thin glue: cache invalidation when pages are (un)published, and a moved page's creator.

Each handler only calls a service. Catalog rows (products, variants, stock) are the shop's own
business: ``shop.services.inventory`` marks cached JSON stale when they change.
"""

from django.db import transaction
from wagtail.signals import page_published, page_unpublished, post_page_move

from content.services.media_access import publish_creator_videos_on_commit
from content.services.ownership import reassign_creators_under
from content.services.page_cache import forget_page


def forget_cached_page(sender, instance, **kwargs):
    # Now and again once committed: a reader served between the two (still the old row) is not kept.
    page_id = instance.pk
    forget_page(page_id)
    transaction.on_commit(lambda: forget_page(page_id))


def publish_creator_videos(sender, instance, **kwargs):
    publish_creator_videos_on_commit(instance.specific)


def reassign_creators_after_move(sender, instance, **kwargs):
    reassign_creators_under(instance.path)


def connect() -> None:
    post_page_move.connect(reassign_creators_after_move, dispatch_uid="content.reassign_creators_after_move")
    page_published.connect(forget_cached_page, dispatch_uid="content.forget_cached_page.published")
    page_unpublished.connect(forget_cached_page, dispatch_uid="content.forget_cached_page.unpublished")
    page_published.connect(publish_creator_videos, dispatch_uid="content.publish_creator_videos")
