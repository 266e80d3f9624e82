"""VideoChooserBlock: API representation with poster renditions, loaded for all videos at once."""

import pytest
from django.core.exceptions import ValidationError
from wagtail import blocks

from media.blocks import VIDEO_OWNER_CONTEXT_KEY, VideoChooserBlock
from media.models import VideoStatus
from tests.media.conftest import make_image, make_user, make_video


class VideoStream(blocks.StreamBlock):
    video = VideoChooserBlock()


@pytest.mark.django_db
def test_api_representation_has_poster_renditions_and_a_playable_url(s3_bucket):
    poster = make_image("Studio poster", width=1920, height=1080)
    video = make_video(make_user(), title="Live: autumn haul", poster=poster)
    block = VideoChooserBlock()

    representation = block.get_api_representation(block.to_python(video.pk), {VIDEO_OWNER_CONTEXT_KEY: video.owner_id})

    poster_out = representation.pop("poster")
    url = representation.pop("url")
    assert representation == {"id": video.pk, "title": "Live: autumn haul", "duration": 95, "url_expires_at": representation["url_expires_at"]}
    assert representation["url_expires_at"] is not None
    assert url.startswith(f"{s3_bucket.endpoint}/kolshop-media/{video.object_key}?") and "X-Amz-Expires=300" in url
    assert poster_out["id"] == poster.pk and poster_out["alt"] == "Studio poster"
    assert {name: (r["width"], r["height"]) for name, r in poster_out["renditions"].items()} == {
        "small": (480, 270), "large": (1280, 720),
    }
    assert poster_out["renditions"]["small"]["url"].startswith(f"{s3_bucket.endpoint}/kolshop-media/images/")


@pytest.mark.django_db
def test_an_unpublished_video_of_someone_other_than_the_pages_creator_gets_no_url(s3_bucket):
    video = make_video(make_user(), title="Not yours")
    block = VideoChooserBlock()

    for context in (None, {}, {VIDEO_OWNER_CONTEXT_KEY: make_user().pk}):
        representation = block.get_api_representation(block.to_python(video.pk), context)
        assert (representation["url"], representation["url_expires_at"]) == (None, None)


@pytest.mark.django_db
def test_block_without_poster_or_video(s3_bucket):
    video = make_video(make_user(), title="No poster")
    block = VideoChooserBlock()

    assert block.get_api_representation(block.to_python(video.pk))["poster"] is None
    assert block.get_api_representation(None) is None


@pytest.mark.django_db
def test_a_pending_video_cannot_be_embedded(s3_bucket):
    video = make_video(make_user(), title="Half uploaded", status=VideoStatus.PENDING)
    block = VideoChooserBlock()

    with pytest.raises(ValidationError) as refused:
        block.clean(video)

    assert refused.value.messages == ["“Half uploaded” has not finished uploading; confirm the upload first."]


@pytest.mark.django_db
@pytest.mark.parametrize("count", [2, 6])
def test_loading_a_page_of_videos_costs_the_same_queries_at_any_size(s3_bucket, django_assert_num_queries, count):
    owner = make_user()
    videos = [make_video(owner, title=f"Video {n}", poster=make_image(f"Poster {n}", width=320, height=180)) for n in range(count)]
    stream = VideoStream()
    raw = [{"type": "video", "value": video.pk, "id": f"b{n}"} for n, video in enumerate(videos)]
    stream.get_api_representation(stream.to_python(raw))  # warm-up: renditions are generated once

    with django_assert_num_queries(3):  # videos, posters, their renditions
        representation = stream.get_api_representation(stream.to_python(raw))

    assert [item["value"]["title"] for item in representation] == [f"Video {n}" for n in range(count)]
    # Wagtail never upscales: a 320x180 poster stays 320x180 in both sizes.
    assert {(r["width"], r["height"]) for item in representation for r in item["value"]["poster"]["renditions"].values()} == {
        (320, 180)
    }
