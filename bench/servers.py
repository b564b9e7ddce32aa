"""Real uvicorn processes, for the benchmarks and for the tests of live updates.

Django's live_server fixture is a threaded WSGI server, which cannot stream events; the live tests and
the benchmarks need the production shape instead: `uvicorn bookclub.asgi:application` processes sharing
a database (and, for several processes, a broker), which can be stopped and started mid-meeting.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
POSTGRES_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
# Migrated databases every deployment starts as a copy of (see `migrated_template`).
TEMPLATES = Path(tempfile.gettempdir()) / "bookclub-migrated"
POSTGRES_TEMPLATE_PREFIX = "bookclub_live_template_"

# Builds the meeting every live test starts from; prints what the browser needs.
SETUP_MEETING = """
from datetime import timedelta
from django.contrib.auth.models import User
from django.utils import timezone
from guides.models import Guide, Question
from sessions.models import Club, Meeting
guide = Guide.objects.create(title="Never Let Me Go", author="Kazuo Ishiguro", status="published")
for position, text in enumerate(["What did you think of Hailsham?", "Was Kathy a reliable narrator?",
                                 "How did the ending feel?"], start=1):
    Question.objects.create(guide=guide, position=position, text=text)
host = User.objects.create_user("hana", "hana@example.com", "hana-password-123")
club = Club.create(name="Tuesday Readers", host=host)
meeting = Meeting.schedule(club=club, guide=guide, by=host, starts_at=timezone.now() + timedelta(hours=1))
meeting.start()
print(meeting.pk, meeting.join_code)
"""


def run_async(coroutine):
    """asyncio.run in a thread of its own.

    Under pytest, the browser tests' Playwright keeps an event loop running in the main thread for the
    rest of the session, and asyncio.run refuses to start another one there.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_answers() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=1).close()
        return True
    except OSError:
        return False


def redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@dataclass
class Deployment:
    """The environment several server processes share: one database, maybe one broker."""

    env: dict[str, str]
    cleanup: list = field(default_factory=list)

    @classmethod
    def sqlite(cls, folder: Path) -> Deployment:
        """A migrated SQLite file of its own in `folder`."""
        return cls(cls._base_env() | {"DATABASE_URL": f"sqlite:///{_migrated_sqlite_copy(folder)}"})

    @classmethod
    def sqlite_and_redis(cls, folder: Path, redis_url: str = "redis://127.0.0.1:6379/15") -> Deployment:
        """Several processes on one machine: they share the SQLite file and meet in Redis (which also
        holds their cache)."""
        return cls(
            cls._base_env()
            | {
                "DATABASE_URL": f"sqlite:///{_migrated_sqlite_copy(folder)}",
                "REDIS_URL": redis_url,
            }
        )

    def in_production_mode(self) -> Deployment:
        """DEBUG off, as in production: static files from collectstatic's manifest, no query log."""
        self.env |= {
            "DEBUG": "0",
            "SECURE_SSL_REDIRECT": "0",
            "LOG_LEVEL": "ERROR",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        }
        self.manage("collectstatic", "--noinput", "-v0")
        return self

    @classmethod
    def postgres(cls, broker: str = "redis") -> Deployment:
        """A fresh PostgreSQL database; with `broker` "redis", the processes meet in Redis (the channel
        layer); "local" keeps each process to itself."""
        name = f"bookclub_live_{secrets.token_hex(4)}"
        _psql(POSTGRES_ADMIN_URL, f"CREATE DATABASE {name} TEMPLATE {_migrated_postgres_template()}")
        env = {"DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{name}"}
        if broker == "redis":
            env["REDIS_URL"] = "redis://127.0.0.1:6379/15"
        deployment = cls(cls._base_env() | env)
        deployment.cleanup.append(
            lambda: _psql(POSTGRES_ADMIN_URL, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        )
        return deployment

    @staticmethod
    def _base_env() -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
        }
        return env | {
            "DJANGO_SETTINGS_MODULE": "bookclub.settings",
            "DEBUG": "1",  # static files straight from the finders, no collectstatic step
            "SECRET_KEY": "live-tests-" + secrets.token_hex(16),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "LIVE_POLL_SECONDS": "0",  # updates must arrive by push, or not at all
            # Every screen of a benchmark comes from 127.0.0.1, like a room behind one router.
            "LIVE_STREAMS_PER_ADDRESS": "5000",
            "LOG_LEVEL": "WARNING",
            # One poster sends more answers a minute than a person would; the limits have tests of their own.
            "RATE_LIMITS_ENABLED": "0",
        }

    def manage(self, *args: str, code: str | None = None) -> str:
        command = [sys.executable, "manage.py", *args]
        if code is not None:
            command += ["-c", code]
        result = subprocess.run(
            command, cwd=PROJECT, env=self.env, capture_output=True, text=True, timeout=120
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def prepare_meeting(self) -> tuple[int, str]:
        pk, code = self.manage("shell", "-v0", code=SETUP_MEETING).split()
        return int(pk), code

    def close(self) -> None:
        for step in reversed(self.cleanup):
            step()


def _psql(url: str, statement: str) -> list[tuple]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        cursor = connection.execute(statement)
        return cursor.fetchall() if cursor.description else []


# Every deployment starts from a database migrated once per machine and set of migrations, copied
# (SQLite) or cloned with CREATE DATABASE ... TEMPLATE (PostgreSQL). Running `migrate` for each one
# cost about 5 s of CPU, which the suite paid some thirty times. Templates of older migrations are left
# in place: another checkout on this machine (a CI run, say) may be using them.


def migrations_fingerprint() -> str:
    """Changes whenever a migration or a locked dependency (whose apps bring migrations) changes."""
    digest = hashlib.sha256()
    for path in sorted(
        [*PROJECT.glob("*/migrations/*.py"), PROJECT / "requirements.txt", PROJECT / "requirements-dev.txt"]
    ):
        digest.update(str(path.relative_to(PROJECT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


@contextmanager
def _building(name: str) -> Iterator[None]:
    """One process at a time builds a template (pytest-xdist runs several at once)."""
    TEMPLATES.mkdir(exist_ok=True)
    with open(TEMPLATES / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _migrate(database_url: str) -> None:
    env = Deployment._base_env() | {"DATABASE_URL": database_url}
    Deployment(env).manage("migrate", "--noinput", "-v0")


def _migrated_sqlite_copy(folder: Path) -> Path:
    fingerprint = migrations_fingerprint()
    template = TEMPLATES / f"{fingerprint}.sqlite3"
    if not template.exists():
        with _building(fingerprint):
            if not template.exists():
                partial = TEMPLATES / f"{fingerprint}.partial"
                partial.unlink(missing_ok=True)
                _migrate(f"sqlite:///{partial}")
                # Fold the write-ahead log into the file, so a copy of the file alone is the whole database.
                with sqlite3.connect(partial) as connection:
                    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                connection.close()
                for leftover in (f"{partial}-wal", f"{partial}-shm"):
                    Path(leftover).unlink(missing_ok=True)
                os.replace(partial, template)
    database = folder / "live.sqlite3"
    shutil.copyfile(template, database)
    return database


def _migrated_postgres_template() -> str:
    name = POSTGRES_TEMPLATE_PREFIX + migrations_fingerprint()
    exists = f"SELECT 1 FROM pg_database WHERE datname = '{name}'"
    if not _psql(POSTGRES_ADMIN_URL, exists):
        with _building(name):
            if not _psql(POSTGRES_ADMIN_URL, exists):
                partial = name + "_partial"
                _psql(POSTGRES_ADMIN_URL, f"CREATE DATABASE {partial}")
                try:
                    _migrate(f"postgres://postgres@127.0.0.1:5432/{partial}")
                except BaseException:
                    _psql(POSTGRES_ADMIN_URL, f"DROP DATABASE IF EXISTS {partial} WITH (FORCE)")
                    raise
                # Renamed only once whole, so a template that exists is always fully migrated.
                _psql(POSTGRES_ADMIN_URL, f"ALTER DATABASE {partial} RENAME TO {name}")
    return name


class AsgiServer:
    """One `uvicorn bookclub.asgi:application` server on its own port: one process, or with `workers`
    above 1 uvicorn's supervisor and that many worker processes sharing the port (`rss_bytes` then
    measures the supervisor alone)."""

    def __init__(
        self, deployment: Deployment, port: int | None = None, workers: int = 1, log_to_file: bool = False
    ) -> None:
        self.deployment = deployment
        self.log_to_file = log_to_file
        self.port = port or free_port()
        self.workers = workers
        self.process: subprocess.Popen | None = None
        self._log = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> AsgiServer:
        # With log_to_file, the server's errors go to a file rather than to `process.stderr`: a pipe
        # nobody reads fills up under load and then blocks the server mid-write.
        self._log = tempfile.TemporaryFile() if self.log_to_file else None  # noqa: SIM115 (lives with the server)
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "bookclub.asgi:application",
                "--port",
                str(self.port),
                "--no-access-log",
                *(["--workers", str(self.workers)] if self.workers > 1 else []),
            ],
            cwd=PROJECT,
            env=self.deployment.env,
            stdout=subprocess.DEVNULL,
            stderr=self._log or subprocess.PIPE,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as response:
                    if response.status == 200:
                        return self
            except OSError:
                if self.process.poll() is not None:
                    output = self.log() if self._log else self.process.stderr.read().decode()
                    raise RuntimeError(f"uvicorn exited:\n{output}") from None
                time.sleep(0.1)
        raise RuntimeError("uvicorn did not answer within 30 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def log(self) -> str:
        """What the server wrote to its standard error so far (with log_to_file)."""
        if self._log is None:
            return ""
        self._log.seek(0)
        return self._log.read().decode(errors="replace")

    def rss_bytes(self) -> int:
        """Resident memory of the server process, from /proc (Linux)."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        kilobytes = next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:"))
        return int(kilobytes) * 1024

    def restart(self) -> None:
        self.stop()
        self.start()
