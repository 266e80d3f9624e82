"""Tracked links: ``/r/<code>/`` against a bare redirect in this process (both through the web process's ASGI
application, ``settings.asgi``, as production serves them), and clicks ingested over HTTP
by two app processes at once, counted after the drain. Both run with a Redis of their own (Debian's
redis-server on a free loopback port), as in production; without redis-server the clicks are written
inline and the rows say so."""

import asyncio
import itertools
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.client import HTTPConnection
from pathlib import Path

import redis
from django.conf import settings
from django.db import connection
from django.test import Client, override_settings

from bench.harness import Row, count_queries, interleaved, ratio_row
from settings.env import cache_settings

ROOT = Path(__file__).resolve().parent.parent
# /r/ before the click queue: 3.96 ms per follow in this bench (README, commit 55a182c): 252 clicks/s.
FILED_CLICKS_PER_SECOND = 1000 / 3.96


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{process.args[0]} did not start on port {port}") from None
            time.sleep(0.1)


@contextmanager
def local_redis() -> Iterator[str | None]:
    binary = shutil.which("redis-server")
    if binary is None:
        yield None
        return
    port, folder = _free_port(), tempfile.mkdtemp(prefix="kolshop-bench-redis-")
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                                "--dir", folder], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for_port(port, process)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def _agents() -> Iterator[str]:
    """A new reader per request (visitor = address + user agent): every follow is a counted click."""
    return (f"Mozilla/5.0 (bench reader {n}) Chrome/120" for n in itertools.count())


class AsgiCaller:
    """GET requests to an ASGI application in this process on one event loop, as uvicorn hands them over (the
    HTTP parsing and the socket left out); returns the answer's status."""

    def __init__(self, application) -> None:
        self.application = application
        self.loop = asyncio.new_event_loop()

    def get(self, path: str, *, user_agent: str = "Mozilla/5.0 (bench) Chrome/120") -> int:
        return self.loop.run_until_complete(self._get(path, user_agent))

    async def _get(self, path: str, user_agent: str) -> int:
        scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
                 "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
                 "query_string": b"", "headers": [(b"host", b"localhost"), (b"user-agent", user_agent.encode())],
                 "client": ("127.0.0.1", 40000), "server": ("127.0.0.1", 8000)}
        received, status = False, []

        async def receive():
            nonlocal received
            if received:
                await asyncio.Event().wait()  # the client stays connected
            received = True
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message):
            if message["type"] == "http.response.start":
                status.append(message["status"])

        await self.application(scope, receive, send)
        return status[0]

    def close(self) -> None:
        self.loop.close()


def tracked_link(data, *, rounds: int) -> list[Row]:
    from creators.models import Click
    from creators.services.click_buffer import flush_clicks
    from creators.services.click_drain import drain_all_clicks, queued_click_count
    from settings.asgi import application  # the web process's app: /r/'s fast path in front of Django

    link = f"/r/{data.link_code}/"
    agents = _agents()
    client = AsgiCaller(application)

    def follow():
        status = client.get(link, user_agent=next(agents))
        assert status == 302, status

    with local_redis() as redis_url, override_settings(REDIS_URL=redis_url or "",
                                                       CACHES=cache_settings(redis_url or "")):
        before = Click.objects.count()
        follow()  # warm-up: the route is cached, click ids reserved
        timings = interleaved({"kolshop": follow, "bare redirect": lambda: client.get("/bench/redirect/")},
                              rounds=rounds)
        # Queries are counted on this thread's connection: Django's view here (the same code as the fast path's,
        # which runs in a thread of its own), with the test client.
        queries = count_queries(lambda: Client().get(link, HTTP_HOST="localhost", HTTP_USER_AGENT=next(agents)))
        flush_clicks()  # what the click buffer's thread does within KOLSHOP_CLICK_FLUSH_MS
        queued = queued_click_count()
        drain_started = time.perf_counter()
        drained = drain_all_clicks()
        drain_ms = (time.perf_counter() - drain_started) * 1000
        followed = rounds + 3 + 2  # measured rounds, the harness's warm-up rounds, our warm-up and the count
        written = Click.objects.count() - before
    client.close()
    mode = ("group commit: each follow waits for its click's Redis round trip (none to share one at a time)"
            if settings.KOLSHOP_CLICK_ACK_WAIT_MS else "write-behind (KOLSHOP_CLICK_ACK_WAIT_MS=0)")
    how = (f"ASGI app in this process (settings.asgi); {mode}; {queries} queries per click; drained {drained} "
           f"in {drain_ms:.0f} ms"
           if redis_url else f"no redis-server: written inline, {queries} queries per click")
    return [
        ratio_row("/r/<code> follow (a new reader each time)", timings, subject="kolshop", baseline="bare redirect",
                  target="≤ 2× (one at a time)", passes=lambda ratio: ratio <= 2.0, notes=how),
        Row("/r/<code>: clicks written vs follows", f"{written} written", f"{followed} follows", None,
            "0 lost, 0 doubled", written == followed, f"{queued} were queued before the drain"),
    ]


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


