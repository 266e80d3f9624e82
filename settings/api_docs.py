"""What the commerce API's OpenAPI document says beyond the code: each operation's description and its
error responses, with the ``code`` values a client can switch on.

One table, keyed by operation id, so a new endpoint without an entry fails
``tests/shop/test_openapi_document.py``. Every error shares one schema, ``Error`` (``{code, message,
field}``); each documented status lists its codes in the response's description and example.
"""

from dataclasses import dataclass, field

ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "required": ["code", "message", "field"],
    "properties": {
        "code": {"type": "string", "description": "Stable, machine-readable reason (switch on this)."},
        "message": {"type": "string", "description": "For people; may change."},
        "field": {"type": ["string", "null"], "description": "The input at fault, dotted (`address.country`)."},
    },
}

STATUS_TEXT = {400: "Bad input", 401: "Not signed in", 402: "Payment refused", 403: "Not allowed",
               404: "Not found", 409: "Conflict with the current state", 413: "Body too large",
               415: "Not JSON", 429: "Too many requests (see `Retry-After`)", 502: "Payment provider unreachable",
               503: "Storage unavailable"}

# Answered by every operation: the edge's own errors (shop/api_edge.py, settings/api.py).
COMMON_ERRORS = {400: ["invalid", "control_characters"]}

# The domain error kinds' default codes (shop/errors.py), for statuses a router declares without codes.
DEFAULT_CODES = {400: "invalid", 401: "not_authenticated", 403: "permission_denied", 404: "not_found",
                 409: "conflict", 429: "rate_limited", 502: "unavailable", 503: "unavailable"}

CART_NOT_FOUND = {404: ["cart_not_found"]}


@dataclass(frozen=True)
class OperationDoc:
    description: str
    errors: dict[int, list[str]] = field(default_factory=dict)


BUY_LINK_FLOW = """
**From a block's buy link to a cart line.** Product, deal and comparison blocks in the content API
(`/api/v2/pages/<id>/`) carry `buy_url` per variant, e.g.
`/buy/LAMP-01/?ref=eyJjIjo3LCJw...:1kx9Zq:abc&deal=12`. A server-rendered site can link to it as is;
a front end that keeps its own cart passes its parts here instead: `ref` → `attribution`,
`deal` → `promotion` (the SKU is the path segment after `/buy/`):

```http
POST /api/v1/carts/4f9c.../lines
Content-Type: application/json

{"sku": "LAMP-01", "quantity": 1, "attribution": "eyJjIjo3LCJw...:1kx9Zq:abc", "promotion": 12}
```

The token credits the creator whose block it came from; a tampered, expired or other product's token
still adds the line, uncredited. A deal that has ended answers 409 (`promotion_ended`,
`promotion_sold_out`, `promotion_not_started`) and adds nothing, unless `"accept_list_price": true`.
A storefront listing block's `buy_url` carries `listing=<id>` (pass it as `"listing"`); a listing no
longer on sale answers 409 `listing_unavailable` the same way, and `"accept_list_price": true` adds the
SKU at the list price without it (what the `/buy/` link does, with a notice on the cart page).
""".strip()

SHARE_TOKEN_FLOW = """
A reader's share (`/r/<code>`) that leads to a page on another host (a front end on its own site, which never
gets the `kolshop_share` cookie back: it is SameSite=Lax) adds `share=<token>` to the address it redirects to.
Keep it (for the attribution window) and pass it as `share_token`: the share is credited as the cookie would
credit it, the earlier of the cookie's and the token's share winning. A token past the window is ignored; a
tampered one is refused (400 `invalid_share_token`). Anyone holding the token is credited to that share, so
take it out of the address bar once read (`history.replaceState`): a reader copying the address to friends
must not pass the token on.
""".strip()

