"""Security: production headers and cookies, brute-force lockout (django-axes), rate limits, and CSRF on
every form post, htmx included."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.core.cache import cache
from django.test import AsyncClient, Client
from django.urls import URLPattern, get_resolver, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

import bookclub.settings as production
from bookclub import ratelimit
from guides.models import Guide, Question
from sessions import notifications
from sessions.models import Answer, BookVote, Club, DatePoll, Meeting, Participant
from tests.bookclub.test_settings import run_django

pytestmark = pytest.mark.usefixtures("empty_cache")

PASSWORD = "quiet-harbour-lantern-42"
LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
LOCKOUT_TEXT = "Too many failed attempts. Try again in 15 minutes."
LIMIT_TEXT = "Too many requests. Please wait a minute and try again."


@pytest.fixture
def olive(db) -> User:
    return User.objects.create_user("olive", "olive@example.com", PASSWORD)


@pytest.fixture
def host(db) -> User:
    return User.objects.create_user("hana", "hana@example.com", PASSWORD)


@pytest.fixture
def meeting(host) -> Meeting:
    guide = Guide.objects.create(title="Never Let Me Go", author="Kazuo Ishiguro", status="published")
    for position, text in enumerate(["What did you think of Hailsham?", "Was Kathy reliable?"], start=1):
        Question.objects.create(guide=guide, position=position, text=text)
    club = Club.create(name="Tuesday Readers", description="We read on Tuesdays.", host=host)
    return Meeting.schedule(
        club=club, guide=guide, by=host, starts_at=timezone.now() + timedelta(days=7), place="The Crown"
    )


@pytest.fixture
def live_meeting(meeting) -> Meeting:
    meeting.start()
    return Meeting.objects.get(pk=meeting.pk)


# A moment well inside its minute, hour and day windows.
PINNED_NOW = 1_700_000_070.0


@pytest.fixture
def limits_on(settings, monkeypatch):
    """Limits on, with the limiter's clock pinned: the windows are fixed, so a test that posts thirty
    times must not straddle the turn of a minute (it did once in CI and got a fresh window)."""
    settings.RATE_LIMITS_ENABLED = True
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: PINNED_NOW))
    return settings


def page_text(response) -> str:
    return response.content.decode()


# ---------- Headers and cookies in production ----------

PRODUCTION_SECURITY_SETTINGS = [
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_SAMESITE",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "X_FRAME_OPTIONS",
    "CONTENT_SECURITY_POLICY",
]


@pytest.fixture
def production_settings(settings):
    """The security settings bookclub/settings.py computes with DEBUG off (the test settings relax a few
    so that the browser tests can use plain HTTP)."""
    assert production.DEBUG is False, "run the tests without DEBUG=1 in the environment"
    for name in PRODUCTION_SECURITY_SETTINGS:
        setattr(settings, name, getattr(production, name))
    return settings


def test_a_production_response_over_https_carries_every_security_header(production_settings, client, db):
    response = client.get("/", secure=True)
    assert response.status_code == 200
    hsts = response.headers["Strict-Transport-Security"]
    assert int(re.search(r"max-age=(\d+)", hsts).group(1)) >= 15552000
    # Subdomains and the preload list reach beyond this app: opt-in (SECURE_HSTS_INCLUDE_SUBDOMAINS/_PRELOAD).
    assert "includeSubDomains" not in hsts
    assert "preload" not in hsts
    assert response.headers["Permissions-Policy"].startswith("camera=()")
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy


def test_the_content_security_policy_allows_only_our_own_scripts_and_styles(client, db):
    policy = client.get("/").headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives == {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self'",
        "connect-src": "'self'",
        "frame-ancestors": "'none'",
        "form-action": "'self'",
        "base-uri": "'none'",
        "object-src": "'none'",
    }
    assert "unsafe" not in policy


@pytest.mark.parametrize(
    "path", ["/guides/", "/accounts/login/", "/join/", "/admin/login/", "/no-such-page/"]
)
def test_every_kind_of_page_carries_the_policy(client, db, path):
    assert "frame-ancestors 'none'" in client.get(path).headers["Content-Security-Policy"]


TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
BLOCKED_BY_THE_POLICY = {
    "a style attribute": re.compile(r"\sstyle\s*=", re.I),
    "an inline event handler": re.compile(r"\son[a-z]+\s*=", re.I),
    "an htmx inline handler": re.compile(r"\shx-on", re.I),
    "a javascript: URL": re.compile(r"javascript:", re.I),
    "an inline script": re.compile(r"<script(?![^>]*\ssrc=)(?![^>]*application/ld\+json)[^>]*>", re.I),
    "a <style> element": re.compile(r"<style", re.I),
}


def test_no_template_holds_anything_the_policy_would_block():
    found = []
    for template in sorted(TEMPLATES.rglob("*.html")):
        text = template.read_text()
        for what, pattern in BLOCKED_BY_THE_POLICY.items():
            found += [f"{template.relative_to(TEMPLATES)}: {what}" for _ in pattern.finditer(text)]
    assert not found, "\n".join(found)


def test_the_presenters_qr_code_is_drawn_without_style_attributes(live_meeting, host):
    client = Client()
    client.force_login(host)
    page = page_text(client.get(reverse("sessions:present", args=[live_meeting.pk])))
    svg = re.search(r"<svg[^>]*join-qr__code.*?</svg>", page, re.S).group(0)
    assert "<path" in svg
    assert "style" not in svg


def test_production_cookies_are_secure_httponly_and_lax(production_settings, olive):
    client = Client()
    response = client.get(LOGIN, secure=True)
    csrf = response.cookies["csrftoken"]
    assert csrf["secure"] is True
    assert csrf["samesite"] == "Lax"
    response = client.post(LOGIN, {"username": "olive", "password": PASSWORD}, secure=True)
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["secure"] is True
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"


def test_plain_http_is_redirected_to_https_in_production(settings, client, db):
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/guides/")
    assert response.status_code == 301
    assert response.url == "https://testserver/guides/"


# ---------- Brute force: django-axes ----------


def log_in(client: Client, username: str, password: str, path: str = LOGIN, **extra):
    return client.post(path, {"username": username, "password": password}, **extra)


def fail(client: Client, times: int, username: str = "olive", path: str = LOGIN) -> int:
    """Tries a wrong password `times` times; returns the last status."""
    return [log_in(client, username, "not-the-password", path).status_code for _ in range(times)][-1]


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(client, olive):
    assert fail(client, 4) == 200
    response = log_in(client, "olive", "not-the-password")
    assert response.status_code == 429
    assert LOCKOUT_TEXT in page_text(response)
    response = log_in(client, "olive", PASSWORD)
    assert response.status_code == 429
    assert LOCKOUT_TEXT in page_text(response)
    assert not logged_in(client)


def test_the_lockout_ends_after_the_cool_off_and_further_tries_do_not_extend_it(client, olive):
    fail(client, 5)
    assert log_in(client, "olive", "still-wrong").status_code == 429  # a try during the lockout
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=14))
    assert log_in(client, "olive", PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=15, seconds=1))
    response = log_in(client, "olive", PASSWORD)
    assert response.status_code == 302
    assert logged_in(client)


def test_the_lockout_holds_only_for_that_username_from_that_address(client, olive):
    User.objects.create_user("milo", "milo@example.com", PASSWORD)
    fail(client, 5)
    assert log_in(client, "olive", PASSWORD).status_code == 429

    elsewhere = Client(REMOTE_ADDR="198.51.100.7")
    assert log_in(elsewhere, "olive", PASSWORD).status_code == 302  # the real olive, at home
    assert log_in(Client(), "milo", PASSWORD).status_code == 302  # someone else on the attacker's network


@pytest.mark.django_db(transaction=True)
def test_the_lockout_page_comes_back_under_asgi_as_in_production(olive):
    # uvicorn serves the app through ASGI, where django-axes' middleware takes its async path. The
    # requests run in a thread of their own: the browser tests keep an event loop in this one.
    async def statuses() -> tuple[list[int], str]:
        client = AsyncClient()
        seen = []
        for password in [*["wrong"] * 4, PASSWORD, *["wrong"] * 5, PASSWORD]:
            response = await client.post(LOGIN, {"username": "olive", "password": password})
            seen.append(response.status_code)
        return seen, page_text(response)

    with ThreadPoolExecutor(1) as pool:
        seen, last_page = pool.submit(asyncio.run, statuses()).result(timeout=60)
    assert seen == [200] * 4 + [302] + [200] * 4 + [429, 429]
    assert LOCKOUT_TEXT in last_page


def test_a_successful_login_resets_the_count(client, olive):
    fail(client, 4)
    assert log_in(client, "olive", PASSWORD).status_code == 302
    client.post(reverse("logout"))
    fail(client, 4)
    assert log_in(client, "olive", PASSWORD).status_code == 302


def test_the_admin_login_is_protected_the_same_way(client, db):
    User.objects.create_user("edith", "edith@example.com", PASSWORD, is_staff=True, is_superuser=True)
    assert fail(client, 4, username="edith", path=ADMIN_LOGIN) == 200
    assert log_in(client, "edith", PASSWORD, ADMIN_LOGIN).status_code == 302  # four: still let in
    client.post(reverse("admin:logout"))
    assert fail(client, 5, username="edith", path=ADMIN_LOGIN) == 429
    response = log_in(client, "edith", PASSWORD, ADMIN_LOGIN)
    assert response.status_code == 429
    assert LOCKOUT_TEXT in page_text(response)
    assert client.get("/admin/").status_code == 302  # still sent to log in


def test_behind_a_proxy_the_lockout_follows_the_address_the_proxy_saw(settings, olive):
    settings.BEHIND_PROXY = True
    attacker = Client(HTTP_X_FORWARDED_FOR="203.0.113.5")
    fail(attacker, 5)
    assert log_in(attacker, "olive", PASSWORD).status_code == 429
    # Prepending another address to the header does not get the attacker out of the lockout...
    spoofer = Client(HTTP_X_FORWARDED_FOR="192.0.2.1, 203.0.113.5")
    assert log_in(spoofer, "olive", PASSWORD).status_code == 429
    # ...and olive, behind the same proxy but at another address, can still log in.
    assert log_in(Client(HTTP_X_FORWARDED_FOR="198.51.100.7"), "olive", PASSWORD).status_code == 302
    assert AccessAttempt.objects.get().ip_address == "203.0.113.5"


def test_without_a_proxy_a_forwarded_for_header_is_ignored(olive):
    fail(Client(HTTP_X_FORWARDED_FOR="203.0.113.5"), 5)
    assert log_in(Client(HTTP_X_FORWARDED_FOR="198.51.100.7"), "olive", PASSWORD).status_code == 429
    assert AccessAttempt.objects.get().ip_address == "127.0.0.1"


# ---------- Rate limits ----------


def limit_of(name: str) -> int:
    return ratelimit.Rate.parse(production.RATE_LIMITS[name]).count


def assert_limited(response) -> None:
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 1


def guest_in(meeting: Meeting, name: str, **client_kwargs) -> tuple[Client, Participant]:
    client = Client(**client_kwargs)
    response = client.post(reverse("sessions:join_code", args=[meeting.join_code]), {"display_name": name})
    assert response.status_code == 302
    return client, Participant.objects.get(meeting=meeting, display_name=name)


def post_answer(client: Client, meeting: Meeting, text: str, **extra):
    data = {"question": meeting.current_question_id, "text": text, "client_token": str(uuid.uuid4())}
    return client.post(reverse("sessions:answer_post", args=[meeting.pk]), data, **extra)


def test_the_default_limits_are_the_documented_ones():
    assert production.RATE_LIMITS_ENABLED is True
    assert production.RATE_LIMITS == {
        "answer": "30/minute",
        "edit": "30/minute",
        "like": "30/minute",
        "join": "20/minute",
        "join_global": "600/minute",
        "guest": "5/hour",
        "signup": "5/hour",
        "password_reset": "5/hour",
        "nominate": "10/hour",
        "vote": "30/minute",
    }


def test_answers_beyond_the_limit_are_refused_with_the_message_and_the_text_kept(limits_on, live_meeting):
    kathy, participant = guest_in(live_meeting, "Kathy")
    for number in range(limit_of("answer")):
        assert post_answer(kathy, live_meeting, f"Answer {number}").status_code == 302
    response = post_answer(kathy, live_meeting, "One too many")
    assert_limited(response)
    page = page_text(response)
    assert LIMIT_TEXT in page
    assert "One too many</textarea>" in page
    assert Answer.objects.filter(participant=participant).count() == limit_of("answer")


def test_an_htmx_answer_beyond_the_limit_gets_the_form_back_with_the_message_beside_it(
    limits_on, live_meeting
):
    limits_on.RATE_LIMITS = {**production.RATE_LIMITS, "answer": "2/minute"}
    kathy, _ = guest_in(live_meeting, "Kathy")
    for number in range(2):
        assert post_answer(kathy, live_meeting, f"Answer {number}", HTTP_HX_REQUEST="true").status_code == 200
    response = post_answer(kathy, live_meeting, "Third <thought>", HTTP_HX_REQUEST="true")
    assert_limited(response)
    page = page_text(response)
    assert page.lstrip().startswith('<form class="answer-form"')
    assert re.search(
        rf'<p class="field__error" id="answer-error-[0-9]+"[^>]*>{re.escape(LIMIT_TEXT)}</p>', page
    )
    assert "Third &lt;thought&gt;</textarea>" in page


def test_the_answer_limit_counts_per_participant(limits_on, live_meeting):
    limits_on.RATE_LIMITS = {**production.RATE_LIMITS, "answer": "2/minute"}
    kathy, _ = guest_in(live_meeting, "Kathy")
    tommy, _ = guest_in(live_meeting, "Tommy")  # same address: the same café's wifi
    for number in range(2):
        post_answer(kathy, live_meeting, f"Answer {number}")
    assert_limited(post_answer(kathy, live_meeting, "Again"))
    assert post_answer(tommy, live_meeting, "Mine").status_code == 302


def test_the_window_ends_and_answers_are_accepted_again(limits_on, live_meeting, monkeypatch):
    limits_on.RATE_LIMITS = {**production.RATE_LIMITS, "answer": "2/minute"}
    now = 1_700_000_040.0  # the start of a minute
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: now))
    kathy, _ = guest_in(live_meeting, "Kathy")
    post_answer(kathy, live_meeting, "One")
    post_answer(kathy, live_meeting, "Two")
    response = post_answer(kathy, live_meeting, "Three")
    assert_limited(response)
    assert response.headers["Retry-After"] == "60"
    now += 60
    assert post_answer(kathy, live_meeting, "Three").status_code == 302


def test_clearing_the_cache_resets_the_limits(limits_on, live_meeting):
    limits_on.RATE_LIMITS = {**production.RATE_LIMITS, "answer": "1/minute"}
    kathy, _ = guest_in(live_meeting, "Kathy")
    post_answer(kathy, live_meeting, "One")
    assert_limited(post_answer(kathy, live_meeting, "Two"))
    cache.clear()
    assert post_answer(kathy, live_meeting, "Two").status_code == 302


def test_guessing_join_codes_is_limited_per_address_and_then_no_code_answers(limits_on, live_meeting):
    guesser = Client()
    for number in range(limit_of("join")):
        response = guesser.get(reverse("sessions:join_code", args=[f"ZZZZ{number:02d}"]))
        assert response.status_code == 404
    response = guesser.get(reverse("sessions:join_code", args=["ZZZZ99"]))
    assert_limited(response)
    assert LIMIT_TEXT in page_text(response)
    # Over the limit a real code is refused as well, or the limit would still tell codes apart.
    assert_limited(guesser.get(reverse("sessions:join_code", args=[live_meeting.join_code])))
    assert_limited(guesser.post(reverse("sessions:join"), {"code": live_meeting.join_code}))

    elsewhere = Client(REMOTE_ADDR="198.51.100.7")
    assert elsewhere.get(reverse("sessions:join_code", args=[live_meeting.join_code])).status_code == 200


def test_codes_typed_into_the_join_form_count_too(limits_on, live_meeting):
    guesser = Client()
    for number in range(limit_of("join")):
        assert guesser.post(reverse("sessions:join"), {"code": f"ZZZZ{number:02d}"}).status_code == 422
    assert_limited(guesser.post(reverse("sessions:join"), {"code": live_meeting.join_code}))


def test_opening_a_real_join_link_does_not_count(limits_on, live_meeting):
    client = Client()
    for _ in range(limit_of("join") + 5):
        assert client.get(reverse("sessions:join_code", args=[live_meeting.join_code])).status_code == 200


def test_guests_joining_count_towards_the_join_limit(limits_on, live_meeting):
    limits_on.RATE_LIMITS = {**production.RATE_LIMITS, "join": "2/minute"}
    guest_in(live_meeting, "Kathy")
    guest_in(live_meeting, "Tommy")
    response = Client().post(
        reverse("sessions:join_code", args=[live_meeting.join_code]), {"display_name": "Ruth"}
    )
    assert_limited(response)
    assert not Participant.objects.filter(display_name="Ruth").exists()


def signup(client: Client, number: int):
    name = f"reader{number}"
    return client.post(
        "/accounts/signup/",
        {"username": name, "email": f"{name}@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )


def test_signing_up_is_limited_per_address_with_the_wait_stated(limits_on, db):
    for number in range(limit_of("signup")):
        assert signup(Client(), number).status_code == 302
    response = signup(Client(), 99)
    assert_limited(response)
    assert int(response.headers["Retry-After"]) > 60
    assert re.search(r"Too many requests\. Please wait \d+ minutes and try again\.", page_text(response))
    assert not User.objects.filter(username="reader99").exists()
    assert signup(Client(REMOTE_ADDR="198.51.100.7"), 99).status_code == 302


def test_password_reset_requests_are_limited_per_address(limits_on, olive, mailoutbox):
    for _ in range(limit_of("password_reset")):
        response = Client().post(reverse("password_reset"), {"email": "olive@example.com"})
        assert response.status_code == 302
    response = Client().post(reverse("password_reset"), {"email": "olive@example.com"})
    assert_limited(response)
    assert "Too many requests" in page_text(response)
    assert len(mailoutbox) == limit_of("password_reset")
    other = Client(REMOTE_ADDR="198.51.100.7").post(reverse("password_reset"), {"email": "olive@example.com"})
    assert other.status_code == 302


def test_behind_a_proxy_limits_follow_the_address_the_proxy_saw(limits_on, live_meeting):
    limits_on.BEHIND_PROXY = True
    limits_on.RATE_LIMITS = {**production.RATE_LIMITS, "join": "1/minute"}
    path = reverse("sessions:join_code", args=["ZZZZZZ"])
    assert Client(HTTP_X_FORWARDED_FOR="203.0.113.5").get(path).status_code == 404
    assert_limited(Client(HTTP_X_FORWARDED_FOR="192.0.2.1, 203.0.113.5").get(path))
    assert Client(HTTP_X_FORWARDED_FOR="198.51.100.7").get(path).status_code == 404


def test_switched_off_nothing_is_limited(settings, live_meeting):
    settings.RATE_LIMITS_ENABLED = False
    settings.RATE_LIMITS = {**production.RATE_LIMITS, "answer": "1/minute"}
    kathy, _ = guest_in(live_meeting, "Kathy")
    for number in range(3):
        assert post_answer(kathy, live_meeting, f"Answer {number}").status_code == 302


def test_an_unreachable_cache_lets_requests_through_and_logs_it(limits_on, live_meeting, caplog):
    kathy, _ = guest_in(live_meeting, "Kathy")
    # Nothing listens there.
    limits_on.CACHES = {"default": production.redis_cache("redis://127.0.0.1:1/0", socket_timeout=0.2)}
    limits_on.RATE_LIMITS = {**production.RATE_LIMITS, "answer": "1/minute"}
    with caplog.at_level(logging.WARNING, logger="bookclub.ratelimit"):
        assert post_answer(kathy, live_meeting, "One").status_code == 302
        assert post_answer(kathy, live_meeting, "Two").status_code == 302
    assert "Rate limit answer not checked: the cache is unavailable." in caplog.text


def test_an_unreachable_cache_still_serves_the_cached_pages_and_logs_it(settings, live_meeting, caplog):
    """The guide page is read from the cache and the member view counts answers against the rate limit
    there; without it both are served from the database (a hung Redis: tests/guides/test_cache.py)."""
    kathy, _ = guest_in(live_meeting, "Kathy")
    kathy.get(reverse("sessions:live", args=[live_meeting.pk]))  # the "joined" message, shown once
    # Nothing listens there.
    settings.CACHES = {"default": production.redis_cache("redis://127.0.0.1:1/0", socket_timeout=0.2)}
    with caplog.at_level(logging.ERROR, logger="django_redis.cache"):
        member_view = kathy.get(reverse("sessions:live", args=[live_meeting.pk]))
        guide_page = Client().get(live_meeting.guide.get_absolute_url())
    assert member_view.status_code == 200 and "Your answer" in page_text(member_view)
    assert guide_page.status_code == 200 and live_meeting.guide.title in page_text(guide_page)
    assert "Connection refused" in caplog.text


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"RATE_LIMITS": "join=60/minute"}, None),
        ({"RATE_LIMITS": "join=lots"}, "RATE_LIMITS: join must look like 30/minute"),
        ({"RATE_LIMITS": "jion=60/minute"}, "RATE_LIMITS: no limit is named 'jion'"),
        ({"RATE_LIMITS_ENABLED": "perhaps"}, "RATE_LIMITS_ENABLED must be one of"),
        ({"AXES_COOLOFF_MINUTES": "0"}, "AXES_COOLOFF_MINUTES must be 1 or more"),
        ({"AXES_FAILURE_LIMIT": "0"}, "AXES_FAILURE_LIMIT must be 1 or more"),
    ],
)
def test_limits_read_from_the_environment_are_checked_at_start_up(env, message):
    result = run_django(
        "print(settings.RATE_LIMITS['join'], settings.AXES_FAILURE_LIMIT, settings.AXES_COOLOFF_TIME)",
        DEBUG="1",
        **env,
    )
    if message is None:
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "60/minute 5 0:15:00"
    else:
        assert result.returncode != 0
        assert message in result.stderr


# ---------- CSRF on every post ----------

HX_HEADERS = re.compile(r"<body hx-headers='(\{[^']*\})'>")


def token_from_page(client: Client, path: str = "/") -> str:
    """The CSRF token as htmx sends it: from the hx-headers attribute of the page's <body>."""
    page = page_text(client.get(path))
    return json.loads(HX_HEADERS.search(page).group(1))["X-CSRFToken"]


