import pytest

from tests.shop.conftest import shop_settings  # noqa: F401  (the shop's settings for checkouts)


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
            return (through or client).post("/api/v1/account/sign-in", {"email": email},
                                            content_type="application/json")

    return ask