OPERATIONS: dict[str, OperationDoc] = {
    "shop_api_groupbuy_open_": OperationDoc(
        "Open a team on a group-buy campaign as its first member: your units are held until the team's "
        "deadline and your card is authorised (not charged) for the group price. Everyone is charged only "
        "when the team fills; if it does not fill in time every hold is released. Share the returned "
        "team `code` (`/group/<code>/`) with friends. Pass the block's buy-link token as `attribution` "
        "to credit its creator on every member's line.\n\n" + SHARE_TOKEN_FLOW,
        {400: ["invalid_quantity", "invalid_email", "invalid_fulfilment", "address_required",
               "address_incomplete", "invalid_share_token"],
         404: ["campaign_not_found"],
         409: ["unavailable", "already_in_team", "new_buyers_only", "team_cap", "insufficient_stock",
               "promotion_ended", "promotion_sold_out", "promotion_limit"],
         429: ["rate_limited"], 502: ["payment_unavailable"]},
    ),
    "shop_api_groupbuy_join": OperationDoc(
        "Join a forming team through its share code, at the group price: your units are held and your "
        "card authorised; the member who fills the last seat fills the team and everyone is charged.\n\n"
        + SHARE_TOKEN_FLOW,
        {400: ["invalid_quantity", "invalid_email", "invalid_fulfilment", "address_required",
               "address_incomplete", "invalid_share_token"],
         404: ["team_not_found"],
         409: ["team_full", "team_closed", "already_in_team", "new_buyers_only", "unavailable",
               "insufficient_stock", "promotion_ended", "promotion_sold_out", "promotion_limit"],
         429: ["rate_limited"], 502: ["payment_unavailable"]},
    ),
    "shop_api_groupbuy_read": OperationDoc(
        "A team's public state: status, seats and seats left, deadline, and its members by first name or "
        "initial only (never an e-mail).",
        {404: ["team_not_found"]},
    ),
    "shop_api_carts_create": OperationDoc(
        "Create an empty cart. Keep its `token`: it is the cart's only credential, used in every cart path.",
        {429: ["rate_limited"]},
    ),
    "shop_api_carts_read": OperationDoc(
        "The cart with live prices, promotions and availability per line, and its totals before shipping. "
        "Lines whose stock ran out stay listed with `available` below `quantity`.",
        CART_NOT_FOUND,
    ),
    "shop_api_carts_add_line": OperationDoc(
        "Add units of a SKU (a SKU already in the cart adds to its line).\n\n" + BUY_LINK_FLOW,
        {400: ["unknown_sku", "invalid_quantity", "quantity_limit", "invalid_attribution", "unknown_promotion",
               "promotion_mismatch", "currency_mismatch", "unknown_listing", "listing_mismatch"],
         404: ["cart_not_found"],
         409: ["cart_checked_out", "insufficient_stock", "promotion_ended", "promotion_sold_out",
               "promotion_not_started", "promotion_limit", "listing_unavailable"],
         429: ["rate_limited"]},
    ),
    "shop_api_carts_update_line": OperationDoc(
        "Set a line's quantity (at least 1; remove a line with DELETE).",
        {400: ["invalid_quantity", "quantity_limit"], 404: ["cart_not_found", "line_not_found"],
         409: ["cart_checked_out", "insufficient_stock"]},
    ),
    "shop_api_carts_delete_line": OperationDoc(
        "Remove a line from the cart; its reserved units are not held by a cart, so nothing else changes.",
        {404: ["cart_not_found", "line_not_found"], 409: ["cart_checked_out"]},
    ),
    "shop_api_carts_checkout": OperationDoc(
        "Reserve the cart's stock for `KOLSHOP_RESERVATION_MINUTES`, place a pending order and open its payment. "
        "Answers the order `number` and `secret` (keep both: reading the order needs them) and, for Stripe, "
        "the intent's `client_secret`. Shipping needs `address` (country as an ISO code from the shipping "
        "countries); pickup needs none. Checking out again replaces the previous pending order.\n\n"
        + SHARE_TOKEN_FLOW,
        {400: ["empty_cart", "invalid_email", "invalid_fulfilment", "address_required", "address_incomplete",
               "invalid_share_token",
               "shipping_unavailable", "pickup_unavailable", "quantity_limit", "unknown_voucher", "invalid_voucher",
               "voucher_expired", "voucher_not_started", "voucher_used_up", "voucher_buyer_limit", "voucher_currency"],
         404: ["cart_not_found"],
         409: ["cart_checked_out", "insufficient_stock", "price_changed", "reservation_cap", "promotion_ended",
               "promotion_sold_out", "voucher_not_applicable"],
         429: ["rate_limited"], 502: ["payment_unavailable"]},
    ),
    "shop_api_orders_read": OperationDoc(
        "The buyer's order: status, lines, totals and, for a paid pickup order, its pickup code. Send the "
        "order's secret in `X-Order-Secret`; a wrong secret looks exactly like an unknown number.",
        {404: ["order_not_found"]},
    ),
    "shop_api_orders_pay": OperationDoc(
        "Pay a pending order on the server (the dummy gateway, for demos and tests). With Stripe the buyer "
        "confirms the intent in the browser and the webhook marks the order paid; this then answers 409 "
        "`client_confirmation_required`.",
        {402: ["payment_failed"], 404: ["order_not_found"],
         409: ["already_paid", "reservation_expired", "no_payment", "client_confirmation_required"],
         502: ["payment_unavailable"]},
    ),
    "media_api_start_upload": OperationDoc(
        "Start a video upload (signed-in creators): answers presigned S3 POST fields, or multipart part "
        "URLs for large files. The browser uploads straight to S3, then calls confirm.",
        {400: ["unsupported_content_type", "invalid_size", "file_too_large"], 401: ["not_authenticated"],
         403: ["permission_denied"], 404: ["not_found"], 502: ["storage_error"], 503: ["storage_unavailable"]},
    ),
    "media_api_confirm_upload": OperationDoc(
        "Confirm that an upload finished: the object's size and type are checked on S3 before the video "
        "becomes usable in pages.",
        {400: ["parts_required", "upload_incomplete", "upload_rejected"], 401: ["not_authenticated"],
         403: ["permission_denied"], 404: ["not_found"], 409: ["not_uploaded", "upload_missing"],
         502: ["storage_error"], 503: ["storage_unavailable"]},
    ),
    "media_api_get_video": OperationDoc(
        "A video's state and, when ready, a short-lived playback URL (owner or staff only).",
        {401: ["not_authenticated"], 403: ["permission_denied"], 404: ["not_found"], 503: ["storage_unavailable"]},
    ),
    "media_api_delete_video": OperationDoc(
        "Delete a video and its stored object; refused while a published page uses it.",
        {401: ["not_authenticated"], 403: ["permission_denied"], 404: ["not_found"], 409: ["conflict"],
         502: ["storage_error"], 503: ["storage_unavailable"]},
    ),
    "content_api_offers_list_offers": OperationDoc(
        "Live price and stock for up to `KOLSHOP_OFFERS_MAX_SKUS` SKUs (`?skus=A,B`): what a cached page "
        "asks for at view time. Unknown SKUs are left out of the answer.",
        {400: ["invalid", "too_many"]},
    ),
    "content_live_report_api_live_session_report": OperationDoc(
        "A live session's report (the admin page `/admin/live/<id>/report/` as JSON): peak and unique viewers, "
        "clicks on the page's links, pins, orders, units and money per currency (never summed across "
        "currencies), in total, per pinned product and per flash deal (with sell-through). The session's "
        "owner sees all of it; a brand user sees a session that pinned or ran a deal on their products, with "
        "their own products' figures only (`brand_scoped`), never a buyer. Anyone else: 404.",
        {401: ["not_authenticated"], 404: ["report_not_found"]},
    ),
    "creators_reports_supply_api_listing_figures": OperationDoc(
        "The signed-in creator's storefront listings: paid units net of refunds, the margin on them and "
        "sell-through (units sold ÷ units sold plus the brand's units on hand; null before any supply).",
        {401: ["not_authenticated"], 403: ["not_a_creator"]},
    ),
    "creators_reports_supply_api_storefront_sales": OperationDoc(
        "The signed-in brand user's supply sold in each creator's storefront, per currency: units, buyer "
        "sales and wholesale, net of refunds, and `brand_discount`, what the brand's own vouchers gave off its "
        "lines (its wholesale is already net of it). Totals only, no orders or buyers; staff see every brand.",
        {401: ["not_authenticated"], 403: ["not_a_brand_user"]},
    ),
    "creators_reports_api_post_page_view": OperationDoc(
        "Count a reader's view of a creator's page for conversion reports. Send a fresh `event_id` per view; "
        "repeating one is acknowledged as a duplicate and not counted twice.",
        {404: ["not_found"], 400: ["not_shoppable"], 429: ["rate_limited"]},
    ),
    # Reader accounts (readers/api.py): the session cookie is the credential; no passwords.
    "readers_api_ask_sign_in": OperationDoc(
        "E-mail a one-time sign-in link and a 6-digit code to `email` (valid for "
        "`KOLSHOP_READER_SIGN_IN_MINUTES`, usable once). Always 202: the answer never says whether the "
        "address has bought. Limited per client and per address (`reader_sign_in`, `reader_sign_in_email`). "
        "Needs the `X-CSRFToken` header (`GET /api/v1/account/csrf`), as every sign-in does.",
        {400: ["invalid_email"], 403: ["csrf_failed"], 429: ["rate_limited"]},
    ),
    "readers_api_sign_in_code": OperationDoc(
        "Sign in with the mailed 6-digit code: sets the session cookie. A wrong, expired or used code is a "
        "404 `sign_in_invalid`; a sign-in is void after `KOLSHOP_READER_CODE_ATTEMPTS` wrong codes. Needs the "
        "`X-CSRFToken` header (login CSRF); signing in replaces the CSRF token, so fetch it again afterwards.",
        {400: ["invalid_email", "invalid_code"], 403: ["csrf_failed"], 404: ["sign_in_invalid"],
         429: ["rate_limited"]},
    ),
    "readers_api_sign_in_link": OperationDoc(
        "Sign in with the token from the mailed link (`/account/sign-in/link/<token>/`): sets the session "
        "cookie. The link works once and expires with its code. Needs the `X-CSRFToken` header (login CSRF); "
        "signing in replaces the CSRF token.",
        {403: ["csrf_failed"], 404: ["sign_in_invalid"], 429: ["rate_limited"]},
    ),
    "readers_api_me": OperationDoc(
        "The signed-in reader: the verified e-mail address and when it was verified.",
        {401: ["not_authenticated"]},
    ),
    "readers_api_orders": OperationDoc(
        "The signed-in reader's orders, newest first: every order placed with the same buyer identity "
        "(guest orders included), its lines, and the pickup code of a paid pickup order not yet collected.",
        {401: ["not_authenticated"]},
    ),
    "readers_api_teams": OperationDoc(
        "The group-buy teams the signed-in reader has (or had) a seat in, newest first, with the team's "
        "share `code` and the reader's own order.",
        {401: ["not_authenticated"]},
    ),
    "readers_api_csrf": OperationDoc(
        "A CSRF token for the sign-in requests and the signed-in reader's writes (shares, redeeming, sign out "
        "everywhere, their own privacy request): send it as the `X-CSRFToken` header with the session cookie (it is also set as "
        "the `csrftoken` cookie). A front end on another origin must be listed in `CSRF_TRUSTED_ORIGINS` "
        "and send credentials; a write without the token is refused with 403 `csrf_failed`.",
        {},
    ),
    "readers_api_create_share": OperationDoc(
        "Share a live creator's guide (`page_id`), a product on it (`product_id` too) or a forming group-buy "
        "team (`team_code`): returns the reader's own `/r/<code>` link (the same link when shared again; "
        "refused with `share_blocked` once staff blocked it). Followers are counted like any tracked link "
        "(bots and repeats within an hour are not), and the guide's creator keeps the sale. Following the "
        "link sets a signed `kolshop_share` cookie (first share wins, for the attribution window): an order "
        "or team join sent with that cookie credits the share on any later day, so a headless front end "
        "sends its checkout requests with credentials; a front end on another site passes the `share` token "
        "the redirect gives it as `share_token` instead.",
        {401: ["not_authenticated"], 403: ["share_blocked", "csrf_failed"],
         404: ["page_not_found", "product_not_found", "team_not_found"],
         400: ["not_shareable", "missing_target"], 409: ["team_closed"]},
    ),
    "readers_api_shares": OperationDoc(
        "The signed-in reader's share links, newest first, with counted clicks and counted orders.",
        {401: ["not_authenticated"]},
    ),
    "readers_api_rewards": OperationDoc(
        "The signed-in reader's share rewards per currency, from the rewards ledger: `pending` (within the "
        "return window), `available` (locked, redeemable) and `redeemed`.",
        {401: ["not_authenticated"]},
    ),
    "readers_api_redeem": OperationDoc(
        "Turn the whole available reward in `currency` into a single-use voucher for that amount (a fixed "
        "discount). Nothing available yet is a 409 `nothing_to_redeem`.",
        {401: ["not_authenticated"], 403: ["csrf_failed"], 409: ["nothing_to_redeem"]},
    ),
    "readers_api_vouchers": OperationDoc(
        "The signed-in reader's reward vouchers, newest first: each one redeemed, and every remainder an order "
        "left of them (a reward voucher larger than what a cart can carry is used up, and the unused rest is "
        "issued as a new single-use voucher when the order is paid; a refund gives back its part of the "
        "discount the same way). `remainder_of` names the voucher a remainder came from; `used` says whether "
        "an order holds its one use.",
        {401: ["not_authenticated"]},
    ),
    "readers_api_sign_out_all": OperationDoc(
        "Sign out on every device: every session of this reader stops working at its next request.",
        {401: ["not_authenticated"], 403: ["csrf_failed"]},
    ),
    "privacy_api_file": OperationDoc(
        "Ask kolshop to export (`kind: export`) or erase (`kind: erase`) the personal data it holds about an "
        "e-mail address. The answer is always 202 `received` with the due date (30 days), whether or not "
        "kolshop knows the address; a one-time link valid for `KOLSHOP_PRIVACY_VERIFY_HOURS` is e-mailed to "
        "it. Nothing happens until that link's token is confirmed.",
        {400: ["invalid_email", "invalid"], 429: ["rate_limited"]},
    ),
    "privacy_api_file_mine": OperationDoc(
        "A signed-in reader (the reader session cookie; the account's e-mail is already verified) asks for "
        "an export (`kind: export`: the answer is the `application/zip` archive) or the erasure (`kind: "
        "erase`: `done`, or `deferred` with the reason) of their own data; carried out at once. Erasure "
        "signs the reader out everywhere.",
        {401: ["not_authenticated"], 403: ["csrf_failed"], 400: ["invalid"], 429: ["rate_limited"]},
    ),
    "privacy_api_confirm": OperationDoc(
        "Confirm a request with the token from the e-mailed link (it works once). An erasure answers its "
        "status: `done`, or `deferred` with the reason (an order still pending, unfulfilled, with an "
        "unredeemed pickup code or inside its refund window; it is retried daily until done). An export "
        "answers `application/zip`: a JSON and a CSV file per section and `manifest.json`.",
        {404: ["privacy_link_invalid"], 429: ["rate_limited"]},
    ),
}


def _error_response(status: int, codes: list[str]) -> dict:
    listed = ", ".join(f"`{code}`" for code in codes)
    return {
        "description": f"{STATUS_TEXT.get(status, 'Error')}. Codes: {listed}.",
        "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Error"},
            "example": {"code": codes[0], "message": "…", "field": None},
        }},
    }


def document_operations(schema: dict) -> dict:
    """Add each operation's description and error responses to ninja's generated document."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            doc = OPERATIONS.get(operation.get("operationId", ""))
            if doc is None:
                continue
            operation["description"] = doc.description
            errors: dict[int, list[str]] = {status: list(codes) for status, codes in COMMON_ERRORS.items()}
            for status, codes in doc.errors.items():
                errors[status] = [*errors.get(status, []), *[code for code in codes if code not in errors.get(status, [])]]
            responses = operation.setdefault("responses", {})
            for declared in [status for status in responses if int(status) >= 400 and int(status) not in errors]:
                errors[int(declared)] = [DEFAULT_CODES.get(int(declared), "error")]  # a router's blanket list
                del responses[declared]
            for status, codes in sorted(errors.items()):
                responses[status] = _error_response(status, codes)
    return schema
