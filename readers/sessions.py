"""Which reader a browser session belongs to: the reader's id and the ``session_version`` it signed in with.

"Sign out everywhere" raises the version, so every session holding an older one is signed out on its
next request without finding or deleting sessions.
"""

from django.http import HttpRequest
from django.middleware.csrf import rotate_token

from readers.models import Reader

SESSION_KEY = "kolshop_reader"


def start_reader_session(request: HttpRequest, reader: Reader) -> None:
    """Signed in: a fresh session key (no fixation), remembering the reader and their version."""
    request.session.cycle_key()
    rotate_token(request)  # as Django's login(): a token known before signing in is worthless after it
    request.session[SESSION_KEY] = {"id": reader.pk, "version": reader.session_version}
    request._kolshop_reader = reader


def current_reader(request: HttpRequest) -> Reader | None:
    """The signed-in reader, or None (never signed in, signed out, or signed out everywhere since)."""
    if hasattr(request, "_kolshop_reader"):
        return request._kolshop_reader
    stored = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
    reader = None
    if isinstance(stored, dict):
        reader = Reader.objects.filter(pk=stored.get("id"), session_version=stored.get("version")).first()
        if reader is None:
            request.session.pop(SESSION_KEY, None)
    request._kolshop_reader = reader
    return reader


def end_reader_session(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)
    request._kolshop_reader = None
