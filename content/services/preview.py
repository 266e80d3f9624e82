"""Headless preview: a signed, expiring token lets a front end fetch one draft revision of a page.

The token names the page and the exact revision the editor was looking at; it is signed with
the site's SECRET_KEY (salted) and carries its creation time, so it stops working after
``KOLSHOP_PREVIEW_TOKEN_SECONDS``. Without a valid token the API never serves drafts.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from wagtail.models import Page, Revision

_SALT = "kolshop.headless-preview.v1"


class InvalidPreviewToken(Exception):
    code = "invalid_preview_token"
    message = "The preview token is invalid."


class ExpiredPreviewToken(InvalidPreviewToken):
    code = "preview_token_expired"
    message = "The preview token has expired; open the preview from the admin again."


@dataclass(frozen=True)
class PreviewGrant:
    page_id: int
    revision_id: int


def issue_preview_token(page: Page, *, revision: Revision | None = None) -> str:
    """A token for ``revision`` (default: the page's latest revision, i.e. the current draft)."""
    revision = revision or page.get_latest_revision()
    if revision is None:
        revision = page.save_revision()
    return signing.TimestampSigner(salt=_SALT).sign_object({"page": page.pk, "revision": revision.pk})


def read_preview_token(token: str, *, max_age: int | None = None) -> PreviewGrant:
    max_age = settings.KOLSHOP_PREVIEW_TOKEN_SECONDS if max_age is None else max_age
    try:
        payload = signing.TimestampSigner(salt=_SALT).unsign_object(token, max_age=max_age)
    except signing.SignatureExpired as error:
        raise ExpiredPreviewToken from error
    except signing.BadSignature as error:
        raise InvalidPreviewToken from error
    try:
        return PreviewGrant(page_id=int(payload["page"]), revision_id=int(payload["revision"]))
    except (KeyError, TypeError, ValueError) as error:
        raise InvalidPreviewToken from error


def load_preview_page(grant: PreviewGrant) -> Page:
    """The draft the token was issued for, as an unsaved page object (specific class)."""
    try:
        revision = Revision.page_revisions.select_related("content_type").get(
            pk=grant.revision_id, object_id=str(grant.page_id)
        )
    except Revision.DoesNotExist as error:
        raise InvalidPreviewToken from error
    return revision.as_object()


def preview_client_url(page: Page, token: str) -> str:
    """Where the editor's browser goes: the front end's preview route with the token."""
    root = settings.WAGTAIL_HEADLESS_PREVIEW["CLIENT_URLS"]["default"]
    root = root.replace("{SITE_ROOT_URL}", settings.WAGTAILADMIN_BASE_URL).rstrip("/")
    content_type = f"{page.specific_class._meta.app_label}.{page.specific_class._meta.model_name}"
    return f"{root}/preview/?{urlencode({'content_type': content_type, 'token': token})}"
