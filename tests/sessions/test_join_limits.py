"""Guessing join codes and flooding a meeting with guests: every code tried counts, on every path, per
address and for everyone together; guests are limited per address per meeting; codes are long."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

import bookclub.settings as production
from bookclub import ratelimit
from sessions.forms.live import normalize_join_code
from sessions.models import JOIN_CODE_ALPHABET, JOIN_CODE_LENGTH, Meeting, Participant, new_join_code

pytestmark = pytest.mark.usefixtures("empty_cache")


@pytest.fixture
def limits(settings, monkeypatch):
    settings.RATE_LIMITS_ENABLED = True
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: 1_700_000_040.0))
    return settings


def set_limit(settings, **rates: str) -> None:
    settings.RATE_LIMITS = {**production.RATE_LIMITS, **rates}


def wrong_code(number: int) -> str:
    return f"ZZZZZZ{number:04d}"


def test_codes_in_the_query_string_are_counted(limits, live_meeting):
    set_limit(limits, join="3/minute")
    guesser = Client()
    for number in range(3):
        assert guesser.get(reverse("sessions:join"), {"code": wrong_code(number)}).status_code == 422
    assert guesser.get(reverse("sessions:join"), {"code": live_meeting.join_code}).status_code == 429


def test_the_query_string_the_form_and_the_address_share_one_count(limits, live_meeting):
    set_limit(limits, join="3/minute")
    guesser = Client()
    guesser.get(reverse("sessions:join"), {"code": wrong_code(1)})
    guesser.post(reverse("sessions:join"), {"code": wrong_code(2)})
    guesser.get(reverse("sessions:join_code", args=[wrong_code(3)]))
    assert guesser.get(reverse("sessions:join_code", args=[live_meeting.join_code])).status_code == 429


def test_wrong_codes_from_many_addresses_are_limited_together(limits, live_meeting):
    set_limit(limits, join_global="4/minute")
    for number in range(4):
        address = f"198.51.100.{number + 1}"
        response = Client(REMOTE_ADDR=address).get(reverse("sessions:join_code", args=[wrong_code(number)]))
        assert response.status_code == 404
    fresh = Client(REMOTE_ADDR="203.0.113.9")
    # Over everyone's limit even a right code is refused, so the refusal tells no codes apart.
    assert fresh.get(reverse("sessions:join_code", args=[live_meeting.join_code])).status_code == 429
    assert fresh.post(reverse("sessions:join"), {"code": wrong_code(9)}).status_code == 429


def test_right_codes_do_not_count_against_everyone(limits, live_meeting):
    set_limit(limits, join_global="2/minute")
    for number in range(5):
        client = Client(REMOTE_ADDR=f"198.51.100.{number + 1}")
        assert client.get(reverse("sessions:join_code", args=[live_meeting.join_code])).status_code == 200


def test_guests_from_one_address_are_limited_per_meeting(limits, live_meeting, club, guide, host):
    set_limit(limits, guest="2/hour", join="100/minute")
    path = reverse("sessions:join_code", args=[live_meeting.join_code])
    for name in ("Kathy", "Tommy"):
        assert Client().post(path, {"display_name": name}).status_code == 302
    assert Client().post(path, {"display_name": "Ruth"}).status_code == 429
    assert not Participant.objects.filter(display_name="Ruth").exists()
    # Another address, or another meeting, is not affected.
    assert Client(REMOTE_ADDR="198.51.100.7").post(path, {"display_name": "Ruth"}).status_code == 302
    other = Meeting.schedule(club=club, guide=guide, by=host, starts_at=timezone.now())
    other_path = reverse("sessions:join_code", args=[other.join_code])
    assert Client().post(other_path, {"display_name": "Ruth"}).status_code == 302


def test_join_codes_are_long_and_drawn_from_the_unambiguous_alphabet():
    codes = {new_join_code() for _ in range(50)}
    assert len(codes) == 50
    assert all(len(code) == JOIN_CODE_LENGTH == 10 for code in codes)
    assert set("".join(codes)) <= set(JOIN_CODE_ALPHABET)
    assert len(JOIN_CODE_ALPHABET) ** JOIN_CODE_LENGTH > 10**15


def test_a_code_typed_in_groups_with_hyphens_is_found(client, live_meeting):
    code = live_meeting.join_code
    typed = f"{code[:5].lower()}-{code[5:]}"
    assert normalize_join_code(typed) == code
    response = client.post(reverse("sessions:join"), {"code": typed})
    assert response.status_code == 302
