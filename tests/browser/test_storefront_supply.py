"""Done when (issue 21): a brand offers a product, a creator lists it at their own price and features it
in a guide, a reader buys it, the brand sees a fulfilment group, and the creator's earnings show the margin."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from content.models import BuyingGuidePage
from shop.models import ListingStatus, Order, OrderStatus, StorefrontListing, SupplyMode, SupplyOffer
from tests.browser.test_authoring import log_in
from tests.browser.test_reader_shares import DESKTOP
from tests.factories import make_brand, make_brand_user, make_creator, make_product, make_user, storefront_of

pytestmark = pytest.mark.django_db(transaction=True)


def _new_page(browser, **options):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US", **options)
    context.set_default_timeout(15_000)
    return context.new_page()


def _brand_offers(page, live_server) -> SupplyOffer:
    page.goto(f"{live_server.url}/admin/snippets/shop/supplyoffer/add/")
    page.get_by_role("button", name="Choose variant").click()
    result = page.locator(".modal-content a[data-chooser-modal-choice]", has_text="Arc lamp")
    result.first.click()
    page.locator(".modal-content").wait_for(state="detached")
    page.locator("#id_market").fill("US")
    page.locator("#id_currency").fill("USD")
    page.locator("#id_mode").select_option(SupplyMode.RESELLER)
    page.locator("#id_wholesale_price").fill("20.00")
    page.locator("#id_recommended_price").fill("35.00")
    page.locator("#id_max_price").fill("50.00")
    page.locator("#id_starts_at").fill((timezone.localtime() - timedelta(days=1)).strftime("%Y-%m-%d %H:%M"))
    # The date-time picker the field opened can lie over the Save button (where depends on the date), and it
    # may open again after a blur: save from the keyboard, as a keyboard user does, which no overlay intercepts.
    save = page.get_by_role("button", name=re.compile(r"^\s*Save\s*$")).first
    save.focus()
    save.press("Enter")
    page.wait_for_url(f"{live_server.url}/admin/snippets/shop/supplyoffer/")
    return SupplyOffer.objects.get()


def _creator_lists(page, live_server, offer: SupplyOffer) -> StorefrontListing:
    page.goto(f"{live_server.url}/admin/snippets/shop/storefrontlisting/add/")
    page.locator("#id_offer").select_option(str(offer.pk))
    page.locator("#id_price").fill("42.00")
    page.locator("#id_status").select_option(ListingStatus.LIVE)
    page.get_by_role("button", name=re.compile(r"^\s*Save\s*$")).first.click()
    page.wait_for_url(f"{live_server.url}/admin/snippets/shop/storefrontlisting/")
    return StorefrontListing.objects.get()


def _creator_features(page, live_server, storefront_id: int) -> None:
    page.goto(f"{live_server.url}/admin/pages/add/content/buyingguidepage/{storefront_id}/")
    page.locator("#id_title").fill("Lamps I resell")
    page.get_by_role("tab", name="Promote").click()
    page.locator("#id_slug").fill("lamps")
    page.get_by_role("tab", name="Content").click()
    page.locator("button[title='Insert a block']").first.click()
    page.get_by_role("option", name="Storefront listing").click()
    page.locator("[data-contentpath='listing'] button", has_text="Choose").first.click()
    result = page.locator(".modal-content a[data-chooser-modal-choice]", has_text="Arc lamp")
    result.first.click()
    page.locator(".modal-content").wait_for(state="detached")
    page.get_by_role("button", name="More actions").click()
    page.get_by_role("button", name=re.compile("Submit to Creator content approval")).click()
    page.wait_for_url(re.compile(r"/admin/pages/\d+/"))


def _editor_publishes(page, live_server, guide: BuyingGuidePage) -> None:
    page.goto(f"{live_server.url}/admin/pages/{guide.pk}/edit/")
    page.get_by_role("button", name="More actions").click()
    page.get_by_role("button", name=re.compile(r"^\s*Approve and Publish\s*$")).click()
    page.get_by_text("Page 'Lamps I resell' has been updated.").wait_for()


def test_a_brand_offers_a_creator_resells_a_reader_buys_and_both_see_it(browser, live_server, shop_settings):
    shop_settings.KOLSHOP_PLATFORM_FEE_RATE = "0.05"
    # given a brand with a product and a brand user, a creator and an editor
    acme = make_brand("Acme Light")
    make_product(brand=acme, title="Arc lamp", variants=[("ARC-1", "39.00", 10)])
    make_brand_user("acme", brand=acme, password="brand-pass")
    creator = make_creator("mia")
    creator.user.set_password("creator-pass")
    creator.user.save()
    make_user("eddie", password="editor-pass").groups.add(Group.objects.get(name="Editors"))

    # when the brand offers the lamp for resale (wholesale 20.00, recommended 35.00, at most 50.00)
    brand_page = _new_page(browser)
    log_in(brand_page, live_server, "acme", "brand-pass")
    offer = _brand_offers(brand_page, live_server)
    assert (offer.variant.sku, offer.mode, offer.wholesale_price, offer.max_price) == (
        "ARC-1", SupplyMode.RESELLER, Decimal("20.00"), Decimal("50.00"))

    # and the creator lists it at 42.00 and features it in a guide an editor publishes
    creator_page = _new_page(browser)
    log_in(creator_page, live_server, "mia", "creator-pass")
    listing = _creator_lists(creator_page, live_server, offer)
    assert (listing.creator_id, listing.status, listing.price) == (creator.pk, ListingStatus.LIVE, Decimal("42.00"))
    _creator_features(creator_page, live_server, storefront_of(creator).pk)
    guide = BuyingGuidePage.objects.get(title="Lamps I resell")
    editor_page = _new_page(browser)
    log_in(editor_page, live_server, "eddie", "editor-pass")
    _editor_publishes(editor_page, live_server, guide)
    editor_page.context.close()

    # and a reader buys it from the guide at the creator's price
    reader = _new_page(browser, user_agent=DESKTOP)
    reader.goto(f"{live_server.url}{guide.url}")
    assert reader.get_by_text("42.00 USD in this storefront").count() == 1
    reader.get_by_role("link", name="Buy Arc lamp").first.click()
    assert reader.locator("table.cart td", has_text="42.00 USD").count() >= 1
    reader.get_by_role("link", name="Go to checkout").click()
    reader.get_by_label("Email").fill("reader@example.com")
    reader.get_by_label("Pick up in store").check()
    reader.get_by_role("button", name=re.compile("Place order")).click()
    reader.get_by_text("Status: Paid").wait_for()
    order = Order.objects.get(email="reader@example.com")
    line = order.lines.get()
    assert (order.status, order.total) == (OrderStatus.PAID, Decimal("42.00"))
    # the buyer's 42.00: 20.00 wholesale to the brand, 2.10 platform fee, 19.90 margin to the creator
    assert (line.listing_id, line.wholesale_amount, line.platform_fee, line.creator_margin) == (
        listing.pk, Decimal("20.00"), Decimal("2.10"), Decimal("19.90"))

    # then the brand sees the order's fulfilment group, without the buyer's e-mail
    brand_page.goto(f"{live_server.url}/admin/shop/fulfilment-groups/")
    group = brand_page.locator(f"section.fulfilment-group[data-order='{order.number}']")
    assert group.locator("tbody td").all_inner_texts() == ["ARC-1", "Arc lamp", "1", "20.00 USD"]
    assert "reader@example.com" not in brand_page.content()

    # and the creator's earnings show the margin, pending until the return window ends
    creator_page.goto(f"{live_server.url}/admin/earnings/")
    assert "USD: pending 19.90" in creator_page.content()
    for context in (brand_page.context, creator_page.context, reader.context):
        context.close()
