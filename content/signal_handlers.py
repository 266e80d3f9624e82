"""Thin glue: cache invalidation when pages are (un)published, and a moved page's creator.

Each handler only calls a service. Catalog rows (products, variants, stock) are the shop's own
business: ``shop.services.inventory`` announces their changes (``shop.events.catalog_changed``) and
the pages showing them are forgotten here.
"""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from wagtail.models import PageViewRestriction, Site, get_page_models
from wagtail.signals import page_published, page_unpublished, post_page_move

from shop import events

from content.services.media_access import publish_creator_videos_on_commit
from content.services.ownership import reassign_creators_under
from content.services.page_cache import (
    forget_all_pages,
    forget_page,
    forget_pages,
    forget_pages_showing,
    references_changed,
    view_restrictions_changed,
)
from creators.models import CreatorProfile


def forget_cached_page(sender, instance, **kwargs):
    # Now and again once committed: a reader served between the two (still the old row) is not kept.
    page_id = instance.pk
    forget_page(page_id)
    transaction.on_commit(lambda: forget_page(page_id))


def forget_deleted_page(sender, instance, **kwargs):
    forget_page(instance.pk)
    references_changed()


def note_page_references_changed(sender, instance, **kwargs):
    """A saved page may show other products now (Wagtail re-indexed its references in the same save)."""
    references_changed()


def forget_all_cached_pages(sender, **kwargs):
    """Which pages the API serves changed (a site, a view restriction, a move): forget them all."""
    forget_all_pages()


def forget_pages_showing_products(product_ids, **kwargs):
    forget_pages_showing(product_ids)


def forget_pages_of_creator(sender, instance, **kwargs):
    """A creator's byline (name, bio, avatar) shows on their storefront and every page they wrote."""
    from content.models import ShoppableContentPage
    from creators.models import CreatorPage

    forget_pages([*ShoppableContentPage.objects.filter(creator=instance).values_list("pk", flat=True),
                  *CreatorPage.objects.filter(creator=instance).values_list("pk", flat=True)])


def publish_creator_videos(sender, instance, **kwargs):
    publish_creator_videos_on_commit(instance.specific)


def reassign_creators_after_move(sender, instance, **kwargs):
    reassign_creators_under(instance.path)


def _view_restriction_saved(**kwargs) -> None:
    view_restrictions_changed(saved=True)


def _view_restriction_deleted(**kwargs) -> None:
    view_restrictions_changed(saved=False)


def connect() -> None:
    post_page_move.connect(reassign_creators_after_move, dispatch_uid="content.reassign_creators_after_move")
    page_published.connect(forget_cached_page, dispatch_uid="content.forget_cached_page.published")
    page_unpublished.connect(forget_cached_page, dispatch_uid="content.forget_cached_page.unpublished")
    # Per page model: a receiver for every sender would cost each bulk delete its fast path.
    for page_model in get_page_models():
        post_delete.connect(forget_deleted_page, sender=page_model,
                            dispatch_uid=f"content.forget_deleted_page.{page_model._meta.label}")
        post_save.connect(note_page_references_changed, sender=page_model,
                          dispatch_uid=f"content.note_page_references_changed.{page_model._meta.label}")
    post_page_move.connect(forget_all_cached_pages, dispatch_uid="content.forget_all_cached_pages.move")
    for model in (Site, PageViewRestriction):
        for signal in (post_save, post_delete):
            signal.connect(forget_all_cached_pages, sender=model,
                           dispatch_uid=f"content.forget_all_cached_pages.{model.__name__}.{id(signal)}")
    post_save.connect(_view_restriction_saved, sender=PageViewRestriction, dispatch_uid="content.view_restriction_saved")
    post_delete.connect(_view_restriction_deleted, sender=PageViewRestriction,
                        dispatch_uid="content.view_restriction_deleted")
    events.catalog_changed.connect(forget_pages_showing_products)
    post_save.connect(forget_pages_of_creator, sender=CreatorProfile, dispatch_uid="content.forget_pages_of_creator")
    page_published.connect(publish_creator_videos, dispatch_uid="content.publish_creator_videos")
