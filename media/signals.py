"""Thin receivers that call media services.

Deleting a Video row (directly, in bulk, or by cascade from its owner) deletes its file: a receiver
rather than ``Video.delete()`` because cascades and queryset deletes bypass model methods.
Publishing a page publishes its creator's videos it embeds: content connects that receiver, as
only content knows who a page's creator is.
"""

from django.db.models.signals import post_delete
from django.dispatch import receiver

from media.models import Video
from media.services.deletion import delete_video_object_on_commit


@receiver(post_delete, sender=Video, dispatch_uid="kolshop_media.delete_video_object")
def delete_object_of_deleted_video(sender, instance: Video, **kwargs) -> None:
    delete_video_object_on_commit(object_key=instance.object_key, multipart_upload_id=instance.multipart_upload_id)

