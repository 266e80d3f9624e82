import pytest

from shop.attribution import Attribution, sign_attribution
from shop.models import GroupTeam
from shop.services.groupbuy import open_team
from tests.factories import make_creator, make_guide, make_product
from tests.readers.helpers import csrf_headers
from tests.shop.group_helpers import buyer, make_campaign


@pytest.fixture(autouse=True)
def _reader_settings(shop_settings, steady_rate_limit_clock):
    shop_settings.KOLSHOP_TRUSTED_PROXIES = []
    shop_settings.KOLSHOP_TRUSTED_PROXY_COUNT = 0
    shop_settings.KOLSHOP_SITE_URL = "https://shop.example.com"
    return shop_settings


@pytest.fixture
def ask(client, django_capture_on_commit_callbacks):
    """POST /api/v1/account/sign-in for ``email`` (the mail goes out after the commit, as in production)."""

    def ask(email: str, *, through=None):
        with django_capture_on_commit_callbacks(execute=True):
            browser = through or client
            return browser.post("/api/v1/account/sign-in", {"email": email}, content_type="application/json",
                                headers=csrf_headers(browser))

    return ask


@pytest.fixture
def guide(site_tree):
    """Maya's published guide, the page readers share."""
    return make_guide(make_creator("maya"), title="Desk lamps")


@pytest.fixture
def lamp():
    """The product bought through shares: 40.00, 50 in stock."""
    return make_product(title="Arc lamp", variants=[("ARC-1", "40.00", 50)])


@pytest.fixture
def team(site_tree) -> GroupTeam:
    """Ada (reader1) opened a team of two on Maya's guide's group-buy block."""
    maya = make_creator("maya")
    guide = make_guide(maya, title="Desk lamps")
    campaign = make_campaign(team_size=2, price="30.00", group_price="24.00")
    token = sign_attribution(Attribution(creator_id=maya.pk, page_id=guide.pk, block_id="grp"), sku="GRP-1")
    return open_team(campaign.pk, buyer=buyer(1), attribution_token=token).team
