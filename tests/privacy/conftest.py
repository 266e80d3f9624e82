"""Privacy tests reuse the shop's fixtures (settings, API client, localstripe, deferred tasks)."""

from tests.shop.conftest import api, deferred_tasks, localstripe_url, stripe_settings  # noqa: F401
