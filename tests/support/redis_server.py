"""A throwaway Redis (Debian's redis-server) on a free loopback port, for tests of shared services."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.servers import free_port, loopback_server


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is missing: `make test` installs Debian's redis-server (apt-get install redis-server)")
    port = free_port()
    folder: Path = tmp_path_factory.mktemp("redis")
    argv = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", str(folder)]
    with loopback_server(argv, port=port, log_path=folder / "redis.log", cwd=folder):
        yield f"redis://127.0.0.1:{port}/0"


class RestartableRedis:
    """A Redis of one test's own that can be stopped and started again on the same port with the data it had
    (append-only file, fsync'd on every write): a server that goes away and comes back, as after a restart
    with persistence or a network partition."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._server = None

    def start(self) -> None:
        argv = [shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "yes", "--appendfsync", "always", "--dir", str(self.folder)]
        self._server = loopback_server(argv, port=self.port, log_path=self.folder / "redis.log", cwd=self.folder)
        self._server.__enter__()

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.__exit__(None, None, None)


@pytest.fixture
def restartable_redis(tmp_path, settings) -> Iterator[RestartableRedis]:
    """The cache (CACHE_URL) and the shared Redis (REDIS_URL) on a server the test may stop and start."""
    from operations import cache_guard
    from settings.env import cache_settings

    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is missing: `make test` installs Debian's redis-server (apt-get install redis-server)")
    folder = tmp_path / "restartable-redis"
    folder.mkdir()
    server = RestartableRedis(folder)
    server.start()
    original = settings.CACHES
    settings.CACHES = cache_settings(server.url)
    settings.REDIS_URL = server.url
    cache_guard.forget_outage()
    try:
        yield server
    finally:
        settings.CACHES = original  # before the autouse fixture clears the cache
        cache_guard.forget_outage()
        server.stop()
