"""Stored XSS through every field an import fills: markup in the title, author, about the book, about
the author, questions, quotes, further reading, other books and the lines not placed is shown as text on
every page that shows it (the preview, the guide, the club page, scheduling and the meeting)."""

# Fixtures imported from other test modules are parameters of the tests here (pytest's way of sharing
# them without a conftest that every guides test would see); ruff reads those parameters as redefinitions.
# ruff: noqa: F811

from __future__ import annotations

import html
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from guides.models import Guide
from sessions.models import Meeting
from tests.guides.test_club_guides import form_data
from tests.sessions.conftest import client_for, club, guide, host, member  # noqa: F401

pytestmark = pytest.mark.django_db

PAYLOADS = {
    "title": "<script>alert('title')</script>",
    "author": "<img src=x onerror=alert('author')>",
    "summary": "<svg onload=alert('summary')>",
    "question": "<iframe src=javascript:alert('question')></iframe>?",
    "sub-question": "<b onmouseover=alert('sub')>b</b>",
    "quote": "<a href=javascript:alert('quote')>q</a>",
    "further reading": "<i onclick=alert('further')>Book</i>",
    "about the author": "<marquee onstart=alert('bio')>",
    "other book": "<object data=javascript:alert('other')>",
    "not placed": "<details open ontoggle=alert('unplaced')>",
}
PASTED = f"""Title: {PAYLOADS["title"]}
Author: {PAYLOADS["author"]}

{PAYLOADS["not placed"]}

About the Book
{PAYLOADS["summary"]}

Discussion Questions
1. {PAYLOADS["question"]}
a) {PAYLOADS["sub-question"]}

Quotes
"{PAYLOADS["quote"]}"

Further Reading
{PAYLOADS["further reading"]} by Anne Other

About the Author
{PAYLOADS["about the author"]}

Other books by the author
{PAYLOADS["other book"]}
"""


def assert_shown_as_text(page: str, names: list[str]) -> None:
    for name in names:
        payload = PAYLOADS[name]
        assert payload not in page, name
        assert html.escape(payload) in page or html.escape(payload, quote=False) in page, name
    assert "<script>alert" not in page


@pytest.fixture
def host_client(host):
    return client_for(host)


def import_payloads(client, club) -> tuple[str, Guide]:
    url = reverse("club_guides:import", args=[club.slug])
    preview = client.post(url, {"action": "read", "pasted": PASTED}).content.decode()
    data = form_data(preview, action="save")
    client.post(url, data)
    return preview, Guide.objects.get()


def test_the_preview_shows_every_imported_field_as_text(host_client, club):
    preview, _ = import_payloads(host_client, club)
    assert_shown_as_text(preview, [name for name in PAYLOADS if name != "sub-question"])
    assert html.escape(PAYLOADS["sub-question"]) in preview


def test_every_imported_field_is_saved_as_typed_and_shown_as_text(host_client, club, member):
    _, guide = import_payloads(host_client, club)
    assert guide.title == PAYLOADS["title"] and guide.author == PAYLOADS["author"]
    assert guide.questions.get().text == f"{PAYLOADS['question']}\n(a) {PAYLOADS['sub-question']}"
    page = client_for(member).get(guide.get_absolute_url()).content.decode()
    assert_shown_as_text(page, [n for n in PAYLOADS if n not in ("not placed", "sub-question")])
    club_page = client_for(member).get(club.get_absolute_url()).content.decode()
    assert_shown_as_text(club_page, ["title", "author"])
    edit_page = host_client.get(reverse("club_guides:edit", args=[club.slug, guide.pk])).content.decode()
    assert_shown_as_text(edit_page, [n for n in PAYLOADS if n not in ("not placed", "sub-question")])
    history = host_client.get(reverse("club_guides:history", args=[club.slug, guide.pk])).content.decode()
    assert_shown_as_text(history, ["title"])


def test_scheduling_and_the_meeting_show_imported_questions_as_text(host_client, club, host, member):
    _, guide = import_payloads(host_client, club)
    create = reverse("sessions:meeting_create", args=[club.slug])
    pool = host_client.get(create + f"?guide={guide.pk}").content.decode()
    assert_shown_as_text(pool, ["title", "question", "sub-question"])
    meeting = Meeting.schedule(club=club, guide=guide, by=host, starts_at=timezone.now() + timedelta(days=3))
    page = client_for(member).get(meeting.get_absolute_url()).content.decode()
    assert_shown_as_text(page, ["title", "question"])
