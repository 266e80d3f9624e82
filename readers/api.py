"""Reader account endpoints: /api/v1/account/… (session cookie; sign in by mailed link or code)."""

from datetime import datetime
from decimal import Decimal

from django.middleware.csrf import get_token
from ninja import Field, Router, Schema, Status
from ninja.security import SessionAuth
from ninja.utils import check_csrf

from readers.limits import limit_code_attempt, limit_sign_in_request
from readers.models import Reader
from readers.services.accounts import reader_orders, reader_teams
from readers.services.reward_vouchers import reward_vouchers
from readers.services.rewards import redeem_rewards, reward_balances
from readers.services.shares import reader_shares, share
from readers.services.sign_in import request_sign_in, sign_in_with_code, sign_in_with_link, sign_out_everywhere
from readers.sessions import current_reader, end_reader_session, start_reader_session
from shop.errors import PermissionDenied
from shop.validation import text

router = Router(tags=["account"])

EmailIn = text(max_length=254, min_length=1)
CodeIn = text(max_length=12, min_length=1)
LinkTokenIn = text(max_length=100, min_length=1)


def require_csrf(request) -> None:
    """Django's CSRF check for a reader API write, refused as a domain error (403 ``csrf_failed`` JSON, never
    Django's HTML page). The sign-in endpoints call it too (login CSRF): a page elsewhere cannot sign a
    visitor's browser in as someone else, nor spend their mailed code or link."""
    if request.method not in ("GET", "HEAD", "OPTIONS") and check_csrf(request) is not None:
        raise PermissionDenied("Send the CSRF token (GET /api/v1/account/csrf) as the X-CSRFToken header.",
                               code="csrf_failed")


class ReaderSession(SessionAuth):
    """Signed in as a reader (the site's session cookie); staff logins are not readers.

    A write (POST) must carry Django's CSRF token as the ``X-CSRFToken`` header: the value of the
    ``csrftoken`` cookie that ``GET /api/v1/account/csrf`` sets (a headless front end on another origin
    is listed in ``CSRF_TRUSTED_ORIGINS`` and sends credentials). So a page elsewhere cannot make a
    signed-in reader's browser share, redeem, sign out or file an erasure. Refused: 403 ``csrf_failed``."""

    def __call__(self, request):
        require_csrf(request)
        return super().__call__(request)

    def authenticate(self, request, key):
        return current_reader(request)


reader_auth = ReaderSession(csrf=False)  # writes are checked in __call__, refused as a domain error


class SignInRequestIn(Schema):
    email: EmailIn


class SignInCodeIn(Schema):
    email: EmailIn
    code: CodeIn


class SignInLinkIn(Schema):
    token: LinkTokenIn


class SignInSentOut(Schema):
    sent: bool


class ReaderOut(Schema):
    email: str
    verified_at: datetime


class OrderLineOut(Schema):
    product_title: str
    variant_name: str
    quantity: int


class AccountOrderOut(Schema):
    number: str
    status: str
    placed_at: datetime
    currency: str
    total: Decimal
    fulfilment: str
    pickup_code: str | None
    lines: list[OrderLineOut]


class AccountTeamOut(Schema):
    code: str
    product_title: str
    status: str
    seats: int
    deadline: datetime
    member_status: str
    order_number: str


class ShareIn(Schema):
    """A guide (``page_id``), a product on it (``page_id`` and ``product_id``) or a group-buy team (``team_code``)."""

    page_id: int | None = Field(None, ge=1, le=2**31 - 1)
    product_id: int | None = Field(None, ge=1, le=2**31 - 1)
    team_code: str | None = Field(None, min_length=1, max_length=20, pattern=r"^[A-Za-z0-9_-]+$")


class ShareOut(Schema):
    code: str
    url: str
    target_kind: str
    page_id: int | None
    product_id: int | None
    team_code: str
    click_count: int
    order_count: int


def _share_out(request, link) -> ShareOut:
    return ShareOut(code=link.code, url=request.build_absolute_uri(link.get_absolute_url()),
                    target_kind=link.target_kind, page_id=link.page_id, product_id=link.product_id,
                    team_code=link.team_code, click_count=getattr(link, "click_count", 0), order_count=getattr(link, "order_count", 0))


