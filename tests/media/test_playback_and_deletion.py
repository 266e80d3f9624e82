"""Private videos play through short-lived presigned URLs; published ones from the CDN; deletes reach S3."""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from media.models import Video, VideoStatus
from media.services.playback import playable_url, publish_video, unpublish_video
from media.services.uploads import start_video_upload
from shop.api_edge import domain_error_status
from shop.errors import DomainError
from tests.media.conftest import MIB, make_user, make_video


def put_object(s3_bucket, video: Video, body: bytes = b"hello video") -> None:
    s3_bucket.client.put_object(Bucket=s3_bucket.name, Key=video.object_key, Body=body, ContentType=video.content_type)


def tags_of(s3_bucket, video: Video) -> list[dict]:
    return s3_bucket.client.get_object_tagging(Bucket=s3_bucket.name, Key=video.object_key)["TagSet"]


@pytest.mark.django_db
def test_unpublished_video_plays_through_a_presigned_url_that_expires(s3_bucket, settings):
    settings.KOLSHOP_VIDEO_PRIVATE_URL_EXPIRY_SECONDS = 120
    video = make_video(make_user())
    put_object(s3_bucket, video)

    playable = playable_url(video, private_for_owner_id=video.owner_id)

    parts = urlsplit(playable.url)
    query = parse_qs(parts.query)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{s3_bucket.endpoint}/kolshop-media/{video.object_key}"
    assert query["X-Amz-Expires"] == ["120"]
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert "X-Amz-Signature" in query
    assert 119 <= (playable.expires_at - video.created_at).total_seconds() <= 125
    assert requests.get(playable.url, timeout=10).content == b"hello video"


@pytest.mark.django_db
def test_an_unpublished_video_is_never_signed_for_anyone_but_its_owner(s3_bucket):
    owner, other = make_user(), make_user()
    video = make_video(owner)
    put_object(s3_bucket, video)

    assert playable_url(video, private_for_owner_id=other.pk) is None
    assert playable_url(video, private_for_owner_id=None) is None
    assert "X-Amz-Signature=" in playable_url(video, private_for_owner_id=owner.pk).url


@pytest.mark.django_db
def test_video_not_uploaded_yet_has_no_url(s3_bucket):
    video = make_video(make_user(), status=VideoStatus.PENDING)

    assert playable_url(video, private_for_owner_id=video.owner_id) is None


@pytest.mark.django_db
def test_published_video_uses_the_cdn_domain_and_is_tagged_public(s3_bucket, settings):
    settings.AWS_S3_CUSTOM_DOMAIN = "cdn.kolshop.example"
    video = make_video(make_user(), key="videos/0123abcd/live replay.mp4")
    put_object(s3_bucket, video)

    published = publish_video(video)
    playable = playable_url(published, private_for_owner_id=None)

    assert (published.status, published.published_at is not None) == (VideoStatus.PUBLISHED, True)
    assert playable.url == "https://cdn.kolshop.example/videos/0123abcd/live%20replay.mp4"
    assert playable.expires_at is None
    assert tags_of(s3_bucket, video) == [{"Key": "kolshop-visibility", "Value": "public"}]


@pytest.mark.django_db
def test_published_video_without_a_cdn_uses_the_plain_bucket_url(s3_bucket):
    video = make_video(make_user())
    put_object(s3_bucket, video)

    playable = playable_url(publish_video(video), private_for_owner_id=None)

    assert playable.url == f"{s3_bucket.endpoint}/kolshop-media/{video.object_key}"


@pytest.mark.django_db
def test_unpublishing_makes_the_video_private_again(s3_bucket):
    video = make_video(make_user())
    put_object(s3_bucket, video)
    publish_video(video)

    video = unpublish_video(video)

    assert (video.status, video.published_at) == (VideoStatus.UPLOADED, None)
    assert tags_of(s3_bucket, video) == [{"Key": "kolshop-visibility", "Value": "private"}]
    assert "X-Amz-Signature=" in playable_url(video, private_for_owner_id=video.owner_id).url


@pytest.mark.django_db
def test_a_video_not_uploaded_cannot_be_published(s3_bucket):
    video = make_video(make_user(), status=VideoStatus.PENDING)

    with pytest.raises(DomainError) as refused:
        publish_video(video)

    assert (refused.value.code, domain_error_status(refused.value)) == ("not_uploaded", 409)
    assert Video.objects.get().status == VideoStatus.PENDING


@pytest.mark.django_db
def test_deleting_a_video_deletes_its_object(s3_bucket, django_capture_on_commit_callbacks):
    owner = make_user()
    kept, deleted = make_video(owner), make_video(owner)
    put_object(s3_bucket, kept)
    put_object(s3_bucket, deleted)

    with django_capture_on_commit_callbacks(execute=True):
        deleted.delete()

    assert s3_bucket.keys("videos/") == [kept.object_key]


@pytest.mark.django_db
def test_deleting_the_owner_deletes_their_videos_and_objects(s3_bucket, django_capture_on_commit_callbacks):
    owner, other = make_user(), make_user()
    first, second, others = make_video(owner), make_video(owner), make_video(other)
    for video in (first, second, others):
        put_object(s3_bucket, video)

    with django_capture_on_commit_callbacks(execute=True):
        owner.delete()

    assert list(Video.objects.values_list("pk", flat=True)) == [others.pk]
    assert s3_bucket.keys("videos/") == [others.object_key]


@pytest.mark.django_db
def test_deleting_a_pending_multipart_video_aborts_the_upload(s3_bucket, django_capture_on_commit_callbacks):
    ticket = start_video_upload(owner=make_user(), title="Replay", filename="r.mp4", content_type="video/mp4", size_bytes=6 * MIB)
    assert s3_bucket.open_multipart_uploads() == [ticket.video.object_key]

    with django_capture_on_commit_callbacks(execute=True):
        ticket.video.delete()

    assert s3_bucket.open_multipart_uploads() == []


@pytest.mark.django_db
def test_a_rolled_back_delete_keeps_the_object(s3_bucket, django_capture_on_commit_callbacks):
    from django.db import transaction

    video = make_video(make_user())
    video_id = video.pk
    put_object(s3_bucket, video)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            video.delete()
            raise RuntimeError("abort")

    assert callbacks == []
    assert Video.objects.filter(pk=video_id).exists()
    assert s3_bucket.keys("videos/") == [video.object_key]
