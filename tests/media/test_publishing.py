"""Publishing a page publishes its creator's videos it embeds, wherever in its StreamFields they sit."""

import pytest
from django.db import models
from django.test.utils import isolate_apps
from wagtail import blocks
from wagtail.fields import StreamField

from media.blocks import VideoChooserBlock
from media.models import Video, VideoStatus
from media.services.publishing import publish_videos_on, publish_videos_on_commit, video_ids_on
from tests.media.conftest import make_user, make_video


@pytest.fixture
def embedding_model():
    """A stand-in for a page model: a nested StreamField with video blocks and a video foreign key."""
    with isolate_apps("media"):

        class SectionBlock(blocks.StructBlock):
            heading = blocks.CharBlock()
            videos = blocks.ListBlock(VideoChooserBlock())

        class EmbeddingPage(models.Model):
            body = StreamField([("video", VideoChooserBlock()), ("section", SectionBlock())], blank=True)
            hero = models.ForeignKey(Video, null=True, on_delete=models.SET_NULL, related_name="+")

            class Meta:
                app_label = "kolshop_media"

            @property
            def specific(self):
                return self

        yield EmbeddingPage


def put_objects(s3_bucket, *videos):
    for video in videos:
        s3_bucket.client.put_object(Bucket=s3_bucket.name, Key=video.object_key, Body=b"v", ContentType="video/mp4")


@pytest.mark.django_db
def test_finds_videos_in_nested_blocks_and_foreign_keys(s3_bucket, embedding_model):
    owner = make_user()
    top, nested, hero, elsewhere = (make_video(owner) for _ in range(4))
    page = embedding_model(
        body=[("video", top), ("section", {"heading": "Replays", "videos": [nested]})], hero=hero
    )

    assert video_ids_on(page) == {top.pk, nested.pk, hero.pk}
    assert elsewhere.pk not in video_ids_on(page)


@pytest.mark.django_db
def test_publishing_publishes_the_owners_uploaded_videos_after_commit(
    s3_bucket, embedding_model, django_capture_on_commit_callbacks
):
    owner = make_user()
    uploaded, pending = make_video(owner), make_video(owner, status=VideoStatus.PENDING)
    put_objects(s3_bucket, uploaded)
    page = embedding_model(body=[("video", uploaded), ("video", pending)])

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        publish_videos_on_commit(page, owner_id=owner.pk)
    assert Video.objects.get(pk=uploaded.pk).status == VideoStatus.UPLOADED  # nothing before commit
    for callback in callbacks:
        callback()

    statuses = dict(Video.objects.values_list("pk", "status"))
    assert statuses == {uploaded.pk: VideoStatus.PUBLISHED, pending.pk: VideoStatus.PENDING}
    tags = s3_bucket.client.get_object_tagging(Bucket=s3_bucket.name, Key=uploaded.object_key)["TagSet"]
    assert tags == [{"Key": "kolshop-visibility", "Value": "public"}]


@pytest.mark.django_db
def test_a_video_whose_object_is_missing_is_logged_and_the_others_still_publish(s3_bucket, embedding_model, caplog):
    owner = make_user()
    missing, present = make_video(owner), make_video(owner)
    put_objects(s3_bucket, present)
    page = embedding_model(body=[("video", missing), ("video", present)])

    published = publish_videos_on(page, owner_id=owner.pk)

    assert [video.pk for video in published] == [present.pk]
    assert Video.objects.get(pk=missing.pk).status == VideoStatus.UPLOADED
    assert f"Could not publish video {missing.pk}" in caplog.text


@pytest.mark.django_db
def test_publishing_never_makes_another_owners_video_public(s3_bucket, embedding_model):
    owner, someone_else = make_user(), make_user()
    own, borrowed, borrowed_hero = make_video(owner), make_video(someone_else), make_video(someone_else)
    put_objects(s3_bucket, own, borrowed, borrowed_hero)
    page = embedding_model(body=[("video", own), ("section", {"heading": "x", "videos": [borrowed]})], hero=borrowed_hero)

    published = publish_videos_on(page, owner_id=owner.pk)

    assert [video.pk for video in published] == [own.pk]
    assert dict(Video.objects.values_list("pk", "status")) == {
        own.pk: VideoStatus.PUBLISHED, borrowed.pk: VideoStatus.UPLOADED, borrowed_hero.pk: VideoStatus.UPLOADED,
    }
    assert s3_bucket.client.get_object_tagging(Bucket=s3_bucket.name, Key=borrowed.object_key)["TagSet"] == []
    assert publish_videos_on(page, owner_id=None) == []
