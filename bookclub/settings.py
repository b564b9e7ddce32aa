"""Bookclub settings, read from environment variables (documented in README.md).

Every variable goes through one of the small helpers below, which refuse a value they cannot read
instead of guessing, so a typo in production fails at start-up rather than at 3 a.m.
"""

import os
import re
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from bookclub.release import code_digest

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    if value.strip().lower() in _TRUE:
        return True
    if value.strip().lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0, true/false, yes/no, on/off; got {value!r}.")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {value!r}.") from None


def envfloat(name: str, default: float) -> float:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number; got {value!r}.") from None


def envlist(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def envdict(name: str) -> dict[str, str]:
    """`name=value,name=value` pairs, e.g. RATE_LIMITS="join=60/minute"."""
    result = {}
    for item in envlist(name, []):
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ImproperlyConfigured(f"{name} must be name=value pairs separated by commas; got {item!r}.")
        result[key.strip()] = value.strip()
    return result


DEBUG = envbool("DEBUG", False)
# Under DEBUG the site still answers with its own 404 and error pages (bookclub/middleware.py);
# DEBUG_PAGES=1 shows Django's technical pages, with the traceback and settings, instead.
DEBUG_PAGES = envbool("DEBUG_PAGES", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it to a long random string when DEBUG is off, e.g. "
            "SECRET_KEY=$(python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )
    SECRET_KEY = "insecure-development-key-only-for-debug-mode"

# The site's address as people reach it, e.g. https://club.example.org: links that leave the page (the
# join link and its QR code) are built on it. Unset, they use the address of the request.
SITE_URL = os.environ.get("SITE_URL", "").rstrip("/")
if SITE_URL and not re.fullmatch(r"https?://[^/\s]+", SITE_URL):
    raise ImproperlyConfigured(f"SITE_URL must look like https://club.example.org; got {SITE_URL!r}.")

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "reversion",
    "csp",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "guides",
    "sessions.apps.ClubSessionsConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "bookclub.middleware.PermissionsPolicyMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "bookclub.middleware.NulBytesMiddleware",
    # Outside CommonMiddleware, so that a missing slash is still a redirect (see the class).
    "bookclub.middleware.DesignedErrorPagesMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "sessions.middleware.LoginRequiredMiddleware",
    # Last, as django-axes requires: it turns a lockout flagged during authentication into its page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "bookclub.urls"

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
                "sessions.context_processors.live",
            ],
        },
    },
]

WSGI_APPLICATION = "bookclub.wsgi.application"
ASGI_APPLICATION = "bookclub.asgi.application"

# Database: SQLite in the project folder unless DATABASE_URL says otherwise.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=envint("DB_CONN_MAX_AGE", 0))}
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(BASE_DIR / "db.sqlite3")}}

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while one writer writes; IMMEDIATE takes the write lock when a transaction
    # starts, so two writers queue on the busy timeout instead of failing with "database is locked"
    # when one of them upgrades a read lock half-way through.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
            "transaction_mode": "IMMEDIATE",
            "timeout": envint("SQLITE_BUSY_TIMEOUT", 20),
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
# Seconds a cache call waits for Redis to connect or to answer. Redis answers in well under a millisecond;
# a Redis that hangs costs a page up to four of these (the guide page reads and writes two fragments).
REDIS_SOCKET_TIMEOUT = envfloat("REDIS_SOCKET_TIMEOUT", 0.25)
if REDIS_SOCKET_TIMEOUT <= 0:
    raise ImproperlyConfigured(f"REDIS_SOCKET_TIMEOUT must be more than 0; got {REDIS_SOCKET_TIMEOUT}.")


def redis_cache(url: str, socket_timeout: float) -> dict:
    """The cache on Redis, as django-redis calls it. An unreachable or hung Redis makes every call a miss
    (IGNORE_EXCEPTIONS, logged by the "django_redis.cache" logger): pages render from the database and
    rate limits let requests through, rather than a whole site failing with its cache."""
    return {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": url,
        "OPTIONS": {
            "SOCKET_CONNECT_TIMEOUT": socket_timeout,
            "SOCKET_TIMEOUT": socket_timeout,
            "IGNORE_EXCEPTIONS": True,
        },
    }


DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True

