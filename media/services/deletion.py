"""Removing a video's bytes from S3 when its row goes (deleted directly or with its owner)."""

import logging

from django.db import transaction

from media import s3

logger = logging.getLogger(__name__)


def delete_video_object(*, object_key: str, multipart_upload_id: str = "") -> bool:
    """Deletes the object and aborts an open multipart upload; True when S3 confirmed both.

    Takes plain values because it runs after the row is gone. A failure is logged, not raised:
    the row is already deleted and an orphaned object only costs storage (a lifecycle rule on
    ``videos/`` can sweep those).
    """
    try:
        if multipart_upload_id:
            s3.abort_multipart_upload(object_key, upload_id=multipart_upload_id)
        s3.delete_object(object_key)
    except s3.S3NotConfigured:
        return False
    except s3.S3Error:
        logger.exception("Could not delete video object %s from S3", object_key)
        return False
    return True


def delete_video_object_on_commit(*, object_key: str, multipart_upload_id: str = "") -> None:
    """Deletes from S3 only once the row's deletion is committed (a rollback keeps the file)."""
    transaction.on_commit(
        lambda: delete_video_object(object_key=object_key, multipart_upload_id=multipart_upload_id)
    )
