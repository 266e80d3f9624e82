"""A creator makes and lists their own tracked links in the admin; another creator can't touch them."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from creators.models import LinkTarget, TrackedLink
from creators.services.attribution import attribute_order
from creators.services.links import create_tracked_link, record_buy_link_click, record_click
from shop.models import ProductStatus
from tests.creators.helpers import LineSpec, make_order, mark_paid
from tests.factories import block, make_creator, make_guide, make_product, product_card

pytestmark = pytest.mark.django_db

LINKS = "/admin/snippets/creators/trackedlink/"
PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Mobile/15E148"


def form(**fields) -> dict:
    return {"target_kind": "product", "product": "", "page": "", "block": "", "label": "", "code": "",
            "active": "on", **fields}


@pytest.fixture
def anna_page(site_tree):
    anna = make_creator("anna")
    boots = make_product(title="Trail Boots", variants=[("BOOT-1", "120.00", 5)])
    guide = make_guide(anna, title="Hiking kit", body=[product_card(boots) | {"id": "card-boots"},
                                                      block("heading", "Why boots", "head-1")])
    return anna, boots, guide


def test_a_creator_creates_a_block_link_chosen_by_label(anna_page, client):
    anna, boots, guide = anna_page
    client.force_login(anna.user)

    page = client.get(f"{LINKS}add/")
    response = client.post(f"{LINKS}add/", form(product=boots.pk, block=f"{guide.pk}:card-boots", label="Insta bio",
                                                code="anna-boots"))

    assert page.status_code == 200
    assert f'value="{guide.pk}:card-boots"' in page.content.decode()
    assert "Hiking kit › Trail Boots" in page.content.decode()
    assert "Hiking kit › Heading 1" in page.content.decode()
    assert 'name="creator"' not in page.content.decode()
    assert response.status_code == 302
    link = TrackedLink.objects.get()
    assert (link.creator, link.code, link.target_kind, link.product, link.page_id, link.block_id, link.label) == (
        anna, "anna-boots", "product", boots, guide.pk, "card-boots", "Insta bio")


def test_an_empty_code_gets_a_random_one_and_a_storefront_link_needs_nothing_else(anna_page, client):
    anna, _, _ = anna_page
    client.force_login(anna.user)

    response = client.post(f"{LINKS}add/", form(target_kind="storefront"))

    link = TrackedLink.objects.get()
    assert response.status_code == 302
    assert (link.creator, link.target_kind, len(link.code)) == (anna, "storefront", 8)


def test_a_creator_cannot_link_another_creators_page_nor_an_archived_product(anna_page, client):
    anna, _, _ = anna_page
    ben = make_creator("ben")
    bens_guide = make_guide(ben, title="Ben's")
    archived = make_product(title="Old Tent", status=ProductStatus.ARCHIVED, variants=[("TENT-0", "50.00", 1)])
    client.force_login(anna.user)

    to_bens_page = client.post(f"{LINKS}add/", form(target_kind="page", page=bens_guide.pk))
    to_bens_block = client.post(f"{LINKS}add/", form(target_kind="storefront", block=f"{bens_guide.pk}:x"))
    to_archived = client.post(f"{LINKS}add/", form(product=archived.pk))
    as_ben = client.post(f"{LINKS}add/", form(target_kind="storefront", creator=ben.pk, code="anna-as-ben"))

    assert [r.status_code for r in (to_bens_page, to_bens_block, to_archived)] == [200, 200, 200]
    assert TrackedLink.objects.get().creator == anna  # only the last one, made for Anna whatever the POST said
    assert as_ben.status_code == 302 and TrackedLink.objects.get().code == "anna-as-ben"


def test_the_list_shows_own_links_with_clicks_orders_address_and_qr(anna_page, client):
    anna, boots, guide = anna_page
    ben = make_creator("ben")
    link = create_tracked_link(anna, target_kind=LinkTarget.PRODUCT, product=boots, page=guide, block_id="card-boots",
                               code="anna-boots")
    create_tracked_link(ben, target_kind=LinkTarget.STOREFRONT, code="ben-secret")
    now = timezone.now() - timedelta(hours=2)
    clicks = [record_click(link, ip=f"203.0.113.{n}", user_agent=PHONE, now=now) for n in (1, 2, 3)]
    for click in clicks[:2]:  # two paid orders from its clicks, one of them with two lines
        lines = [LineSpec(boots, creator=anna, page_id=guide.pk, block_id="card-boots", click_id=click.pk,
                          attributed_at=now)] * (2 if click == clicks[0] else 1)
        order = make_order(*lines, created_at=now)
        attribute_order(order)
        mark_paid(order, at=now)
    unpaid = make_order(LineSpec(boots, creator=anna, page_id=guide.pk, click_id=clicks[2].pk, attributed_at=now))
    attribute_order(unpaid)
    client.force_login(anna.user)

    body = client.get(LINKS).content.decode()

    assert "anna-boots" in body and "ben-secret" not in body
    assert "Trail Boots" in body  # the block's label, not its id
    row = re.sub(r"\s+", "", body[body.index("anna-boots"):])
    row = row[:row.index("</tr>")]
    assert re.findall(r"<td>(\d+)</td>", row) == ["3", "2"]  # clicks, orders (the unpaid one doesn't count)
    assert 'value="http://testserver/r/anna-boots/"' in body
    assert 'data-action="w-clipboard#copy"' in body
    qr = client.get(f"{LINKS}qr/{link.pk}/")
    assert qr.status_code == 200 and qr["Content-Type"] == "image/svg+xml"
    assert qr.content.startswith(b"<?xml") and b"<svg" in qr.content


def test_a_second_creator_cannot_see_edit_or_print_anothers_link(anna_page, client):
    anna, boots, _ = anna_page
    ben = make_creator("ben")
    link = create_tracked_link(anna, target_kind=LinkTarget.PRODUCT, product=boots, code="anna-boots")
    client.force_login(ben.user)

    edit = client.get(f"{LINKS}edit/{link.pk}/")
    post = client.post(f"{LINKS}edit/{link.pk}/", form(product=boots.pk, code="stolen", label="mine"))
    qr = client.get(f"{LINKS}qr/{link.pk}/")
    listing = client.get(LINKS).content.decode()

    assert (edit.status_code, post.status_code, qr.status_code) == (404, 404, 404)
    assert "anna-boots" not in listing
    link.refresh_from_db()
    assert (link.code, link.label) == ("anna-boots", "")


def test_a_creator_edits_the_label_of_their_link(anna_page, client):
    anna, boots, guide = anna_page
    link = create_tracked_link(anna, target_kind=LinkTarget.PRODUCT, product=boots, page=guide, block_id="card-boots",
                               code="anna-boots")
    client.force_login(anna.user)

    page = client.get(f"{LINKS}edit/{link.pk}/").content.decode()
    response = client.post(f"{LINKS}edit/{link.pk}/", form(product=boots.pk, page=guide.pk,
                                                          block=f"{guide.pk}:card-boots", code="anna-boots",
                                                          label="Newsletter"))

    assert f'<option value="{guide.pk}:card-boots" selected>' in page
    assert response.status_code == 302
    link.refresh_from_db()
    assert (link.label, link.block_id, link.page_id, link.creator) == ("Newsletter", "card-boots", guide.pk, anna)


def test_creators_see_the_tracked_links_menu_after_a_plain_migrate(anna_page, client):
    anna, _, _ = anna_page
    client.force_login(anna.user)

    assert client.get(LINKS).status_code == 200
    assert f'"url": "{LINKS}"' in client.get("/admin/").content.decode()  # the sidebar menu's item


def test_a_link_whose_block_left_the_page_keeps_it_when_its_label_is_edited(anna_page, client):
    anna, boots, guide = anna_page
    link = create_tracked_link(anna, target_kind=LinkTarget.PRODUCT, product=boots, page=guide, block_id="4208ef16-gone",
                               code="anna-gone")
    client.force_login(anna.user)

    page = client.get(f"{LINKS}edit/{link.pk}/").content.decode()
    response = client.post(f"{LINKS}edit/{link.pk}/", form(product=boots.pk, page=guide.pk, code="anna-gone",
                                                          block=f"{guide.pk}:4208ef16-gone", label="Old post"))

    assert f'<option value="{guide.pk}:4208ef16-gone" selected>block 4208ef16</option>' in page
    assert response.status_code == 302
    link.refresh_from_db()
    assert (link.label, link.block_id) == ("Old post", "4208ef16-gone")


def test_buy_button_links_stay_out_of_the_creators_link_list(anna_page, client):
    anna, boots, guide = anna_page
    create_tracked_link(anna, target_kind=LinkTarget.STOREFRONT, code="anna-bio")
    click = record_buy_link_click(creator_id=anna.pk, page_id=guide.pk, block_id="card-boots", product_id=boots.pk,
                                  ip="203.0.113.9", user_agent=PHONE)
    client.force_login(anna.user)

    body = client.get(LINKS).content.decode()
    taken = client.post(f"{LINKS}add/", form(target_kind="storefront", code="Buy-mine"))

    assert click is not None and click.link.code.startswith("buy-")
    assert sorted(TrackedLink.objects.values_list("code", flat=True)) == sorted(["anna-bio", click.link.code])
    assert "anna-bio" in body and click.link.code not in body
    assert taken.status_code == 200
    assert "Codes starting with “buy-” are kept for buy buttons" in taken.content.decode()
    assert not TrackedLink.objects.filter(code="Buy-mine").exists()
