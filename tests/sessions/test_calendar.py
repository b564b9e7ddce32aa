"""The club calendar feed and the meeting's .ics, read back by two independent iCalendar parsers."""

from datetime import timedelta

import icalendar
import pytest
import vobject
from django.urls import reverse
from django.utils import timezone

from sessions.models import CalendarFeed, Club, Meeting


def url(name, *args):
    return reverse(f"sessions:{name}", args=args)


def feed_url(user) -> str:
    return url("calendar_feed", CalendarFeed.of(user).token)


def to_the_second(moment):
    return moment.replace(microsecond=0)


def events(body: bytes) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(body)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


@pytest.fixture
def other_club_meeting(outsider, guide) -> Meeting:
    club = Club.create(name="Elsewhere", host=outsider)
    return Meeting.schedule(club=club, guide=guide, by=outsider, starts_at=timezone.now() + timedelta(days=3))


def test_the_feed_lists_every_meeting_of_the_members_clubs_and_no_other(
    client, member, meeting, club, guide, host, other_club_meeting
):
    second = Meeting.schedule(club=club, guide=guide, by=host, starts_at=timezone.now() + timedelta(days=14))
    response = client.get(feed_url(member))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    found = events(response.content)
    assert sorted(found) == sorted([f"meeting-{meeting.pk}@testserver", f"meeting-{second.pk}@testserver"])
    event = found[f"meeting-{meeting.pk}@testserver"]
    assert event.decoded("DTSTART") == to_the_second(meeting.starts_at)
    assert event.decoded("DTEND") == to_the_second(meeting.starts_at + timedelta(hours=2))
    assert str(event["LOCATION"]) == "The Crown"
    assert str(event["SUMMARY"]) == "Never Let Me Go — Tuesday Readers"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert int(event["SEQUENCE"]) == 0


def test_the_feed_parses_in_a_second_parser(client, member, meeting):
    body = client.get(feed_url(member)).content.decode()
    parsed = vobject.readOne(body)
    event = parsed.vevent
    assert event.uid.value == f"meeting-{meeting.pk}@testserver"
    assert event.dtstart.value == to_the_second(meeting.starts_at)
    assert event.location.value == "The Crown"
    assert event.valarm.trigger.value == -timedelta(hours=2)
    assert event.valarm.action.value == "DISPLAY"


def test_each_event_carries_a_reminder_alarm_two_hours_before(client, member, meeting):
    event = events(client.get(feed_url(member)).content)[f"meeting-{meeting.pk}@testserver"]
    (alarm,) = event.walk("VALARM")
    assert alarm.decoded("TRIGGER") == -timedelta(hours=2)


def test_a_moved_meeting_keeps_its_uid_with_a_higher_sequence(client, member, host_client, meeting):
    uid = f"meeting-{meeting.pk}@testserver"
    before = events(client.get(feed_url(member)).content)[uid]
    later = (meeting.starts_at + timedelta(days=1)).astimezone(meeting.club.tzinfo)
    response = host_client.post(
        url("meeting_edit", meeting.pk),
        {"starts_at": f"{later:%Y-%m-%dT%H:%M}", "place": "The Crown", "answers_visible": "immediately"},
    )
    assert response.status_code == 302
    after = events(client.get(feed_url(member)).content)[uid]
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])
    assert after.decoded("DTSTART") > before.decoded("DTSTART")


def test_the_meeting_ics_and_the_feed_share_the_uid_and_sequence(member_client, client, member, meeting):
    meeting.change_details(
        starts_at=meeting.starts_at,
        place="The Anchor",
        allow_guests=True,
        show_names=True,
        answers_visible="immediately",
    )
    single = events(member_client.get(url("meeting_ics", meeting.pk)).content)
    feed = events(client.get(feed_url(member)).content)
    uid = f"meeting-{meeting.pk}@testserver"
    assert list(single) == [uid]
    assert int(single[uid]["SEQUENCE"]) == int(feed[uid]["SEQUENCE"]) == 1
    assert str(single[uid]["LOCATION"]) == "The Anchor"


def test_changing_only_the_guests_setting_keeps_the_sequence(meeting):
    meeting.change_details(
        starts_at=meeting.starts_at,
        place=meeting.place,
        allow_guests=False,
        show_names=True,
        answers_visible="immediately",
    )
    assert Meeting.objects.get(pk=meeting.pk).calendar_sequence == 0


def test_a_live_meeting_gives_its_join_link(client, member, live_meeting):
    event = events(client.get(feed_url(member)).content)[f"meeting-{live_meeting.pk}@testserver"]
    join = f"http://testserver{url('join_code', live_meeting.join_code)}"
    assert str(event["URL"]) == join
    assert join in str(event["DESCRIPTION"])


def test_resetting_the_token_stops_the_old_url(member_client, client, member, meeting):
    old = feed_url(member)
    assert client.get(old).status_code == 200
    response = member_client.post(url("calendar_reset"))
    assert response.status_code == 302
    assert client.get(old).status_code == 404
    assert client.get(feed_url(member)).status_code == 200


def test_a_made_up_token_is_404(client, db):
    assert client.get(url("calendar_feed", "not-a-real-token")).status_code == 404


def test_the_calendar_page_gives_a_webcal_link(member_client, member):
    page = member_client.get(url("calendar")).content.decode()
    token = CalendarFeed.of(member).token
    assert f'href="webcal://testserver/calendar/{token}.ics"' in page
    assert f'value="http://testserver/calendar/{token}.ics"' in page


@pytest.mark.parametrize("size", [1, 15])
def test_the_feed_makes_a_fixed_number_of_queries(
    client, member, club, guide, host, django_assert_num_queries, size
):
    for days in range(size):
        Meeting.schedule(club=club, guide=guide, by=host, starts_at=timezone.now() + timedelta(days=days + 1))
    path = feed_url(member)
    with django_assert_num_queries(2):  # the feed with its user, the meetings with club and guide
        body = client.get(path).content
    assert len(events(body)) == size


def test_a_cancelled_meeting_stays_in_the_feed_as_cancelled_with_a_higher_sequence(
    client, member, host_client, meeting
):
    uid = f"meeting-{meeting.pk}@testserver"
    before = events(client.get(feed_url(member)).content)[uid]
    response = host_client.post(url("meeting_cancel", meeting.pk))
    assert response.status_code == 302
    after = events(client.get(feed_url(member)).content)[uid]
    assert str(after["STATUS"]) == "CANCELLED"
    assert int(after["SEQUENCE"]) == int(before["SEQUENCE"]) + 1
    assert not after.walk("VALARM")
    parsed = vobject.readOne(client.get(feed_url(member)).content.decode())
    assert parsed.vevent.status.value == "CANCELLED"


def test_a_cancelled_meeting_leaves_the_club_page_and_cannot_start(member_client, host_client, meeting, club):
    host_client.post(url("meeting_cancel", meeting.pk))
    club_page = member_client.get(url("club", club.slug)).content.decode()
    assert f'href="{url("meeting", meeting.pk)}"' not in club_page
    page = member_client.get(url("meeting", meeting.pk)).content.decode()
    assert "This meeting is cancelled." in page
    assert "Post answer" not in page
    host_client.post(url("start", meeting.pk))
    assert Meeting.objects.get(pk=meeting.pk).state == "scheduled"


def test_only_a_meeting_that_has_not_started_can_be_cancelled(host_client, live_meeting):
    response = host_client.post(url("meeting_cancel", live_meeting.pk), follow=True)
    assert "Only a meeting that has not started can be cancelled." in response.content.decode()
    assert Meeting.objects.get(pk=live_meeting.pk).cancelled_at is None
