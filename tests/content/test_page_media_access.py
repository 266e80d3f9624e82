"""A page shows only media its creator may use: creator B cannot borrow creator A's video or images.

Saves go through the Wagtail admin as the creator, with only the groups the product gave them.
"""

import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Collection
from wagtail.test.utils.form_data import nested_form_data, streamfield

from content.models import LiveSessionPage
from content.services.preview import issue_preview_token
from media.models import Video, VideoStatus
from tests.factories import make_creator, make_image, make_product, make_user, storefront_of
from tests.media.conftest import make_video, moto_endpoint, s3_bucket  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

STARTS_AT = timezone.now().replace(microsecond=0) + timedelta(days=3)


def make_session(creator, *, title: str = "Friday live", replay=None, body=None, publish: bool = False) -> LiveSessionPage:
    session = LiveSessionPage(
        title=title, slug=title.lower().replace(" ", "-"), starts_at=STARTS_AT, ends_at=STARTS_AT + timedelta(hours=1),
        replay=replay, body=json.dumps(body or []), live=False,
    )
    session.owner = creator.user
    storefront_of(creator).add_child(instance=session)
    # clean=False: a row as an older release (or a script) may have stored it, past the admin's checks.
    revision = session.save_revision(user=creator.user, clean=False)
    if publish:
        revision.publish(user=creator.user, skip_permission_checks=True)  # as if an editor approved it
    return session


