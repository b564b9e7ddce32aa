"""Settings read from the environment: secure defaults, clear errors, SQLite tuned for concurrent writers."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps

PROJECT = Path(__file__).resolve().parents[2]
# The browser fixture sets DJANGO_ALLOW_ASYNC_UNSAFE for the whole run; a production process never has it.
INHERITED_SETTINGS = {
    "DEBUG",
    "SECRET_KEY",
    "DATABASE_URL",
    "ALLOWED_HOSTS",
    "SECURE_SSL_REDIRECT",
    "REDIS_URL",
    "REDIS_SOCKET_TIMEOUT",
    "RELEASE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}


def run_django(code: str, **env: str) -> subprocess.CompletedProcess:
    """Import the real settings in a fresh interpreter with exactly the given environment."""
    clean = {key: value for key, value in os.environ.items() if key not in INHERITED_SETTINGS}
    clean.update(env, DJANGO_SETTINGS_MODULE="bookclub.settings")
    script = "import django; django.setup(); from django.conf import settings\n" + code
    return subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT, env=clean, capture_output=True, text=True, timeout=60
    )


def test_it_refuses_to_start_without_a_secret_key_when_debug_is_off():
    result = run_django("print('started')", DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
    assert "started" not in result.stdout


def test_it_starts_in_debug_without_a_secret_key():
    result = run_django("print(settings.DEBUG, bool(settings.SECRET_KEY))", DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True True"


def test_debug_is_off_by_default_and_production_defaults_are_secure():
    code = (
        "print(settings.DEBUG, settings.SECURE_SSL_REDIRECT, settings.SESSION_COOKIE_SECURE, "
        "settings.CSRF_COOKIE_SECURE, settings.SECURE_HSTS_SECONDS >= 15552000, settings.ALLOWED_HOSTS)"
    )
    result = run_django(code, SECRET_KEY="x" * 50, ALLOWED_HOSTS="club.example.org, www.example.org")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False True True True True ['club.example.org', 'www.example.org']"


def test_ssl_redirect_can_be_switched_off_behind_a_tls_terminating_proxy():
    result = run_django("print(settings.SECURE_SSL_REDIRECT)", SECRET_KEY="x" * 50, SECURE_SSL_REDIRECT="0")
    assert result.stdout.strip() == "False"


def test_a_boolean_it_cannot_read_is_a_clear_error():
    result = run_django("print('started')", DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG must be one of" in result.stderr


def test_database_url_selects_the_database():
    code = "print(settings.DATABASES['default']['ENGINE'], settings.DATABASES['default']['NAME'])"
    result = run_django(code, DEBUG="1", DATABASE_URL="postgres://someone@db.example.org:5432/clubs")
    assert result.stdout.strip() == "django.db.backends.postgresql clubs"


def test_sqlite_runs_in_wal_mode_with_immediate_transactions_and_a_busy_timeout(tmp_path):
    code = (
        "from django.db import connection\n"
        "cursor = connection.cursor()\n"
        "print(cursor.execute('PRAGMA journal_mode').fetchone()[0], "
        "settings.DATABASES['default']['OPTIONS']['transaction_mode'], "
        "settings.DATABASES['default']['OPTIONS']['timeout'])"
    )
    result = run_django(code, DEBUG="1", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "wal IMMEDIATE 20"


def test_redis_url_makes_the_cache_shared_with_timeouts_and_outages_logged_as_misses():
    result = run_django(
        "c = settings.CACHES['default']; print(c['BACKEND'], sorted(c['OPTIONS'].items()))",
        DEBUG="1",
        REDIS_URL="redis://127.0.0.1:6379/0",
        REDIS_SOCKET_TIMEOUT="0.5",
    )
    assert result.stdout.strip() == (
        "django_redis.cache.RedisCache [('IGNORE_EXCEPTIONS', True), "
        "('SOCKET_CONNECT_TIMEOUT', 0.5), ('SOCKET_TIMEOUT', 0.5)]"
    )


@pytest.mark.parametrize("value", ["0", "-1", "soon"])
def test_a_redis_timeout_that_is_not_a_positive_number_is_refused(value):
    result = run_django("print('started')", DEBUG="1", REDIS_SOCKET_TIMEOUT=value)
    assert result.returncode != 0
    assert "REDIS_SOCKET_TIMEOUT must be" in result.stderr


def test_without_redis_the_cache_is_local_memory():
    result = run_django("print(settings.CACHES['default']['BACKEND'])", DEBUG="1")
    assert result.stdout.strip() == "django.core.cache.backends.locmem.LocMemCache"


def test_production_settings_pass_the_deployment_checks():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=PROJECT,
        env={
            **{k: v for k, v in os.environ.items() if k not in INHERITED_SETTINGS},
            "DJANGO_SETTINGS_MODULE": "bookclub.settings",
            "DEBUG": "0",
            "SECRET_KEY": "a-long-random-production-secret-" + "k" * 40,
            "ALLOWED_HOSTS": "club.example.org",
            "SECURE_SSL_REDIRECT": "1",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("label", ["club_sessions"])
def test_our_sessions_app_has_its_own_label_beside_django_sessions(label):
    assert apps.get_app_config(label).name == "sessions"
    assert apps.get_app_config("sessions").name == "django.contrib.sessions"
