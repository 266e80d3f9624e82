"""Hostile requests to the video admin: chooser search and a POST to the upload page."""

import pytest
from django.urls import reverse

from media.models import Video, VideoStatus
from tests.media.conftest import make_user, make_video


@pytest.fixture
def mia(db):
    mia, leo = make_user("mia"), make_user("leo")
    make_video(mia, title="Mia unboxing")
    make_video(mia, title="Mia pending unboxing", status=VideoStatus.PENDING)
    make_video(leo, title="Leo unboxing")
    return mia


def test_chooser_search_finds_own_uploaded_videos(client, mia):
    client.force_login(mia)

    response = client.get(reverse("wagtailsnippetchoosers_kolshop_media_video:choose_results"), {"q": "unboxing"})

    html = response.content.decode()
    assert response.status_code == 200
    assert ("Mia unboxing" in html, "Mia pending unboxing" in html, "Leo unboxing" in html) == (True, False, False)


def test_a_post_to_the_upload_page_is_refused_without_creating_a_video(client, mia):
    client.force_login(mia)
    before = Video.objects.count()

    response = client.post(reverse("wagtailsnippets_kolshop_media_video:add"), {"title": "x"})

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, OPTIONS"
    assert Video.objects.count() == before


def test_a_post_to_a_create_path_under_the_video_admin_is_a_404(client, mia):
    client.force_login(mia)
    before = Video.objects.count()

    response = client.post("/admin/snippets/kolshop_media/video/create/", {"title": "x"})

    assert response.status_code == 404
    assert Video.objects.count() == before
