"""The Content-Security-Policy: a strict base in settings (CONTENT_SECURITY_POLICY), widened per request
only for what this deployment really loads.

* media on S3 (AWS_S3_CUSTOM_DOMAIN or the bucket's endpoint): images, video playback, and the
  browser's direct uploads;
* Stripe's Payment Element (KOLSHOP_PAYMENT_GATEWAY = "stripe"): js.stripe.com script and frames,
  api.stripe.com calls;
* the headless preview client (WAGTAIL_HEADLESS_PREVIEW CLIENT_URLS) framed by the editor;
* the Wagtail admin: Wagtail's own templates carry inline scripts (InlinePanel, date pickers) with
  no nonce, so /admin/ alone allows 'unsafe-inline' scripts. The reader site and APIs never do.
"""

from urllib.parse import urlsplit

from csp.constants import UNSAFE_INLINE
from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings

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


def policy_additions(path: str) -> dict[str, list[str]]:
    """Sources this request's page may need beyond the base policy."""
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
    if path.startswith(ADMIN_PATH_PREFIXES):
        add("script-src", [UNSAFE_INLINE])
        add("frame-src", preview_origins())
    return additions


class ContentSecurityPolicyMiddleware(CSPMiddleware):
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
