"""Reader-account helpers: read the mailed sign-in link and code from the locmem outbox."""

import re

from django.core import mail

LINK = re.compile(r"https://shop\.example\.com/account/sign-in/link/(?P<token>[A-Za-z0-9_-]+)/")
CODE = re.compile(r"code: (?P<code>\d{6})")
ADDRESS = {"name": "Bo Friend", "line1": "2 Side St", "city": "Springfield", "postal_code": "12345", "country": "US"}


def mailed_sign_in(address: str) -> tuple[str, str]:
    """(link token, code) of the newest sign-in mailed to ``address``."""
    message = [m for m in mail.outbox if m.to == [address]][-1]
    return LINK.search(message.body)["token"], CODE.search(message.subject)["code"]


def csrf_headers(client) -> dict:
    """The X-CSRFToken header a browser's front end sends (GET /api/v1/account/csrf), for a client whose
    requests are CSRF-checked as in production; Django's default test client skips the check."""
    if not client.handler.enforce_csrf_checks:
        return {}
    return {"X-CSRFToken": client.get("/api/v1/account/csrf").json()["csrf_token"]}


def post_json(client, path: str, payload: dict):
    return client.post(path, payload, content_type="application/json", headers=csrf_headers(client))


def sign_in(client, ask, email: str):
    """Sign ``client`` in by the mailed code, as a reader would."""
    assert ask(email, through=client).status_code == 202
    _, code = mailed_sign_in(email.strip())
    response = post_json(client, "/api/v1/account/sign-in/code", {"email": email, "code": code})
    assert response.status_code == 200, response.content
    return response
