"""Videos in the Wagtail admin: owner-scoped listing, editing and chooser; the upload page."""

import pytest
from django.urls import reverse

from media.models import Video, VideoStatus
from tests.media.conftest import make_user, make_video


@pytest.fixture
def two_creators(db):
    mia, leo = make_user("mia"), make_user("leo")
    return {
        "mia": mia,
        "leo": leo,
        "mia_ready": make_video(mia, title="Mia ready"),
        "mia_pending": make_video(mia, title="Mia pending", status=VideoStatus.PENDING),
        "leo_ready": make_video(leo, title="Leo ready"),
    }


def titles_in(response) -> list[str]:
    html = response.content.decode()
    return [title for title in ("Mia ready", "Mia pending", "Leo ready") if title in html]


def test_creator_lists_only_their_own_videos(client, two_creators):
    client.force_login(two_creators["mia"])

    response = client.get(reverse("wagtailsnippets_kolshop_media_video:list"))

    assert response.status_code == 200
    assert titles_in(response) == ["Mia ready", "Mia pending"]


def test_creator_cannot_edit_or_delete_another_creators_video(client, two_creators):
    client.force_login(two_creators["mia"])
    leo_video = two_creators["leo_ready"]

    edit = client.get(reverse("wagtailsnippets_kolshop_media_video:edit", args=[leo_video.pk]))
    delete = client.post(reverse("wagtailsnippets_kolshop_media_video:delete", args=[leo_video.pk]))

    # Rows outside the user's scope are answered like rows that do not exist.
    assert (edit.status_code, delete.status_code) == (404, 404)
    assert Video.objects.filter(pk=leo_video.pk).exists()


def test_creator_edits_title_duration_and_poster_of_their_video(client, two_creators):
    client.force_login(two_creators["mia"])
    video = two_creators["mia_ready"]

    response = client.post(
        reverse("wagtailsnippets_kolshop_media_video:edit", args=[video.pk]),
        {"title": "Mia renamed", "duration_seconds": "61", "poster": ""},
    )

    video.refresh_from_db()
    assert response.status_code == 302
    assert (video.title, video.duration_seconds, video.object_key.startswith("videos/")) == ("Mia renamed", 61, True)


def test_chooser_offers_only_own_uploaded_videos(client, two_creators):
    client.force_login(two_creators["mia"])

    response = client.get(reverse("wagtailsnippetchoosers_kolshop_media_video:choose"))

    assert response.status_code == 200
    assert titles_in(response) == ["Mia ready"]


def test_chosen_view_refuses_another_creators_video(client, two_creators):
    client.force_login(two_creators["mia"])

    own = client.get(reverse("wagtailsnippetchoosers_kolshop_media_video:chosen", args=[two_creators["mia_ready"].pk]))
    other = client.get(reverse("wagtailsnippetchoosers_kolshop_media_video:chosen", args=[two_creators["leo_ready"].pk]))

    assert own.status_code == 200, own.json()
    assert own.json()["result"]["string"] == "Mia ready", own.json()
    assert other.status_code == 404


def test_editor_with_manage_any_video_sees_everyones_videos(client, two_creators):
    from django.contrib.auth.models import Group

    editor = make_user("ed", creator=False)
    editor.groups.add(Group.objects.get(name="Editors"))
    client.force_login(editor)

    response = client.get(reverse("wagtailsnippets_kolshop_media_video:list"))

    assert titles_in(response) == ["Mia ready", "Mia pending", "Leo ready"]


def test_add_is_the_presigned_upload_page_with_the_vendored_script(client, two_creators):
    client.force_login(two_creators["mia"])

    response = client.get(reverse("wagtailsnippets_kolshop_media_video:add"))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-start-url="/api/v1/media/videos/uploads"' in html
    assert 'data-videos-url="/api/v1/media/videos/"' in html
    assert 'data-edit-url-template="/admin/snippets/kolshop_media/video/edit/{id}/"' in html
    assert 'accept="video/mp4,video/quicktime,video/webm"' in html
    assert "/static/kolshop_media/js/video-upload.js" in html
    assert "cdn" not in html.split("video-upload.js")[0].rsplit("<script", 1)[-1]


def test_upload_page_is_refused_without_the_upload_permission(client, db):
    from creators.services.roles import add_brand_member
    from tests.factories import make_brand

    user = make_user("brand", creator=False)
    add_brand_member(user, brand=make_brand())  # a brand user: admin access, no video rights
    client.force_login(user)

    response = client.get(reverse("wagtailsnippets_kolshop_media_video:add"))

    assert (response.status_code, response["Location"]) == (302, "/admin/")
