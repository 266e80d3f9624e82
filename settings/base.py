"""Settings shared by every environment. Environment-specific modules import from here."""

from pathlib import Path

import dj_database_url

from settings import env
from settings.log_config import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
# Runtime files (SQLite database, uploaded media, collected static) live under var/,
# never inside the `media` Python package.
VAR_DIR = Path(env.get_str("KOLSHOP_VAR_DIR") or BASE_DIR / "var")

INSTALLED_APPS = [
    "operations",
    "shop",
    "creators",
    "readers",
    "content",
    "media",
    "privacy",
    "wagtail_modeladmin",
    "wagtail_headless_preview",
    "wagtail.api.v2",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "rest_framework",
    "ninja",  # Swagger UI from ninja's vendored static files, not a CDN
    "django_tasks",
    "django_tasks_db",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    # Health probes first: never redirected to HTTPS, host-checked or rate limited.
    "operations.health.HealthCheckMiddleware",
    "operations.request_context.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "settings.csp.ContentSecurityPolicyMiddleware",
    # Control characters in URLs refused; every error under /api/ is JSON (shop/api_edge.py); marks the
    # anonymous commerce API's requests, which the Site* session, auth and message middleware pass through
    # (shop/site_middleware.py). A middleware added after these that reads request.user or request.session
    # would break anonymous commerce calls (tests/shop/test_site_only_middleware.py's buy-flow test catches it).
    "shop.api_edge.HostileInputMiddleware",
    "shop.site_middleware.SiteSessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "shop.site_middleware.SiteAuthenticationMiddleware",
    "shop.site_middleware.SiteMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Last: admin POSTs that write a page run one at a time per page (content/middleware.py).
    "content.middleware.SerialisedPageWritesMiddleware",
]

ROOT_URLCONF = "settings.urls"
WSGI_APPLICATION = "settings.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env.get_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'kolshop.sqlite3'}",
        conn_max_age=env.get_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
# A read replica for reports (operations.db_router): only reads inside `replica_reads()` go there.
DATABASES.update(env.replica_database(env.get_str("DATABASE_REPLICA_URL") or ""))
DATABASE_ROUTERS = ["operations.db_router.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Shared by every app process through Redis in production (CACHE_URL=redis://…): cached page JSON,
# rate limits. Without CACHE_URL, process-local memory (one process: demo, tests).
CACHES = env.cache_settings(env.get_str("CACHE_URL") or "")

# Redis for pub/sub (live events, operations.pubsub) and the click queue (creators.click_queue):
# REDIS_URL, or CACHE_URL when that is a Redis URL. Empty: an in-process broker and clicks written
# inline (one process: the demo, tests).
REDIS_URL = env.get_str("REDIS_URL") or (
    env.get_str("CACHE_URL") if (env.get_str("CACHE_URL") or "").startswith(("redis://", "rediss://")) else ""
)
# /r/ counts its click in a per-process buffer that a thread hands to the click queue every this many
# milliseconds (or 500 clicks); 0 counts each click in the request (one Redis round trip). Beyond
# KOLSHOP_CLICK_BUFFER_SIZE buffered clicks a request flushes the buffer itself.
KOLSHOP_CLICK_FLUSH_MS = env.get_int("KOLSHOP_CLICK_FLUSH_MS", 5)
KOLSHOP_CLICK_BUFFER_SIZE = env.get_int("KOLSHOP_CLICK_BUFFER_SIZE", 10_000)
# Group commit: a follow waits (at most this long, then flushes itself) until its click's batch is in
# Redis, so no redirect is sent for a click only this process holds; the thread then sends a batch as
# soon as the last one landed. 0: write-behind (a killed process loses its last clicks).
KOLSHOP_CLICK_ACK_WAIT_MS = env.get_int("KOLSHOP_CLICK_ACK_WAIT_MS", 50)
# Redis and the database both down: a click batch is fsync'd to a file per process here and replayed once
# either is back (creators.services.click_spool; `manage.py replay_click_spool`). Local to the machine.
KOLSHOP_CLICK_SPOOL_DIR = env.get_str("KOLSHOP_CLICK_SPOOL_DIR") or str(VAR_DIR / "click-spool")

# Background work: Django's tasks API (the django-tasks backport Wagtail 8 uses).
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# Periodic jobs (crontab in UTC -> task), enqueued by `manage.py run_scheduler` exactly once per
# occurrence however many scheduler replicas run. Each task is idempotent.
KOLSHOP_SCHEDULE = {
    "release_expired_reservations": {"cron": "* * * * *", "task": "shop.tasks.release_expired_reservations_task"},
    "expire_group_teams": {"cron": "* * * * *", "task": "shop.tasks.expire_group_teams_task"},
    "roll_up_daily_performance": {"cron": "5 * * * *", "task": "creators.reports.tasks.roll_up_daily_performance"},
    "lock_matured_commissions": {"cron": "15 2 * * *", "task": "creators.tasks.lock_matured_commissions_task"},
    "run_payouts": {
        "cron": env.get_str("KOLSHOP_PAYOUT_CRON") or "0 6 * * 1",
        "task": "creators.tasks.run_payouts_task",
    },
    "drain_clicks": {"cron": "* * * * *", "task": "creators.tasks.drain_clicks_task"},
    "lock_matured_rewards": {"cron": "20 2 * * *", "task": "readers.tasks.lock_matured_rewards_task"},
    "enforce_retention": {"cron": "40 3 * * *", "task": "privacy.tasks.enforce_retention_task"},
    "retry_supply_transfers": {"cron": "*/15 * * * *", "task": "shop.tasks.retry_supply_transfers_task"},
    "make_month_partitions": {"cron": "30 1 * * *", "task": "operations.tasks.make_month_partitions_task"},
}

DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# --- Content-Security-Policy (django-csp); settings/csp.py adds S3, Stripe and the admin's needs --
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],  # Wagtail's admin and Swagger UI set style attributes
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "media-src": ["'self'", "blob:"],
        "frame-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
    },
}

