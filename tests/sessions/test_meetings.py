"""Scheduling and preparing meetings: the new/edit forms, the meeting page, RSVPs, the calendar file and
the hosts' question list."""

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from guides.models import Guide
from sessions.access import remember_guest
from sessions.models import Meeting, MeetingQuestion, Participant, Rsvp

HTMX = {"HTTP_HX_REQUEST": "true"}
LOGIN = "/accounts/login/"


def url(name: str, *args) -> str:
    return reverse(f"sessions:{name}", args=args)


def question_texts(meeting: Meeting) -> list[str]:
    return list(meeting.questions.order_by("position", "id").values_list("text", flat=True))


def version_of(meeting: Meeting) -> int:
    return Meeting.objects.values_list("version", flat=True).get(pk=meeting.pk)


@pytest.fixture
def guest_seat_client(meeting) -> Client:
    """An anonymous browser whose session holds a guest seat in the meeting, as the join page leaves it."""
    participant = meeting.add_guest("Kathy")
    client = Client()
    request = RequestFactory().get("/")
    request.session = client.session
    remember_guest(request, participant)
    request.session.save()
    return client


@pytest.fixture
def ended_meeting(meeting) -> Meeting:
    meeting.start()
    meeting.end()
    return meeting


def future_local(days: int = 30) -> str:
    return (timezone.now() + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def create_data(guide: Guide, **overrides) -> dict:
    data = {
        "guide": guide.pk,
        "starts_at": future_local(),
        "place": "The Crown, back room",
        "allow_guests": "on",
        "show_names": "on",
        "answers_visible": "immediately",
    }
    data.update(overrides)
    return data


def edit_data(meeting: Meeting, **overrides) -> dict:
    local = timezone.localtime(meeting.starts_at, meeting.club.tzinfo)
    data = {
        "starts_at": local.strftime("%Y-%m-%dT%H:%M"),
        "place": meeting.place,
        "allow_guests": "on",
        "show_names": "on",
        "answers_visible": meeting.answers_visible,
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


# ---------- New meeting ----------


def test_a_host_sees_the_new_meeting_form(host_client, club, guide):
    Guide.objects.create(title="Secret Draft", author="Nobody", status=Guide.Status.DRAFT)
    club.time_zone = "Europe/Lisbon"
    club.save()
    response = host_client.get(url("meeting_create", club.slug))
    assert response.status_code == 200
    assert b"<h1>New meeting</h1>" in response.content
    assert b'type="datetime-local"' in response.content
    assert b"Europe/Lisbon" in response.content
    assert f'<option value="{guide.pk}">Never Let Me Go</option>'.encode() in response.content
    assert b"Secret Draft" not in response.content
    for label in ["Guide", "Date and time", "Place or video link", "Allow guests", "Show names"]:
        assert (
            f">{label}</label>".encode() in response.content or f">{label} <span".encode() in response.content
        )
    assert b"Immediately" in response.content
    assert b"After the host reveals them" in response.content
    assert b"anonymous to everyone but the host" in response.content
    assert b"Schedule meeting</button>" in response.content
    # Both switches start on.
    assert re.search(rb'<input type="checkbox" name="allow_guests"[^>]*checked', response.content)
    assert re.search(rb'<input type="checkbox" name="show_names"[^>]*checked', response.content)


def test_scheduling_reads_the_date_in_the_clubs_time_zone(host_client, club, guide, host):
    club.time_zone = "America/New_York"
    club.save()
    year = timezone.now().year + 2
    response = host_client.post(
        url("meeting_create", club.slug),
        create_data(guide, starts_at=f"{year}-07-01T19:30", answers_visible="after_reveal"),
    )
    meeting = Meeting.objects.get(club=club)
    assert response.status_code == 302
    assert response.url == url("meeting", meeting.pk)
    # 19:30 in New York in summer (UTC-4) is 23:30 UTC.
    assert meeting.starts_at == datetime(year, 7, 1, 23, 30, tzinfo=UTC)
    assert meeting.guide == guide
    assert meeting.created_by == host
    assert meeting.place == "The Crown, back room"
    assert meeting.answers_visible == Meeting.AnswersVisible.AFTER_REVEAL
    assert question_texts(meeting) == [q.text for q in guide.questions.order_by("position")]
    page = host_client.get(response.url)
    assert b"Meeting scheduled." in page.content
    assert b"Wednesday 1 July" in page.content or b"1 July" in page.content
    assert b"19:30" in page.content


def test_unticked_switches_schedule_a_members_only_anonymous_meeting(host_client, club, guide):
    data = create_data(guide)
    del data["allow_guests"], data["show_names"]
    host_client.post(url("meeting_create", club.slug), data)
    meeting = Meeting.objects.get(club=club)
    assert meeting.allow_guests is False
    assert meeting.show_names is False


def test_a_date_in_the_past_is_refused_and_the_typed_values_are_kept(host_client, club, guide):
    past = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = host_client.post(
        url("meeting_create", club.slug), create_data(guide, starts_at=past, place="Library; room 4")
    )
    assert response.status_code == 200
    assert b"Pick a date and time in the future." in response.content
    assert f'value="{past}"'.encode() in response.content
    assert b'value="Library; room 4"' in response.content
    assert f'<option value="{guide.pk}" selected>'.encode() in response.content
    assert not Meeting.objects.exists()


@pytest.mark.parametrize("starts_at", ["", "next tuesday", "2031-13-45T99:99"])
def test_a_missing_or_garbled_date_is_refused(host_client, club, guide, starts_at):
    response = host_client.post(url("meeting_create", club.slug), create_data(guide, starts_at=starts_at))
    assert response.status_code == 200
    assert b'class="field__error"' in response.content
    assert not Meeting.objects.exists()


def test_a_time_that_does_not_exist_in_the_clubs_zone_is_refused(host_client, club, guide):
    club.time_zone = "Europe/London"
    club.save()
    year = timezone.now().year + 2
    # Clocks go from 01:00 to 02:00 on the last Sunday of March.
    last_sunday = max(
        datetime(year, 3, day) for day in range(25, 32) if datetime(year, 3, day).weekday() == 6
    )
    response = host_client.post(
        url("meeting_create", club.slug), create_data(guide, starts_at=f"{last_sunday:%Y-%m-%d}T01:30")
    )
    assert response.status_code == 200
    assert b"may not exist" in response.content
    assert not Meeting.objects.exists()


def test_a_draft_guide_cannot_be_chosen(host_client, club):
    draft = Guide.objects.create(title="Secret Draft", author="Nobody", status=Guide.Status.DRAFT)
    response = host_client.post(url("meeting_create", club.slug), create_data(draft))
    assert response.status_code == 200
    assert not Meeting.objects.exists()


def test_only_hosts_schedule_meetings(client, member_client, outsider_client, staff_client, club, guide):
    target = url("meeting_create", club.slug)
    anonymous = client.get(target)
    assert anonymous.status_code == 302
    assert anonymous.url.startswith(LOGIN)
    assert outsider_client.get(target).status_code == 404
    assert staff_client.get(target).status_code == 404
    assert member_client.get(target).status_code == 403
    assert member_client.post(target, create_data(guide)).status_code == 403
    assert outsider_client.post(target, create_data(guide)).status_code == 404
    assert not Meeting.objects.exists()


# ---------- The meeting page ----------


def test_a_member_sees_the_meeting(member_client, meeting, club):
    club.time_zone = "Asia/Tokyo"
    club.save()
    response = member_client.get(url("meeting", meeting.pk))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Never Let Me Go" in content
    assert "by Kazuo Ishiguro" in content
    assert f'href="{reverse("guides:detail", args=[meeting.guide.slug])}"' in content
    local = timezone.localtime(meeting.starts_at, club.tzinfo)
    assert f"{local:%H:%M}" in content
    assert "Asia/Tokyo" in content
    assert "The Crown" in content
    assert 'href="The Crown"' not in content
    assert "Scheduled" in content
    for choice in ["Going", "Maybe", "Not going"]:
        assert f">{choice}</button>" in content
    assert f'href="{url("meeting_ics", meeting.pk)}"' in content
    assert "Add to calendar (.ics)" in content
    # Host controls stay with hosts.
    assert "Start meeting" not in content
    assert "Edit meeting" not in content
    assert "Move up" not in content
    assert "Add a question" not in content


def test_a_video_link_is_clickable_and_other_places_are_not(member_client, meeting):
    meeting.place = "https://meet.example.com/abc-defg"
    meeting.save()
    response = member_client.get(url("meeting", meeting.pk))
    assert b'<a href="https://meet.example.com/abc-defg"' in response.content
    meeting.place = "javascript:alert(1)"
    meeting.save()
    response = member_client.get(url("meeting", meeting.pk))
    assert b'href="javascript' not in response.content
    assert b"javascript:alert(1)" in response.content


def test_a_host_sees_the_start_button_and_the_edit_link(host_client, meeting):
    response = host_client.get(url("meeting", meeting.pk))
    content = response.content.decode()
    assert f'action="{url("start", meeting.pk)}"' in content
    assert "Start meeting</button>" in content
    assert f'href="{url("meeting_edit", meeting.pk)}"' in content
    assert "Open presenter view" not in content


def test_while_live_hosts_get_the_presenter_view_and_members_the_meeting(
    host_client, member_client, live_meeting
):
    host_page = host_client.get(url("meeting", live_meeting.pk)).content.decode()
    assert "Live" in host_page
    assert f'href="{url("present", live_meeting.pk)}"' in host_page
    assert "Start meeting" not in host_page
    member_page = member_client.get(url("meeting", live_meeting.pk)).content.decode()
    assert f'href="{url("live", live_meeting.pk)}"' in member_page
    assert "Join the meeting" in member_page
    assert "Open presenter view" not in member_page
    # Answering ahead ends when the meeting starts.
    assert "Post answer" not in member_page


def test_an_ended_meeting_links_to_its_recap_only(host_client, member_client, ended_meeting):
    for client in (host_client, member_client):
        content = client.get(url("meeting", ended_meeting.pk)).content.decode()
        assert "Ended" in content
        assert f'href="{url("recap", ended_meeting.pk)}"' in content
        assert "View recap" in content
        assert "Edit meeting" not in content
        assert "Start meeting" not in content
        assert "Post answer" not in content
        assert "Move up" not in content


def test_members_can_answer_ahead_of_the_meeting(member_client, meeting):
    response = member_client.get(url("meeting", meeting.pk))
    content = response.content.decode()
    questions = list(meeting.questions.all())
    assert content.count("Post answer</button>") == len(questions)
    assert content.count(f'action="{url("answer_post", meeting.pk)}"') == len(questions)
    for question in questions:
        assert f'name="question" value="{question.pk}"' in content
        assert f'<label for="answer-{question.pk}">Your answer</label>' in content
        assert f'<textarea id="answer-{question.pk}" name="text"' in content
    assert content.count(f'name="next" value="{url("meeting", meeting.pk)}"') >= len(questions)
    tokens = re.findall(r'name="client_token" value="([0-9a-f-]+)"', content)
    assert len(tokens) == len(questions)
    assert len(set(tokens)) == len(tokens)
    for token in tokens:
        uuid.UUID(token)
    # A fresh token on every view of the page.
    again = member_client.get(url("meeting", meeting.pk)).content.decode()
    assert not set(tokens) & set(re.findall(r'name="client_token" value="([0-9a-f-]+)"', again))


def test_members_see_their_own_prepared_answers_only(member_client, meeting, member, host):
    first, second, _ = meeting.questions.all()
    mine = meeting.participant_for_user(member, Participant.Role.MEMBER)
    mine.post_answer(first, "Hailsham felt like a <b>boarding school</b>.", uuid.uuid4())
    theirs = meeting.participant_for_user(host, Participant.Role.HOST)
    theirs.post_answer(first, "The host's own thought.", uuid.uuid4())
    theirs.post_answer(second, "Another host thought.", uuid.uuid4())
    content = member_client.get(url("meeting", meeting.pk)).content.decode()
    assert "Hailsham felt like a &lt;b&gt;boarding school&lt;/b&gt;." in content
    assert content.count("Your answers so far") == 1
    assert "host's own thought" not in content
    assert "Another host thought" not in content


def test_members_do_not_see_skipped_questions_but_hosts_do(host_client, member_client, meeting):
    skipped = meeting.questions.get(text="Was Kathy a reliable narrator?")
    skipped.set_skipped(True)
    member_page = member_client.get(url("meeting", meeting.pk)).content.decode()
    assert "Was Kathy a reliable narrator?" not in member_page
    assert "Question 2" in member_page  # the third question is now the second
    host_page = host_client.get(url("meeting", meeting.pk)).content.decode()
    assert "<del>Was Kathy a reliable narrator?</del>" in host_page
    assert "Skipped</span>" in host_page
    assert "Unskip</button>" in host_page


def test_the_rsvp_shows_counts_names_and_my_choice(member_client, meeting, member, host, club):
    milo_full = User.objects.get(pk=member.pk)
    milo_full.first_name, milo_full.last_name = "Milo", "Reyes"
    milo_full.save()
    meeting.set_rsvp(member, Rsvp.Response.GOING)
    meeting.set_rsvp(host, Rsvp.Response.MAYBE)
    content = member_client.get(url("meeting", meeting.pk)).content.decode()
    assert "Going: 1" in content
    assert "Maybe: 1" in content
    assert "Not going: 0" in content
    assert "<li>Milo Reyes</li>" in content
    assert "<li>hana</li>" not in content
    assert re.search(r'value="going"\s+class="button"\s+aria-pressed="true"', content)
    assert re.search(r'value="maybe"\s+class="button button--secondary"\s+aria-pressed="false"', content)
    assert "Your answer: <strong>Going</strong>" in content


def test_the_meeting_page_is_for_club_members(
    client, outsider_client, staff_client, guest_seat_client, host_client, meeting
):
    target = url("meeting", meeting.pk)
    anonymous = client.get(target)
    assert anonymous.status_code == 302
    assert anonymous.url.startswith(LOGIN)
    assert outsider_client.get(target).status_code == 404
    assert staff_client.get(target).status_code == 404
    assert guest_seat_client.get(target).status_code == 404
    assert host_client.get(target).status_code == 200
    assert host_client.get(url("meeting", meeting.pk + 1000)).status_code == 404
    assert host_client.post(target).status_code == 405


# ---------- Query counts ----------


def grow(meeting: Meeting, questions: int, members: int) -> None:
    """Give the meeting `questions` questions and the club `members` members, each with an RSVP and
    a prepared answer."""
    existing = meeting.questions.count()
    MeetingQuestion.objects.bulk_create(
        MeetingQuestion(meeting=meeting, text=f"Extra question {n}?", position=existing + n)
        for n in range(1, questions - existing + 1)
    )
    first = meeting.questions.first()
    for user in User.objects.filter(memberships__club=meeting.club):
        meeting.set_rsvp(user, Rsvp.Response.GOING)
    for n in range(members - meeting.club.memberships.count()):
        user = User.objects.create_user(f"reader{n}")
        meeting.club.join(user)
        meeting.set_rsvp(user, Rsvp.Response.MAYBE if n % 2 else Rsvp.Response.GOING)
        participant = meeting.participant_for_user(user, Participant.Role.MEMBER)
        participant.post_answer(first, f"Answer {n}", uuid.uuid4())
    for user in User.objects.filter(memberships__club=meeting.club):
        participant = meeting.participant_for_user(user, Participant.Role.MEMBER)
        participant.post_answer(first, f"Prepared by {user.username}", uuid.uuid4())


@pytest.mark.parametrize("size", [(3, 2), (60, 40)], ids=["small", "large"])
@pytest.mark.parametrize("viewer", ["host_client", "member_client"])
def test_the_meeting_page_makes_a_fixed_number_of_queries(
    request, django_assert_num_queries, meeting, viewer, size
):
    questions, members = size
    grow(meeting, questions, members)
    client = request.getfixturevalue(viewer)
    # session, user, meeting, membership, RSVPs, questions, the viewer's prepared answers, and the
    # reading plan's two: the viewer's progress, how many reached the target among how many members
    with django_assert_num_queries(9):
        response = client.get(url("meeting", meeting.pk))
    assert response.status_code == 200
    assert response.content.decode().count("Post answer</button>") == questions


# ---------- Editing a meeting ----------


def test_a_host_sees_the_edit_form_in_the_clubs_time_zone(host_client, meeting, club):
    club.time_zone = "Australia/Sydney"
    club.save()
    response = host_client.get(url("meeting_edit", meeting.pk))
    assert response.status_code == 200
    local = timezone.localtime(meeting.starts_at, club.tzinfo)
    assert f'value="{local:%Y-%m-%dT%H:%M}"'.encode() in response.content
    assert b"Australia/Sydney" in response.content
    assert b'name="guide"' not in response.content
    assert b'value="The Crown"' in response.content


def test_a_host_changes_the_meetings_details(host_client, meeting):
    before = version_of(meeting)
    year = timezone.now().year + 1
    response = host_client.post(
        url("meeting_edit", meeting.pk),
        edit_data(
            meeting,
            starts_at=f"{year}-11-03T18:00",
            place="https://video.example.org/room",
            show_names=None,
            answers_visible="after_reveal",
        ),
    )
    assert response.status_code == 302
    assert response.url == url("meeting", meeting.pk)
    meeting.refresh_from_db()
    assert meeting.starts_at == datetime(year, 11, 3, 18, 0, tzinfo=UTC)
    assert meeting.place == "https://video.example.org/room"
    assert meeting.show_names is False
    assert meeting.allow_guests is True
    assert meeting.answers_visible == "after_reveal"
    assert version_of(meeting) > before


def test_editing_a_meeting_into_the_past_is_refused(host_client, meeting):
    past = (timezone.now() - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    response = host_client.post(
        url("meeting_edit", meeting.pk), edit_data(meeting, starts_at=past, place="Somewhere new")
    )
    assert response.status_code == 200
    assert b"Pick a date and time in the future." in response.content
    assert b'value="Somewhere new"' in response.content
    meeting.refresh_from_db()
    assert meeting.place == "The Crown"


def test_a_live_meeting_that_started_in_the_past_can_still_change_its_place(host_client, live_meeting):
    Meeting.objects.filter(pk=live_meeting.pk).update(starts_at=timezone.now() - timedelta(minutes=20))
    live_meeting.refresh_from_db()
    current = live_meeting.current_question_id
    response = host_client.post(
        url("meeting_edit", live_meeting.pk), edit_data(live_meeting, place="Upstairs")
    )
    assert response.status_code == 302
    live_meeting.refresh_from_db()
    assert live_meeting.place == "Upstairs"
    assert live_meeting.is_live
    assert live_meeting.current_question_id == current


def test_an_ended_meeting_cannot_be_edited(host_client, ended_meeting):
    response = host_client.get(url("meeting_edit", ended_meeting.pk), follow=True)
    assert b"This meeting has ended, so it can no longer be edited." in response.content
    response = host_client.post(url("meeting_edit", ended_meeting.pk), edit_data(ended_meeting, place="X"))
    assert response.status_code == 302
    ended_meeting.refresh_from_db()
    assert ended_meeting.place == "The Crown"


def test_only_hosts_edit_meetings(
    client, member_client, outsider_client, staff_client, guest_seat_client, meeting
):
    target = url("meeting_edit", meeting.pk)
    anonymous = client.get(target)
    assert anonymous.status_code == 302
    assert anonymous.url.startswith(LOGIN)
    assert outsider_client.get(target).status_code == 404
    assert staff_client.get(target).status_code == 404
    assert guest_seat_client.get(target).status_code == 404
    assert member_client.get(target).status_code == 403
    assert member_client.post(target, edit_data(meeting, place="Mine now")).status_code == 403
    meeting.refresh_from_db()
    assert meeting.place == "The Crown"


# ---------- RSVP ----------


def test_a_member_rsvps_and_can_change_their_mind(member_client, meeting, member):
    response = member_client.post(url("rsvp", meeting.pk), {"response": "going"})
    assert response.status_code == 302
    assert response.url == url("meeting", meeting.pk)
    assert Rsvp.objects.get(meeting=meeting, user=member).response == "going"
    member_client.post(url("rsvp", meeting.pk), {"response": "not_going"})
    assert list(Rsvp.objects.filter(meeting=meeting).values_list("response", flat=True)) == ["not_going"]
    page = member_client.get(url("meeting", meeting.pk))
    assert b"Your RSVP is saved: Not going." in page.content


def test_an_htmx_rsvp_swaps_the_rsvp_section(member_client, meeting, member):
    response = member_client.post(url("rsvp", meeting.pk), {"response": "maybe"}, **HTMX)
    assert response.status_code == 200
    content = response.content.decode()
    assert "<html" not in content
    assert 'id="rsvp"' in content
    assert "Maybe: 1" in content
    assert "Your answer: <strong>Maybe</strong>" in content
    assert Rsvp.objects.get(meeting=meeting, user=member).response == "maybe"
    assert "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
@pytest.mark.parametrize("value", ["", "yes", "GOING", "going "])
def test_an_unknown_rsvp_is_refused(member_client, meeting, headers, value):
    response = member_client.post(url("rsvp", meeting.pk), {"response": value}, **headers)
    assert response.status_code == 400
    assert b"Choose Going, Maybe or Not going." in response.content
    assert not Rsvp.objects.exists()


def test_an_ended_meeting_takes_no_rsvps(member_client, ended_meeting):
    response = member_client.post(url("rsvp", ended_meeting.pk), {"response": "going"})
    assert response.status_code == 400
    assert b"This meeting has ended." in response.content
    assert not Rsvp.objects.exists()


def test_rsvps_are_for_club_members(
    client, outsider_client, staff_client, guest_seat_client, host_client, meeting, host
):
    target = url("rsvp", meeting.pk)
    anonymous = client.post(target, {"response": "going"})
    assert anonymous.status_code == 302
    assert anonymous.url.startswith(LOGIN)
    assert outsider_client.post(target, {"response": "going"}).status_code == 404
    assert staff_client.post(target, {"response": "going"}).status_code == 404
    assert guest_seat_client.post(target, {"response": "going"}).status_code == 404
    assert host_client.get(target).status_code == 405
    assert host_client.post(target, {"response": "going"}).status_code == 302
    assert list(Rsvp.objects.values_list("user", flat=True)) == [host.pk]


# ---------- Calendar file ----------


def unfold(body: str) -> list[str]:
    return body.replace("\r\n ", "").split("\r\n")


def first_fields(lines) -> dict[str, str]:
    """Each property's first value: the event's own, not its alarm's (which has a DESCRIPTION too)."""
    fields: dict[str, str] = {}
    for line in lines:
        name, value = line.split(":", 1)
        fields.setdefault(name, value)
    return fields


def test_the_calendar_file_describes_the_meeting(member_client, meeting):
    response = member_client.get(url("meeting_ics", meeting.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert ".ics" in response["Content-Disposition"]
    body = response.content.decode()
    assert body.endswith("\r\n")
    assert "\n" not in body.replace("\r\n", "")
    lines = unfold(body)[:-1]
    assert lines[0] == "BEGIN:VCALENDAR"
    assert lines[-1] == "END:VCALENDAR"
    assert "VERSION:2.0" in lines
    assert any(line.startswith("PRODID:") for line in lines)
    assert lines.count("BEGIN:VEVENT") == 1
    assert lines.count("END:VEVENT") == 1
    fields = first_fields(lines)
    start = meeting.starts_at.astimezone(UTC)
    assert fields["DTSTART"] == f"{start:%Y%m%dT%H%M%S}Z"
    assert fields["DTEND"] == f"{start + timedelta(hours=2):%Y%m%dT%H%M%S}Z"
    assert re.fullmatch(r"\d{8}T\d{6}Z", fields["DTSTAMP"])
    assert fields["SUMMARY"] == "Never Let Me Go — Tuesday Readers"
    assert fields["LOCATION"] == "The Crown"
    assert fields["URL"] == f"http://testserver{url('meeting', meeting.pk)}"
    assert "Kazuo Ishiguro" in fields["DESCRIPTION"]
    again = unfold(member_client.get(url("meeting_ics", meeting.pk)).content.decode())
    assert [line for line in again if line.startswith("UID:")] == [f"UID:{fields['UID']}"]


def test_the_calendar_file_escapes_text_and_folds_long_lines(member_client, meeting, club, guide):
    club.name = 'Readers, Inc; the "best"\\worst club\r\nsecond line'
    club.save()
    guide.title = "Ça, c'est la vie; " + "é" * 80
    guide.save()
    meeting.place = "Room 1, Floor 2; back\\door\nthen left"
    meeting.save()
    body = member_client.get(url("meeting_ics", meeting.pk)).content
    for physical in body.split(b"\r\n"):
        assert len(physical) <= 75
        physical.decode()  # folding never splits a UTF-8 character
    lines = unfold(body.decode())
    fields = first_fields(line for line in lines if ":" in line)
    assert fields["LOCATION"] == "Room 1\\, Floor 2\\; back\\\\door\\nthen left"
    assert fields["SUMMARY"] == (
        "Ça\\, c'est la vie\\; " + "é" * 80 + ' — Readers\\, Inc\\; the "best"\\\\worst club\\nsecond line'
    )
    assert "Readers\\, Inc\\; the" in fields["DESCRIPTION"]
    assert "\\n" in fields["DESCRIPTION"]


def test_the_calendar_file_is_for_club_members(
    client, outsider_client, staff_client, guest_seat_client, host_client, meeting
):
    target = url("meeting_ics", meeting.pk)
    anonymous = client.get(target)
    assert anonymous.status_code == 302
    assert anonymous.url.startswith(LOGIN)
    assert outsider_client.get(target).status_code == 404
    assert staff_client.get(target).status_code == 404
    assert guest_seat_client.get(target).status_code == 404
    assert host_client.get(target).status_code == 200


# ---------- Questions: reorder, skip, reword, add ----------


def test_a_host_moves_a_question_down_without_javascript(host_client, meeting):
    first = meeting.questions.get(text="What did you think of Hailsham?")
    before = version_of(meeting)
    response = host_client.post(
        url("question_move", meeting.pk, first.pk), {"direction": "down", "next": url("meeting", meeting.pk)}
    )
    assert response.status_code == 302
    assert response.url == f"{url('meeting', meeting.pk)}#question-{first.pk}-down"
    assert question_texts(meeting) == [
        "Was Kathy a reliable narrator?",
        "What did you think of Hailsham?",
        "How did the ending feel?",
    ]
    assert list(meeting.questions.values_list("position", flat=True)) == [1, 2, 3]
    assert version_of(meeting) > before


def test_an_htmx_move_swaps_the_question_list(host_client, meeting):
    last = meeting.questions.get(text="How did the ending feel?")
    response = host_client.post(url("question_move", meeting.pk, last.pk), {"direction": "up"}, **HTMX)
    assert response.status_code == 200
    content = response.content.decode()
    assert "<html" not in content
    assert 'id="meeting-questions"' in content
    assert "Question moved up." in content
    assert content.index("How did the ending feel?") < content.index("Was Kathy a reliable narrator?")
    assert question_texts(meeting)[1] == "How did the ending feel?"
    assert "HX-Request" in response.headers["Vary"]


def test_moving_past_either_end_changes_nothing(host_client, meeting):
    first, _, last = meeting.questions.all()
    host_client.post(url("question_move", meeting.pk, first.pk), {"direction": "up"})
    host_client.post(url("question_move", meeting.pk, last.pk), {"direction": "down"})
    assert question_texts(meeting)[0] == "What did you think of Hailsham?"
    assert question_texts(meeting)[-1] == "How did the ending feel?"


@pytest.mark.parametrize("direction", ["", "sideways", "UP"])
def test_an_unknown_direction_is_refused(host_client, meeting, direction):
    first = meeting.questions.first()
    response = host_client.post(url("question_move", meeting.pk, first.pk), {"direction": direction})
    assert response.status_code == 400
    assert question_texts(meeting)[0] == "What did you think of Hailsham?"


def test_the_list_shows_move_buttons_only_where_a_question_can_move(host_client, meeting):
    content = host_client.get(url("meeting", meeting.pk)).content.decode()
    assert content.count("Move up</button>") == 2
    assert content.count("Move down</button>") == 2


def test_a_host_skips_and_brings_back_a_question(host_client, meeting):
    question = meeting.questions.get(text="Was Kathy a reliable narrator?")
    response = host_client.post(url("question_skip", meeting.pk, question.pk))
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.skipped
    assert [q.text for q in meeting.active_questions()] == [
        "What did you think of Hailsham?",
        "How did the ending feel?",
    ]
    host_client.post(url("question_skip", meeting.pk, question.pk))
    question.refresh_from_db()
    assert not question.skipped


def test_a_skip_that_says_what_it_wants_is_not_undone_by_a_double_click(host_client, meeting):
    question = meeting.questions.first()
    for _ in range(2):
        response = host_client.post(
            url("question_skip", meeting.pk, question.pk), {"skipped": "true"}, **HTMX
        )
        assert response.status_code == 200
    question.refresh_from_db()
    assert question.skipped
    assert "Skipped</span>" in response.content.decode()


def test_the_question_on_screen_cannot_be_skipped(host_client, live_meeting):
    current = live_meeting.current_question
    response = host_client.post(
        url("question_skip", live_meeting.pk, current.pk), {"skipped": "true"}, **HTMX
    )
    assert response.status_code == 422
    assert "This question is on screen now." in response.content.decode()
    current.refresh_from_db()
    assert not current.skipped
    plain = host_client.post(
        url("question_skip", live_meeting.pk, current.pk), {"skipped": "true"}, follow=True
    )
    assert b"This question is on screen now." in plain.content


def test_a_host_rewords_a_question(host_client, meeting):
    question = meeting.questions.first()
    response = host_client.post(
        url("question_edit", meeting.pk, question.pk), {"text": "  What was Hailsham really for?  "}
    )
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.text == "What was Hailsham really for?"
    # The guide's own question is untouched.
    assert question.source.text == "What did you think of Hailsham?"


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
@pytest.mark.parametrize(
    ("text", "message"),
    [("   ", "Write the question before saving it."), ("x" * 1001, "at most 1000 characters")],
    ids=["empty", "too-long"],
)
def test_a_bad_wording_is_refused_and_the_text_kept(host_client, meeting, headers, text, message):
    question = meeting.questions.first()
    response = host_client.post(url("question_edit", meeting.pk, question.pk), {"text": text}, **headers)
    assert response.status_code == (422 if headers else 200)
    content = response.content.decode()
    assert message in content
    assert f">{text}</textarea>" in content
    assert f'id="question-wording-{question.pk}-error"' in content
    question.refresh_from_db()
    assert question.text == "What did you think of Hailsham?"


def test_rewording_or_moving_the_question_on_screen_keeps_it_on_screen(host_client, live_meeting):
    current = live_meeting.current_question
    control = live_meeting.control_version
    host_client.post(
        url("question_edit", live_meeting.pk, current.pk), {"text": "Hailsham, in a word?"}, **HTMX
    )
    host_client.post(url("question_move", live_meeting.pk, current.pk), {"direction": "down"}, **HTMX)
    response = host_client.post(url("question_add", live_meeting.pk), {"text": "One more?"}, **HTMX)
    live_meeting.refresh_from_db()
    assert live_meeting.current_question_id == current.pk
    assert live_meeting.current_question.text == "Hailsham, in a word?"
    assert live_meeting.control_version == control  # no host control was used up
    assert "On screen now" in response.content.decode()


def test_a_host_adds_a_question_at_the_end(host_client, meeting):
    meeting.move_question(meeting.questions.first(), "down")
    before = version_of(meeting)
    response = host_client.post(url("question_add", meeting.pk), {"text": "Would you want to know?"})
    assert response.status_code == 302
    added = meeting.questions.get(text="Would you want to know?")
    assert added.position == 4
    assert added.source is None
    assert question_texts(meeting)[-1] == "Would you want to know?"
    assert version_of(meeting) > before


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_an_empty_or_long_new_question_is_refused_with_the_text_kept(host_client, meeting, headers):
    long_text = "Why? " * 250
    response = host_client.post(url("question_add", meeting.pk), {"text": long_text}, **headers)
    assert response.status_code == (422 if headers else 200)
    content = response.content.decode()
    assert "at most 1000 characters" in content
    assert f">{long_text}</textarea>" in content
    response = host_client.post(url("question_add", meeting.pk), {"text": ""}, **headers)
    assert "Write the question before saving it." in response.content.decode()
    assert meeting.questions.count() == 3


def test_changes_go_back_to_the_page_they_came_from_if_it_is_ours(host_client, live_meeting):
    question = live_meeting.questions.last()
    present = url("present", live_meeting.pk)
    response = host_client.post(
        url("question_move", live_meeting.pk, question.pk), {"direction": "up", "next": present}
    )
    assert response.url == present
    response = host_client.post(
        url("question_move", live_meeting.pk, question.pk),
        {"direction": "up", "next": "https://evil.example.com/"},
    )
    assert response.url.split("#")[0] == url("meeting", live_meeting.pk)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("question_move", {"direction": "down"}),
        ("question_skip", {"skipped": "true"}),
        ("question_edit", {"text": "Too late?"}),
        ("question_add", {"text": "Too late?"}),
    ],
)
def test_an_ended_meetings_questions_cannot_be_changed(host_client, ended_meeting, name, data):
    question = ended_meeting.questions.first()
    target = (
        url(name, ended_meeting.pk) if name == "question_add" else url(name, ended_meeting.pk, question.pk)
    )
    before = list(ended_meeting.questions.values_list("text", "position", "skipped"))
    response = host_client.post(target, data, follow=True)
    assert b"This meeting has ended, so it can no longer be changed." in response.content
    htmx = host_client.post(target, data, **HTMX)
    assert htmx.status_code == 422
    assert b"This meeting has ended, so it can no longer be changed." in htmx.content
    assert b"Move down</button>" not in htmx.content
    assert list(ended_meeting.questions.values_list("text", "position", "skipped")) == before


def test_a_question_of_another_meeting_is_not_found(host_client, meeting, club, guide, host):
    other = Meeting.schedule(club=club, guide=guide, by=host, starts_at=timezone.now() + timedelta(days=9))
    foreign = other.questions.first()
    for name, data in [
        ("question_move", {"direction": "down"}),
        ("question_skip", {}),
        ("question_edit", {"text": "Hijacked?"}),
    ]:
        assert host_client.post(url(name, meeting.pk, foreign.pk), data).status_code == 404
    foreign.refresh_from_db()
    assert foreign.text == "What did you think of Hailsham?"
    assert not foreign.skipped


@pytest.mark.parametrize("name", ["question_move", "question_skip", "question_edit", "question_add"])
def test_only_hosts_change_questions(
    client, member_client, outsider_client, staff_client, guest_seat_client, host_client, meeting, name
):
    question = meeting.questions.first()
    target = url(name, meeting.pk) if name == "question_add" else url(name, meeting.pk, question.pk)
    data = {"direction": "down", "text": "Changed?", "skipped": "true"}
    anonymous = client.post(target, data)
    assert anonymous.status_code == 302
    assert anonymous.url.startswith(LOGIN)
    assert outsider_client.post(target, data).status_code == 404
    assert staff_client.post(target, data).status_code == 404
    assert guest_seat_client.post(target, data).status_code == 404
    assert member_client.post(target, data).status_code == 403
    assert member_client.post(target, data, **HTMX).status_code == 403
    assert host_client.get(target).status_code == 405
    assert question_texts(meeting)[0] == "What did you think of Hailsham?"
    assert meeting.questions.count() == 3
    assert not meeting.questions.filter(skipped=True).exists()
    assert host_client.post(target, data).status_code == 302


def test_an_answer_posted_ahead_from_the_meeting_page_shows_under_its_question(member_client, meeting):
    page = member_client.get(url("meeting", meeting.pk)).content.decode()
    question = meeting.questions.first()
    form = re.search(
        rf'<form class="prepare__form" method="post" action="([^"]+)">.*?'
        rf'name="question" value="{question.pk}">.*?name="client_token" value="([^"]+)">.*?'
        rf'name="next" value="([^"]+)">',
        page,
        re.S,
    )
    action, token, next_url = form.groups()
    data = {"question": question.pk, "text": "Ready before we meet.", "client_token": token, "next": next_url}
    response = member_client.post(action, data)
    assert response.status_code == 302
    assert response.url == url("meeting", meeting.pk)
    member_client.post(action, data)  # a double click saves it once
    content = member_client.get(response.url).content.decode()
    assert content.count("<li>Ready before we meet.</li>") == 1
