import pytest

from creators.models import LinkTarget
from creators.services.links import create_tracked_link
from operations import cache_guard, owed_settles
from tests.factories import make_creator, make_product
from tests.support.redis_server import restartable_redis  # noqa: F401  (a fixture)


@pytest.fixture
def outage(restartable_redis, monkeypatch):  # noqa: F811
    """A real Redis to stop and start, every cache call trying the server again."""
    monkeypatch.setattr(cache_guard, "RETRY_SECONDS", 0)
    return restartable_redis


@pytest.fixture
def settler(monkeypatch):
    """The settler thread every app process starts (``settings.wsgi`` / ``settings.asgi``), looking often."""
    monkeypatch.setattr(owed_settles, "SETTLE_SECONDS", 0.05)
    stop = owed_settles.start_settler()
    yield
    stop.set()


@pytest.fixture
def mug_link():
    """A creator's tracked link to a mug, by its code."""
    def make(code: str):
        product = make_product(variants=[("MUG-1", "12.00", 3)])
        return create_tracked_link(make_creator("anna"), target_kind=LinkTarget.PRODUCT, product=product, code=code)
    return make
