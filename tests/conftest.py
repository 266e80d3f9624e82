import pytest

WEBHOOK_SECRET = "whsec_kolshop_test"


@pytest.fixture(autouse=True)
def _media_and_cache(settings, tmp_path):
    """Every test gets its own media folder and an empty cache."""
    from django.core.cache import cache

    from content.api.buy_links import forget_signed_links
    from content.api.page_lookup import forget_page_classes
    from operations.cache_guard import forget_outage

    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    forget_outage()  # an outage one test caused is not the next test's
    forget_page_classes()  # page ids are reused after a test's rollback (SQLite)
    forget_signed_links()
    yield
    forget_outage()
    cache.clear()


@pytest.fixture
def site_tree(db):
    from content.services.site_tree import ensure_site_tree

    return ensure_site_tree()


@pytest.fixture
def wagtail_base_data(transactional_db):
    """What Wagtail's migrations create (default locale, root page, root collection) and our roles, again.

    A transactional test ends by flushing every table; post_migrate then recreates permissions and
    groups but not Wagtail's data migrations, so later transactional tests rebuild them here.
    """
    from django.conf import settings
    from django.contrib.contenttypes.models import ContentType
    from wagtail.coreutils import get_supported_content_language_variant
    from wagtail.models import Collection, Locale, Page

    from creators.services.roles import ensure_role_groups

    if not Locale.objects.exists():
        Locale.objects.create(language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE))
    if Page.get_first_root_node() is None:
        Page.add_root(title="Root", slug="root", content_type=ContentType.objects.get_for_model(Page))
    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")
    ensure_role_groups()


from tests.support.redis_server import redis_url  # noqa: E402,F401  (a fixture for every test package)


@pytest.fixture
def steady_rate_limit_clock(monkeypatch):
    """django-ratelimit counts in fixed windows (per minute, offset per key): a test that makes many
    requests must not straddle a window's end, or the count restarts midway. One instant for all."""
    from types import SimpleNamespace

    import django_ratelimit.core

    instant = 1_800_000_030.0
    monkeypatch.setattr(django_ratelimit.core, "time", SimpleNamespace(time=lambda: instant))  # its clock only
    return instant


@pytest.fixture
def steady_click_clock(monkeypatch):
    """The click limit counts in fixed periods of each click's ``clicked_at`` (``click_queue``, and the inline
    count's ``ClickLimitUse``): a test that counts clicks up to the limit must not straddle a period's end, or the
    count restarts midway. Every follow's click at one moment (now, so its month's partition exists)."""
    from types import SimpleNamespace

    from django.utils import timezone

    from creators.services import links

    moment = timezone.now()
    monkeypatch.setattr(links, "timezone", SimpleNamespace(now=lambda: moment))  # the follows' clock only
    return moment


def pytest_collection_modifyitems(config, items):
    """`@pytest.mark.postgres` alone skips a test when the suite runs on another database."""
    from django.conf import settings

    if "postgresql" in settings.DATABASES["default"]["ENGINE"]:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL")
    for item in items:
        if item.get_closest_marker("postgres"):
            item.add_marker(skip)


@pytest.fixture
def shop_settings(settings):
    settings.KOLSHOP_PAYMENT_GATEWAY = "dummy"
    settings.KOLSHOP_RESERVATION_MINUTES = 15
    settings.KOLSHOP_MAX_QUANTITY_PER_VARIANT = 10
    settings.KOLSHOP_SHIPPING_RATES = "US:5.00,DE:7.50"
    settings.KOLSHOP_PICKUP_ENABLED = True
    settings.KOLSHOP_DEFAULT_CURRENCY = "USD"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    return settings


@pytest.fixture
def announced():
    """Every ``catalog_changed`` the shop sends (the apps caching a product forget it), with its product ids."""
    from shop import events

    sent = []

    def listener(*, product_ids, **_payload):
        sent.append(sorted(product_ids))

    events.catalog_changed.connect(listener)
    yield sent
    events.catalog_changed.disconnect(listener)