# --- Wagtail -----------------------------------------------------------------------------
# Privacy: no user's e-mail hash goes to Gravatar, and the admin doesn't call wagtail.org for updates.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_SITE_NAME = "kolshop"
WAGTAILADMIN_BASE_URL = env.get_str("WAGTAILADMIN_BASE_URL") or "http://127.0.0.1:8000"
# The database backend, with SQLite FTS5 quoting made safe (operations/search_backend.py).
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "operations.search_backend"}}
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "key", "odt", "pdf", "pptx", "rtf", "txt", "xlsx", "zip"]
WAGTAIL_MODERATION_ENABLED = True
WAGTAIL_WORKFLOW_ENABLED = True
WAGTAIL_HEADLESS_PREVIEW = {
    "CLIENT_URLS": {"default": env.get_str("KOLSHOP_PREVIEW_CLIENT_URL") or "{SITE_ROOT_URL}"},
    "SERVE_BASE_URL": None,
    "REDIRECT_ON_PREVIEW": False,
    "ENFORCE_TRAILING_SLASH": True,
}

# --- Media: creator videos, uploaded from the browser straight to S3 (media/) -------------
# Largest video a creator may upload, in bytes (enforced in the presigned policy and on confirm).
KOLSHOP_VIDEO_MAX_BYTES = env.get_int("KOLSHOP_VIDEO_MAX_BYTES", 5 * 1024**3)
# Content types a video upload may declare and S3 must report on confirmation.
KOLSHOP_VIDEO_CONTENT_TYPES = env.get_list("KOLSHOP_VIDEO_CONTENT_TYPES", "video/mp4,video/quicktime,video/webm")
# Files larger than this go up in parts of KOLSHOP_VIDEO_PART_BYTES (S3 needs parts of 5 MiB or more).
KOLSHOP_VIDEO_MULTIPART_THRESHOLD_BYTES = env.get_int("KOLSHOP_VIDEO_MULTIPART_THRESHOLD_BYTES", 100 * 1024**2)
KOLSHOP_VIDEO_PART_BYTES = env.get_int("KOLSHOP_VIDEO_PART_BYTES", 64 * 1024**2)
# Lifetime of presigned upload requests, and of the presigned URLs that serve unpublished videos.
KOLSHOP_VIDEO_UPLOAD_EXPIRY_SECONDS = env.get_int("KOLSHOP_VIDEO_UPLOAD_EXPIRY_SECONDS", 3600)
KOLSHOP_VIDEO_PRIVATE_URL_EXPIRY_SECONDS = env.get_int("KOLSHOP_VIDEO_PRIVATE_URL_EXPIRY_SECONDS", 300)

