"""Fixtures shared by every test module: users in each role and a headless browser."""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from hypothesis import settings as hypothesis_settings

# Property tests: "fast" by default (make test), "deep" in CI (HYPOTHESIS_PROFILE=deep, see .ci/run).
# Each test asks for a number of examples relative to the profile (tests/guides/test_import_fuzzing.py).
hypothesis_settings.register_profile("fast", max_examples=25, deadline=None, database=None)
hypothesis_settings.register_profile("deep", max_examples=200, deadline=None, database=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fast"))

DEMO_GUIDE = Path(__file__).resolve().parent.parent / "demo" / "never-let-me-go.txt"
# Debian's Chromium headless shell (apt-get install -y chromium-headless-shell) is the same Blink without
# the full browser around it: the suite's pages at less than half the CPU (84 page tests took 49 s of CPU
# against 111 s with /usr/bin/chromium), which is most of make test's time. Failing that, the full browser;
# CHROMIUM=/usr/bin/chromium picks it on purpose (CI's PostgreSQL run does, so both stay covered).
CHROMIUM = (
    os.environ.get("CHROMIUM")
    or shutil.which("chromium-headless-shell")
    or shutil.which("chromium")
    or "/usr/bin/chromium"
)
# Chromium, run as root in a closed network, needs these to start quickly and quietly.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def demo_guide_bytes() -> bytes:
    return DEMO_GUIDE.read_bytes()


@pytest.fixture
def staff_user(db) -> User:
    return User.objects.create_user(
        "edith", "edith@example.com", "edith-password", is_staff=True, is_superuser=True
    )


@pytest.fixture
def plain_user(db) -> User:
    return User.objects.create_user("olive", "olive@example.com", "olive-password")


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture(scope="session")
def browser() -> Iterator:
    if not Path(CHROMIUM).exists():
        pytest.skip(
            f"Chromium not found at {CHROMIUM} "
            "(install it with: apt-get install -y chromium-headless-shell, or chromium)"
        )
    # Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from a thread
    # with a running loop unless told the caller knows what it is doing (the tests do no async work).
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server) -> Iterator:
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def empty_cache():
    """Pages, fragments and rate-limit counters cached by an earlier test (whose rows may have had the same
    ids) must not be served or counted."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def fresh_live_states():
    """Meeting ids repeat from test to test; a state this process rendered for an earlier test's meeting
    must not be served for this one's (sessions/live_state.py keeps the newest per meeting id)."""
    from sessions import live_state

    live_state.store.clear()
    yield
    live_state.store.clear()
