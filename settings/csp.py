"""The Content-Security-Policy: a strict base in settings (CONTENT_SECURITY_POLICY), widened per request
only for what this deployment really loads.

* media on S3 (AWS_S3_CUSTOM_DOMAIN or the bucket's endpoint): images, video playback, and the
  browser's direct uploads;
* Stripe's Payment Element (KOLSHOP_PAYMENT_GATEWAY = "stripe"): js.stripe.com script and frames,
  api.stripe.com calls;
* the headless preview client (WAGTAIL_HEADLESS_PREVIEW CLIENT_URLS) framed by the editor;
* the Wagtail admin: Wagtail's own templates carry inline scripts (InlinePanel, date pickers) with
  no nonce, so /admin/ alone allows 'unsafe-inline' scripts. The reader site and APIs never do.

django-csp builds the header anew for every response; a response whose policy nothing varies (no nonce
used, no view decorator's policy or exemption) gets the header django-csp built for the first such
response of its kind (admin or not), once per process (settings changes forget it).
"""

from urllib.parse import urlsplit

from csp.constants import HEADER, HEADER_REPORT_ONLY, UNSAFE_INLINE
from csp.middleware import CheckableLazyObject, CSPMiddleware, PolicyParts
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

STRIPE_SCRIPT_ORIGIN = "https://js.stripe.com"
STRIPE_FRAME_ORIGINS = ["https://js.stripe.com", "https://hooks.stripe.com"]
STRIPE_API_ORIGIN = "https://api.stripe.com"
ADMIN_PATH_PREFIXES = ("/admin/", "/django-admin/")


def _origin(url: str | None) -> str | None:
    if not url or "{" in url:
        return None
    parts = urlsplit(url if "//" in url else f"https://{url}")
    return f"{parts.scheme or 'https'}://{parts.netloc}" if parts.netloc else None


def media_origins() -> list[str]:
    """Where media files are served from and uploaded to, when that is not this site."""
    if not getattr(settings, "AWS_STORAGE_BUCKET_NAME", ""):
        return []
    bucket = settings.AWS_STORAGE_BUCKET_NAME
    origins = {_origin(getattr(settings, "AWS_S3_CUSTOM_DOMAIN", None)),
               _origin(getattr(settings, "AWS_S3_ENDPOINT_URL", None))}
    if not getattr(settings, "AWS_S3_ENDPOINT_URL", None):
        region = getattr(settings, "AWS_S3_REGION_NAME", None)
        host = f"s3.{region}.amazonaws.com" if region else "s3.amazonaws.com"
        origins |= {f"https://{bucket}.{host}", f"https://{host}"}
    return sorted(origin for origin in origins if origin)


def preview_origins() -> list[str]:
    client_urls = (getattr(settings, "WAGTAIL_HEADLESS_PREVIEW", {}) or {}).get("CLIENT_URLS", {})
    return sorted({origin for origin in map(_origin, client_urls.values()) if origin})


def is_admin_path(path: str) -> bool:
    """All ``policy_additions`` reads of a request: whether it is the admin's."""
    return path.startswith(ADMIN_PATH_PREFIXES)


def policy_additions(path: str) -> dict[str, list[str]]:
    """Sources this request's page may need beyond the base policy (the same for every path of one
    ``is_admin_path`` answer)."""
    additions: dict[str, list[str]] = {}

    def add(directive: str, sources: list[str]) -> None:
        if sources:
            additions.setdefault(directive, []).extend(sources)

    media = media_origins()
    for directive in ("img-src", "media-src", "connect-src"):
        add(directive, media)
    if settings.KOLSHOP_PAYMENT_GATEWAY == "stripe":
        add("script-src", [STRIPE_SCRIPT_ORIGIN])
        add("frame-src", STRIPE_FRAME_ORIGINS)
        add("connect-src", [STRIPE_API_ORIGIN])
    if is_admin_path(path):
        add("script-src", [UNSAFE_INLINE])
        add("frame-src", preview_origins())
    return additions


# What a response's policy may vary by besides the settings and ``is_admin_path`` (django-csp's decorators).
_SET_BY_VIEWS = ("_csp_config", "_csp_update", "_csp_replace", "_csp_exempt",
                 "_csp_config_ro", "_csp_update_ro", "_csp_replace_ro", "_csp_exempt_ro")
# is_admin_path -> (Content-Security-Policy, Content-Security-Policy-Report-Only) as django-csp built them
_built: dict[bool, tuple[str | None, str | None]] = {}


@receiver(setting_changed)
def _forget_built_policies(**kwargs) -> None:
    _built.clear()


def _built_alike(request, response) -> bool:
    """Whether django-csp would build this response's headers from nothing but the settings and
    ``is_admin_path``: no nonce used, no decorator's policy, no header set already, no exempt path or status."""
    if getattr(request, "_csp_nonce", None) is not None or HEADER in response or HEADER_REPORT_ONLY in response:
        return False
    if any(hasattr(response, name) for name in _SET_BY_VIEWS):
        return False
    if settings.DEBUG and response.status_code in (404, 500):  # django-csp leaves Django's debug pages alone
        return False
    policies = (getattr(settings, "CONTENT_SECURITY_POLICY", None) or {},
                getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None) or {})
    return not any(policy.get("EXCLUDE_URL_PREFIXES") for policy in policies)


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    def process_response(self, request, response):
        if not _built_alike(request, response):
            return super().process_response(request, response)
        kind = is_admin_path(request.path)
        if kind not in _built:
            response = super().process_response(request, response)
            _built[kind] = (response.headers.get(HEADER), response.headers.get(HEADER_REPORT_ONLY))
            return response
        policy, report_only = _built[kind]
        if policy:
            response[HEADER] = policy
        if report_only:
            response[HEADER_REPORT_ONLY] = report_only
        # As django-csp does when no nonce was used: asking for one now is an error, not a silent no-op.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response

    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only=report_only)
        if report_only:
            return parts
        update = dict(parts.update or {})
        for directive, sources in policy_additions(request.path).items():
            current = update.get(directive) or []
            update[directive] = [*([current] if isinstance(current, str) else current), *sources]
        parts.update = update
        return parts