_WRK_SCRIPT = """
local threads, counter = {}, 0
function setup(thread) table.insert(threads, thread) end
function init(args) readers, redirects = args[1], 0 end
function request()
  counter = counter + 1
  return wrk.format("GET", nil, {["Host"] = "localhost",
                                 ["User-Agent"] = "Mozilla/5.0 (" .. readers .. " " .. counter .. ") Chrome/120"})
end
function response(status) if status == 302 then redirects = redirects + 1 end end
function done()
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("redirects") end
  io.write("redirects " .. total .. "\\n")
end
"""


def _load(ports: list[int], path: str, *, requests: int, threads: int, readers: str) -> tuple[float, int]:
    """Follows of ``path`` spread over the app processes on keep-alive connections; returns (seconds,
    redirects). With Debian's wrk (C, a fraction of the CPU) for about as long as ``requests`` take at
    500/s, else ``requests`` follows from ``threads`` Python threads in this process."""
    if shutil.which("wrk"):
        return _wrk_load(ports, path, seconds=max(1, requests // 500), connections=threads, readers=readers)
    return _thread_load(ports, path, requests=requests, threads=threads, readers=readers)


def _wrk_load(ports: list[int], path: str, *, seconds: int, connections: int, readers: str) -> tuple[float, int]:
    """One wrk per app process at once (one thread, ``connections`` split between them), each reader a
    new user agent; redirects counted by its Lua script."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_WRK_SCRIPT)
    started = time.perf_counter()
    runs = [subprocess.Popen(["wrk", "-t1", f"-c{max(1, connections // len(ports))}", f"-d{seconds}s", "-s", script.name,
                              f"http://127.0.0.1:{port}{path}", "--", f"{readers} {port}"],
                             stdout=subprocess.PIPE, text=True) for port in ports]
    outputs = [run.communicate(timeout=seconds + 60)[0] for run in runs]
    elapsed = time.perf_counter() - started
    os.unlink(script.name)
    return elapsed, sum(int(line.split()[1]) for output in outputs for line in output.splitlines()
                        if line.startswith("redirects "))


def _thread_load(ports: list[int], path: str, *, requests: int, threads: int, readers: str) -> tuple[float, int]:
    """``requests`` follows spread over ``threads`` keep-alive connections alternating between the app
    processes; returns (seconds, redirects)."""
    redirects = [0] * threads
    per_thread = requests // threads

    def run(index: int) -> None:
        conn = HTTPConnection("127.0.0.1", ports[index % len(ports)], timeout=30)
        for n in range(per_thread):
            conn.request("GET", path, headers={"Host": "localhost",
                                               "User-Agent": f"Mozilla/5.0 ({readers} {index}-{n}) Chrome/120"})
            response = conn.getresponse()
            response.read()
            redirects[index] += response.status == 302
        conn.close()

    workers = [threading.Thread(target=run, args=(index,)) for index in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return time.perf_counter() - started, sum(redirects)


def _processes() -> dict[int, tuple[int, str]]:
    """Every process on this machine: pid -> (parent pid, command line), from /proc (empty elsewhere)."""
    found = {}
    for entry in Path("/proc").glob("[0-9]*") if Path("/proc/self/stat").exists() else []:
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        found[int(entry.name)] = (int(stat.rpartition(")")[2].split()[1]), command)
    return found


def _cpu_seconds(pids: list[int]) -> float:
    """User and system CPU the processes have used (all their threads), from /proc."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU used by each part of the click path while the clicks are followed: the app processes (gunicorn's
    master and worker), the drainer, redis-server, the PostgreSQL cluster, and the load generator; on a shared
    machine a steadier figure than the rate, which other work on the same cores lowers."""

    def __init__(self, *, app: list[int], drainer: int, redis_port: int, pg_port: int) -> None:
        processes = _processes()

        def tree(roots: list[int]) -> list[int]:
            pids, todo = [], list(roots)
            while todo:
                pid = todo.pop()
                pids.append(pid)
                todo.extend(child for child, (parent, _command) in processes.items() if parent == pid)
            return pids

        redis_pids = [pid for pid, (_parent, command) in processes.items()
                      if "redis-server" in command.split(" ")[0] and f":{redis_port}" in command]
        postmaster = [pid for pid, (_parent, command) in processes.items()
                      if command.split(" ")[0].endswith("/postgres") and f" -p {pg_port} " in command]
        self.parts = {"app": tree(app), "drainer": tree([drainer]), "Redis": redis_pids,
                      "PostgreSQL": tree(postmaster)}

    def snapshot(self) -> dict[str, float]:
        return {**{name: _cpu_seconds(pids) for name, pids in self.parts.items()},
                "wrk": resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
                + resource.getrusage(resource.RUSAGE_CHILDREN).ru_stime}

    @staticmethod
    def per_click(before: dict[str, float], after: dict[str, float], clicks: int) -> str:
        """"app 410 µs, drainer 60 µs, …; 640 µs of CPU per click" over the clicks followed between snapshots."""
        used = {name: (after[name] - before[name]) * 1e6 / max(clicks, 1) for name in before}
        return ", ".join(f"{name} {micros:.0f} µs" for name, micros in used.items()) + (
            f"; {sum(used.values()):.0f} µs of CPU per click")


def _wait_for_drain(queue, seconds: float = 120) -> None:
    """Until the `clicks` process has written every queued click."""
    from creators.services.click_queue import PENDING

    deadline = time.monotonic() + seconds
    while queue.hlen(PENDING) and time.monotonic() < deadline:
        time.sleep(0.2)


def ingest_at_scale(data, *, requests: int) -> list[Row]:
    """Clicks at 10× the rate /r/ had when issue 14 was filed, through two app processes (gunicorn,
    uvicorn worker) and one `clicks` drainer, all with one Redis; every follow must become one row."""
    from creators.models import Click

    case = "clicks ingested by 2 app processes (HTTP)"
    target_rate = 10 * FILED_CLICKS_PER_SECOND
    target = f"≥ {target_rate:.0f}/s (10× {FILED_CLICKS_PER_SECOND:.0f}/s), 0 lost"
    if connection.vendor != "postgresql":
        return [Row(case, "skipped (SQLite serialises writers)", "—", None, target, None, "run make bench (PostgreSQL)")]
    with local_redis() as redis_url:
        if redis_url is None:
            return [Row(case, "skipped (no redis-server)", "—", None, target, None, "")]
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "settings.bench", "DATABASE_URL": _database_url(),
               "REDIS_URL": redis_url, "CACHE_URL": redis_url, "DATABASE_POOL": "1"}  # as production's
        ports = [_free_port(), _free_port()]
        # The Procfile's web process (settings.asgi, with /r/'s fast path; deploy/gunicorn.conf.py), one worker each.
        processes = [subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "settings.asgi", "--config", "deploy/gunicorn.conf.py",
             "--log-level", "warning"],
            cwd=ROOT, env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1"},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for port in ports]
        drainer = subprocess.Popen([sys.executable, "manage.py", "drain_clicks"], cwd=ROOT, env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for port, process in zip(ports, processes):
                _wait_for_port(port, process)
                _thread_load([port], "/bench/redirect/", requests=1, threads=1, readers="ready")  # worker booted
            path = f"/r/{data.link_code}/"
            queue = redis.Redis.from_url(redis_url)
            _load(ports, path, requests=40, threads=4, readers="warm-up reader")  # routes cached, ids reserved
            _wait_for_drain(queue)
            _load(ports, "/bench/redirect/", requests=40, threads=4, readers="warm-up reader")
            # The ceiling on this machine: a bare redirect through the same processes and clients, run
            # half before and half after the clicks (drift hits both alike).
            bare_first = _load(ports, "/bench/redirect/", requests=requests // 2, threads=8, readers="bare reader")
            before = Click.objects.count()
            meter = CpuMeter(app=[process.pid for process in processes], drainer=drainer.pid,
                             redis_port=int(redis_url.rsplit(":", 1)[1].split("/")[0]),
                             pg_port=int(connection.settings_dict["PORT"] or 5432))
            cpu_before = meter.snapshot()
            seconds, redirects = _load(ports, path, requests=requests, threads=8, readers="bench reader")
            cpu_used = CpuMeter.per_click(cpu_before, meter.snapshot(), redirects)
            bare_second = _load(ports, "/bench/redirect/", requests=requests // 2, threads=8, readers="bare reader")
            _wait_for_drain(queue)
            time.sleep(1)  # anything written twice would show now
            written = Click.objects.count() - before
        finally:
            for process in [*processes, drainer]:
                process.terminate()
            for process in [*processes, drainer]:
                process.wait(timeout=20)
    rate = redirects / seconds
    bare_rate = (bare_first[1] + bare_second[1]) / (bare_first[0] + bare_second[0])
    generator = "wrk" if shutil.which("wrk") else "Python threads"
    # wrk stops mid-request at its deadline: up to one follow per connection may be written unanswered.
    unanswered = 8 if generator == "wrk" else 0
    kept = redirects <= written <= redirects + unanswered and (generator == "wrk" or redirects == requests)
    return [
        Row(case, f"{rate:.0f} clicks/s", f"filed: {FILED_CLICKS_PER_SECOND:.0f}/s", rate / FILED_CLICKS_PER_SECOND,
            target, rate >= target_rate and kept,
            f"{redirects} redirects, {written} rows after the drain (load: {generator}); a bare redirect through the "
            f"same processes: {bare_rate:.0f}/s; CPU while following: {cpu_used}"),
        Row("/r/<code> rate vs a bare redirect's (2 app processes, HTTP)", f"{rate:.0f}/s", f"{bare_rate:.0f}/s",
            rate / bare_rate, "≥ 50 % of its rate", rate / bare_rate >= 0.5,
            f"{rate / bare_rate:.0%}; " + ("each redirect sent after its click is in Redis (group commit)"
                                           if settings.KOLSHOP_CLICK_ACK_WAIT_MS else "write-behind")),
    ]
