"""A creator uploads an image, builds a shop-the-look block by clicking hotspots onto it (a click once
every hotspot is placed adds one), makes a tracked link to that block (chosen by its label) and sees the link on their dashboard."""

import io
import json
import re
import time
from decimal import Decimal

import pytest
from PIL import Image as PILImage
from wagtail.images.models import Image

from content.models import BuyingGuidePage
from creators.models import TrackedLink
from tests.browser.test_authoring import log_in
from tests.factories import make_creator, make_product, storefront_of

pytestmark = pytest.mark.django_db(transaction=True)


def wait_until(condition, *, seconds: float = 15.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


def png(tmp_path):
    path = tmp_path / "summer-look.png"
    buffer = io.BytesIO()
    PILImage.new("RGB", (400, 300), "teal").save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return path


def choose_in_modal(page, opener, search: str, title: str) -> None:
    opener.click()
    modal = page.locator(".modal-content")
    modal.locator("input[name=q]").fill(search)
    choice = modal.locator("a[data-chooser-modal-choice]", has_text=title)
    choice.first.click()
    modal.wait_for(state="detached")


def test_a_creator_builds_a_look_by_clicking_hotspots_links_it_and_sees_the_link(page, live_server, tmp_path):
    # given a creator and a product they may choose
    product = make_product(title="Trail Boots", variants=[("BOOT-42", "120.00", 7)])
    creator = make_creator("mia")
    creator.user.set_password("creator-pass")
    creator.user.save()
    storefront = storefront_of(creator)
    log_in(page, live_server, "mia", "creator-pass")

    # when she uploads an image
    page.goto(f"{live_server.url}/admin/images/multiple/add/")
    page.locator("input[type=file]").set_input_files(str(png(tmp_path)))
    image = wait_until(lambda: Image.objects.filter(uploaded_by_user=creator.user).first())

    # and builds a shop-the-look block: image, a product for the hotspot, a click on the image
    page.goto(f"{live_server.url}/admin/pages/add/content/buyingguidepage/{storefront.pk}/")
    page.locator("#id_title").fill("Summer hikes")
    page.get_by_role("tab", name="Promote").click()
    page.locator("#id_slug").fill("summer-hikes")
    page.get_by_role("tab", name="Content").click()
    page.locator("button[title='Insert a block']").first.click()
    page.get_by_role("option", name="Shop the look").click()
    block = page.locator("[data-contentpath='body']")
    choose_in_modal(page, block.locator("[data-contentpath='image'] button", has_text=re.compile("Choose")).first,
                    image.title, image.title)
    block.locator("[data-contentpath='caption'] input").fill("Summer look")
    hotspot = block.locator("[data-contentpath='hotspots']")
    choose_in_modal(page, hotspot.locator("[data-contentpath='product'] button", has_text="Choose product").first,
                    "BOOT-42", "Trail Boots")
    preview = hotspot.locator(".kolshop-preview")
    preview.get_by_text("120.00 USD").wait_for()
    assert "In stock" in preview.inner_text()
    picture = page.locator(".kolshop-hotspots__image")
    picture.wait_for()
    page.wait_for_function("document.querySelector('.kolshop-hotspots__image').naturalWidth > 0")
    box = picture.bounding_box()
    picture.click(position={"x": box["width"] * 0.25, "y": box["height"] * 0.5})
    page.locator(".kolshop-hotspots__marker").wait_for()
    x = hotspot.locator("input[name$='-x']").first.input_value()
    y = hotspot.locator("input[name$='-y']").first.input_value()
    assert abs(Decimal(x) - Decimal("25")) <= Decimal("0.5") and abs(Decimal(y) - Decimal("50")) <= Decimal("0.5")

    # and, every hotspot being placed, a second click adds a hotspot where she clicked
    assert page.locator(".kolshop-hotspots__select").input_value() == "new"
    picture.click(position={"x": box["width"] * 0.75, "y": box["height"] * 0.2})
    page.locator(".kolshop-hotspots__marker[data-hotspot='2']").wait_for()
    x2 = hotspot.locator("input[name$='-x']").nth(1).input_value()
    y2 = hotspot.locator("input[name$='-y']").nth(1).input_value()
    assert abs(Decimal(x2) - Decimal("75")) <= Decimal("0.5") and abs(Decimal(y2) - Decimal("20")) <= Decimal("0.5")
    assert hotspot.locator("input[name$='-x']").count() == 2
    choose_in_modal(page, hotspot.locator("[data-contentpath='product'] button:visible", has_text="Choose product").first,
                    "BOOT-42", "Trail Boots")
    page.get_by_role("button", name="Save draft").click()

    # then the draft stores the clicked position as percentages (Wagtail autosaves meanwhile: wait for the save)
    def saved_look():
        guide = BuyingGuidePage.objects.filter(title="Summer hikes").first()
        revision = guide.revisions.order_by("-pk").first() if guide else None
        body = revision.content["body"] if revision else "[]"
        blocks = json.loads(body) if isinstance(body, str) else body
        spots = blocks[0]["value"]["hotspots"] if blocks and blocks[0]["type"] == "shop_the_look" else []
        return (guide, blocks[0]) if len(spots) == 2 and all(spot["value"]["product"] for spot in spots) else None

    guide, look = wait_until(saved_look)
    spots = [(spot["value"]["product"], spot["value"]["x"], spot["value"]["y"]) for spot in look["value"]["hotspots"]]
    assert spots == [(product.pk, x, y), (product.pk, x2, y2)]

    # when she makes a tracked link to that block, chosen by its label
    page.goto(f"{live_server.url}/admin/snippets/creators/trackedlink/add/")
    page.locator("#id_target_kind").select_option("storefront")
    page.locator("#id_block").select_option(label="Summer hikes › Summer look")
    page.locator("#id_label").fill("Insta story")
    page.locator("#id_code").fill("mia-look")
    page.get_by_role("button", name="Save").first.click()
    page.locator("text=mia-look").first.wait_for()

    # then the link is hers, names the block, and her dashboard lists it
    link = TrackedLink.objects.get(code="mia-look")
    assert (link.creator_id, link.page_id, link.block_id) == (creator.pk, guide.pk, look["id"])
    page.goto(f"{live_server.url}/admin/")
    links = page.locator("[data-links]")
    assert "/r/mia-look/" in links.inner_text() and "Insta story" in links.inner_text()
