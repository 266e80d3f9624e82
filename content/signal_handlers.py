"""Thin glue: cache invalidation when pages are (un)published or catalog rows are saved, and a
moved page's creator.

Each handler only calls a service. ``QuerySet.update()`` fires no signal, so services doing
F() updates call ``shop.services.cache_versions.touch_variants`` themselves.
"""

from django.db.models.signals import post_delete, post_save
from wagtail.signals import page_published, page_unpublished, post_page_move

from content.services.media_access import publish_creator_videos_on_commit
from content.services.ownership import reassign_creators_under
from content.services.page_cache import forget_page
from shop.models import Product, Stock, Variant
from shop.services.cache_versions import touch_products


def forget_cached_page(sender, instance, **kwargs):
    forget_page(instance.pk)


def touch_changed_product(sender, instance, **kwargs):
    touch_products([instance.pk])


def touch_product_of_variant(sender, instance, **kwargs):
    touch_products([instance.product_id])


def touch_product_of_stock(sender, instance, **kwargs):
    product_id = Variant.objects.filter(pk=instance.variant_id).values_list("product_id", flat=True).first()
    if product_id is not None:
        touch_products([product_id])


def publish_creator_videos(sender, instance, **kwargs):
    publish_creator_videos_on_commit(instance.specific)


def reassign_creators_after_move(sender, instance, **kwargs):
    reassign_creators_under(instance.path)


def connect() -> None:
    post_page_move.connect(reassign_creators_after_move, dispatch_uid="content.reassign_creators_after_move")
    page_published.connect(forget_cached_page, dispatch_uid="content.forget_cached_page.published")
    page_unpublished.connect(forget_cached_page, dispatch_uid="content.forget_cached_page.unpublished")
    page_published.connect(publish_creator_videos, dispatch_uid="content.publish_creator_videos")
    for signal in (post_save, post_delete):
        signal.connect(touch_changed_product, sender=Product, dispatch_uid=f"content.touch_product.{id(signal)}")
        signal.connect(touch_product_of_variant, sender=Variant, dispatch_uid=f"content.touch_variant.{id(signal)}")
        signal.connect(touch_product_of_stock, sender=Stock, dispatch_uid=f"content.touch_stock.{id(signal)}")
