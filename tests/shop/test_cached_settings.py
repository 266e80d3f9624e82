"""Settings read per block are read once per process (``shop.cached_settings``), yet a changed setting is seen at
once: ``override_settings`` and pytest-django's ``settings`` fixture announce it with ``setting_changed``."""

from django.test import override_settings

from shop.cached_settings import cached_setting
from shop.models import StockLevel
from shop.models.inventory import StockStatus


def test_an_overridden_setting_is_seen_and_the_old_value_comes_back_after():
    with override_settings(KOLSHOP_LOW_STOCK_THRESHOLD=5):
        before = cached_setting("KOLSHOP_LOW_STOCK_THRESHOLD")
        with override_settings(KOLSHOP_LOW_STOCK_THRESHOLD=50):
            during = cached_setting("KOLSHOP_LOW_STOCK_THRESHOLD")
        after = cached_setting("KOLSHOP_LOW_STOCK_THRESHOLD")

    assert (before, during, after) == (5, 50, 5)


def test_the_low_stock_threshold_follows_the_settings_fixture(settings):
    settings.KOLSHOP_LOW_STOCK_THRESHOLD = 5
    assert StockStatus.for_quantity(8) == StockStatus(StockLevel.IN_STOCK, 8)

    settings.KOLSHOP_LOW_STOCK_THRESHOLD = 10

    assert StockStatus.for_quantity(8) == StockStatus(StockLevel.LOW_STOCK, 8)
    assert StockStatus.for_quantity(8, low_stock_threshold=3) == StockStatus(StockLevel.IN_STOCK, 8)
