"""A fresh install as ``make demo`` builds it (one migrate, then load_demo): a demo creator uploads an
image, finds it in the chooser and uses it in a shop-the-look block; video uploads wait for a bucket.

Nothing is granted by hand: the test database is built by ``migrate`` and the rest by the loader.
"""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from PIL import Image as PILImage
from wagtail.images.models import Image
from wagtail.test.utils.form_data import nested_form_data, streamfield

from content.models import BuyingGuidePage
from creators.models import CreatorPage
from shop.models import Product

pytestmark = pytest.mark.django_db


def png_upload() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    PILImage.new("RGB", (60, 40), "navy").save(buffer, format="PNG")
    return SimpleUploadedFile("desk.png", buffer.getvalue(), content_type="image/png")


def test_a_demo_creator_uploads_an_image_and_uses_it_in_a_shop_the_look_block(client):
    call_command("load_demo", stdout=io.StringIO())
    assert client.login(username="mia", password="kolshop-creator")

    uploaded = client.post(reverse("wagtailimages:add"), {"title": "Mia's desk", "file": png_upload()})
    image = Image.objects.get(title="Mia's desk")
    chooser = client.get(reverse("wagtailimages_chooser:choose")).json()["html"]
    storefront = CreatorPage.objects.get(creator__handle="miachen")
    product = Product.objects.order_by("pk").first()
    look = {
        "image": image.pk, "caption": "My desk",
        "hotspots": streamfield([("item", {"product": product.pk, "variant": "", "x": "40", "y": "60", "label": "Lamp"})]),
    }
    created = client.post(
        reverse("wagtailadmin_pages:add", args=["content", "buyingguidepage", storefront.pk]),
        nested_form_data({"title": "Desk tour", "slug": "desk-tour", "summary": "", "hero_image": image.pk,
                          "body": streamfield([("shop_the_look", look)])}),
    )

    assert uploaded.status_code == 302
    assert (image.collection.name, image.uploaded_by_user.username) == ("Creator: miachen", "mia")
    assert "Mia&#x27;s desk" in chooser
    assert created.status_code == 302
    draft = BuyingGuidePage.objects.get(slug="desk-tour").get_latest_revision_as_object()
    assert draft.hero_image_id == image.pk
    assert [(block.block_type, block.value["image"].pk) for block in draft.body] == [("shop_the_look", image.pk)]
    assert draft.body[0].value["hotspots"][0]["product"].pk == product.pk


def test_a_demo_creator_cannot_choose_another_demo_creators_image(client):
    call_command("load_demo", stdout=io.StringIO())
    assert client.login(username="leo", password="kolshop-creator")
    client.post(reverse("wagtailimages:add"), {"title": "Leo's tent", "file": png_upload()})
    client.logout()

    assert client.login(username="mia", password="kolshop-creator")
    chooser = client.get(reverse("wagtailimages_chooser:choose")).json()["html"]

    assert "Leo&#x27;s tent" not in chooser and "Leo's tent" not in chooser


def test_a_demo_creator_starting_a_video_upload_without_a_bucket_gets_503(client, settings):
    settings.AWS_STORAGE_BUCKET_NAME = ""
    call_command("load_demo", stdout=io.StringIO())
    assert client.login(username="mia", password="kolshop-creator")

    response = client.post(
        "/api/v1/media/videos/uploads",
        json.dumps({"title": "Haul", "filename": "haul.mp4", "content_type": "video/mp4", "size_bytes": 1024}),
        content_type="application/json",
    )

    assert response.status_code == 503
    assert response.json() == {
        "code": "storage_unavailable", "message": "Video uploads need S3: set AWS_STORAGE_BUCKET_NAME.", "field": None,
    }
