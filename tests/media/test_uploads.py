"""Start, send and confirm video uploads through real boto3 and HTTP against moto's S3."""

import base64
import json

import pytest
import requests

from media import s3
from media.models import Video, VideoStatus
from media.services.uploads import confirm_video_upload, start_video_upload
from shop.api_edge import domain_error_status
from shop.errors import DomainError
from tests.media.conftest import MIB, make_user

CLIP = b"\x00\x00\x00\x18ftypmp42" + b"m" * 1000  # 1012 bytes


def post_file(ticket, content: bytes, *, content_type: str | None = None) -> requests.Response:
    fields = dict(ticket.post.fields)
    if content_type is not None:
        fields["Content-Type"] = content_type
    return requests.post(ticket.post.url, data=fields, files={"file": ("clip.mp4", content)}, timeout=30)


def policy_of(ticket) -> dict:
    return json.loads(base64.b64decode(ticket.post.fields["policy"]))


@pytest.mark.django_db
def test_small_video_uploads_with_a_presigned_post_and_confirms(s3_bucket, django_capture_on_commit_callbacks):
    owner = make_user()
    ticket = start_video_upload(
        owner=owner, title="Unboxing", filename="My Unboxing.MP4", content_type="video/mp4", size_bytes=len(CLIP),
        duration_seconds=42,
    )

    response = post_file(ticket, CLIP)
    video = confirm_video_upload(ticket.video)

    assert response.status_code == 204
    assert ticket.method == "post"
    assert ticket.post.url == f"{s3_bucket.endpoint}/{s3_bucket.name}"
    assert video.object_key.startswith("videos/") and video.object_key.endswith("/my-unboxing.mp4")
    assert len(video.object_key.split("/")[1]) == 32
    assert s3_bucket.keys("videos/") == [video.object_key]
    stored = s3_bucket.client.head_object(Bucket=s3_bucket.name, Key=video.object_key)
    assert (stored["ContentLength"], stored["ContentType"]) == (1012, "video/mp4")
    assert (video.status, video.size_bytes, video.duration_seconds, video.owner) == ("uploaded", 1012, 42, owner)
    assert video.uploaded_at is not None


@pytest.mark.django_db
def test_presigned_policy_pins_key_type_and_exact_size(s3_bucket):
    """S3 enforces these conditions; moto accepts any POST, so confirm re-checks (next tests)."""
    ticket = start_video_upload(
        owner=make_user(), title="Clip", filename="clip.webm", content_type="video/webm", size_bytes=2048
    )

    conditions = policy_of(ticket)["conditions"]

    assert {"bucket": "kolshop-media"} in conditions
    assert {"key": ticket.video.object_key} in conditions
    assert {"Content-Type": "video/webm"} in conditions
    assert ["content-length-range", 2048, 2048] in conditions
    assert ticket.post.fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    assert ticket.post.fields["Content-Type"] == "video/webm"


@pytest.mark.django_db
def test_start_refuses_a_file_over_the_limit_without_creating_anything(s3_bucket):
    with pytest.raises(DomainError) as refused:
        start_video_upload(owner=make_user(), title="Too long", filename="x.mp4", content_type="video/mp4", size_bytes=8 * MIB + 1)

    assert (refused.value.code, refused.value.field, domain_error_status(refused.value)) == ("file_too_large", "size_bytes", 400)
    assert Video.objects.count() == 0
    assert s3_bucket.open_multipart_uploads() == []


@pytest.mark.django_db
def test_start_refuses_a_type_that_is_not_video(s3_bucket):
    with pytest.raises(DomainError) as refused:
        start_video_upload(owner=make_user(), title="Page", filename="x.html", content_type="text/html", size_bytes=10)

    assert (refused.value.code, refused.value.field) == ("unsupported_content_type", "content_type")
    assert Video.objects.count() == 0


@pytest.mark.django_db
def test_confirm_refuses_an_object_larger_than_declared_and_deletes_it(s3_bucket, django_capture_on_commit_callbacks):
    ticket = start_video_upload(owner=make_user(), title="Sneaky", filename="a.mp4", content_type="video/mp4", size_bytes=100)
    assert post_file(ticket, b"x" * 5000).status_code == 204  # real S3 answers 400 EntityTooLarge here

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(DomainError) as refused:
        confirm_video_upload(ticket.video)

    assert (refused.value.code, refused.value.field, domain_error_status(refused.value)) == ("upload_rejected", "size_bytes", 400)
    assert refused.value.message == "S3 holds 5000 bytes, 100 were declared."
    assert Video.objects.count() == 0
    assert s3_bucket.keys("videos/") == []


