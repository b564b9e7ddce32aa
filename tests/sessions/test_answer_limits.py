"""Likes, edits and deletions are limited per participant, like answers: one guest with only the code
must not be able to flood every screen of a meeting (each change is pushed to all of them)."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest
from django.urls import reverse

from bookclub import ratelimit
from bookclub.settings import RATE_LIMITS
from sessions.models import Answer
from tests.bookclub.test_security import PINNED_NOW, guest_in

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def limits_on(settings, monkeypatch):
    """Limits on, the limiter's clock pinned inside its windows (see tests/bookclub/test_security.py)."""
    settings.RATE_LIMITS_ENABLED = True
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: PINNED_NOW))
    return settings


@pytest.fixture
def two_guests(live_meeting):
    kathy_client, kathy = guest_in(live_meeting, "Kathy")
    _, ruth = guest_in(live_meeting, "Ruth")
    ruths = ruth.post_answer(live_meeting.current_question, "Ruth's answer", uuid.uuid4())
    kathys = kathy.post_answer(live_meeting.current_question, "Kathy's answer", uuid.uuid4())
    return kathy_client, ruths, kathys


def test_likes_beyond_the_limit_are_refused_with_429_and_change_nothing(limits_on, live_meeting, two_guests):
    limits_on.RATE_LIMITS = {**RATE_LIMITS, "like": "4/minute"}
    client, ruths, _ = two_guests
    url = reverse("sessions:answer_like", args=[live_meeting.pk, ruths.pk])
    for _ in range(4):
        assert client.post(url, **HTMX).status_code == 200
    refused = client.post(url, **HTMX)
    assert refused.status_code == 429
    assert refused["Retry-After"]
    assert "Too many" in refused.content.decode()
    assert ruths.likes.count() == 0  # four toggles: liked, unliked, liked, unliked; the fifth did nothing


def test_edits_and_deletions_beyond_the_limit_are_refused_and_the_text_kept(
    limits_on, live_meeting, two_guests
):
    limits_on.RATE_LIMITS = {**RATE_LIMITS, "edit": "2/minute"}
    client, _, kathys = two_guests
    edit = reverse("sessions:answer_edit", args=[live_meeting.pk, kathys.pk])
    assert client.post(edit, {"text": "First change"}).status_code == 302
    assert client.post(edit, {"text": "Second change"}).status_code == 302
    refused = client.post(edit, {"text": "Third change"})
    assert refused.status_code == 429
    assert "Third change" in refused.content.decode()
    assert Answer.objects.get(pk=kathys.pk).text == "Second change"
    delete = client.post(reverse("sessions:answer_delete", args=[live_meeting.pk, kathys.pk]), **HTMX)
    assert delete.status_code == 429
    assert Answer.objects.filter(pk=kathys.pk).exists()


def test_a_refused_answer_of_megabytes_is_not_sent_back_whole(live_meeting):
    client, _ = guest_in(live_meeting, "Kathy")
    data = {
        "question": live_meeting.current_question_id,
        "text": "x" * 900_000,
        "client_token": str(uuid.uuid4()),
    }
    response = client.post(reverse("sessions:answer_post", args=[live_meeting.pk]), data, **HTMX)
    assert response.status_code == 422
    assert "this one has 900000" in response.content.decode()
    assert len(response.content) < 20_000
