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
