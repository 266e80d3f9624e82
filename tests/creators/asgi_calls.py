"""Calling an ASGI app in this process (Django's handler, ``creators.fast_follow``) and comparing answers
whose signed tokens and dates were made a moment apart."""

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit

from django.core.handlers.asgi import ASGIHandler

from shop.attribution import read_attribution_token


@dataclass(frozen=True)
class Answer:
    status: int
    headers: list[tuple[str, str]]

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key == name.lower()), None)


class CountingDjango:
    """Django's ASGI handler, counting the requests it is handed (the fast path's fallbacks)."""

    def __init__(self) -> None:
        self.handler = ASGIHandler()
        self.calls = 0

    async def __call__(self, scope, receive, send) -> None:
        self.calls += 1
        await self.handler(scope, receive, send)

    async def send_response(self, response, send) -> None:
        await self.handler.send_response(response, send)


async def _call(app, scope) -> list[dict]:
    sent: list[dict] = []
    body_sent = False

    async def receive():
        nonlocal body_sent
        if not body_sent:
            body_sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # the client stays connected

    async def send(message):
        sent.append(message)

    await app(scope, receive, send)
    return sent


def _run(coroutine):
    """``asyncio.run``, in a thread of its own when this one already runs a loop (Playwright's sync API keeps one
    running for the whole session once a browser test has started it)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def asgi_get(app, path: str, *, method: str = "GET", query: str = "", headers: dict[str, str] | None = None,
             client: str = "203.0.113.7", scheme: str = "http") -> Answer:
    headers = {"Host": "localhost", **(headers or {})}
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": scheme,
             "path": path, "raw_path": path.encode("utf-8", "surrogateescape"), "query_string": query.encode(),
             "root_path": "", "client": (client, 50000), "server": ("127.0.0.1", 8000),
             "headers": [(name.lower().encode(), value.encode("latin1")) for name, value in headers.items()]}
    sent = _run(_call(app, scope))
    start = sent[0]
    return Answer(start["status"], [(name.decode().lower(), value.decode("latin1")) for name, value in start["headers"]])


def _unsigned(token: str) -> str:
    """A token without its time and signature (what it says, not when it was signed): an attribution token's
    body (``shop.attribution``, v3) less its time, or a TimestampSigner token's value (the referral cookie)."""
    if token.startswith("a3."):
        attribution, sku = read_attribution_token(token)
        return f"a3:{attribution}:{sku}"
    return token.rsplit(":", 2)[0]


def _location(value: str) -> str:
    parts = urlsplit(value)
    query = [(name, _unsigned(token) if name in ("ref", "share") else token)
             for name, token in parse_qsl(parts.query, keep_blank_values=True)]
    return parts._replace(query=urlencode(query)).geturl()


def _cookie(value: str) -> str:
    name_value, *attributes = value.split("; ")
    name, _, token = name_value.partition("=")
    kept = [attribute for attribute in attributes if not attribute.lower().startswith("expires=")]
    return "; ".join([f"{name}={_unsigned(token)}", *kept])


def comparable(answer: Answer) -> tuple[int, dict[str, str], list[str]]:
    """Status, headers and cookies, with tokens unsigned, a fixed request id and dates left out (``Expires``
    is the moment of the answer, by the same ``never_cache``)."""
    headers, cookies = {}, []
    for name, value in answer.headers:
        if name == "set-cookie":
            cookies.append(_cookie(value))
        elif name == "location":
            headers[name] = _location(value)
        elif name == "expires":
            headers[name] = "(the time of the answer)"
        else:
            headers[name] = value
    return answer.status, headers, sorted(cookies)
