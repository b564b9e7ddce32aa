"""The live meeting shows the room how many have reached the reading target (issue 12): on the
presenter's view and the audience screen, pushed like every other change, for one query more."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from sessions import live_state
from sessions.models import Meeting, Participant, ReadingProgress, ReadingUnit


def url(name: str, meeting: Meeting) -> str:
    return reverse(f"sessions:{name}", args=[meeting.pk])


@pytest.fixture
def planned(club, guide, host, member) -> Meeting:
    """A live meeting with "Parts 1-2" to read, host and member in the room, the member at part 2."""
    meeting = Meeting.schedule(club=club, guide=guide, by=host, starts_at=timezone.now() + timedelta(hours=1))
    meeting.set_reading_plan(unit=ReadingUnit.PART, target=2)
    meeting.start()
    meeting.participant_for_user(host, Participant.Role.HOST)
    meeting.participant_for_user(member, Participant.Role.MEMBER)
    ReadingProgress.record(meeting, member, 2)
    return Meeting.objects.get(pk=meeting.pk)


def test_the_presenter_view_says_how_many_have_reached_the_target(host_client, planned):
    page = host_client.get(url("present", planned)).content.decode()
    assert '<li class="badge">1 of 2 has reached Parts 1-2</li>' in page


def test_the_audience_screen_says_how_many_have_reached_the_target(host_client, planned):
    page = host_client.get(url("screen", planned)).content.decode()
    assert '<li class="badge">1 of 2 has reached Parts 1-2</li>' in page


def test_the_pushed_regions_carry_the_count(planned):
    state = live_state.render_state(planned.pk)
    assert b"1 of 2 has reached Parts 1-2" in state.events["presenter"]
    assert b"1 of 2 has reached Parts 1-2" in state.events["screen"]


def test_a_member_saving_their_progress_in_the_meeting_is_pushed(member_client, planned, host):
    before = planned.version
    ReadingProgress.record(planned, host, 3)
    assert Meeting.objects.get(pk=planned.pk).version == before + 1
    assert b"2 of 2 have reached Parts 1-2" in live_state.render_state(planned.pk).events["screen"]


def test_guests_and_removed_people_are_not_counted(planned, club):
    planned.add_guest("Kathy")
    latecomer = User.objects.create_user("ruth", "ruth@example.com")
    club.join(latecomer)
    planned.participant_for_user(latecomer, Participant.Role.MEMBER).remove()
    context = live_state.screen_context(live_state.load_meeting(planned.pk))
    assert context["reading"] == "1 of 2 has reached Parts 1-2"


def test_a_meeting_without_a_target_shows_no_count(host_client, live_meeting):
    page = host_client.get(url("present", live_meeting)).content.decode()
    assert "have reached" not in page and "has reached" not in page


def screen_queries(meeting: Meeting) -> int:
    loaded = live_state.load_meeting(meeting.pk)
    with CaptureQueriesContext(connection) as queries:
        live_state.screen_context(loaded)
    return len(queries)


def test_the_count_costs_one_query_and_only_with_a_target(planned, live_meeting, club, guide):
    without = screen_queries(live_meeting)
    assert screen_queries(planned) == without + 1
    for number in range(20):
        reader = User.objects.create_user(f"reader{number}")
        club.join(reader)
        planned.participant_for_user(reader, Participant.Role.MEMBER)
        ReadingProgress.record(planned, reader, number % 4)
    assert screen_queries(planned) == without + 1
