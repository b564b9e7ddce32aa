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

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it to a long random string when DEBUG is off, e.g. "
            "SECRET_KEY=$(python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )
    SECRET_KEY = "insecure-development-key-only-for-debug-mode"

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
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
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
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3"}}

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
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Live meetings (see sessions/events.py): how open screens hear of changes across server processes.
LIVE_BROKER = os.environ.get("LIVE_BROKER", "auto")
if LIVE_BROKER not in {"auto", "local", "redis", "postgres"}:
    raise ImproperlyConfigured(f"LIVE_BROKER must be auto, local, redis or postgres; got {LIVE_BROKER!r}.")
if LIVE_BROKER == "redis" and not REDIS_URL:
    raise ImproperlyConfigured("LIVE_BROKER=redis needs REDIS_URL.")
# Seconds between heartbeats on a live stream; each one also re-reads the meeting, healing lost events.
LIVE_HEARTBEAT_SECONDS = envfloat("LIVE_HEARTBEAT_SECONDS", 15)
# Seconds between polls when a screen has no live stream (a buffering proxy, a WSGI server); 0 turns
# polling off entirely.
LIVE_POLL_SECONDS = envfloat("LIVE_POLL_SECONDS", 2)

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
# Guide illustrations: anything larger is refused on upload with a form error.
MAX_ILLUSTRATION_BYTES = envint("MAX_ILLUSTRATION_BYTES", 5 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

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

# Email (password reset). The console backend prints messages to the server's log until SMTP is set up.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Bookclub <bookclub@localhost>")

# Between meetings (issue 12): emails go out from a background worker (django-tasks' database backend,
# `manage.py run_worker`), never from a request. SITE_URL makes the links in emails and calendar feeds.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
if not re.fullmatch(r"https?://[^/\s]+", SITE_URL):
    raise ImproperlyConfigured(f"SITE_URL must look like https://club.example.org; got {SITE_URL!r}.")


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
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
# "preload" only consents to the browsers' preload list; nothing is listed until someone submits the domain.
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

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
    "join": "20/minute",  # join codes tried and guests joining, per client address
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