class RewardBalanceOut(Schema):
    currency: str
    pending: Decimal
    available: Decimal
    redeemed: Decimal


class RedeemIn(Schema):
    currency: str = Field(pattern=r"^[A-Z]{3}$")


class VoucherOut(Schema):
    code: str
    value: Decimal
    currency: str


class RewardVoucherOut(Schema):
    code: str
    value: Decimal
    currency: str
    valid_until: datetime | None
    used: bool
    remainder_of: str | None


def _reader_out(reader: Reader) -> ReaderOut:
    return ReaderOut(email=reader.email, verified_at=reader.verified_at)


@router.post("/sign-in", response={202: SignInSentOut}, summary="E-mail a sign-in link and code")
def ask_sign_in(request, payload: SignInRequestIn):
    require_csrf(request)
    limit_sign_in_request(request, email=payload.email)
    request_sign_in(payload.email)
    return Status(202, SignInSentOut(sent=True))


@router.post("/sign-in/code", response=ReaderOut, summary="Sign in with the mailed 6-digit code")
def sign_in_code(request, payload: SignInCodeIn):
    require_csrf(request)
    limit_code_attempt(request, email=payload.email)
    reader = sign_in_with_code(payload.email, payload.code)
    start_reader_session(request, reader)
    return _reader_out(reader)


@router.post("/sign-in/link", response=ReaderOut, summary="Sign in with the mailed link's token")
def sign_in_link(request, payload: SignInLinkIn):
    require_csrf(request)
    limit_code_attempt(request, email="")
    reader = sign_in_with_link(payload.token)
    start_reader_session(request, reader)
    return _reader_out(reader)


class CsrfOut(Schema):
    csrf_token: str


@router.get("/csrf", response=CsrfOut, summary="A CSRF token for the account's writes (also set as a cookie)")
def csrf(request):
    return CsrfOut(csrf_token=get_token(request))


@router.get("", response=ReaderOut, auth=reader_auth, summary="The signed-in reader")
def me(request):
    return _reader_out(request.auth)


@router.get("/orders", response=list[AccountOrderOut], auth=reader_auth, summary="My orders and pickup codes")
def orders(request):
    return reader_orders(request.auth)


@router.get("/teams", response=list[AccountTeamOut], auth=reader_auth, summary="My group-buy teams")
def teams(request):
    return reader_teams(request.auth)


@router.post("/shares", response={201: ShareOut}, auth=reader_auth, summary="Share a guide, a product on it or a group-buy team")
def create_share(request, payload: ShareIn):
    link = share(request.auth, page_id=payload.page_id, product_id=payload.product_id, team_code=payload.team_code)
    return Status(201, _share_out(request, link))


@router.get("/shares", response=list[ShareOut], auth=reader_auth, summary="My share links with their figures")
def shares(request):
    return [_share_out(request, link) for link in reader_shares(request.auth)]


@router.get("/rewards", response=list[RewardBalanceOut], auth=reader_auth, summary="My reward balances")
def rewards(request):
    return sorted(reward_balances(request.auth).values(), key=lambda balance: balance.currency)


@router.post("/rewards/redeem", response={201: VoucherOut}, auth=reader_auth,
             summary="Turn my available reward into a single-use voucher")
def redeem(request, payload: RedeemIn):
    voucher = redeem_rewards(request.auth, currency=payload.currency)
    return Status(201, VoucherOut(code=voucher.code, value=voucher.value, currency=voucher.currency))


@router.get("/rewards/vouchers", response=list[RewardVoucherOut], auth=reader_auth,
            summary="My reward vouchers, with the remainders orders left of them")
def vouchers(request):
    return [RewardVoucherOut(code=voucher.code, value=voucher.value, currency=voucher.currency,
                             valid_until=voucher.valid_until, used=voucher.use_count >= (voucher.usage_limit or 1),
                             remainder_of=voucher.remainder_of.code if voucher.remainder_of_id else None)
            for voucher in reward_vouchers(request.auth)]


@router.post("/sign-out-everywhere", response={204: None}, auth=reader_auth,
             summary="Sign out on every device")
def sign_out_all(request):
    sign_out_everywhere(request.auth)
    end_reader_session(request)
    return Status(204, None)
