"""Creators upload and choose images and documents in their own collection, through Wagtail's own views.

Every user here holds only the groups the product gave them (provisioning and the roles after migrate).
"""

import io

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image as PILImage
from wagtail.documents.models import Document
from wagtail.images.models import Image
from wagtail.models import Collection

from tests.factories import make_creator, make_image, make_user

pytestmark = pytest.mark.django_db


def png_upload(name: str = "look.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    PILImage.new("RGB", (40, 30), "orange").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def upload_image(client, title: str) -> Image:
    response = client.post(reverse("wagtailimages:add"), {"title": title, "file": png_upload()})
    assert response.status_code == 302, response.content.decode()[:2000]
    return Image.objects.get(title=title)


def chooser_titles(client) -> str:
    response = client.get(reverse("wagtailimages_chooser:choose"))
    assert response.status_code == 200
    return response.json()["html"]


def test_a_creator_uploads_an_image_into_their_collection_and_chooses_it(client):
    mia = make_creator("mia")
    client.force_login(mia.user)

    image = upload_image(client, "Desk look")

    assert (image.collection.name, image.uploaded_by_user_id) == ("Creator: mia", mia.user.pk)
    assert "Desk look" in chooser_titles(client)
    chosen = client.get(reverse("wagtailimages_chooser:chosen", args=[image.pk]))
    assert chosen.status_code == 200
    assert chosen.json()["result"]["id"] == str(image.pk)


def test_a_creator_cannot_see_or_choose_another_creators_images():
    mia, leo = make_creator("mia"), make_creator("leo")
    mia_client, leo_client = Client(), Client()
    mia_client.force_login(mia.user)
    leo_client.force_login(leo.user)
    mias = upload_image(mia_client, "Mia's secret look")
    shared = make_image("Catalog shot")  # in the root collection, where only staff work

    leo_sees = chooser_titles(leo_client)
    listing = leo_client.get(reverse("wagtailimages:index"))
    edit = leo_client.get(reverse("wagtailimages:edit", args=[mias.pk]))

    assert "Mia&#x27;s secret look" not in leo_sees and "Mia's secret look" not in leo_sees
    assert shared.title not in leo_sees
    assert listing.status_code == 200 and "secret look" not in listing.content.decode()
    assert edit.status_code == 302  # Wagtail refuses: back to the admin home with a message


def test_the_chooser_upload_form_offers_only_the_creators_collection(client):
    mia = make_creator("mia")
    make_creator("leo")
    client.force_login(mia.user)

    response = client.post(
        reverse("wagtailimages_chooser:create"),
        {"image-chooser-upload-title": "Straight from the chooser", "image-chooser-upload-file": png_upload()},
    )

    image = Image.objects.get(title="Straight from the chooser")
    assert response.status_code == 200
    assert image.collection.name == "Creator: mia"


def test_a_creator_uploads_a_document_into_their_collection(client):
    mia = make_creator("mia")
    client.force_login(mia.user)

    response = client.post(
        reverse("wagtaildocs:add"),
        {"title": "Spec sheet", "file": SimpleUploadedFile("spec.txt", b"specs", content_type="text/plain")},
    )

    assert response.status_code == 302
    assert Document.objects.get(title="Spec sheet").collection.name == "Creator: mia"


def test_an_editor_sees_every_creators_images(client):
    mia = make_creator("mia")
    mia_client = Client()
    mia_client.force_login(mia.user)
    upload_image(mia_client, "Mia's desk")
    editor = make_user("eddie")
    editor.groups.add(Group.objects.get(name="Editors"))
    client.force_login(editor)

    assert "Mia&#x27;s desk" in chooser_titles(client)
    assert Collection.objects.filter(name="Creator: mia").count() == 1
