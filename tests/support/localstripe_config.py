"""Talking to the test localstripe's ``/_config`` routes (the project's extensions: holds, webhooks, deliveries)."""

import json
import urllib.request


def configure_localstripe(base_url: str, method: str, path: str, payload: dict | None = None) -> dict:
    """``method`` ``path`` on localstripe with ``payload`` as JSON; its JSON answer (``{}`` when empty)."""
    request = urllib.request.Request(f"{base_url}{path}", method=method,
                                     data=json.dumps(payload).encode() if payload is not None else None,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read() or b"{}")
