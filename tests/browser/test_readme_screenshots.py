"""The README's screenshots of the creator studio and the reader's storefront, taken from the running app.

`make screenshots` runs this with ``KOLSHOP_SCREENSHOTS=docs/screenshots`` and so refreshes the files the
README shows; otherwise they go to a temporary folder. Either way the test checks what each one shows.
"""

import io
import os
import struct
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.images import ImageFile
from django.utils import timezone
from PIL import Image as PILImage, ImageDraw
from wagtail.images.models import Image
from wagtail.models import Collection

from creators.models import LinkTarget
from creators.services.attribution import attribute_order
from creators.services.ledger import accrue_commission
from creators.services.links import create_tracked_link, record_click
from creators.services.onboarding import creator_collection_name
from tests.browser.test_authoring import log_in
from tests.browser.test_creator_studio import wait_until
from tests.creators.helpers import LineSpec, make_order, mark_paid
from tests.factories import add_product_image, make_creator, make_guide, make_product, product_card, shop_the_look, \
    storefront_of

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Mobile/15E148"


def picture(title: str, colour: str, *, width: int = 600, height: int = 450, owner=None) -> Image:
    """A plain illustration: a coloured scene with a few shapes (screenshots need more than a flat square)."""
    canvas = PILImage.new("RGB", (width, height), colour)
    draw = ImageDraw.Draw(canvas)
    draw.rectangle((0, height * 0.7, width, height), fill="#e8e2d6")
    draw.ellipse((width * 0.12, height * 0.2, width * 0.42, height * 0.6), fill="#f4d35e")
    draw.rectangle((width * 0.55, height * 0.3, width * 0.85, height * 0.72), fill="#3d5a80")
    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG")
    image = Image(title=title, file=ImageFile(buffer, name=f"{title.lower().replace(' ', '-')}.png"))
    if owner is not None:  # as if the creator had uploaded it: into their own collection
        image.collection = Collection.objects.get(name=creator_collection_name(owner.handle))
        image.uploaded_by_user = owner.user
    image.save()
    return image


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", header[16:24])


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("KOLSHOP_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def studio(creator):
    lamp = make_product(title="Arc floor lamp", variants=[("LAMP-1", "89.00", 12)])
    chair = make_product(title="Walnut desk chair", variants=[("CHAIR-1", "240.00", 3)])
    plant = make_product(title="Fiddle leaf fig", variants=[("FIG-1", "35.00", 20)])
    for product, colour in ((lamp, "#ee6c4d"), (chair, "#98c1d9"), (plant, "#81b29a")):
        add_product_image(product, picture(product.title, colour, width=400, height=400))
    look = shop_the_look(picture("Reading corner", "#293241", owner=creator),
                         [(lamp, None, "27.00", "40.00", "Lamp"), (chair, None, "70.00", "55.00", "Chair")],
                         caption="Reading corner") | {"id": "look"}
    look["value"]["own_label"] = "Reading corner (Instagram)"
    guide = make_guide(creator, title="A calm reading corner", slug="reading-corner",
                       body=[look, product_card(plant) | {"id": "plant"}])
    guide.summary = "Three pieces that make a corner you want to sit in."
    guide.hero_image = picture("Reading corner hero", "#e0fbfc", owner=creator)
    guide.save_revision().publish()
    desk = make_guide(creator, title="My desk setup", slug="desk-setup", body=[product_card(chair) | {"id": "chair"}])
    desk.hero_image = picture("Desk hero", "#98c1d9", owner=creator)
    desk.save_revision().publish()
    now = timezone.now()
    link = create_tracked_link(creator, target_kind=LinkTarget.PAGE, page=guide, block_id="look",
                               label="Instagram story", code="lena-corner")
    clicks = [record_click(link, ip=f"203.0.113.{n}", user_agent=PHONE, now=now - timedelta(days=1)) for n in range(9)]
    for click, product in ((clicks[0], lamp), (clicks[1], chair), (clicks[2], lamp)):
        order = make_order(LineSpec(product, creator=creator, page_id=guide.pk, block_id="look", click_id=click.pk,
                                    attributed_at=now - timedelta(days=1)), created_at=now - timedelta(days=1))
        attribute_order(order)
        mark_paid(order, at=now - timedelta(days=1))
        accrue_commission(order)
    return guide


def test_the_readme_screenshots_show_the_editor_dashboard_and_storefront(browser, page, live_server, shots):
    creator = make_creator("lena")
    creator.display_name = "Lena Park"
    creator.bio = "Small spaces, good light, things that last. I try everything before I recommend it."
    creator.avatar = picture("Lena", "#ee6c4d", width=200, height=200)
    creator.save()
    creator.user.set_password("creator-pass")
    creator.user.save()
    guide = studio(creator)
    log_in(page, live_server, "lena", "creator-pass")

    # the block-aware editor: product previews and hotspots placed on the look's image
    page.set_viewport_size({"width": 1280, "height": 1100})
    page.goto(f"{live_server.url}/admin/pages/{guide.pk}/edit/")
    page.locator(".kolshop-hotspots__marker[data-hotspot='2']").wait_for()
    assert page.locator(".kolshop-hotspots__marker").count() == 2
    wait_until(lambda: page.locator(".kolshop-hotspots__image").evaluate("img => img.naturalWidth > 0"))
    page.locator(".kolshop-preview").first.get_by_text("89.00 USD").wait_for()
    page.locator(".kolshop-hotspots").evaluate("placer => placer.closest('[data-contentpath=body]').scrollIntoView()")
    page.screenshot(path=str(shots / "studio-editor.png"))

    # the dashboard: earnings, windows, top blocks by label, links
    page.goto(f"{live_server.url}/admin/")
    links = page.locator("[data-links]")
    assert "/r/lena-corner/" in links.inner_text() and "Instagram story" in links.inner_text()
    assert "Reading corner (Instagram)" in page.locator("[data-top-blocks]").inner_text()
    page.screenshot(path=str(shots / "studio-dashboard.png"), full_page=True)

    # the reader's storefront on a phone
    reader = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US")
    try:
        phone = reader.new_page()
        phone.goto(f"{live_server.url}{storefront_of(creator).url}")
        assert phone.locator(".card-title").all_inner_texts() == ["My desk setup", "A calm reading corner"]
        images = phone.locator("img")
        wait_until(lambda: all(images.nth(n).evaluate("img => img.complete && img.naturalWidth > 0")
                               for n in range(images.count())))
        assert images.count() == 6  # the avatar, two guides' heroes, three featured products
        phone.screenshot(path=str(shots / "reader-storefront.png"), full_page=True)
    finally:
        reader.close()

    sizes = {name: png_size(shots / name) for name in ("studio-editor.png", "studio-dashboard.png",
                                                       "reader-storefront.png")}
    assert sizes["studio-editor.png"] == (1280, 1100) and sizes["studio-dashboard.png"][0] == 1280
    assert sizes["reader-storefront.png"][0] == 390
    assert all(width > 300 and height > 300 for width, height in sizes.values())
