"""Settings for the test suite: production settings with test-only secrets and fast password hashing."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-not-for-production")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
# Production refuses to start without one chosen on purpose; pytest-django swaps in locmem anyway, and the
# servers the live tests start inherit this.
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")

from bookclub.settings import *  # noqa: F403

ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="bookclub-test-media-"))
# WhiteNoise warns about a missing STATIC_ROOT; the tests serve static files through the finders instead.
STATIC_ROOT = Path(tempfile.mkdtemp(prefix="bookclub-test-static-"))
# The browser tests talk plain HTTP to the live server, where Secure cookies would not come back.
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
# Rate limits would trip tests that post many answers or sign up many users from one address; the
# rate-limit tests switch them on with the `settings` fixture.
RATE_LIMITS_ENABLED = False
# SQLite's in-memory test database locks whole tables, so a browser test's live server polling while the
# test writes can fail with "database table is locked". A file gets the production set-up instead: WAL,
# IMMEDIATE transactions and a busy timeout (see bookclub/settings.py).
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.mkdtemp(prefix="bookclub-test-db-"), "test.sqlite3")
    }
