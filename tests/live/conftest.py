"""Live-shopping fixtures: the shop's settings (dummy gateway, shipping rates) for buying in a session."""

from tests.shop.conftest import shop_settings  # noqa: F401
