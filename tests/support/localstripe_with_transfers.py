"""localstripe plus the two Connect resources creator payouts need (accounts and transfers), and card
holds that behave like Stripe's (``tests.support.localstripe_holds``: manual capture, its events,
``capture_before``, expiry, idempotent PaymentIntent calls).

localstripe (the fake Stripe the tests use) has no Connect. This adds, on the same server:

* ``POST /v1/accounts`` — a connected account (``acct_…``) transfers may go to;
* ``POST /v1/transfers`` — a transfer to an existing account (unknown destination → 400, like
  Stripe's ``resource_missing``), honouring ``Idempotency-Key``: a repeated key returns the first
  transfer and creates nothing;
* ``GET /v1/transfers`` — every transfer made (tests count them), with ``amount_reversed`` and its reversals;
* ``POST /v1/transfers/{id}/reversals`` — take part of a transfer back (more than is left → 400, like
  Stripe), honouring ``Idempotency-Key`` the same way;
* ``DELETE /_config/connect`` — forget all of the above (each test starts clean);
* webhook endpoints a test can unregister and deliveries it can wait for (``tests.support.localstripe_deliveries``).

Run: ``python -m tests.support.localstripe_with_transfers <port>``.
"""

import json
import sys

from aiohttp import web
from localstripe.errors import UserError
from localstripe.resources import StripeObject, random_id, store, try_convert_to_int
from localstripe.server import app, get_post_data

from tests.support import localstripe_deliveries, localstripe_holds


class Account(StripeObject):
    object = "account"
    _id_prefix = "acct_"

    def __init__(self, **data):
        super().__init__()
        self.type = data.get("type", "express")
        self.email = data.get("email")
        self.charges_enabled = True
        self.payouts_enabled = True
        self.details_submitted = False


class Transfer(StripeObject):
    object = "transfer"
    _id_prefix = "tr_"

    def __init__(self, amount=None, currency=None, destination=None, transfer_group=None, metadata=None, **kwargs):
        amount = try_convert_to_int(amount)
        if type(amount) is not int or amount <= 0 or not currency:
            raise UserError(400, "Invalid amount or currency", {"code": "parameter_invalid_integer"})
        if not destination or ("account:" + str(destination)) not in store:
            raise UserError(400, f"No such destination: '{destination}'",
                            {"code": "resource_missing", "param": "destination"})
        super().__init__()
        self.amount = amount
        self.currency = currency
        self.destination = destination
        self.transfer_group = transfer_group
        self.metadata = metadata or {}
        self.reversed = False
        self.amount_reversed = 0
        self.reversals = {"object": "list", "data": []}
        self.balance_transaction = "txn_" + random_id(24)

    def _reverse(self, amount=None, metadata=None, **kwargs) -> dict:
        left = self.amount - self.amount_reversed
        amount = left if amount is None else try_convert_to_int(amount)
        if type(amount) is not int or amount <= 0:
            raise UserError(400, "Invalid amount", {"code": "parameter_invalid_integer", "param": "amount"})
        if amount > left:
            raise UserError(400, f"Transfer {self.id} has only {left} left to reverse",
                            {"code": "transfer_reversal_amount_exceeds", "param": "amount"})
        reversal = {"id": "trr_" + random_id(24), "object": "transfer_reversal", "amount": amount,
                    "currency": self.currency, "transfer": self.id, "metadata": metadata or {}}
        self.amount_reversed += amount
        self.reversed = self.amount_reversed == self.amount
        self.reversals["data"].append(reversal)
        return reversal


_idempotent: dict[str, dict] = {}


def _json(body: dict, status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=lambda x: json.dumps(x, sort_keys=True))


async def create_account_idempotent(request):
    key = request.headers.get("Idempotency-Key")
    if key and key in _idempotent:
        return _json(_idempotent[key])
    body = Account(**(await get_post_data(request) or {}))._export()
    if key:
        _idempotent[key] = body
    return _json(body)


async def retrieve_account(request):
    account = store.get("account:" + request.match_info["id"])
    if account is None:
        return _json({"error": {"type": "invalid_request_error", "code": "resource_missing",
                                "message": "No such account"}}, status=404)
    return _json(account._export())


async def create_account_link(request):
    data = await get_post_data(request) or {}
    if ("account:" + str(data.get("account"))) not in store:
        return _json({"error": {"type": "invalid_request_error", "code": "resource_missing", "param": "account",
                                "message": "No such account"}}, status=400)
    return _json({"object": "account_link", "url": f"https://connect.stripe.test/setup/{data['account']}",
                  "expires_at": 0, "created": 0})


async def create_transfer(request):
    key = request.headers.get("Idempotency-Key")
    if key and key in _idempotent:
        return _json(_idempotent[key])
    body = Transfer(**(await get_post_data(request) or {}))._export()
    if key:
        _idempotent[key] = body
    return _json(body)


async def create_transfer_reversal(request):
    key = request.headers.get("Idempotency-Key")
    if key and key in _idempotent:
        return _json(_idempotent[key])
    transfer = store.get("transfer:" + request.match_info["id"])
    if transfer is None:
        return _json({"error": {"type": "invalid_request_error", "code": "resource_missing",
                                "message": f"No such transfer: '{request.match_info['id']}'"}}, status=404)
    body = transfer._reverse(**(await get_post_data(request) or {}))
    if key:
        _idempotent[key] = body
    return _json(body)


async def list_transfers(request):
    transfers = [value._export() for key, value in store.items() if key.startswith("transfer:")]
    return _json({"object": "list", "data": transfers, "has_more": False, "url": "/v1/transfers"})


async def reset_connect(request):
    """Tests start from no accounts, transfers or remembered idempotency keys."""
    _idempotent.clear()
    for key in [key for key in store.keys() if key.startswith(("account:", "transfer:"))]:
        del store[key]
    return web.Response()


localstripe_holds.install(app)
localstripe_deliveries.install(app)
app.router.add_delete("/_config/connect", reset_connect)
app.router.add_post("/v1/accounts", create_account_idempotent)
app.router.add_get("/v1/accounts/{id}", retrieve_account)
app.router.add_post("/v1/account_links", create_account_link)
app.router.add_post("/v1/transfers", create_transfer)
app.router.add_get("/v1/transfers", list_transfers)
app.router.add_post("/v1/transfers/{id}/reversals", create_transfer_reversal)

if __name__ == "__main__":
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)
