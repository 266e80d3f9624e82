"""Direct browser-to-S3 video uploads: the server signs, the browser sends the bytes, the server confirms.

A single upload is a presigned POST whose policy pins the key, the content type and the size range,
so S3 itself refuses anything else. Files above ``KOLSHOP_VIDEO_MULTIPART_THRESHOLD_BYTES`` go up as
a multipart upload with one presigned PUT URL per part. Confirmation never trusts the browser: it
asks S3 (HEAD) what was stored and accepts it only if size and type are what was declared.
"""

from __future__ import annotations

import math
import posixpath
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from media import s3
from media.models import Video, VideoStatus
from shop.errors import Conflict, InvalidInput, NotConfigured, Unavailable

MIN_PART_BYTES = 5 * 1024**2  # S3's floor for every part but the last
MAX_PARTS = 10_000  # S3's ceiling on parts per upload


class StorageUnavailable(NotConfigured):
    def __init__(self):
        super().__init__("Video uploads need S3: set AWS_STORAGE_BUCKET_NAME.", code="storage_unavailable")


@dataclass(frozen=True)
class PartUrl:
    part_number: int
    url: str


@dataclass(frozen=True)
class UploadTicket:
    """What the browser needs to send the file: a form POST, or one PUT per part."""

    video: Video
    method: str  # "post" or "multipart"
    expires_at: datetime
    post: s3.PresignedPost | None = None
    part_bytes: int | None = None
    parts: list[PartUrl] = field(default_factory=list)


def check_declared_file(*, content_type: str, size_bytes: int) -> None:
    """Raises InvalidInput naming the field when the declared type or size is not allowed."""
    allowed = settings.KOLSHOP_VIDEO_CONTENT_TYPES
    if content_type not in allowed:
        raise InvalidInput(
            f"Videos must be one of: {', '.join(allowed)}.",
            code="unsupported_content_type",
            field="content_type",
        )
    if size_bytes <= 0:
        raise InvalidInput("The file is empty.", code="invalid_size", field="size_bytes")
    if size_bytes > settings.KOLSHOP_VIDEO_MAX_BYTES:
        raise InvalidInput(
            f"Videos may be at most {settings.KOLSHOP_VIDEO_MAX_BYTES} bytes.",
            code="file_too_large",
            field="size_bytes",
        )


def object_key_for(filename: str) -> str:
    """``videos/<random>/<slugified name>``: unguessable, readable, never colliding."""
    stem, extension = posixpath.splitext(posixpath.basename(filename.replace("\\", "/")))
    name = slugify(stem)[:80] or "video"
    extension = slugify(extension.lstrip("."))[:10]
    if extension:
        name = f"{name}.{extension}"
    return f"videos/{uuid.uuid4().hex}/{name}"


def part_size_for(size_bytes: int) -> int:
    """The configured part size, grown if needed so the file fits in S3's 10,000 parts."""
    part_bytes = max(settings.KOLSHOP_VIDEO_PART_BYTES, MIN_PART_BYTES)
    return max(part_bytes, math.ceil(size_bytes / MAX_PARTS))


def start_video_upload(
    *,
    owner,
    title: str,
    filename: str,
    content_type: str,
    size_bytes: int,
    duration_seconds: int | None = None,
) -> UploadTicket:
    """Creates a pending Video and the presigned request(s) to upload its file."""
    check_declared_file(content_type=content_type, size_bytes=size_bytes)
    if not s3.is_configured():
        raise StorageUnavailable()
    expires_in = settings.KOLSHOP_VIDEO_UPLOAD_EXPIRY_SECONDS
    video = Video(
        title=title,
        owner=owner,
        object_key=object_key_for(filename),
        content_type=content_type,
        size_bytes=size_bytes,
        duration_seconds=duration_seconds,
    )
    try:
        if size_bytes <= settings.KOLSHOP_VIDEO_MULTIPART_THRESHOLD_BYTES:
            return _start_single_upload(video, expires_in=expires_in)
        return _start_multipart_upload(video, expires_in=expires_in)
    except s3.S3Error as error:
        raise Unavailable(f"S3 refused the upload: {error}", code="storage_error") from error