# --- kolshop -----------------------------------------------------------------------------
# ISO 4217 currency used for new variants; every amount is stored beside its currency.
KOLSHOP_DEFAULT_CURRENCY = env.get_str("KOLSHOP_DEFAULT_CURRENCY") or "USD"
# A variant whose available stock is at or below this shows "low stock" with a count.
KOLSHOP_LOW_STOCK_THRESHOLD = env.get_int("KOLSHOP_LOW_STOCK_THRESHOLD", 5)
# shop.services.write_batches refuses (RuntimeError) a statement inside a write batch that touches a table with a
# write pending: on in the tests and settings.dev, off in production (a per-statement check of a programming rule).
KOLSHOP_WRITE_BATCH_CHECKS = False
# Revenue share: how long a buy-link click can still earn a sale (days before the order is placed),
# how long commission stays pending before it locks (the return window), and the smallest payout.
KOLSHOP_ATTRIBUTION_WINDOW_DAYS = env.get_int("KOLSHOP_ATTRIBUTION_WINDOW_DAYS", 30)
KOLSHOP_COMMISSION_RETURN_WINDOW_DAYS = env.get_int("KOLSHOP_COMMISSION_RETURN_WINDOW_DAYS", 30)
KOLSHOP_PAYOUT_THRESHOLD = env.get_str("KOLSHOP_PAYOUT_THRESHOLD") or "25.00"
# Which payment gateway checkout uses: "dummy" (pays at once, for the demo) or "stripe".
KOLSHOP_PAYMENT_GATEWAY = env.get_str("KOLSHOP_PAYMENT_GATEWAY") or "dummy"
STRIPE_SECRET_KEY = env.get_str("STRIPE_SECRET_KEY") or ""
STRIPE_PUBLISHABLE_KEY = env.get_str("STRIPE_PUBLISHABLE_KEY") or ""
STRIPE_WEBHOOK_SECRET = env.get_str("STRIPE_WEBHOOK_SECRET") or ""
STRIPE_API_BASE = env.get_str("STRIPE_API_BASE") or ""
# Checkout: how long stock stays reserved for a buyer who started checkout (minutes).
KOLSHOP_RESERVATION_MINUTES = env.get_int("KOLSHOP_RESERVATION_MINUTES", 15)
# Group buy: a team must settle this long before its earliest card hold expires (the charge's capture_before).
KOLSHOP_GROUP_CAPTURE_MARGIN_MINUTES = env.get_int("KOLSHOP_GROUP_CAPTURE_MARGIN_MINUTES", 60)
# The most units of one variant a buyer may have in a cart and buy across their open orders.
KOLSHOP_MAX_QUANTITY_PER_VARIANT = env.get_int("KOLSHOP_MAX_QUANTITY_PER_VARIANT", 10)
# Flat shipping rate per destination country, in KOLSHOP_DEFAULT_CURRENCY: "US:5.00,DE:7.50".
KOLSHOP_SHIPPING_RATES = env.get_str("KOLSHOP_SHIPPING_RATES") or "US:5.00,GB:6.00,DE:7.50,FR:7.50"
# Whether buyers may choose store pickup (with a one-time code staff redeem in the admin).
KOLSHOP_PICKUP_ENABLED = env.get_bool("KOLSHOP_PICKUP_ENABLED", True)
# Distribution (S2B2C): the platform's fee on a storefront listing's sale price, and the markets where a
# brand may not impose a minimum resale price (EU covers its member states' codes too; see README).
KOLSHOP_PLATFORM_FEE_RATE = env.get_str("KOLSHOP_PLATFORM_FEE_RATE") or "0.05"
KOLSHOP_NO_MINIMUM_PRICE_MARKETS = env.get_list("KOLSHOP_NO_MINIMUM_PRICE_MARKETS", "EU,CN")

# Content API (/api/v2/): named image sizes every image carries, as Wagtail filter specs.
KOLSHOP_API_IMAGE_RENDITIONS = {"thumbnail": "fill-200x200", "card": "fill-600x600", "hero": "width-1200"}
# How long published page JSON may be cached (Django cache and Cache-Control max-age), seconds.
KOLSHOP_API_CACHE_SECONDS = env.get_int("KOLSHOP_API_CACHE_SECONDS", 60)
# How long a headless preview token stays valid, seconds.
KOLSHOP_PREVIEW_TOKEN_SECONDS = env.get_int("KOLSHOP_PREVIEW_TOKEN_SECONDS", 3600)
# The most SKUs one /api/v1/offers request may ask for.
KOLSHOP_OFFERS_MAX_SKUS = env.get_int("KOLSHOP_OFFERS_MAX_SKUS", 100)

