"""A creator writes a guide with a product picked through the chooser; an editor approves it."""

import re

import pytest
from django.contrib.auth.models import Group

from content.models import BuyingGuidePage
from tests.factories import make_creator, make_product, make_user, storefront_of

pytestmark = pytest.mark.django_db(transaction=True)


def log_in(page, live_server, username: str, password: str) -> None:
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name=re.compile("Sign in", re.I)).click()
    page.wait_for_url(f"{live_server.url}/admin/")


def test_a_creator_writes_a_guide_through_the_chooser_and_an_editor_publishes_it(browser, page, live_server):
    # given a product, a creator and an editor
    product = make_product(title="Studio Monitor Pair", variants=[("MON-77", "499.00", 8)])
    creator = make_creator("mia")
    creator.user.set_password("creator-pass")
    creator.user.save()
    editor = make_user("eddie", password="editor-pass")
    editor.groups.add(Group.objects.get(name="Editors"))
    storefront = storefront_of(creator)

    # when the creator writes a guide with a product card chosen by SKU and submits it
    log_in(page, live_server, "mia", "creator-pass")
    page.goto(f"{live_server.url}/admin/pages/add/content/buyingguidepage/{storefront.pk}/")
    page.locator("#id_title").fill("Monitors I trust")
    page.get_by_role("tab", name="Promote").click()
    page.locator("#id_slug").fill("monitors")
    page.get_by_role("tab", name="Content").click()
    page.locator("button[title='Insert a block']").first.click()
    page.get_by_role("option", name="Product card").click()
    page.locator("[data-contentpath='product'] button", has_text="Choose product").click()
    search = page.locator(".modal-content input[name=q]")
    search.fill("MON-77")
    result = page.locator(".modal-content a[data-chooser-modal-choice]", has_text="Studio Monitor Pair")
    result.wait_for()
    assert "499.00 USD" in page.locator(".modal-content").inner_text()
    result.click()
    page.locator(".modal-content").wait_for(state="detached")
    # the chooser shows the title, and the block its preview card (image, price, stock) beside it
    page.locator("[data-contentpath='product']").get_by_text("Studio Monitor Pair").first.wait_for()
    page.get_by_role("button", name="More actions").click()
    page.get_by_role("button", name=re.compile("Submit to Creator content approval")).click()
    page.wait_for_url(re.compile(r"/admin/pages/\d+/"))

    # then the guide waits for approval, unpublished, with the chosen product in its draft
    guide = BuyingGuidePage.objects.get(title="Monitors I trust")
    assert guide.live is False
    assert guide.current_workflow_state.status == "in_progress"
    draft = guide.get_latest_revision_as_object()
    assert draft.body[0].block_type == "product_card"
    assert draft.body[0].value["product"].pk == product.pk

    # when an editor approves it from the edit view
    editor_page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    try:
        log_in(editor_page, live_server, "eddie", "editor-pass")
        editor_page.goto(f"{live_server.url}/admin/pages/{guide.pk}/edit/")
        editor_page.get_by_role("button", name="More actions").click()
        editor_page.get_by_role("button", name=re.compile(r"^\s*Approve and Publish\s*$")).click()
        editor_page.get_by_text("Page 'Monitors I trust' has been updated.").wait_for()
    finally:
        editor_page.context.close()

    # then the guide is live and readers see the product with its live price
    guide.refresh_from_db()
    assert guide.live is True
    page.goto(f"{live_server.url}{guide.url}")
    assert "Studio Monitor Pair" in page.content()
    assert "499.00 USD" in page.content()