# The release starts every cache key, so that a deploy never serves what the old code rendered (a guide
# page's fragments) from a Redis that outlives it. By default it is a digest of the code, templates and
# rendering libraries, worked out once at start-up: nothing for a deploy to remember, and every process
# of one release agrees. RELEASE names it instead, e.g. to start afresh without a code change. (A new
# release also restarts the rate limits' windows, which last a minute or an hour.)
RELEASE = os.environ.get("RELEASE", "").strip() or code_digest(BASE_DIR)
if REDIS_URL:
    CACHES = {"default": redis_cache(REDIS_URL, REDIS_SOCKET_TIMEOUT)}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CACHES["default"]["KEY_PREFIX"] = f"bookclub:{RELEASE}"
if DEBUG:
    # Templates reload while a debug server runs, which a digest taken at start-up cannot see: there
    # {% cache %} fragments (which use this cache when it is defined) are rendered every time.
    CACHES["template_fragments"] = {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}

# Live meetings (see sessions/live_state.py and sessions/consumers.py): each change is rendered once and
# sent through the channel layer to every open screen, in this process or (through Redis) any other.
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "bookclub.channel_layers.InMemoryChannelLayer"}}
# Seconds between heartbeats on a live stream; each carries the meeting's version, so a screen that
# missed a push notices within one beat and reconnects for the whole current state.
LIVE_HEARTBEAT_SECONDS = envfloat("LIVE_HEARTBEAT_SECONDS", 15)
# Seconds between polls when a screen cannot hold a stream open (a proxy that buffers, a WSGI server);
# 0 turns polling off entirely.
LIVE_POLL_SECONDS = envfloat("LIVE_POLL_SECONDS", 2)
# At most one push per meeting per this many seconds: a burst of changes (a flood of likes) is
# rendered and sent once, with all of them.
LIVE_PUSH_INTERVAL = envfloat("LIVE_PUSH_INTERVAL", 0.1)
# Open streams one browser session, and one address, may hold in each server process.
LIVE_STREAMS_PER_SESSION = envint("LIVE_STREAMS_PER_SESSION", 8)
LIVE_STREAMS_PER_ADDRESS = envint("LIVE_STREAMS_PER_ADDRESS", 1000)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Files browsers ask for at the site's root, without a link (/favicon.ico), served there by WhiteNoise.
WHITENOISE_ROOT = BASE_DIR / "static" / "root"
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Uploaded images (guides/images.py): anything larger, in bytes or in pixels, is refused with a form
# error before it is decoded. 30 megapixels holds any phone photo; a decoded one takes ~120 MB of memory.
MAX_ILLUSTRATION_BYTES = envint("MAX_ILLUSTRATION_BYTES", 5 * 1024 * 1024)
MAX_IMAGE_PIXELS = envint("MAX_IMAGE_PIXELS", 30_000_000)
# Form posts (file uploads not included): a guide's admin form is tens of kilobytes, an answer at most
# 2,000 characters. Anything larger is refused with a 400 before it is parsed or echoed back.
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("DATA_UPLOAD_MAX_MEMORY_SIZE", 1024 * 1024)

# django-axes' backend only refuses locked-out logins; ModelBackend then checks the password.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
# Guests keep their seat in a meeting through the session cookie, across refreshes and closed tabs.
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 60 * 60 * 24 * 30)

# Email (password reset). The console backend prints messages to the server's log until SMTP is set up:
# fine on a laptop, but in production it writes live password-reset links to the log, so with DEBUG
# off it must be chosen on purpose (EMAIL_BACKEND set in the environment).
_CONSOLE_EMAIL = "django.core.mail.backends.console.EmailBackend"
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "")
if not EMAIL_BACKEND:
    if not DEBUG:
        raise ImproperlyConfigured(
            "EMAIL_BACKEND is not set. Set it to django.core.mail.backends.smtp.EmailBackend (with "
            "EMAIL_HOST and friends) so password resets reach people, or to "
            f"{_CONSOLE_EMAIL} on purpose to have messages, reset links included, written to the log."
        )
    EMAIL_BACKEND = _CONSOLE_EMAIL
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Bookclub <bookclub@localhost>")

# Between meetings (issue 12): emails go out from a background worker (django-tasks' database backend,
# `manage.py run_worker`), never from a request. Their links are built on SITE_URL (above); unset, on
# http://127.0.0.1:8000, which is only right for `make run` on this machine.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def _reminder_offsets(text: str) -> list[int]:
    """ "48h,2h" -> [172800, 7200] seconds; "" -> no reminders."""
    offsets = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        match = re.fullmatch(r"([1-9][0-9]*)(m|h|d)", part)
        if not match:
            raise ImproperlyConfigured(f"MEETING_REMINDERS: {part!r} should look like 48h, 2h, 30m or 2d.")
        offsets.append(int(match[1]) * {"m": 60, "h": 3600, "d": 86400}[match[2]])
    return sorted(set(offsets), reverse=True)


