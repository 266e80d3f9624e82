"""What the readers app holds about a person, for the privacy app's export, erasure and retention
(found by ``privacy.registry.discover_sections``; readers does not import privacy, which sits above it).

A reader is known by their buyer key. Erasure replaces the account's e-mail with a non-deliverable
placeholder and its buyer key with an opaque one (a later sign-in with the same address starts a new,
empty account), signs every session out and deletes mailed sign-ins. Share links, reward entries and
refusals keep their ids and amounts: they are books (vouchers already issued stay valid).
"""

from datetime import datetime, timedelta

from django.db.models import F

from creators.models import TrackedLink
from readers.models import Reader, RewardEntry, RewardRefusal, SignInToken

ERASED_DOMAIN = "erased.invalid"
# Mailed sign-ins are kept this long after they expire (for abuse review), then deleted.
SIGN_IN_RETENTION = timedelta(days=7)


def _readers(subject):
    return Reader.objects.filter(buyer_key=subject.key)


def _export(subject) -> list[dict]:
    rows: list[dict] = []
    for reader in _readers(subject):
        rows.append({"record": "reader_account", "id": reader.pk, "email": reader.email,
                     "verified_at": reader.verified_at.isoformat(), "created_at": reader.created_at.isoformat()})
        links = TrackedLink.objects.filter(kind="reader_share", sharer_id=reader.pk).select_related("share_block")
        for link in links.order_by("pk"):
            block = getattr(link, "share_block", None)
            rows.append({"record": "share_link", "id": link.pk, "code": link.code, "target": link.target_kind,
                         "page_id": link.page_id, "product_id": link.product_id, "team_code": link.team_code,
                         "active": link.active, "created_at": link.created_at.isoformat(),
                         "blocked_at": block.blocked_at.isoformat() if block else None,
                         "blocked_because": block.reason if block else None})
        for entry in RewardEntry.objects.filter(reader=reader).order_by("pk"):
            rows.append({"record": "reward_entry", "id": entry.pk, "kind": entry.kind, "amount": str(entry.amount),
                         "currency": entry.currency, "order_id": entry.order_id,
                         "effective_at": entry.effective_at.isoformat()})
        for refusal in RewardRefusal.objects.filter(reader=reader).order_by("pk"):
            rows.append({"record": "reward_refusal", "id": refusal.pk, "order_id": refusal.order_id,
                         "reason": refusal.reason, "decided_at": refusal.decided_at.isoformat()})
    return rows


def _anonymise(subject, now: datetime) -> int:
    changed = SignInToken.objects.filter(buyer_key=subject.key).delete()[0]
    for reader in _readers(subject):
        changed += Reader.objects.filter(pk=reader.pk).update(
            email=f"erased-reader-{reader.pk}@{ERASED_DOMAIN}", buyer_key=f"erased-reader-{reader.pk}",
            session_version=F("session_version") + 1,
        )
    return changed


def _enforce_retention(now: datetime) -> int:
    return SignInToken.objects.filter(expires_at__lt=now - SIGN_IN_RETENTION).delete()[0]


def sections() -> list[dict]:
    return [{"name": "reader_account", "order": 40, "export": _export, "anonymise": _anonymise,
             "enforce_retention": _enforce_retention}]
