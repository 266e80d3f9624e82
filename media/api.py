"""Video upload endpoints under /api/v1/media/ for signed-in creators and staff (session auth).

POST videos/uploads          start: a pending video and presigned request(s) for the browser
POST videos/{id}/confirm     S3 holds the declared file (HEAD): the video becomes usable
GET  videos/{id}             the video with a playable URL
DELETE videos/{id}           the video and its object
"""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.security import django_auth

from media import s3
from media.models import Video
from media.permissions import can_upload_videos, visible_videos
from media.services.playback import playable_url
from media.services.uploads import confirm_video_upload, discard_video, start_video_upload
from shop.errors import NotFound, PermissionDenied
from shop.validation import INT32_MAX, INT64_MAX, ObjectId, column_text, integer, text

router = Router(tags=["media"], auth=django_auth)


class StartUploadIn(Schema):
    title: column_text(Video, "title", min_length=1)
    filename: text(min_length=1, max_length=255)
    content_type: column_text(Video, "content_type", min_length=1)
    size_bytes: integer(minimum=1, maximum=INT64_MAX)
    duration_seconds: integer(minimum=0, maximum=INT32_MAX) | None = None


class PartIn(Schema):
    part_number: integer(minimum=1, maximum=10_000)
    etag: text(min_length=1, max_length=200)


class ConfirmIn(Schema):
    parts: list[PartIn] = Field(default_factory=list)


class VideoOut(Schema):
    id: int
    title: str
    status: str
    content_type: str
    size_bytes: int
    duration_seconds: int | None
    poster_id: int | None
    url: str | None
    url_expires_at: datetime | None


class PostUploadOut(Schema):
    url: str
    fields: dict[str, str]


class PartUrlOut(Schema):
    part_number: int
    url: str


class UploadOut(Schema):
    method: str
    expires_at: datetime
    post: PostUploadOut | None
    part_bytes: int | None
    parts: list[PartUrlOut]


class StartUploadOut(Schema):
    video: VideoOut
    upload: UploadOut


class ErrorOut(Schema):
    code: str
    message: str
    field: str | None


ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 502: ErrorOut, 503: ErrorOut}


def video_out(video: Video) -> dict:
    # Only videos the user may manage reach here (visible_videos): their owner's view signs them.
    playable = playable_url(video, private_for_owner_id=video.owner_id)
    return {
        "id": video.pk,
        "title": video.title,
        "status": video.status,
        "content_type": video.content_type,
        "size_bytes": video.size_bytes,
        "duration_seconds": video.duration_seconds,
        "poster_id": video.poster_id,
        "url": playable.url if playable else None,
        "url_expires_at": playable.expires_at if playable else None,
    }


def _require_uploader(request: HttpRequest) -> None:
    if not can_upload_videos(request.user):
        raise PermissionDenied("Only creators and staff may upload videos.", code="permission_denied")


def _visible_video(request: HttpRequest, video_id: ObjectId) -> Video:
    _require_uploader(request)
    video = visible_videos(request.user).filter(pk=video_id).first()
    if video is None:
        raise NotFound("No such video.")
    return video


@router.post("/videos/uploads", response={201: StartUploadOut, **ERRORS}, url_name="media_video_upload_start")
def start_upload(request: HttpRequest, payload: StartUploadIn):
    _require_uploader(request)
    ticket = start_video_upload(
        owner=request.user,
        title=payload.title,
        filename=payload.filename,
        content_type=payload.content_type,
        size_bytes=payload.size_bytes,
        duration_seconds=payload.duration_seconds,
    )
    upload = {
        "method": ticket.method,
        "expires_at": ticket.expires_at,
        "post": {"url": ticket.post.url, "fields": ticket.post.fields} if ticket.post else None,
        "part_bytes": ticket.part_bytes,
        "parts": [{"part_number": part.part_number, "url": part.url} for part in ticket.parts],
    }
    return Status(201, {"video": video_out(ticket.video), "upload": upload})


@router.post("/videos/{int:video_id}/confirm", response={200: VideoOut, **ERRORS}, url_name="media_video_confirm")
def confirm_upload(request: HttpRequest, video_id: ObjectId, payload: ConfirmIn | None = None):
    video = _visible_video(request, video_id)
    parts = [s3.CompletedPart(part_number=part.part_number, etag=part.etag) for part in (payload.parts if payload else [])]
    return Status(200, video_out(confirm_video_upload(video, parts=parts)))


@router.get("/videos/{int:video_id}", response={200: VideoOut, **ERRORS}, url_name="media_video_detail")
def get_video(request: HttpRequest, video_id: ObjectId):
    return Status(200, video_out(_visible_video(request, video_id)))


@router.delete("/videos/{int:video_id}", response={204: None, **ERRORS})
def delete_video(request: HttpRequest, video_id: ObjectId):
    discard_video(_visible_video(request, video_id))
    return Status(204, None)
