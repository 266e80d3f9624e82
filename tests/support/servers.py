"""Start a helper server (localstripe, …) as a subprocess on a free loopback port, and stop it."""

import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def database_url() -> str:
    """The test database as a ``DATABASE_URL`` for a process a test starts (gunicorn, uvicorn, a drainer)."""
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def loopback_server(argv: list[str], *, port: int, log_path: Path, cwd: Path, seconds: float = 20,
                    env: dict[str, str] | None = None) -> Iterator[str]:
    """Run ``argv`` (which must listen on 127.0.0.1:``port``) and yield its base URL until the block ends.
    ``env`` replaces the environment (None: this process's)."""
    with open(log_path, "wb") as log:
        process = subprocess.Popen(argv, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            deadline = time.monotonic() + seconds
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        pytest.fail(f"{argv[0]} did not start: {log_path.read_text()}")
                    time.sleep(0.1)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