def test_every_page_body_carries_the_csrf_token_for_htmx(db):
    client = Client(enforce_csrf_checks=True)
    token = token_from_page(client, "/guides/")
    assert len(token) == 64
    assert client.cookies["csrftoken"].value


@pytest.fixture
def scene(live_meeting, host):
    """The host's client, with an answer of the host's and one of a guest's to act on."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(host)
    question = live_meeting.current_question
    mine = live_meeting.participant_for_user(host, Participant.Role.HOST).post_answer(
        question, "Mine", uuid.uuid4()
    )
    guest = live_meeting.add_guest("Kathy")
    theirs = guest.post_answer(question, "Theirs", uuid.uuid4())
    soon = timezone.now() + timedelta(days=7)
    vote = BookVote.open(club=live_meeting.club, by=host, closes_at=soon)
    nomination = vote.nominate(by=host, title="Klara and the Sun")
    poll = DatePoll.offer(club=live_meeting.club, by=host, starts=[soon, soon + timedelta(days=1)])
    return {
        "client": client,
        "meeting": live_meeting,
        "club": live_meeting.club,
        "membership": live_meeting.club.membership_of(host),
        "mine": mine,
        "theirs": theirs,
        "guest": guest,
        "question": question,
        "vote": vote,
        "nomination": nomination,
        "poll": poll,
        "host": host,
    }


# Every URL of sessions/urls.py, with the arguments to reach it: those that take a POST, and the rest
# (GET only, listed so that a new URL must be placed in one list or the other).
SESSION_POSTS = {
    "club_create": lambda s: [],
    "invite_reset": lambda s: [s["club"].slug],
    "member_role": lambda s: [s["club"].slug, s["membership"].pk],
    "member_remove": lambda s: [s["club"].slug, s["membership"].pk],
    "club_leave": lambda s: [s["club"].slug],
    "meeting_create": lambda s: [s["club"].slug],
    "meeting_edit": lambda s: [s["meeting"].pk],
    "rsvp": lambda s: [s["meeting"].pk],
    "question_add": lambda s: [s["meeting"].pk],
    "question_edit": lambda s: [s["meeting"].pk, s["question"].pk],
    "question_move": lambda s: [s["meeting"].pk, s["question"].pk],
    "question_skip": lambda s: [s["meeting"].pk, s["question"].pk],
    "start": lambda s: [s["meeting"].pk],
    "control": lambda s: [s["meeting"].pk],
    "answer_hide": lambda s: [s["meeting"].pk, s["theirs"].pk],
    "participant_remove": lambda s: [s["meeting"].pk, s["guest"].pk],
    "participant_readmit": lambda s: [s["meeting"].pk, s["guest"].pk],
    "join": lambda s: [],
    "join_code": lambda s: [s["meeting"].join_code],
    "answer_post": lambda s: [s["meeting"].pk],
    "answer_edit": lambda s: [s["meeting"].pk, s["mine"].pk],
    "answer_delete": lambda s: [s["meeting"].pk, s["mine"].pk],
    "answer_like": lambda s: [s["meeting"].pk, s["theirs"].pk],
    # Between meetings (issue 12)
    "vote_create": lambda s: [s["club"].slug],
    "nominate": lambda s: [s["vote"].pk],
    "nomination_withdraw": lambda s: [s["vote"].pk, s["nomination"].pk],
    "vote_start": lambda s: [s["vote"].pk],
    "vote_close": lambda s: [s["vote"].pk],
    "ballot": lambda s: [s["vote"].pk],
    "date_poll_create": lambda s: [s["club"].slug],
    "date_poll_answer": lambda s: [s["poll"].pk],
    "date_poll_close": lambda s: [s["poll"].pk],
    "reading_plan": lambda s: [s["meeting"].pk],
    "reading_progress": lambda s: [s["meeting"].pk],
    "meeting_cancel": lambda s: [s["meeting"].pk],
    "calendar_reset": lambda s: [],
    "email_preferences": lambda s: [],
}
# Posts that carry no CSRF token by design: RFC 8058 one-click unsubscribe, which mail apps POST to
# without opening a page; the signed token in the URL is the proof, and all it does is turn one kind
# of email off.
SESSION_CSRF_EXEMPT = {
    "unsubscribe": lambda s: [notifications.unsubscribe_token(s["host"], "reminder")],
}
SESSION_GET_ONLY = {
    "club",
    "invite",
    "meeting",
    "meeting_ics",
    "present",
    "screen",
    "live",
    "events",
    "recap",
    "recap_markdown",
    "recap_csv",
    "vote",
    "date_poll",
    "calendar",
    "calendar_feed",
}


def test_every_session_url_is_listed_as_a_post_or_a_get_only_url():
    names = {
        pattern.name
        for pattern in get_resolver("sessions.urls").url_patterns
        if isinstance(pattern, URLPattern)
    }
    assert names == set(SESSION_POSTS) | set(SESSION_CSRF_EXEMPT) | SESSION_GET_ONLY


def test_one_click_unsubscribe_is_the_only_post_taken_without_the_token(scene):
    client = scene["client"]
    path = reverse("sessions:unsubscribe", args=SESSION_CSRF_EXEMPT["unsubscribe"](scene))
    response = client.post(path, {})
    assert response.status_code == 200
    assert not scene["host"].email_preferences.reminders


@pytest.mark.parametrize("name", sorted(SESSION_POSTS))
def test_a_session_post_without_the_token_is_refused_and_with_the_htmx_header_gets_through(scene, name):
    client = scene["client"]
    path = reverse(f"sessions:{name}", args=SESSION_POSTS[name](scene))
    response = client.post(path, {})
    assert response.status_code == 403
    assert "CSRF" in page_text(response)
    token = token_from_page(client, reverse("sessions:live", args=[scene["meeting"].pk]))
    response = client.post(path, {}, HTTP_X_CSRFTOKEN=token, HTTP_HX_REQUEST="true")
    assert response.status_code != 403, (name, response.status_code)


def test_a_get_only_session_url_does_not_take_posts(scene):
    client = scene["client"]
    token = token_from_page(client)
    path = reverse("sessions:recap_csv", args=[scene["meeting"].pk])
    assert client.post(path, HTTP_X_CSRFTOKEN=token).status_code == 405


def account_posts(olive: User) -> list[tuple[str, bool]]:
    uid = urlsafe_base64_encode(force_bytes(olive.pk))
    token = default_token_generator.make_token(olive)
    return [
        ("/accounts/signup/", False),
        (reverse("login"), False),
        (reverse("password_reset"), False),
        (reverse("password_reset_confirm", args=[uid, token]), False),
        (reverse("logout"), True),
        (reverse("password_change"), True),
    ]


@pytest.mark.parametrize("index", range(6))
def test_an_account_post_without_the_token_is_refused_and_with_the_header_gets_through(olive, index):
    path, logged_in_first = account_posts(olive)[index]
    client = Client(enforce_csrf_checks=True)
    if logged_in_first:
        client.force_login(olive)
    assert client.post(path, {}).status_code == 403
    token = token_from_page(client, "/")
    response = client.post(path, {}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code != 403, (path, response.status_code)


def test_the_admin_import_needs_the_token_too(db):
    staff = User.objects.create_user("edith", "edith@example.com", PASSWORD, is_staff=True, is_superuser=True)
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    path = reverse("admin:guides_guide_import")
    assert client.post(path, {}).status_code == 403
    token = token_from_page(client, "/")
    response = client.post(path, {}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200
    assert "This field is required" in page_text(response)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_a_browser_a_limited_htmx_answer_shows_the_message_beside_the_form(page, limits_on, live_meeting):
    limits_on.RATE_LIMITS = {**production.RATE_LIMITS, "answer": "1/minute"}
    page.goto(reverse("sessions:join_code", args=[live_meeting.join_code]))
    page.get_by_label("Display name").fill("Kathy")
    page.get_by_role("button", name="Join", exact=True).click()
    page.wait_for_url(f"**{reverse('sessions:live', args=[live_meeting.pk])}")
    page.wait_for_function("() => window.htmx !== undefined && document.readyState === 'complete'")
    page.evaluate("() => { window.sameDocument = true }")
    box = page.get_by_label("Your answer", exact=True)
    box.fill("First thought")
    page.get_by_role("button", name="Post answer").click()
    page.get_by_text("Your answer is saved.").wait_for()
    box.fill("Second thought")
    page.get_by_role("button", name="Post answer").click()
    page.locator("[data-answer-form] .field__error").wait_for()
    assert page.locator("[data-answer-form] .field__error").inner_text() == LIMIT_TEXT
    assert box.input_value() == "Second thought"
    assert page.evaluate("() => window.sameDocument") is True
