"""Publishing a page publishes the videos it embeds (their objects become readable by the CDN).

Works for any page model: videos are found through Wagtail's own reference extraction, in every
StreamField (however deeply nested the VideoChooserBlock) and every foreign key to Video.
Only the page creator's own videos are published: approving a page never changes the visibility
of another owner's file (validation refuses such pages; this holds even for one that slipped by).
Unpublishing a page leaves its videos public: another live page may show the same video.
"""

import logging

from django.db import models, transaction
from wagtail.fields import StreamField

from media.models import Video, VideoStatus
from media.services.playback import publish_video
from shop.errors import DomainError

logger = logging.getLogger(__name__)


def video_ids_on(instance: models.Model) -> set[int]:
    ids: set[int] = set()
    for field in instance._meta.concrete_fields:
        if isinstance(field, StreamField):
            value = field.value_from_object(instance)
            for model, object_id, _, _ in field.stream_block.extract_references(value):
                if issubclass(model, Video):
                    ids.add(int(object_id))
        elif isinstance(field, models.ForeignKey) and issubclass(field.related_model, Video):
            if getattr(instance, field.attname) is not None:
                ids.add(getattr(instance, field.attname))
    return ids


def publish_videos_on(instance: models.Model, *, owner_id: int | None) -> list[Video]:
    """Publishes the uploaded, not yet published videos the page embeds that ``owner_id`` (the user
    id of the page's creator) owns; returns those published. ``None`` (no creator) publishes none."""
    ids = video_ids_on(instance)
    if not ids or owner_id is None:
        return []
    published = []
    for video in Video.objects.filter(pk__in=ids, owner_id=owner_id, status=VideoStatus.UPLOADED).order_by("pk"):
        try:
            published.append(publish_video(video))
        except DomainError:
            # The page is already live; the video keeps playing through presigned URLs meanwhile.
            logger.exception("Could not publish video %s embedded in %r", video.pk, instance)
    return published


def publish_videos_on_commit(instance: models.Model, *, owner_id: int | None) -> None:
    """S3 is called after the publish transaction commits, never while it holds the page row."""
    transaction.on_commit(lambda: publish_videos_on(instance, owner_id=owner_id))
