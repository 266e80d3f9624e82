import pytest


@pytest.fixture(autouse=True)
def _media_and_cache(settings, tmp_path):
    """Every test gets its own media folder and an empty cache."""
    from django.core.cache import cache

    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def site_tree(db):
    from content.services.site_tree import ensure_site_tree

    return ensure_site_tree()