MEETING_REMINDERS = _reminder_offsets(os.environ.get("MEETING_REMINDERS", "2d,2h"))
# How often the worker looks for reminders that have fallen due and votes past their close date.
OUTBOX_SWEEP_SECONDS = envint("OUTBOX_SWEEP_SECONDS", 60)
# A claimed email not marked sent after this long belongs to a worker that died: it is sent again.
EMAIL_CLAIM_LEASE_SECONDS = envint("EMAIL_CLAIM_LEASE_SECONDS", 300)

# Security: secure by default whenever DEBUG is off.
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not DEBUG)
BEHIND_PROXY = envbool("BEHIND_PROXY", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0 if DEBUG else 60 * 60 * 24 * 365)
# Both reach beyond this app (every subdomain; the browsers' built-in list, which is slow to leave), so
# they are for the owner of the whole domain to opt in to.
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", False)
# `check --deploy` warns while either is off; off is the considered default here, not an oversight.
SILENCED_SYSTEM_CHECKS = ["security.W005", "security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), bluetooth=(), hid=(), "
    "midi=(), display-capture=(), publickey-credentials-get=(), interest-cohort=(), browsing-topics=()"
)

# Content-Security-Policy (django-csp): scripts and styles from our own files only, so injected markup
# cannot run. Templates carry no inline <script>, style="" or on*= handlers; htmx is told not to eval
# or inject styles (the htmx-config meta tag in base.html).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}

# Brute force on passwords (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one username from
# one address, that pair is refused, even with the right password, for AXES_COOLOFF_TIME. Keying on the
# pair means nobody can lock a user out from another address, and the cool-off means it always ends.
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5)
if AXES_FAILURE_LIMIT < 1:
    raise ImproperlyConfigured(f"AXES_FAILURE_LIMIT must be 1 or more; got {AXES_FAILURE_LIMIT}.")
# Never zero: django-axes reads "no cool-off" as "locked until an admin unlocks it".
_cooloff_minutes = envint("AXES_COOLOFF_MINUTES", 15)
if _cooloff_minutes < 1:
    raise ImproperlyConfigured(f"AXES_COOLOFF_MINUTES must be 1 or more; got {_cooloff_minutes}.")
AXES_COOLOFF_TIME = timedelta(minutes=_cooloff_minutes)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Further tries during a lockout do not extend it: the cool-off runs from the lockout, then it is over.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_TEMPLATE = "lockout.html"
# Lockouts are still logged (with the username and address masked); start-up stays quiet.
AXES_VERBOSE = False
# The same client address as the rate limits (X-Forwarded-For behind a proxy); django-ipware is not used.
AXES_CLIENT_IP_CALLABLE = "bookclub.ratelimit.client_ip"

# Rate limits (bookclub/ratelimit.py), counted in the cache per user or client address. RATE_LIMITS (env)
# overrides single entries, e.g. RATE_LIMITS="join=60/minute,answer=60/minute".
RATE_LIMITS_ENABLED = envbool("RATE_LIMITS_ENABLED", True)
RATE_LIMITS = {
    "answer": "30/minute",  # answers posted, per participant
    "edit": "30/minute",  # answers edited or deleted, per participant
    "like": "30/minute",  # likes given or taken back, per participant
    "join": "20/minute",  # join codes tried and guests joining, per client address
    # Wrong join codes from every address together: the brake on guessing from many addresses. Over it,
    # every code is refused for the rest of the minute (else the refusal itself would tell codes apart).
    "join_global": "600/minute",
    "guest": "5/hour",  # guests joining one meeting, per client address
    "signup": "5/hour",  # sign-up forms sent, per client address
    "password_reset": "5/hour",  # password-reset emails asked for, per client address
    "nominate": "10/hour",  # books nominated, per member
    "vote": "30/minute",  # ballots saved (each rank change is one), per member
}
for _name, _rate in envdict("RATE_LIMITS").items():
    if _name not in RATE_LIMITS:
        raise ImproperlyConfigured(
            f"RATE_LIMITS: no limit is named {_name!r}; the limits are {', '.join(RATE_LIMITS)}."
        )
    if not re.fullmatch(r"[1-9][0-9]*/(second|minute|hour|day)", _rate):
        raise ImproperlyConfigured(
            f"RATE_LIMITS: {_name} must look like 30/minute (per second, minute, hour or day); got {_rate!r}."
        )
    RATE_LIMITS[_name] = _rate

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
