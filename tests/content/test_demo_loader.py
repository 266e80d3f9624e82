import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from wagtail.models import Page, Revision, Site

from content.blocks import SHOPPABLE_BLOCK_TYPES
from content.models import BuyingGuidePage, HomePage, LiveSessionPage
from creators.models import CreatorPage, CreatorProfile
from shop.models import Brand, BrandMembership, Order, OrderStatus, Product, Stock, Variant

pytestmark = pytest.mark.django_db


def snapshot() -> dict:
    return {
        "brands": Brand.objects.count(),
        "products": Product.objects.count(),
        "variants": Variant.objects.count(),
        "stock": sorted(Stock.objects.values_list("variant__sku", "on_hand")),
        "prices": sorted(Variant.objects.values_list("sku", "price")),
        "users": get_user_model().objects.count(),
        "creators": CreatorProfile.objects.count(),
        "pages": sorted(Page.objects.values_list("url_path", flat=True)),
        "revisions": Revision.objects.count(),
        "memberships": BrandMembership.objects.count(),
        "orders": sorted(Order.objects.values_list("status", "total")),
        "bodies": {page.url_path: list(page.body.raw_data) for page in BuyingGuidePage.objects.all()},
    }


def test_the_demo_loader_creates_a_complete_shop_and_running_it_twice_changes_nothing(capsys):
    call_command("load_demo")
    first = snapshot()
    output = capsys.readouterr().out

    call_command("load_demo")

    assert snapshot() == first
    assert first["brands"] == 5
    assert first["products"] == 50
    assert first["creators"] == 3
    assert first["memberships"] == 1
    assert len(first["orders"]) == 18 and {status for status, _ in first["orders"]} == {OrderStatus.PAID}
    assert "admin" in output and "kolshop-admin" in output
    assert "kolshop-creator" in output and "kolshop-brand" in output


def test_every_demo_guide_is_published_and_uses_every_shoppable_block_type():
    call_command("load_demo")

    guides = BuyingGuidePage.objects.live()
    assert guides.count() == 3
    for guide in guides:
        assert {block.block_type for block in guide.body} >= set(SHOPPABLE_BLOCK_TYPES)
        assert guide.creator is not None
        assert guide.get_parent().specific == CreatorPage.objects.get(creator=guide.creator)


def test_the_demo_has_one_scheduled_live_session_and_a_home_page_as_site_root():
    call_command("load_demo")

    session = LiveSessionPage.objects.live().get()
    assert session.ends_at > session.starts_at
    assert Site.objects.get(is_default_site=True).root_page.specific_class is HomePage


def test_demo_pages_render(client):
    call_command("load_demo")

    for page in [HomePage.objects.get(), *BuyingGuidePage.objects.all(), LiveSessionPage.objects.get()]:
        response = client.get(page.url)
        assert response.status_code == 200, page.url


def test_the_demo_loader_refuses_the_stripe_gateway_before_writing_anything(settings):
    settings.KOLSHOP_PAYMENT_GATEWAY = "stripe"
    before = snapshot()

    with pytest.raises(CommandError) as raised:
        call_command("load_demo")

    assert str(raised.value) == (
        "The demo pays its sales on the server, which the 'stripe' payment gateway can't do. "
        "Load it with the dummy gateway: KOLSHOP_PAYMENT_GATEWAY=dummy."
    )
    assert snapshot() == before
    assert (Brand.objects.count(), Product.objects.count(), Order.objects.count(), CreatorProfile.objects.count(),
            BuyingGuidePage.objects.count()) == (0, 0, 0, 0, 0)


def test_the_demo_session_can_be_taken_live_and_pinned():
    from content.live.models import LivePin, LiveStatus
    from content.live.services import line_up, pin_product, session_of, start_session

    call_command("load_demo")
    page = LiveSessionPage.objects.live().get()
    assert session_of(page).status == LiveStatus.SCHEDULED

    start_session(page)
    pin_product(page, product_id=line_up(page)[0].pk)

    assert len(line_up(page)) == 2
    assert LivePin.objects.filter(session__page=page, unpinned_at__isnull=True).count() == 1