def _start_single_upload(video: Video, *, expires_in: int) -> UploadTicket:
    # The policy pins the exact size: S3 refuses a file of any other length.
    post = s3.presigned_post(
        video.object_key,
        content_type=video.content_type,
        min_bytes=video.size_bytes,
        max_bytes=video.size_bytes,
        expires_in=expires_in,
    )
    video.save()
    return UploadTicket(video=video, method="post", expires_at=_expiry(expires_in), post=post)


def _start_multipart_upload(video: Video, *, expires_in: int) -> UploadTicket:
    part_bytes = part_size_for(video.size_bytes)
    upload_id = s3.create_multipart_upload(video.object_key, content_type=video.content_type)
    try:
        urls = s3.presigned_part_urls(
            video.object_key,
            upload_id=upload_id,
            part_count=math.ceil(video.size_bytes / part_bytes),
            expires_in=expires_in,
        )
        video.multipart_upload_id = upload_id
        video.save()
    except Exception:
        s3.abort_multipart_upload(video.object_key, upload_id=upload_id)
        raise
    parts = [PartUrl(part_number=number, url=url) for number, url in enumerate(urls, start=1)]
    return UploadTicket(
        video=video, method="multipart", expires_at=_expiry(expires_in), part_bytes=part_bytes, parts=parts
    )


def _expiry(seconds: int) -> datetime:
    return timezone.now() + timedelta(seconds=seconds)


def confirm_video_upload(video: Video, *, parts: list[s3.CompletedPart] | None = None) -> Video:
    """Attaches the uploaded object to the video once S3 holds exactly the declared file.

    Confirming twice returns the video unchanged. Nothing uploaded yet: 409, nothing changes.
    A stored object of the wrong size or type is deleted along with the pending video (400):
    the creator starts again.
    """
    if video.status != VideoStatus.PENDING:
        return video
    try:
        if video.multipart_upload_id:
            _complete_multipart(video, parts or [])
        info = s3.head_object(video.object_key)
    except s3.ObjectNotFound as error:
        raise Conflict("The file has not been uploaded yet.", code="upload_missing") from error
    except s3.S3Error as error:
        raise Unavailable(f"S3 refused the request: {error}", code="storage_error") from error
    problem = _mismatch(video, info)
    if problem is not None:
        discard_video(video)
        raise InvalidInput(problem[1], code="upload_rejected", field=problem[0])
    # Compare-and-set: of two concurrent confirmations one updates, both return the uploaded video.
    Video.objects.filter(pk=video.pk, status=VideoStatus.PENDING).update(
        status=VideoStatus.UPLOADED, uploaded_at=timezone.now(), multipart_upload_id=""
    )
    video.refresh_from_db()
    return video


def _complete_multipart(video: Video, parts: list[s3.CompletedPart]) -> None:
    if not parts:
        raise InvalidInput("List every uploaded part with its ETag.", code="parts_required", field="parts")
    try:
        s3.complete_multipart_upload(video.object_key, upload_id=video.multipart_upload_id, parts=parts)
    except s3.ObjectNotFound:
        # The upload may already be complete (a retried confirmation): HEAD decides.
        pass
    except s3.S3Error as error:
        raise InvalidInput(f"S3 could not assemble the parts: {error}", code="upload_incomplete",
                           field="parts") from error


def _mismatch(video: Video, info: s3.ObjectInfo) -> tuple[str, str] | None:
    if info.size != video.size_bytes or info.size > settings.KOLSHOP_VIDEO_MAX_BYTES:
        return "size_bytes", f"S3 holds {info.size} bytes, {video.size_bytes} were declared."
    if info.content_type != video.content_type or info.content_type not in settings.KOLSHOP_VIDEO_CONTENT_TYPES:
        return "content_type", f"S3 holds {info.content_type or 'no type'}, {video.content_type} was declared."
    return None


def discard_video(video: Video) -> None:
    """Deletes the row now and the object (or the open multipart upload) once the delete commits."""
    with transaction.atomic():
        video.delete()
    # The post_delete receiver schedules delete_video_object on commit; outside a transaction
    # on_commit runs at once.

