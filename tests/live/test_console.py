"""The live console: the session's creator drives it from the admin; another creator can't reach it."""

from decimal import Decimal

import pytest
from django.test import Client

from content.live.models import LivePin, LiveSession, LiveStatus
from content.live.services import start_session
from shop.models import Promotion, PromotionKind
from shop.services.cart import add_to_cart
from shop.services.checkout import confirm_payment
from tests.factories import make_creator, make_user
from tests.live.helpers import lipstick, make_session
from tests.shop.helpers import cart_with, checkout

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_creator_starts_pins_runs_a_deal_and_ends_from_the_console(shop_settings):
    creator = make_creator("rex")
    product = lipstick("LIP-1", price="20.00")
    page = make_session(creator, products=[product])
    client = _client(creator.user)

    assert client.get(f"/admin/live/{page.pk}/").status_code == 200
    client.post(f"/admin/live/{page.pk}/start/")
    client.post(f"/admin/live/{page.pk}/pin/", {"product": product.pk})
    client.post(f"/admin/live/{page.pk}/flash-deal/", {
        "variant": product.variants.get().pk, "price": "15.00", "unit_cap": "10", "per_buyer_limit": "1",
        "duration_seconds": "60", "countdown_seconds": "0"})
    deal = Promotion.objects.get(kind=PromotionKind.FLASH)
    cart = cart_with()
    add_to_cart(cart, sku="LIP-1", quantity=1, promotion_id=deal.pk)
    confirm_payment(checkout(cart).order)
    console = client.get(f"/admin/live/{page.pk}/").content.decode()
    client.post(f"/admin/live/{page.pk}/end/")

    assert (deal.price, deal.unit_cap, deal.per_buyer_limit) == (Decimal("15.00"), 10, 1)
    assert 'data-live-units>1<' in console and 'data-live-revenue>USD 15.00<' in console
    assert 'data-live-orders>1<' in console and 'data-live-pins>1<' in console
    assert 'data-live-sell-through>LIP-1 1/10<' in console
    assert 'data-live-pinned>Lipstick LIP-1<' in console
    assert LiveSession.objects.get(page=page).status == LiveStatus.ENDED
    assert LivePin.objects.get().unpinned_at is not None


def test_a_refused_action_is_a_message_not_an_error():
    creator = make_creator("rex")
    product = lipstick()
    page = make_session(creator, products=[product])

    response = _client(creator.user).post(f"/admin/live/{page.pk}/pin/", {"product": product.pk}, follow=True)

    assert response.status_code == 200
    assert "Pin products while the session is live." in response.content.decode()
    assert LivePin.objects.count() == 0


def test_another_creator_gets_a_404_and_changes_nothing():
    owner, other = make_creator("rex"), make_creator("ivy")
    product = lipstick()
    page = make_session(owner, products=[product])
    start_session(page)
    client = _client(other.user)

    responses = [client.get(f"/admin/live/{page.pk}/").status_code,
                 client.post(f"/admin/live/{page.pk}/end/").status_code,
                 client.post(f"/admin/live/{page.pk}/pin/", {"product": product.pk}).status_code]

    assert responses == [404, 404, 404]
    assert LiveSession.objects.get(page=page).status == LiveStatus.LIVE
    assert LivePin.objects.count() == 0


def test_staff_may_run_any_session():
    page = make_session(make_creator("rex"), products=[lipstick()])
    admin = make_user("boss", is_staff=True, is_superuser=True)

    _client(admin).post(f"/admin/live/{page.pk}/start/")

    assert LiveSession.objects.get(page=page).status == LiveStatus.LIVE