def session_form(session, **fields) -> dict:
    return nested_form_data({
        "title": session.title, "slug": session.slug, "summary": "",
        "starts_at": STARTS_AT.strftime("%Y-%m-%d %H:%M"),
        "ends_at": (STARTS_AT + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M"),
        "stream_url": "", "replay": "", "hero_image": "", "body": streamfield([]),
        **fields,
    })


def edit(client, page, form: dict):
    return client.post(reverse("wagtailadmin_pages:edit", args=[page.pk]), form)


def form_errors(response) -> dict[str, list[str]]:
    form = response.context["form"]
    return {field: [str(message) for message in messages] for field, messages in form.errors.items()}


@pytest.fixture
def mia_and_leo():
    return make_creator("mia"), make_creator("leo")


def test_a_creator_cannot_save_another_creators_private_video_as_replay(client, mia_and_leo):
    mia, leo = mia_and_leo
    mias_video = make_video(mia.user, title="Mia's unreleased haul")
    session = make_session(leo)
    revisions_before = session.revisions.count()
    client.force_login(leo.user)

    response = edit(client, session, session_form(session, replay=mias_video.pk))

    assert response.status_code == 200
    assert form_errors(response) == {
        "replay": ["replay: “Mia's unreleased haul” is another creator's unpublished video; choose one of your own."],
    }
    assert session.revisions.count() == revisions_before


def test_a_creator_cannot_embed_another_creators_private_video_in_the_body(client, mia_and_leo):
    mia, leo = mia_and_leo
    mias_video = make_video(mia.user, title="Mia's teaser")
    leos_video = make_video(leo.user, title="Leo's teaser")
    session = make_session(leo)
    client.force_login(leo.user)

    response = edit(client, session, session_form(session, body=streamfield([("video", leos_video.pk), ("video", mias_video.pk)])))

    assert form_errors(response) == {
        "body": ["body block 2 (video): “Mia's teaser” is another creator's unpublished video; choose one of your own."],
    }


def test_a_creator_may_use_their_own_video_and_anyones_published_one(client, mia_and_leo):
    mia, leo = mia_and_leo
    published = make_video(mia.user, title="Mia's public replay", status=VideoStatus.PUBLISHED)
    own = make_video(leo.user, title="Leo's replay")
    session = make_session(leo)
    client.force_login(leo.user)

    response = edit(client, session, session_form(session, replay=own.pk, body=streamfield([("video", published.pk)])))

    assert response.status_code == 302
    draft = LiveSessionPage.objects.get(pk=session.pk).get_latest_revision_as_object()
    assert (draft.replay_id, draft.body[0].value.pk) == (own.pk, published.pk)


def test_the_admin_preview_refuses_a_borrowed_video(client, mia_and_leo):
    mia, leo = mia_and_leo
    session = make_session(leo)
    client.force_login(leo.user)

    response = client.post(
        reverse("wagtailadmin_pages:preview_on_edit", args=[session.pk]),
        session_form(session, replay=make_video(mia.user).pk),
    )

    assert response.json() == {"is_valid": False, "is_available": False}


def test_a_creator_cannot_put_another_creators_image_in_a_shop_the_look_block(client, mia_and_leo):
    mia, leo = mia_and_leo
    mias_image = make_image("Mia's flat lay")
    mias_image.collection = Collection.objects.get(name="Creator: mia")
    mias_image.save()
    product = make_product()
    session = make_session(leo)
    client.force_login(leo.user)
    look = {
        "image": mias_image.pk, "caption": "",
        "hotspots": streamfield([("item", {"product": product.pk, "variant": "", "x": "10", "y": "10", "label": ""})]),
    }

    response = edit(client, session, session_form(session, body=streamfield([("shop_the_look", look)]), hero_image=mias_image.pk))

    assert form_errors(response) == {
        "hero_image": [f"hero_image: you may not use this image (id {mias_image.pk}); choose one from your own collection."],
        "body": [
            f"body block 1 (shop_the_look.image): you may not use this image (id {mias_image.pk}); "
            "choose one from your own collection."
        ],
    }


def test_a_creator_keeps_an_image_an_editor_already_put_on_their_page(client, mia_and_leo):
    _, leo = mia_and_leo
    catalog_image = make_image("Catalog shot")  # root collection: staff only
    session = make_session(leo)
    session.hero_image = catalog_image
    session.save_revision(user=leo.user)
    client.force_login(leo.user)

    response = edit(client, session, session_form(session, hero_image=catalog_image.pk, summary="Now with a summary"))

    assert response.status_code == 302
    assert LiveSessionPage.objects.get(pk=session.pk).get_latest_revision_as_object().summary == "Now with a summary"


def test_approving_a_page_publishes_only_its_creators_own_videos(
    s3_bucket, mia_and_leo, django_capture_on_commit_callbacks  # noqa: F811
):
    mia, leo = mia_and_leo
    mias, leos = make_video(mia.user, title="Mia's"), make_video(leo.user, title="Leo's")
    for video in (mias, leos):
        s3_bucket.client.put_object(Bucket=s3_bucket.name, Key=video.object_key, Body=b"v", ContentType="video/mp4")
    session = make_session(leo, replay=mias, body=[{"type": "video", "value": leos.pk, "id": "b1"}])
    editor = make_user("eddie")
    editor.groups.add(Group.objects.get(name="Editors"))

    # An editor approving a draft saved past the form (a script, an older release) publishes it.
    with django_capture_on_commit_callbacks(execute=True):
        session.get_latest_revision().publish(user=editor)

    assert dict(Video.objects.values_list("title", "status")) == {"Mia's": VideoStatus.UPLOADED, "Leo's": VideoStatus.PUBLISHED}
    assert s3_bucket.client.get_object_tagging(Bucket=s3_bucket.name, Key=mias.object_key)["TagSet"] == []


def test_the_headless_preview_never_signs_another_creators_private_video(client, s3_bucket, mia_and_leo):  # noqa: F811
    mia, leo = mia_and_leo
    mias, leos = make_video(mia.user, title="Mia's"), make_video(leo.user, title="Leo's")
    session = make_session(leo, replay=mias, body=[{"type": "video", "value": leos.pk, "id": "b1"}])
    client.defaults["HTTP_HOST"] = "localhost"

    data = client.get("/api/v2/pages/preview/", {"token": issue_preview_token(session)}).json()

    assert (data["replay"]["id"], data["replay"]["url"], data["replay"]["url_expires_at"]) == (mias.pk, None, None)
    assert data["body"][0]["value"]["id"] == leos.pk
    assert "X-Amz-Signature=" in data["body"][0]["value"]["url"]



def test_a_new_page_cannot_borrow_a_video_either(client, mia_and_leo):
    mia, leo = mia_and_leo
    client.force_login(leo.user)
    form = session_form(LiveSessionPage(title="Brand new", slug="brand-new"), replay=make_video(mia.user, title="Mia's").pk)

    response = client.post(
        reverse("wagtailadmin_pages:add", args=["content", "livesessionpage", storefront_of(leo).pk]), form
    )

    assert form_errors(response) == {
        "replay": ["replay: “Mia's” is another creator's unpublished video; choose one of your own."],
    }
    assert not LiveSessionPage.objects.filter(slug="brand-new").exists()


def test_the_reader_page_never_signs_another_creators_private_video(client, s3_bucket, mia_and_leo):  # noqa: F811
    mia, leo = mia_and_leo
    mias, leos = make_video(mia.user, title="Mia's"), make_video(leo.user, title="Leo's")
    session = make_session(leo, replay=mias, body=[{"type": "video", "value": leos.pk, "id": "b1"}], publish=True)
    client.defaults["HTTP_HOST"] = "localhost"

    html = client.get(LiveSessionPage.objects.get(pk=session.pk).url).content.decode()

    assert html.count("X-Amz-Signature=") == 1
    assert leos.object_key in html and mias.object_key not in html
