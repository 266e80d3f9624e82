"""Data-subject requests through the commerce API: /api/v1/privacy/.

File a request by e-mail (the same 202 whoever asks, so it reveals nothing), then confirm it with the
token from the e-mailed link: an erasure answers its status (``deferred`` with the reasons, or
``done``); an export answers the zip itself.
"""

from datetime import datetime

from django.http import HttpResponse
from ninja import Router, Schema
from ninja.responses import Status

from privacy.models import RequestKind
from privacy.services.requests import confirm_request, file_request, file_verified_request
from readers.api import reader_auth
from shop.api.schemas import Email
from shop.rate_limits import rate_limit
from shop.validation import text

router = Router(tags=["personal data"])

Token = text(max_length=100, min_length=1)


class RequestIn(Schema):
    email: Email
    kind: RequestKind


class MyRequestIn(Schema):
    kind: RequestKind


class ConfirmIn(Schema):
    token: Token


class RequestOut(Schema):
    kind: str
    status: str
    due_at: datetime
    reason: str = ""


def _out(request) -> dict:
    return {"kind": request.kind, "status": request.status, "due_at": request.due_at, "reason": request.reason}


@router.post("/requests", response={202: RequestOut},
             summary="Ask for an export or the erasure of your data (confirm through the e-mailed link)")
@rate_limit("privacy_request")
def file(request, payload: RequestIn):
    return Status(202, _out(file_request(email=payload.email, kind=payload.kind)))


def _answer(outcome):
    if outcome.archive is not None:
        response = HttpResponse(outcome.archive, content_type="application/zip")
        response["Content-Disposition"] = 'attachment; filename="kolshop-personal-data.zip"'
        return response
    return _out(outcome.request)


@router.post("/requests/mine", response={200: RequestOut}, auth=reader_auth,
             summary="A signed-in reader's own request: carried out at once (the export's zip, or the erasure's status)")
@rate_limit("privacy_request")
def file_mine(request, payload: MyRequestIn):
    return _answer(file_verified_request(verified_email=request.auth.email, kind=payload.kind))


@router.post("/requests/confirm", response={200: RequestOut},
             summary="Confirm a request with the e-mailed token: an erasure's status, or the export's zip")
@rate_limit("privacy_request")
def confirm(request, payload: ConfirmIn):
    return _answer(confirm_request(payload.token))
