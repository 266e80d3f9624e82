"""operations.cache_guard: a write the cache did not take is owed and made up for before the next use; the
backend absorbs an outage for code that can't guard its calls, never for ours."""

import pytest
import redis

from operations import cache_guard, owed_settles
from settings.env import cache_settings
from tests.support.servers import free_port


class FlakyCache:
    """A cache backend whose server can be taken away; it records every call."""

    def __init__(self):
        self.data, self.calls, self.down = {}, [], False
        self.recorded: list[str] = []  # the debts recorded for other processes (``OwedCacheSettle``)

    def record_owed(self, name):
        self.recorded.append(name)

    def _call(self, name):
        self.calls.append(name)
        if self.down:
            raise redis.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    def get(self, key, default=None):
        self._call("get")
        return self.data.get(key, default)

    def set(self, key, value, timeout=None):
        self._call("set")
        self.data[key] = value

    def add(self, key, value, timeout=None):
        self._call("add")
        return self.data.setdefault(key, value) is value


@pytest.fixture
def backend(monkeypatch):
    flaky = FlakyCache()
    monkeypatch.setattr(cache_guard, "default_cache", flaky)
    monkeypatch.setattr(cache_guard, "RETRY_SECONDS", 0)
    monkeypatch.setattr(cache_guard, "_shared_caches", {})  # this test's own caches only
    # The database's record: tests of their own (test_owed_settle_claims.py).
    monkeypatch.setattr(owed_settles, "record_owed", flaky.record_owed)
    monkeypatch.setattr(owed_settles, "claim_recorded", lambda name: owed_settles.Claim("default", None, 0))
    cache_guard.forget_outage()
    yield flaky
    cache_guard.forget_outage()


def test_a_lost_write_is_made_up_for_before_anything_is_read_again(backend):
    settled = []
    shared = cache_guard.SharedCache(name="test", settle=lambda cache: settled.append(cache.set("generation", "new")))
    backend.data.update({"generation": "old", "entry": "stale"})

    backend.down = True
    shared.set("generation", "moved-by-a-sale")  # lost
    during = shared.get("entry", "nothing")
    owed_during = shared.owes_settle
    backend.down = False
    after = shared.get("entry")

    assert (during, owed_during) == ("nothing", True)
    assert (after, shared.owes_settle, len(settled), backend.data["generation"]) == ("stale", False, 1, "new")
    # the lost write, a probe refused (so no claim and no settle tried), the probe answered, the settle, the read
    assert backend.calls == ["set", "get", "get", "set", "get"]
    assert backend.recorded == ["test"]  # for other processes to pay should this one die first


def test_a_lost_fill_owes_nothing(backend):
    settled = []
    shared = cache_guard.SharedCache(name="test", settle=lambda cache: settled.append(cache.set("generation", "new")))
    backend.data.update({"generation": "old", "entry": "kept"})

    backend.down = True
    shared.fill("another-entry", "rendered")  # lost: a later miss, nothing stale
    shared.add("token", "made")
    owed_during = shared.owes_settle
    backend.down = False
    after = shared.get("entry")

    assert (owed_during, shared.owes_settle, after) == (False, False, "kept")
    assert (settled, backend.recorded, backend.data["generation"]) == ([], [], "old")


def test_while_the_settle_fails_nothing_is_read(backend):
    shared = cache_guard.SharedCache(name="test", settle=lambda cache: cache.set("generation", "new"))
    backend.data["entry"] = "stale"
    backend.down = True
    shared.set("generation", "moved")

    backend.down = False
    backend.set = lambda *args, **kwargs: (_ for _ in ()).throw(redis.ConnectionError("refused"))  # writes fail

    assert (shared.get("entry", "nothing"), shared.owes_settle) == ("nothing", True)


def test_after_a_failure_the_cache_is_not_tried_again_for_a_moment(backend, monkeypatch):
    monkeypatch.setattr(cache_guard, "RETRY_SECONDS", 60)
    shared = cache_guard.SharedCache(name="test")
    backend.down = True

    answers = [shared.get("entry", "nothing") for _ in range(3)]

    assert (answers, backend.calls) == (["nothing"] * 3, ["get"])
    assert cache_guard.cache_is_down()


def test_the_backend_absorbs_an_outage_except_inside_guarded(settings):
    from django.core.cache import cache

    settings.CACHES = cache_settings(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    cache_guard.forget_outage()
    try:
        absorbed = (cache.get("kolshop:probe"), cache.add("kolshop:probe", 1), cache.get_many(["kolshop:probe"]))
        seen = cache_guard.guarded(cache.get, "kolshop:probe", fallback="the outage, seen")
    finally:
        cache_guard.forget_outage()
        settings.CACHES = cache_settings("")

    assert absorbed == (None, None, {})
    assert seen == "the outage, seen"


def test_after_an_absorbed_failure_unguarded_calls_answer_nothing_at_once(settings, monkeypatch):
    from django.core.cache import cache

    settings.CACHES = cache_settings(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    monkeypatch.setattr(cache_guard, "RETRY_SECONDS", 60)
    cache_guard.forget_outage()
    tried = []
    real_connect = redis.Connection.connect
    monkeypatch.setattr(redis.Connection, "connect", lambda self: tried.append(1) or real_connect(self))
    try:
        answers = [cache.get("kolshop:probe") for _ in range(3)]
        down = cache_guard.cache_is_down()
        guarded = cache_guard.guarded(cache.get, "kolshop:probe", fallback="paused")
    finally:
        cache_guard.forget_outage()
        settings.CACHES = cache_settings("")

    assert (answers, down, guarded) == ([None, None, None], True, "paused")
    assert len(tried) == 1  # the first call tried the server; the rest waited for nothing



def test_the_pausing_client_and_its_methods_are_made_once_per_backend_client(settings):
    from django.core.cache import cache
    from django_redis.client import DefaultClient

    settings.CACHES = cache_settings(f"redis://127.0.0.1:{free_port()}/0")  # nothing is asked of the server
    try:
        clients = [cache.client for _ in range(3)]
        methods = [cache.client.get for _ in range(3)]
    finally:
        settings.CACHES = cache_settings("")

    assert [client is clients[0] for client in clients] == [True, True, True]
    assert type(clients[0]._client) is DefaultClient
    assert [method is methods[0] for method in methods] == [True, True, True]