# --- Live shopping (content.live) ------------------------------------------------------------
# Redis for pub/sub between app processes (SSE streams): REDIS_URL above (blank: a redis:// CACHE_URL,
# else in-process). It was set a second time here, which dropped the CACHE_URL fallback.
# How long a session's live state stays cached (every session change drops it at once), seconds.
KOLSHOP_LIVE_STATE_SECONDS = env.get_int("KOLSHOP_LIVE_STATE_SECONDS", 2)
# Viewer heartbeats count per window of this many seconds (clients beat every half window).
KOLSHOP_LIVE_VIEWER_WINDOW_SECONDS = env.get_int("KOLSHOP_LIVE_VIEWER_WINDOW_SECONDS", 30)
# An SSE stream sends a keep-alive comment this often, and checks the state at least this often.
KOLSHOP_LIVE_KEEPALIVE_SECONDS = env.get_int("KOLSHOP_LIVE_KEEPALIVE_SECONDS", 15)
KOLSHOP_LIVE_POLL_SECONDS = env.get_int("KOLSHOP_LIVE_POLL_SECONDS", 2)
# An SSE stream closes after this long; EventSource reconnects with Last-Event-ID.
KOLSHOP_LIVE_STREAM_SECONDS = env.get_int("KOLSHOP_LIVE_STREAM_SECONDS", 300)

# --- Abuse: who a client is behind proxies, and how often it may do what -------------------
# The client address comes from X-Forwarded-For only when REMOTE_ADDR is a trusted proxy: either
# listed in KOLSHOP_TRUSTED_PROXIES (CIDRs) or, with no list, any peer when a proxy count is set.
# The client is the rightmost hop that is not a trusted proxy, at most KOLSHOP_TRUSTED_PROXY_COUNT hops
# from the right (shop.services.client_identity.client_ip). 0 and no list: the header is ignored.
KOLSHOP_TRUSTED_PROXY_COUNT = env.get_int("KOLSHOP_TRUSTED_PROXY_COUNT", 0)
KOLSHOP_TRUSTED_PROXIES = env.get_list("KOLSHOP_TRUSTED_PROXIES")
# Key of the hashes that stand for a reader in clicks, page views and reservations (never the address).
KOLSHOP_VISITOR_HASH_SECRET = env.get_str("KOLSHOP_VISITOR_HASH_SECRET") or ""
# Requests per client address (an IPv6 /64) in the Django cache, as "count/period" (s, m, h, d);
# "off" switches one off. Over the limit the API answers 429; /r/ and /buy/ redirect without counting.
KOLSHOP_RATE_LIMITS = {
    "cart_create": env.get_str("KOLSHOP_RATE_LIMIT_CARTS") or "30/m",
    "cart_add": env.get_str("KOLSHOP_RATE_LIMIT_CART_ADDS") or "60/m",
    "checkout": env.get_str("KOLSHOP_RATE_LIMIT_CHECKOUTS") or "10/m",
    "click": env.get_str("KOLSHOP_RATE_LIMIT_CLICKS") or "60/m",
    "buy_link": env.get_str("KOLSHOP_RATE_LIMIT_BUY_LINKS") or "30/m",
    "page_view": env.get_str("KOLSHOP_RATE_LIMIT_PAGE_VIEWS") or "120/m",
    # New live viewers per address (content.live.views.heartbeat_view); viewers already counted beat freely.
    "live_new_viewer": env.get_str("KOLSHOP_RATE_LIMIT_LIVE_NEW_VIEWERS") or "60/m",
    # Reader sign-in (readers.limits): mails asked per client and per address, codes tried likewise.
    "reader_sign_in": env.get_str("KOLSHOP_RATE_LIMIT_READER_SIGN_INS") or "10/h",
    "reader_sign_in_email": env.get_str("KOLSHOP_RATE_LIMIT_READER_SIGN_INS_PER_EMAIL") or "5/h",
    "reader_code": env.get_str("KOLSHOP_RATE_LIMIT_READER_CODES") or "20/h",
    "reader_code_email": env.get_str("KOLSHOP_RATE_LIMIT_READER_CODES_PER_EMAIL") or "10/h",
    "privacy_request": env.get_str("KOLSHOP_RATE_LIMIT_PRIVACY_REQUESTS") or "5/h",
}
# The most units one client may hold in open (unpaid) checkouts at once, across all its carts.
KOLSHOP_MAX_RESERVED_UNITS_PER_CLIENT = env.get_int("KOLSHOP_MAX_RESERVED_UNITS_PER_CLIENT", 20)
# Reader sign-in (readers.services.sign_in): how long a mailed link/code works; wrong codes before it is void.
KOLSHOP_READER_SIGN_IN_MINUTES = env.get_int("KOLSHOP_READER_SIGN_IN_MINUTES", 15)
KOLSHOP_READER_CODE_ATTEMPTS = env.get_int("KOLSHOP_READER_CODE_ATTEMPTS", 5)
# A sharer's reward: this share of the goods paid for (readers.services.rewards), locked after the
# commission return window; and the fraud rules (readers.services.share_attribution), each on by default
# (set a rule to False, or a number to None, to turn it off).
KOLSHOP_READER_REWARD_RATE = env.get_str("KOLSHOP_READER_REWARD_RATE") or "0.05"
KOLSHOP_READER_REWARD_RULES = {
    "self_purchase": True,
    "new_buyers_only": True,
    "minimum_order": env.get_str("KOLSHOP_READER_REWARD_MINIMUM_ORDER") or "20.00",
    "per_sharer_per_30_days": env.get_int("KOLSHOP_READER_REWARDS_PER_SHARER_30_DAYS", 20),
    "per_visitor_per_day": env.get_int("KOLSHOP_READER_REWARDED_ORDERS_PER_VISITOR_DAY", 1),
}
# django-ratelimit: a cache outage lets requests through instead of refusing every buyer.
RATELIMIT_FAIL_OPEN = True

