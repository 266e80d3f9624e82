"""Live sessions carry a replay video; guides embed videos; the API gives what a player needs."""

from datetime import timedelta

import pytest
from django.utils import timezone

from content.models import LiveSessionPage
from media.models import Video, VideoStatus
from tests.factories import make_creator, storefront_of

pytestmark = pytest.mark.django_db


def make_uploaded_video(owner, title: str) -> Video:
    return Video.objects.create(
        title=title, owner=owner, object_key=f"videos/{title.lower().replace(' ', '-')}.mp4", content_type="video/mp4",
        size_bytes=1024, duration_seconds=3600, status=VideoStatus.UPLOADED, uploaded_at=timezone.now(),
    )


def test_the_api_gives_a_live_sessions_replay_and_embedded_videos(client):
    creator = make_creator("rex")
    replay = make_uploaded_video(creator.user, "Friday replay")
    teaser = make_uploaded_video(creator.user, "Teaser")
    starts_at = timezone.now().replace(microsecond=0)
    session = LiveSessionPage(
        title="Friday live", slug="friday", starts_at=starts_at, ends_at=starts_at + timedelta(hours=1),
        replay=replay, body=[("video", teaser)],
    )
    storefront_of(creator).add_child(instance=session)
    session.save_revision().publish()

    data = client.get(f"/api/v2/pages/{session.pk}/").json()

    # Without S3 configured there is no playable URL yet; the rest is exact.
    assert data["replay"] == {"id": replay.pk, "title": "Friday replay", "duration": 3600, "poster": None,
                              "url": None, "url_expires_at": None}
    assert data["body"][0]["type"] == "video"
    assert data["body"][0]["value"]["title"] == "Teaser"
    assert client.get(session.url).status_code == 200
