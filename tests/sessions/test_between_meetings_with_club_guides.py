"""Between meetings (issue 12) alongside what main had grown meanwhile: a club's own guides (nominated,
written for a winner without one, scheduled from the vote), "Just questions" meetings without a guide
(in emails and calendars), links from the worker on SITE_URL, and the scheduling form a date poll opens."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from guides.models import Guide, Question
from sessions import notifications
from sessions.models import BookVote, CalendarFeed, Club, Meeting

pytestmark = pytest.mark.usefixtures("empty_cache")


def url(name, *args):
    return reverse(f"sessions:{name}", args=args)


@pytest.fixture
def club_guide(club) -> Guide:
    guide = Guide.objects.create(club=club, title="The Buried Giant", author="Kazuo Ishiguro")
    Question.objects.create(guide=guide, position=1, text="Who is the boatman?")
    return guide


@pytest.fixture
def vote(club, host) -> BookVote:
    return BookVote.open(club=club, by=host, closes_at=timezone.now() + timedelta(days=3))


@pytest.fixture
def just_questions(club, host) -> Meeting:
    return Meeting.schedule(
        club=club,
        guide=None,
        by=host,
        questions=["Which story first?"],
        own_title="Summer short stories",
        starts_at=timezone.now() + timedelta(days=7),
    )


def won_by(vote: BookVote, host, **nomination) -> None:
    vote.nominate(by=host, **nomination)
    vote.start_voting()
    vote.cast(host, [vote.nominations.get().pk])
    vote.close()


# ---------- A club's own guides ----------


def test_a_member_can_nominate_the_clubs_own_guide(member_client, vote, club_guide):
    page = member_client.get(url("vote", vote.pk)).content.decode()
    assert (
        f'<option value="{club_guide.pk}">The Buried Giant (Kazuo Ishiguro, the club\u2019s own guide)'
        in page
    )
    response = member_client.post(url("nominate", vote.pk), {"guide": club_guide.pk})
    assert response.status_code == 302
    assert vote.nominations.get().guide == club_guide


def test_another_clubs_guide_cannot_be_nominated(member_client, vote, host):
    other = Club.create(name="Elsewhere", host=host)
    theirs = Guide.objects.create(club=other, title="Private Notes", author="Someone")
    response = member_client.post(url("nominate", vote.pk), {"guide": theirs.pk})
    assert response.status_code == 422
    assert not vote.nominations.exists()


def test_a_winner_without_a_guide_offers_the_host_a_new_club_guide_with_its_title(host_client, host, vote):
    won_by(vote, host, title="Klara and the Sun", author="Kazuo Ishiguro")
    page = host_client.get(url("vote", vote.pk)).content.decode()
    new_guide = reverse("club_guides:new", args=[vote.club.slug])
    link = f"{new_guide}?title=Klara%20and%20the%20Sun&amp;author=Kazuo%20Ishiguro"
    assert f'href="{link}">New guide for this book</a>' in page
    form = host_client.get(link.replace("&amp;", "&")).content.decode()
    assert 'value="Klara and the Sun"' in form and 'value="Kazuo Ishiguro"' in form


def test_once_the_club_has_a_guide_for_the_winner_the_host_schedules_on_it(host_client, host, vote, club):
    won_by(vote, host, title="The Buried Giant")
    guide = Guide.objects.create(club=club, title="The Buried Giant", author="Kazuo Ishiguro")
    Question.objects.create(guide=guide, position=1, text="Who is the boatman?")
    page = host_client.get(url("vote", vote.pk)).content.decode()
    schedule = f"{url('meeting_create', club.slug)}?guide={guide.pk}"
    assert f'href="{schedule}">Schedule a meeting on this book</a>' in page
    form = host_client.get(schedule).content.decode()
    assert f'<option value="{guide.pk}" selected>' in form
    assert "Who is the boatman?" in form  # the pool of tonight's questions, from that guide


def test_the_calendar_links_a_club_guide_on_the_clubs_own_page(member_client, club, host, club_guide):
    starts_at = timezone.now() + timedelta(days=2)
    meeting = Meeting.schedule(club=club, guide=club_guide, by=host, starts_at=starts_at)
    body = member_client.get(url("meeting_ics", meeting.pk)).content.decode().replace("\r\n ", "")
    guide_page = reverse("club_guides:detail", args=[club.slug, club_guide.pk])
    assert f"Guide: http://testserver{guide_page}" in body


# ---------- Meetings without a guide ----------


def test_a_meeting_without_a_guide_is_invited_by_its_own_title(just_questions):
    notifications.meeting_scheduled(just_questions)
    assert mail.outbox[0].subject.startswith("Tuesday Readers: Summer short stories on ")
    assert "Tuesday Readers meets to discuss Summer short stories.\n" in mail.outbox[0].body


def test_a_meeting_without_a_guide_is_in_the_feed_by_its_own_title(client, member, just_questions):
    feed = CalendarFeed.of(member)
    body = client.get(url("calendar_feed", feed.token)).content.decode().replace("\r\n ", "")
    assert "SUMMARY:Summer short stories — Tuesday Readers" in body
    assert "Guide:" not in body


def test_the_club_page_names_the_next_meeting_without_a_guide_by_its_title(
    member_client, club, just_questions
):
    page = member_client.get(club.get_absolute_url()).content.decode()
    next_item = page.split("Next meeting</span>")[1].split("</li>")[0]
    assert "Summer short stories" in next_item


# ---------- Links made by the worker ----------


def test_the_links_in_emails_are_built_on_site_url(meeting, settings):
    settings.SITE_URL = "https://club.example.org"
    notifications.meeting_scheduled(meeting)
    message = mail.outbox[0]
    assert f"https://club.example.org{meeting.get_absolute_url()}" in message.body
    assert message.extra_headers["List-Unsubscribe"].startswith("<https://club.example.org/unsubscribe/")
    assert message.extra_headers["Message-ID"].endswith("@club.example.org>")


def test_without_site_url_the_links_in_emails_are_on_the_local_address(meeting, settings):
    settings.SITE_URL = ""
    notifications.meeting_scheduled(meeting)
    assert f"http://127.0.0.1:8000{meeting.get_absolute_url()}" in mail.outbox[0].body


# ---------- The scheduling form a date poll opens ----------


def test_a_date_polls_link_starts_the_form_at_its_date_with_the_usual_boxes_ticked(host_client, club):
    page = host_client.get(f"{url('meeting_create', club.slug)}?starts_at=2031-05-06T19:30").content.decode()
    assert 'value="2031-05-06T19:30"' in page
    assert 'id="id_allow_guests" checked>' in page