# Structured logs (settings/log_config.py): JSON lines with LOG_FORMAT=json (production's default).
LOGGING = logging_config(level=env.get_str("LOG_LEVEL") or "INFO", json=(env.get_str("LOG_FORMAT") or "console") == "json")

# --- Order e-mails (shop.services.notifications) -------------------------------------------
# Any Django e-mail backend (SMTP, django-anymail's, console); dev/test pick console/locmem.
EMAIL_BACKEND = env.get_str("EMAIL_BACKEND") or "django.core.mail.backends.smtp.EmailBackend"
DEFAULT_FROM_EMAIL = env.get_str("DEFAULT_FROM_EMAIL") or "kolshop@localhost"
# The reader site's address, for links in e-mails (the order link); the admin's address by default.
KOLSHOP_SITE_URL = env.get_str("KOLSHOP_SITE_URL") or WAGTAILADMIN_BASE_URL
# How long the private order link mailed to a buyer keeps opening the order page.
KOLSHOP_ORDER_LINK_MAX_AGE_DAYS = env.get_int("KOLSHOP_ORDER_LINK_MAX_AGE_DAYS", 90)

# Personal data (privacy app; README "Personal data"). Erasure keeps this many leading characters of a
# postal code, and an erased order's buyer key (per-buyer limits) for this many days after payment
# (longer while a promotion or voucher it used is still running).
KOLSHOP_PRIVACY_POSTAL_PREFIX_LENGTH = env.get_int("KOLSHOP_PRIVACY_POSTAL_PREFIX_LENGTH", 3)
KOLSHOP_PRIVACY_BUYER_KEY_DAYS = env.get_int("KOLSHOP_PRIVACY_BUYER_KEY_DAYS", 365)
# Retention, enforced daily by privacy.tasks.enforce_retention_task (README "Personal data"). Unpaid
# orders are anonymised and idle carts deleted after these many days; paid orders are anonymised after
# the years their market's trade and tax law keeps records ("default" for any other country and pickup);
# raw clicks and page views are deleted once their day is rolled up and older than these many days.
KOLSHOP_RETENTION_UNPAID_ORDER_DAYS = env.get_int("KOLSHOP_RETENTION_UNPAID_ORDER_DAYS", 30)
KOLSHOP_RETENTION_CART_DAYS = env.get_int("KOLSHOP_RETENTION_CART_DAYS", 30)
KOLSHOP_RETENTION_PAID_ORDER_YEARS = env.get_str("KOLSHOP_RETENTION_PAID_ORDER_YEARS") or (
    "default:10,DE:10,FR:10,GB:6,US:7,CN:3")
KOLSHOP_RETENTION_CLICK_DAYS = env.get_int("KOLSHOP_RETENTION_CLICK_DAYS", 395)
KOLSHOP_RETENTION_PAGE_VIEW_DAYS = env.get_int("KOLSHOP_RETENTION_PAGE_VIEW_DAYS", 395)
# Raw add-to-cart events (shop.AddToCartEvent) of rolled-up days go after these many days (partition2).
KOLSHOP_RETENTION_ADD_TO_CART_DAYS = env.get_int("KOLSHOP_RETENTION_ADD_TO_CART_DAYS", 395)
# How long the e-mailed link confirming a data-subject request works.
KOLSHOP_PRIVACY_VERIFY_HOURS = env.get_int("KOLSHOP_PRIVACY_VERIFY_HOURS", 48)
