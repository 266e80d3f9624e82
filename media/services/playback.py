"""Where a reader's player fetches a video, and publishing (which makes the object public)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from media import s3
from media.models import Video, VideoStatus
from shop.errors import Conflict, Unavailable


@dataclass(frozen=True)
class PlayableUrl:
    url: str
    expires_at: datetime | None  # None: a public (CDN) URL that does not expire


def playable_url(video: Video, *, private_for_owner_id: int | None) -> PlayableUrl | None:
    """Published: the public URL (the CDN domain when set). Uploaded but unpublished: a SigV4
    presigned URL valid for ``KOLSHOP_VIDEO_PRIVATE_URL_EXPIRY_SECONDS``, but only when the video
    belongs to ``private_for_owner_id`` (the creator of the page showing it, or the owner asking
    for their own video); anyone else's private video gets None, so a page or its preview never
    hands out another creator's file. Not uploaded: None.

    Computed locally (signing needs no request to S3), so a page of videos costs no queries or calls.
    """
    if video.status == VideoStatus.PENDING or not s3.is_configured():
        return None
    if video.status == VideoStatus.PUBLISHED:
        return PlayableUrl(url=s3.public_url(video.object_key), expires_at=None)
    if private_for_owner_id is None or video.owner_id != private_for_owner_id:
        return None
    expires_in = settings.KOLSHOP_VIDEO_PRIVATE_URL_EXPIRY_SECONDS
    return PlayableUrl(
        url=s3.presigned_get_url(video.object_key, expires_in=expires_in),
        expires_at=timezone.now() + timedelta(seconds=expires_in),
    )


def publish_video(video: Video) -> Video:
    """Tags the object public (the bucket policy then lets the CDN read it) and marks it published."""
    if video.status == VideoStatus.PENDING:
        raise Conflict("The video has not been uploaded yet.", code="not_uploaded")
    _set_visibility(video, public=True)
    Video.objects.filter(pk=video.pk).update(status=VideoStatus.PUBLISHED, published_at=timezone.now())
    video.refresh_from_db()
    return video


def unpublish_video(video: Video) -> Video:
    """Back to private: only presigned URLs reach it again (a CDN may serve cached copies until they expire)."""
    if video.status != VideoStatus.PUBLISHED:
        return video
    _set_visibility(video, public=False)
    Video.objects.filter(pk=video.pk).update(status=VideoStatus.UPLOADED, published_at=None)
    video.refresh_from_db()
    return video


def _set_visibility(video: Video, *, public: bool) -> None:
    try:
        s3.set_visibility(video.object_key, public=public)
    except s3.S3Error as error:
        raise Unavailable(f"S3 refused the request: {error}", code="storage_error") from error
