"""People in every role around one club and its meeting, built through the app's own model methods.

- hana: the club's host
- milo: a member
- olive: logged in, outside the club (an outsider)
- edith: staff, outside the club
- a guest: anonymous, joined the meeting by its code (fixture `guest_client`)
"""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from guides.models import Guide, Question
from sessions.models import Club, Meeting, Participant


@pytest.fixture
def host(db) -> User:
    return User.objects.create_user("hana", "hana@example.com", "hana-password")


@pytest.fixture
def member(db) -> User:
    return User.objects.create_user("milo", "milo@example.com", "milo-password")


@pytest.fixture
def outsider(db) -> User:
    return User.objects.create_user("olive", "olive@example.com", "olive-password")


@pytest.fixture
def staff(db) -> User:
    return User.objects.create_user(
        "edith", "edith@example.com", "edith-password", is_staff=True, is_superuser=True
    )


@pytest.fixture
def guide(db) -> Guide:
    guide = Guide.objects.create(
        title="Never Let Me Go", author="Kazuo Ishiguro", status=Guide.Status.PUBLISHED, summary="Clones."
    )
    for position, text in enumerate(
        ["What did you think of Hailsham?", "Was Kathy a reliable narrator?", "How did the ending feel?"],
        start=1,
    ):
        Question.objects.create(guide=guide, position=position, text=text)
    return guide


@pytest.fixture
def club(host, member) -> Club:
    club = Club.create(name="Tuesday Readers", description="We read on Tuesdays.", host=host)
    club.join(member)
    return club


@pytest.fixture
def meeting(club, guide, host) -> Meeting:
    return Meeting.schedule(
        club=club, guide=guide, by=host, starts_at=timezone.now() + timedelta(days=7), place="The Crown"
    )


@pytest.fixture
def live_meeting(meeting) -> Meeting:
    meeting.start()
    return meeting


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def host_client(host) -> Client:
    return client_for(host)


@pytest.fixture
def member_client(member) -> Client:
    return client_for(member)


@pytest.fixture
def outsider_client(outsider) -> Client:
    return client_for(outsider)


@pytest.fixture
def staff_client(staff) -> Client:
    return client_for(staff)


@pytest.fixture
def guest_client(live_meeting) -> Client:
    """An anonymous browser that joined the live meeting as the guest "Kathy" through the join page."""
    client = Client()
    response = client.post(
        reverse("sessions:join_code", args=[live_meeting.join_code]), {"display_name": "Kathy"}
    )
    assert response.status_code == 302, response
    assert Participant.objects.filter(meeting=live_meeting, display_name="Kathy").exists()
    return client
