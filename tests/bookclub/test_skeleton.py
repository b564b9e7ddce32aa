"""Whole pages rendered once and shared (bookclub/skeleton.py), as the guide page uses them: every reader
must get the page a normal render would have given them, with their own CSRF token and name."""

from __future__ import annotations

import re

import pytest
from django.contrib import messages
from django.contrib.auth.models import User
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.cache import cache
from django.test import Client
from django.utils.safestring import mark_safe

from bookclub import skeleton
from tests.guides.guide_builders import make_full_guide

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_cache")]

CSRF_VALUES = re.compile(r'(name="csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+')


@pytest.fixture
def guide():
    return make_full_guide()


def logged_in(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.create_user(username, f"{username.strip('<>&')}@example.com", "pw"))
    return client


def page_of(client: Client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


def csrf_tokens(page: str) -> set[str]:
    return {match.group(0).rpartition('"')[2] for match in CSRF_VALUES.finditer(page)}


def without_tokens(page: str) -> str:
    return CSRF_VALUES.sub(r"\1TOKEN", page)


@pytest.mark.parametrize("reader", ["anonymous", "user"])
def test_the_shared_guide_page_is_the_page_a_normal_render_gives(guide, reader, monkeypatch):
    client = Client() if reader == "anonymous" else logged_in("kathy")
    page_of(client, guide.get_absolute_url())  # fills the cache
    assert cache.get(f"guides:skeleton:{guide.pk}:{reader}") is not None
    shared = page_of(client, guide.get_absolute_url())

    monkeypatch.setattr(skeleton, "shareable", lambda request: False)
    rendered = page_of(client, guide.get_absolute_url())
    assert without_tokens(shared) == without_tokens(rendered)
    assert "Never Let Me Go" in shared


def test_each_logged_in_reader_sees_their_own_name_and_token_on_the_shared_page(guide):
    kathy, ruth = logged_in("kathy"), logged_in("ruth")
    kathys_page = page_of(kathy, guide.get_absolute_url())  # renders the page and caches it
    ruths_page = page_of(ruth, guide.get_absolute_url())

    assert "kathy" in kathys_page and "kathy" not in ruths_page
    assert "ruth" in ruths_page
    assert csrf_tokens(kathys_page).isdisjoint(csrf_tokens(ruths_page))
    # Ruth's log-out form, from Kathy's cached page, carries a token that passes CSRF for Ruth's session.
    checked = Client(enforce_csrf_checks=True)
    checked.cookies = ruth.cookies
    (token,) = {token for token in csrf_tokens(ruths_page)}
    assert checked.post("/accounts/logout/", {"csrfmiddlewaretoken": token}).status_code == 302
    assert "_auth_user_id" not in checked.session


def test_a_request_with_a_message_waiting_or_a_query_string_gets_a_page_of_its_own(rf):
    plain = rf.get("/guides/never-let-me-go/")
    plain.session = {}
    plain._messages = FallbackStorage(plain)
    assert skeleton.shareable(plain)

    messages.info(plain, "Welcome back.")
    assert not skeleton.shareable(plain)
    assert [str(message) for message in messages.get_messages(plain)] == ["Welcome back."]  # still there

    with_query = rf.get("/guides/never-let-me-go/?from=newsletter")
    with_query.session = {}
    with_query._messages = FallbackStorage(with_query)
    assert not skeleton.shareable(with_query)


def test_a_query_string_does_not_leak_into_the_page_others_get(guide):
    visitor = Client()
    page_of(visitor, guide.get_absolute_url())
    with_query = page_of(visitor, guide.get_absolute_url() + "?from=newsletter")
    assert "?next=/guides/never-let-me-go/%3Ffrom%3Dnewsletter" in with_query
    assert "newsletter" not in page_of(Client(), guide.get_absolute_url())


def test_an_edit_shows_on_the_next_load_of_the_shared_page(guide):
    visitor = Client()
    page_of(visitor, guide.get_absolute_url())
    guide.summary = "A new summary, just edited."
    guide.save()
    assert "A new summary, just edited." in page_of(visitor, guide.get_absolute_url())


def test_holes_are_filled_with_escaped_text_unless_it_is_marked_safe():
    page = skeleton.Skeleton(("<p>", "username", "</p><p>", "answers", "</p>"))
    filled = page.fill({"username": "<b>Tom & Ruth</b>", "answers": mark_safe("<em>kept</em>")})
    assert filled == "<p>&lt;b&gt;Tom &amp; Ruth&lt;/b&gt;</p><p><em>kept</em></p>"
    assert page.holes == {"username", "answers"}


def test_text_that_looks_like_a_hole_stays_text(guide):
    """The markers are drawn anew for each render, so a guide cannot carry one into the page."""
    guide.about = "csrf_token username {{ csrf_token }} {% csrf_token %}"
    guide.save()
    visitor = Client()
    page_of(visitor, guide.get_absolute_url())
    assert "csrf_token username {{ csrf_token }} {% csrf_token %}" in page_of(
        visitor, guide.get_absolute_url()
    )


def test_a_shared_page_that_asks_for_more_of_the_user_than_their_name_fails_loudly(rf, probe_template):
    request = rf.get("/")
    request.user = User(username="kathy")
    request.session = {}
    with pytest.raises(skeleton.SkeletonError, match=r"user\.email"):
        skeleton.render(request, "_skeleton_probe.html", {}, holes=())


@pytest.fixture
def probe_template(settings, tmp_path):
    """A page that prints the user's email, which no shared page may do."""
    (tmp_path / "_skeleton_probe.html").write_text("{{ user.get_username }} {{ user.email }}")
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], tmp_path]},
        *settings.TEMPLATES[1:],
    ]


def test_a_deploy_that_changes_a_template_or_the_code_gets_new_keys(settings, tmp_path):
    """Entries live in a Redis that outlives deploys, so the code that rendered them is in their keys."""
    for folder in ("bookclub", "guides", "sessions", "templates"):
        (tmp_path / folder).mkdir()
    (tmp_path / "templates" / "base.html").write_text("<title>Bookclub</title>")
    (tmp_path / "guides" / "views.py").write_text("VIEW = 1\n")
    settings.BASE_DIR = tmp_path
    digests = {skeleton._release_digest.__wrapped__()}
    (tmp_path / "templates" / "base.html").write_text("<title>Bookclub!</title>")
    digests.add(skeleton._release_digest.__wrapped__())
    (tmp_path / "guides" / "views.py").write_text("VIEW = 2\n")
    digests.add(skeleton._release_digest.__wrapped__())
    assert len(digests) == 3


def test_in_debug_mode_an_edited_template_is_seen_within_a_second(settings, tmp_path, monkeypatch):
    for folder in ("bookclub", "guides", "sessions", "templates"):
        (tmp_path / folder).mkdir()
    page = tmp_path / "templates" / "page.html"
    page.write_text("one")
    settings.BASE_DIR, settings.DEBUG = tmp_path, True
    clock = iter([1000.0, 1000.0, 1000.5, 1001.6, 1001.6])
    monkeypatch.setattr(skeleton.time, "monotonic", lambda: next(clock))
    monkeypatch.setattr(skeleton, "_debug_release", (float("-inf"), ""))
    first = skeleton.release()
    page.write_text("two")
    assert skeleton.release() == first  # half a second later: not read again
    assert skeleton.release() != first  # over a second later