@pytest.mark.django_db
def test_confirm_refuses_an_object_stored_with_another_type(s3_bucket, django_capture_on_commit_callbacks):
    ticket = start_video_upload(owner=make_user(), title="Sneaky", filename="a.mp4", content_type="video/mp4", size_bytes=4)
    assert post_file(ticket, b"<h1>", content_type="text/html").status_code == 204  # real S3: 403 policy condition

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(DomainError) as refused:
        confirm_video_upload(ticket.video)

    assert (refused.value.code, refused.value.field) == ("upload_rejected", "content_type")
    assert refused.value.message == "S3 holds text/html, video/mp4 was declared."
    assert Video.objects.count() == 0
    assert s3_bucket.keys("videos/") == []


@pytest.mark.django_db
def test_confirm_before_the_upload_is_a_conflict_and_changes_nothing(s3_bucket):
    ticket = start_video_upload(owner=make_user(), title="Later", filename="a.mp4", content_type="video/mp4", size_bytes=4)

    with pytest.raises(DomainError) as refused:
        confirm_video_upload(ticket.video)

    video = Video.objects.get()
    assert (refused.value.code, domain_error_status(refused.value)) == ("upload_missing", 409)
    assert (video.status, video.uploaded_at) == (VideoStatus.PENDING, None)
    # The presigned POST still works afterwards.
    assert post_file(ticket, b"abcd").status_code == 204
    assert confirm_video_upload(video).status == VideoStatus.UPLOADED


@pytest.mark.django_db
def test_large_video_uploads_in_two_presigned_parts(s3_bucket):
    size = 6 * MIB + 123
    content = bytes(range(256)) * (size // 256) + b"z" * (size % 256)
    ticket = start_video_upload(owner=make_user(), title="Live replay", filename="replay.mp4", content_type="video/mp4", size_bytes=size)

    etags = []
    for part in ticket.parts:
        start = (part.part_number - 1) * ticket.part_bytes
        response = requests.put(part.url, data=content[start : start + ticket.part_bytes], timeout=60)
        assert response.status_code == 200
        etags.append(s3.CompletedPart(part_number=part.part_number, etag=response.headers["ETag"]))
    assert s3_bucket.open_multipart_uploads() == [ticket.video.object_key]
    video = confirm_video_upload(ticket.video, parts=etags)

    assert (ticket.method, ticket.part_bytes, [part.part_number for part in ticket.parts]) == ("multipart", 5 * MIB, [1, 2])
    assert "uploadId=" in ticket.parts[0].url and "partNumber=1" in ticket.parts[0].url
    assert (video.status, video.multipart_upload_id) == (VideoStatus.UPLOADED, "")
    body = s3_bucket.client.get_object(Bucket=s3_bucket.name, Key=video.object_key)["Body"].read()
    assert body == content
    assert s3_bucket.open_multipart_uploads() == []


@pytest.mark.django_db
def test_multipart_confirm_without_parts_is_refused_and_keeps_the_upload_open(s3_bucket):
    ticket = start_video_upload(owner=make_user(), title="Replay", filename="r.mp4", content_type="video/mp4", size_bytes=6 * MIB)

    with pytest.raises(DomainError) as refused:
        confirm_video_upload(ticket.video, parts=[])

    assert (refused.value.code, refused.value.field) == ("parts_required", "parts")
    assert Video.objects.get().status == VideoStatus.PENDING
    assert s3_bucket.open_multipart_uploads() == [ticket.video.object_key]


@pytest.mark.django_db
def test_confirming_twice_returns_the_same_video(s3_bucket):
    ticket = start_video_upload(owner=make_user(), title="Twice", filename="a.mp4", content_type="video/mp4", size_bytes=4)
    post_file(ticket, b"abcd")
    first = confirm_video_upload(ticket.video)

    second = confirm_video_upload(Video.objects.get())

    assert (second.pk, second.status, second.uploaded_at) == (first.pk, VideoStatus.UPLOADED, first.uploaded_at)


@pytest.mark.django_db
def test_start_without_a_bucket_says_storage_is_unavailable(settings):
    settings.AWS_STORAGE_BUCKET_NAME = ""

    with pytest.raises(DomainError) as refused:
        start_video_upload(owner=make_user(), title="Dev", filename="a.mp4", content_type="video/mp4", size_bytes=4)

    assert (refused.value.code, domain_error_status(refused.value)) == ("storage_unavailable", 503)
    assert Video.objects.count() == 0
