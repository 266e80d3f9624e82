"""Serializer fields for the content API (Wagtail API v2, Django REST framework fields)."""

from contextlib import nullcontext

from rest_framework.fields import Field

from content.api.representation import ATTRIBUTION_CONTEXT_KEY, PAGE_MEMO_CONTEXT_KEY, image_representation
from content.services.catalog import stream_catalog, using_snapshot
from content.services.media_access import video_owner_id
from media.blocks import VIDEO_OWNER_CONTEXT_KEY, video_representation


class ShoppableBodyField(Field):
    """A page's body with every shoppable block resolved; buy links credit this page and its creator."""

    def __init__(self, **kwargs):
        kwargs.setdefault("source", "*")
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, page):
        context = {
            **self.context,
            ATTRIBUTION_CONTEXT_KEY: {"creator_id": page.creator_id, "page_id": page.pk},
            VIDEO_OWNER_CONTEXT_KEY: video_owner_id(page),
            PAGE_MEMO_CONTEXT_KEY: {},  # blocks showing one product share its offer (representation.py)
        }
        # One snapshot for the whole body, its blocks not converted first: most are represented from their raw
        # values. None (an empty body): there is nothing to load.
        snapshot = stream_catalog(page.body)
        with using_snapshot(snapshot) if snapshot is not None else nullcontext():
            return page.body.stream_block.get_api_representation(page.body, context)


class ImageRenditionsField(Field):
    """An image as {"id", "alt", "width", "height", "renditions": {name: {"url", "width", "height"}}}."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, image):
        return image_representation(image)


class CreatorSummaryField(Field):
    """Who wrote the page: enough for a byline and a link to the storefront."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, creator):
        return creator_representation(creator)


def creator_representation(creator) -> dict:
    return {
        "id": creator.pk,
        "handle": creator.handle,
        "display_name": creator.display_name,
        "bio": creator.bio,
        "avatar": image_representation(creator.avatar) if creator.avatar_id else None,
    }


class TagNamesField(Field):
    """Tag names, sorted; reads prefetched tags instead of re-querying per page in listings, or the names
    a detail read fetched in the page's own statement (``api_tag_names``, ``content.api.page_query.read_public_page``)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("source", "*")
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, page):
        names = getattr(page, "api_tag_names", None)
        if names is None:
            names = [tag.name for tag in getattr(page, self.field_name).all()]
        return sorted(names)


class PageVideoField(Field):
    """A page's video (``attribute``) as the player needs it: {"id", "title", "duration", "poster",
    "url", "url_expires_at"}; only the page creator's own unpublished video gets a signed URL."""

    def __init__(self, *, attribute: str, **kwargs):
        self.attribute = attribute
        kwargs.setdefault("source", "*")
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, page):
        video = getattr(page, self.attribute)
        if video is None:
            return None
        return video_representation(video, private_for_owner_id=video_owner_id(page))
