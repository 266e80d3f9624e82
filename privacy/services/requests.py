"""Data-subject requests: filed (API, a signed-in reader, staff), verified through a one-time e-mailed
link, then carried out: an export is handed over, an erasure done or deferred (and retried by the
scheduled job until nothing blocks it). A closed request keeps only the keyed hash of the e-mail.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from privacy.models import CLOSED_STATUSES, DataSubjectRequest, RequestChannel, RequestKind, RequestStatus
from privacy.registry import Subject
from privacy.services.erasure import erase_subject
from privacy.services.export import export_archive
from shop.errors import Conflict, InvalidInput, NotFound
from shop.services.buyer_identity import buyer_key

log = structlog.get_logger(__name__)

DUE_AFTER = timedelta(days=30)  # GDPR Art. 12(3): one month


@dataclass(frozen=True)
class Outcome:
    request: DataSubjectRequest
    archive: bytes | None = None  # the export's zip, for an export request carried out now


def _token_hash(token: str) -> str:
    return hashlib.sha256(f"kolshop-privacy:{token}".encode()).hexdigest()


def _clean_email(email: str) -> str:
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError as error:
        raise InvalidInput("Enter a valid e-mail address.", code="invalid_email", field="email") from error
    return email


def _clean_kind(kind: str) -> str:
    if kind not in RequestKind.values:
        raise InvalidInput(f"Choose one of: {', '.join(RequestKind.values)}.", code="invalid_kind", field="kind")
    return kind


def file_request(*, email: str, kind: str, channel: str = RequestChannel.API,
                 recorded_by: AbstractBaseUser | None = None, now: datetime | None = None) -> DataSubjectRequest:
    """Record a request and mail its verification link (after the commit). The answer is the same
    whether or not kolshop holds anything about the address: filing reveals nothing."""
    now = now or timezone.now()
    email = _clean_email(email)
    request = DataSubjectRequest.objects.create(
        kind=_clean_kind(kind), channel=channel, email=email, subject_key=buyer_key(email), due_at=now + DUE_AFTER,
        recorded_by=recorded_by if recorded_by is not None and recorded_by.is_authenticated else None,
    )
    request_id = request.pk
    transaction.on_commit(lambda: send_verification_task.enqueue(request_id))
    log.info("data-subject request filed", request_id=request.pk, kind=request.kind, channel=channel)
    return request


def file_verified_request(*, verified_email: str, kind: str, now: datetime | None = None) -> Outcome:
    """A signed-in reader whose account e-mail is verified (the readers app checks that) files a request:
    no link to click, it is carried out at once."""
    now = now or timezone.now()
    email = _clean_email(verified_email)
    request = DataSubjectRequest.objects.create(
        kind=_clean_kind(kind), channel=RequestChannel.READER, email=email, subject_key=buyer_key(email),
        status=RequestStatus.VERIFIED, verified_at=now, due_at=now + DUE_AFTER,
    )
    return carry_out(request, now=now)


def issue_verification_token(request: DataSubjectRequest, *, now: datetime | None = None) -> str:
    """A fresh one-time token (only its hash is stored), valid for KOLSHOP_PRIVACY_VERIFY_HOURS."""
    now = now or timezone.now()
    token = secrets.token_urlsafe(32)
    request.token_hash = _token_hash(token)
    request.token_expires_at = now + timedelta(hours=settings.KOLSHOP_PRIVACY_VERIFY_HOURS)
    request.save(update_fields=["token_hash", "token_expires_at", "updated_at"])
    return token


def verification_url(token: str) -> str:
    return f"{settings.KOLSHOP_SITE_URL.rstrip('/')}/privacy/confirm/?token={token}"


@task()
def send_verification_task(request_id: int) -> bool:
    """Mail the link (the token is made here, so no task payload or log ever holds it or the address)."""
    request = DataSubjectRequest.objects.filter(pk=request_id, status=RequestStatus.RECEIVED).first()
    if request is None or not request.email:
        return False
    token = issue_verification_token(request)
    action = "export" if request.kind == RequestKind.EXPORT else "erase"
    send_mail(
        subject=f"Confirm your request to {action} your data",
        message=(f"Someone (we hope you) asked kolshop to {action} the personal data it holds about this "
                 f"address. To confirm, open this link within {settings.KOLSHOP_PRIVACY_VERIFY_HOURS} hours:\n\n"
                 f"{verification_url(token)}\n\nIf it wasn't you, ignore this e-mail: nothing will happen."),
        from_email=settings.DEFAULT_FROM_EMAIL, recipient_list=[request.email],
    )
    log.info("data-subject request verification sent", request_id=request.pk)
    return True


def confirm_request(token: str, *, now: datetime | None = None) -> Outcome:
    """The person opened the link: the request is verified (the token works once) and carried out."""
    now = now or timezone.now()
    with transaction.atomic():
        request = (DataSubjectRequest.objects.select_for_update()
                   .filter(token_hash=_token_hash(token or ""), status=RequestStatus.RECEIVED).first())
        if request is None or request.token_expires_at is None or request.token_expires_at <= now:
            raise NotFound("This link is invalid, used or expired.", code="privacy_link_invalid", field="token")
        request.status, request.verified_at, request.token_hash = RequestStatus.VERIFIED, now, ""
        request.token_expires_at = None
        request.save(update_fields=["status", "verified_at", "token_hash", "token_expires_at", "updated_at"])
    return carry_out(request, now=now)


def carry_out(request: DataSubjectRequest, *, now: datetime | None = None) -> Outcome:
    """Export or erase for a verified (or deferred) request; an erasure something blocks is deferred
    with the reasons, and retried by ``retry_deferred_requests``."""
    now = now or timezone.now()
    if request.status not in (RequestStatus.VERIFIED, RequestStatus.DEFERRED):
        raise Conflict(f"This request is {request.get_status_display().lower()}.", code="request_not_open")
    subject = Subject(key=request.subject_key, email=request.email)
    if request.kind == RequestKind.EXPORT:
        archive = export_archive(subject, now=now)
        _close(request, status=RequestStatus.DONE, now=now)
        return Outcome(request, archive)
    result = erase_subject(subject, now=now)
    if result.erased:
        _close(request, status=RequestStatus.DONE, now=now)
    else:
        request.status, request.reason = RequestStatus.DEFERRED, "\n".join(result.reasons)
        request.save(update_fields=["status", "reason", "updated_at"])
    return Outcome(request)


def refuse_request(request: DataSubjectRequest, *, reason: str, actor: AbstractBaseUser | None = None,
                   now: datetime | None = None) -> DataSubjectRequest:
    """Staff refuse (e.g. manifestly unfounded or excessive, Art. 12(5)); the reason is kept."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Say why the request is refused.", code="reason_required", field="reason")
    if request.status in CLOSED_STATUSES:
        raise Conflict(f"This request is {request.get_status_display().lower()}.", code="request_not_open")
    request.reason = reason
    return _close(request, status=RequestStatus.REFUSED, now=now or timezone.now())


def _close(request: DataSubjectRequest, *, status: str, now: datetime) -> DataSubjectRequest:
    request.status, request.completed_at, request.email = status, now, ""
    request.token_hash, request.token_expires_at = "", None
    if status == RequestStatus.DONE:
        request.reason = ""
    request.save(update_fields=["status", "completed_at", "email", "token_hash", "token_expires_at", "reason",
                                "updated_at"])
    log.info("data-subject request closed", request_id=request.pk, status=status)
    return request


def retry_deferred_requests(*, now: datetime | None = None) -> int:
    """Erasures that had to wait: try each again; returns how many were done now."""
    now = now or timezone.now()
    done = 0
    for request in DataSubjectRequest.objects.filter(status=RequestStatus.DEFERRED).order_by("pk"):
        done += carry_out(request, now=now).request.status == RequestStatus.DONE
    return done
