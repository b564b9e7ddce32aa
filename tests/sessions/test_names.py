"""Look-alike display names: normalised, invisible and bidi characters refused, confusables compared by
skeleton, and club members' names reserved against guests."""

# This module is about look-alike characters: its strings hold them on purpose.
# ruff: noqa: RUF001, RUF003

from __future__ import annotations

import pytest
from django.urls import reverse

from sessions.models import JoinRefused, Participant
from sessions.names import NameRefused, clean_display_name, skeleton

pytestmark = pytest.mark.django_db


def join_as_guest(client, meeting, name: str):
    return client.post(reverse("sessions:join_code", args=[meeting.join_code]), {"display_name": name})


@pytest.mark.parametrize(
    "name",
    [
        "da\u200bve",  # zero-width space
        "dave\u202e",  # right-to-left override
        "\u2066dave\u2069",  # left-to-right isolate
        "da\u00adve",  # soft hyphen
        "dave\x07",  # a control character
        "dave\ue000",  # private use
    ],
)
def test_invisible_and_direction_characters_are_refused(name):
    with pytest.raises(NameRefused, match="invisible or text-direction characters"):
        clean_display_name(name, 40)


def test_names_are_nfkc_normalised():
    assert clean_display_name("ｄａｖｅ", 40) == "dave"
    assert clean_display_name("Ｋａｔｈｙ  Ｈ", 40) == "Kathy H"


def test_stacked_accents_are_refused():
    with pytest.raises(NameRefused, match="accents"):
        clean_display_name("d" + "\u0301" * 6 + "ave", 40)


def test_accented_and_non_latin_names_are_welcome():
    for name in ("José", "Zoë", "Дмитрий", "李小龙", "Ólafur Arnalds"):
        assert clean_display_name(name, 40) == name


@pytest.mark.parametrize("look_alike", ["dаve", "DAVE", "ｄａｖｅ", "dave"])
def test_look_alikes_share_a_skeleton(look_alike):
    assert skeleton(look_alike) == skeleton("dave")


def test_different_names_have_different_skeletons():
    assert skeleton("dave") != skeleton("dove")
    assert skeleton("José") != skeleton("Jose")


def test_a_guest_cannot_take_a_cyrillic_look_alike_of_a_guests_name(live_meeting):
    live_meeting.add_guest("Kathy")
    with pytest.raises(JoinRefused, match="already called"):
        live_meeting.add_guest("Kаthy")  # Cyrillic а
    assert live_meeting.participants.count() == 1


def test_a_guest_cannot_take_a_members_name_before_the_member_joins(client, live_meeting, member):
    response = join_as_guest(client, live_meeting, member.username.upper())
    assert response.status_code == 422
    assert "is the name of a member of this club" in response.content.decode()
    assert not Participant.objects.filter(meeting=live_meeting, role=Participant.Role.GUEST).exists()


def test_a_guest_cannot_take_a_members_full_name(live_meeting, member):
    member.first_name, member.last_name = "Dave", "Jones"
    member.save()
    with pytest.raises(JoinRefused, match="member of this club"):
        live_meeting.add_guest("dave jоnes")  # Cyrillic о


def test_the_member_keeps_their_name_when_they_arrive(live_meeting, member):
    live_meeting.add_guest("Someone")
    participant = live_meeting.participant_for_user(member, Participant.Role.MEMBER)
    assert participant.display_name == member.username


def test_a_member_never_gets_a_name_confusable_with_someone_already_in(live_meeting, member):
    # A guest who took the look-alike before names were reserved (or before this member joined the club).
    Participant.objects.create(
        meeting=live_meeting, display_name=member.username.replace("o", "о"), role=Participant.Role.GUEST
    )
    participant = live_meeting.participant_for_user(member, Participant.Role.MEMBER)
    assert participant.display_name == f"{member.username} (2)"


def test_a_refused_name_comes_back_in_the_form(client, live_meeting):
    response = join_as_guest(client, live_meeting, "Ruth\u202e")
    assert response.status_code == 422
    page = response.content.decode()
    assert "invisible or text-direction characters" in page
    assert 'value="Ruth\u202e"' in page
