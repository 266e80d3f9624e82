"""localstripe's webhook deliveries, made something a test can wait for and switch off.

localstripe posts each event to every registered endpoint one second after the call that caused it, from
its own event loop, and has no way to unregister an endpoint. An endpoint a test registered (its live
server) would keep receiving later tests' events, and a delivery still in flight when the test ends runs
against the database while the next test flushes it (a teardown deadlock on PostgreSQL). This adds:

* ``DELETE /_config/webhooks/{id}`` — forget an endpoint: deliveries not yet sent skip it;
* ``GET /_config/deliveries`` — ``{"in_flight": n}``: deliveries scheduled and not yet answered (or failed).
"""

from aiohttp import web
from localstripe import webhooks
from localstripe.server import json_response

_in_flight = 0
_send_webhook = webhooks._send_webhook


def _counted_send_webhook(event):
    """Counted when scheduled (``schedule_webhook`` calls this inside the request that caused the event), not
    when its task first runs, so the count never misses a delivery about to start."""
    global _in_flight
    _in_flight += 1

    async def send() -> None:
        global _in_flight
        try:
            await _send_webhook(event)
        finally:
            _in_flight -= 1

    return send()


async def unregister_webhook(request):
    # A new dict, not a pop: a delivery iterating the endpoints across its awaits keeps its own.
    webhooks._webhooks = {key: hook for key, hook in webhooks._webhooks.items() if key != request.match_info["id"]}
    return json_response({"deleted": True})


async def deliveries(request):
    return json_response({"in_flight": _in_flight})


def install(app: web.Application) -> None:
    # ``schedule_webhook`` looks ``_send_webhook`` up when called, so every event localstripe or the holds
    # extension sends is counted.
    webhooks._send_webhook = _counted_send_webhook
    app.router.add_delete("/_config/webhooks/{id}", unregister_webhook)
    app.router.add_get("/_config/deliveries", deliveries)
