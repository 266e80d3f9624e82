"""One test per leak observed in issue 12: each fails on the code before the policies."""

import pytest

from media.models import Video
from tests.factories import logged_in, make_editor, storefront_of
from tests.permissions.conftest import SECRETS


def text(response) -> str:
    return response.content.decode()


def test_creator_b_cannot_bulk_delete_creator_a_video(world):
    client = logged_in(world.creator_b.user)
    url = f"/admin/bulk/kolshop_media/video/delete/?id={world.video.pk}"

    confirmation = client.get(url)
    deletion = client.post(url, {})

    assert SECRETS["private video title"] not in text(confirmation)
    assert deletion.status_code in (200, 302)
    assert Video.objects.filter(pk=world.video.pk, title=SECRETS["private video title"]).exists()


def test_creator_a_can_still_bulk_delete_their_own_video(world):
    client = logged_in(world.creator_a.user)

    response = client.post(f"/admin/bulk/kolshop_media/video/delete/?id={world.video.pk}", {})

    assert response.status_code == 302
    assert not Video.objects.filter(pk=world.video.pk).exists()


HISTORY_URLS = {
    "order": ("/admin/shop/order/history/{}/", "order", "order number"),
    "payment": ("/admin/shop/payment/history/{}/", "payment", "payment intent id"),
    "voucher": ("/admin/shop/voucher/history/{}/", "voucher", "voucher code"),
    "ledger entry": ("/admin/creators/ledgerentry/history/{}/", "ledger_entry", "ledger amount"),
    "payout": ("/admin/creators/payout/history/{}/", "payout", "payout amount"),
}


@pytest.mark.parametrize("role", ["creator_b", "brand_user_b"])
@pytest.mark.parametrize("kind", sorted(HISTORY_URLS))
def test_back_office_history_is_refused_to_creators_and_brands(world, role, kind):
    template, attribute, secret = HISTORY_URLS[kind]
    user = world.creator_b.user if role == "creator_b" else world.brand_user_b
    url = template.format(getattr(world, attribute).pk)

    response = logged_in(user).get(url)

    assert response.status_code in (302, 403, 404)
    assert SECRETS[secret] not in text(response)


def test_stock_history_is_refused_to_another_brand(world):
    stock = world.draft_product.variants.get().stock

    response = logged_in(world.brand_user_b).get(f"/admin/shop/stock/history/{stock.pk}/")

    assert response.status_code in (302, 403, 404)
    assert SECRETS["draft product SKU"] not in text(response)


def test_editors_still_read_order_history(world):
    editor = make_editor("editor-eve")

    response = logged_in(editor).get(f"/admin/shop/order/history/{world.order.pk}/")

    assert response.status_code == 200
    assert SECRETS["order number"] in text(response)


@pytest.mark.parametrize("model, secret", [("trackedlink", "tracked link code"), ("commissionrule", "commission rate")])
def test_creator_choosers_show_only_the_creators_own_rows(world, model, secret):
    url = f"/admin/snippets/choose/creators/{model}/results/"

    other = logged_in(world.creator_b.user).get(url)
    own = logged_in(world.creator_a.user).get(url)

    assert other.status_code == own.status_code == 200
    assert SECRETS[secret] not in text(other)
    assert SECRETS[secret] in text(own)


def test_video_chosen_multiple_returns_only_own_videos(world):
    url = f"/admin/snippets/choose/kolshop_media/video/chosen-multiple/?id={world.video.pk}"

    other = logged_in(world.creator_b.user).get(url)
    own = logged_in(world.creator_a.user).get(url)

    assert SECRETS["private video title"] not in text(other)
    assert SECRETS["private video title"] in text(own)


def test_product_chooser_hides_other_brands_and_exact_stock(world):
    brand_view = text(logged_in(world.brand_user_b).get("/admin/snippets/choose/shop/product/results/?q=alpha"))
    creator_view = text(logged_in(world.creator_b.user).get("/admin/snippets/choose/shop/product/results/?q=alpha"))

    assert "Alpha public speaker" not in brand_view
    assert "Alpha public speaker" in creator_view
    assert SECRETS["draft product title"] not in creator_view
    assert SECRETS["exact on-hand stock"] not in creator_view
    assert "In stock" in creator_view


def test_product_chosen_refuses_another_brands_draft(world):
    url = f"/admin/snippets/choose/shop/product/chosen/{world.draft_product.pk}/"

    for user in (world.brand_user_b, world.creator_b.user):
        response = logged_in(user).get(url)
        assert response.status_code == 404
        assert SECRETS["draft product title"] not in text(response)


def test_variant_chooser_hides_other_brands_skus_and_exact_stock(world):
    brand_view = text(logged_in(world.brand_user_b).get("/admin/snippets/choose/shop/variant/results/?q=alpha"))
    creator_view = text(logged_in(world.creator_b.user).get("/admin/snippets/choose/shop/variant/results/?q=alpha"))

    assert "ALPHA-PUBLIC-1" not in brand_view
    assert "ALPHA-PUBLIC-1" in creator_view
    assert SECRETS["draft product SKU"] not in creator_view
    assert SECRETS["exact on-hand stock"] not in creator_view


def test_page_chooser_hides_other_creators_drafts_and_private_pages(world):
    storefront = storefront_of(world.creator_a)
    creator_b = logged_in(world.creator_b.user)

    browse = text(creator_b.get(f"/admin/choose-page/{storefront.pk}/"))
    search = text(creator_b.get("/admin/choose-page/search/?q=alpha"))
    own = text(logged_in(world.creator_a.user).get(f"/admin/choose-page/{storefront.pk}/"))

    for secret in ("draft page title", "private page title"):
        assert SECRETS[secret] not in browse
        assert SECRETS[secret] not in search
        assert SECRETS[secret] in own
