"""Whole pages rendered once and shared (bookclub/skeleton.py). The guide page no longer uses them (its
fragments are cached with {% cache %}: tests/guides/test_cache.py); these go with the module."""

from __future__ import annotations

import pytest
from django.contrib import messages
from django.contrib.auth.models import User
from django.contrib.messages.storage.fallback import FallbackStorage
from django.utils.safestring import mark_safe

from bookclub import skeleton

pytestmark = pytest.mark.django_db


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


def test_holes_are_filled_with_escaped_text_unless_it_is_marked_safe():
    page = skeleton.Skeleton(("<p>", "username", "</p><p>", "answers", "</p>"))
    filled = page.fill({"username": "<b>Tom & Ruth</b>", "answers": mark_safe("<em>kept</em>")})
    assert filled == "<p>&lt;b&gt;Tom &amp; Ruth&lt;/b&gt;</p><p><em>kept</em></p>"
    assert page.holes == {"username", "answers"}


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
