"""Tonight's questions: scheduling shows the guide's questions as a pool to tick and order, and a meeting
can have questions of the host's own with no guide at all ("Just questions")."""

# Fixtures imported from other test modules are parameters of the tests here (pytest's way of sharing
# them without a conftest that every guides test would see); ruff reads those parameters as redefinitions.
# ruff: noqa: F811, RUF001

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse
from django.utils import timezone

from guides.club_forms import GuideContent
from guides.club_guides import save_guide
from guides.models import Guide, Question
from sessions.models import Club, Meeting
from tests.sessions.conftest import client_for, club, guide, host, member, outsider  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def host_client(host):
    return client_for(host)


def long_guide(count: int = 12, title: str = "Long Guide") -> Guide:
    guide = Guide.objects.create(title=title, author="Ann Author", status=Guide.Status.PUBLISHED)
    Question.objects.bulk_create(
        Question(guide=guide, position=n, text=f"Question number {n}?") for n in range(1, count + 1)
    )
    return guide


def future() -> str:
    return (timezone.now() + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")


def details(**extra) -> dict:
    return {
        "starts_at": future(),
        "place": "",
        "allow_guests": "on",
        "show_names": "on",
        "answers_visible": "immediately",
        **extra,
    }


def create_url(club) -> str:
    return reverse("sessions:meeting_create", args=[club.slug])


def ticked(html: str) -> list[str]:
    soup = BeautifulSoup(html, "html.parser")
    return [box["value"] for box in soup.select('input[name="questions"][checked]')]


def test_a_short_guides_questions_all_start_ticked(host_client, club, guide):
    page = host_client.get(create_url(club) + f"?guide={guide.pk}").content.decode()
    assert ticked(page) == [str(q.pk) for q in guide.questions.order_by("position")]
    assert "Tonight’s questions from Never Let Me Go" in page


def test_a_long_guide_starts_with_its_first_eight_ticked(host_client, club):
    guide = long_guide(12)
    page = host_client.get(create_url(club) + f"?guide={guide.pk}").content.decode()
    assert ticked(page) == [str(q.pk) for q in guide.questions.order_by("position")[:8]]
    assert page.count('name="questions"') == 12


def test_the_meeting_copies_the_ticked_questions_in_the_hosts_order(host_client, club):
    guide = long_guide(12)
    q = list(guide.questions.order_by("position"))
    data = details(guide=guide.pk, pool_guide=guide.pk, questions=[q[0].pk, q[4].pk, q[9].pk])
    data.update({f"order-{item.pk}": str(index) for index, item in enumerate(q, start=1)})
    data[f"order-{q[9].pk}"] = "0"  # moved to the top
    response = host_client.post(create_url(club), data)
    meeting = Meeting.objects.get()
    assert response.status_code == 302
    assert [(m.text, m.source_id) for m in meeting.questions.all()] == [
        (q[9].text, q[9].pk),
        (q[0].text, q[0].pk),
        (q[4].text, q[4].pk),
    ]


def test_a_form_sent_without_the_pool_takes_the_default_selection(host_client, club):
    guide = long_guide(12)
    host_client.post(create_url(club), details(guide=guide.pk))
    assert Meeting.objects.get().questions.count() == 8


def test_the_hosts_own_questions_follow_the_guides(host_client, club, guide):
    first = guide.questions.order_by("position").first()
    data = details(
        guide=guide.pk, pool_guide=guide.pk, questions=[first.pk], own_questions="Mine?\n\nAlso mine?"
    )
    host_client.post(create_url(club), data)
    assert list(Meeting.objects.get().questions.values_list("text", flat=True)) == [
        first.text,
        "Mine?",
        "Also mine?",
    ]


def test_nothing_ticked_and_nothing_written_is_refused(host_client, club, guide):
    response = host_client.post(
        create_url(club), details(guide=guide.pk, pool_guide=guide.pk, place="Kept place")
    )
    page = response.content.decode()
    assert "Tick at least one of the guide’s questions, or write your own." in page
    assert 'value="Kept place"' in page
    assert not Meeting.objects.exists()


def test_choosing_another_guide_without_javascript_shows_its_questions_first(host_client, club, guide):
    other = long_guide(3)
    response = host_client.post(create_url(club), details(guide=other.pk, pool_guide=guide.pk, questions=[]))
    page = response.content.decode()
    assert not Meeting.objects.exists()
    assert "Here are the questions of Long Guide" in page
    assert len(ticked(page)) == 3


def test_show_its_questions_keeps_what_was_typed_and_writes_nothing(host_client, club, guide):
    response = host_client.post(create_url(club), {"action": "pick", "guide": guide.pk, "place": "The Crown"})
    page = response.content.decode()
    assert response.status_code == 200
    assert 'value="The Crown"' in page
    assert len(ticked(page)) == 3
    assert "field__error" not in page
    assert not Meeting.objects.exists()


def test_htmx_gets_only_the_pool_of_the_chosen_guide(host_client, club, guide):
    response = host_client.get(create_url(club) + f"?guide={guide.pk}", headers={"HX-Request": "true"})
    page = response.content.decode()
    assert page.lstrip().startswith('<fieldset class="field question-pool" id="question-pool">')
    assert "<html" not in page
    assert "HX-Request" in response["Vary"]


def test_the_clubs_own_guides_are_offered_but_not_another_clubs(host_client, club, host, outsider):
    ours = save_guide(GuideContent(title="Our Book", author="Us", questions=["Ours?"]), by=host, club=club)
    theirs_club = Club.create(name="Elsewhere", host=outsider)
    theirs = save_guide(
        GuideContent(title="Their Book", author="Them", questions=["Theirs?"]), by=outsider, club=theirs_club
    )
    page = host_client.get(create_url(club)).content.decode()
    assert "Our Book (the club’s own guide)" in page and "Their Book" not in page

    refused = host_client.post(create_url(club), details(guide=theirs.pk))
    assert "Select a valid choice" in refused.content.decode()
    host_client.post(create_url(club), details(guide=ours.pk))
    assert Meeting.objects.get().guide == ours


def test_the_new_meeting_page_runs_the_same_queries_for_a_short_or_long_pool(
    host_client, club, django_assert_num_queries
):
    short, long = long_guide(5, "Short Guide"), long_guide(60)
    with django_assert_num_queries(7):
        host_client.get(create_url(club) + f"?guide={short.pk}")
    with django_assert_num_queries(7):
        page = host_client.get(create_url(club) + f"?guide={long.pk}").content.decode()
    assert page.count('name="questions"') == 60


# ---------- Just questions ----------


def just_questions(**extra) -> dict:
    return details(
        kind="own", own_title="Summer short stories", own_questions="Which story first?\nWhich last?", **extra
    )


def test_a_meeting_can_have_questions_and_no_guide(host_client, club, member):
    response = host_client.post(create_url(club), just_questions())
    meeting = Meeting.objects.get()
    assert response.status_code == 302
    assert meeting.guide is None and meeting.title == "Summer short stories"
    assert list(meeting.questions.values_list("text", "source")) == [
        ("Which story first?", None),
        ("Which last?", None),
    ]
    page = client_for(member).get(meeting.get_absolute_url()).content.decode()
    assert '<h1 id="meeting-title">Summer short stories</h1>' in page
    assert "Summer short stories" in client_for(member).get(club.get_absolute_url()).content.decode()
    ics = client_for(member).get(reverse("sessions:meeting_ics", args=[meeting.pk]))
    assert b"SUMMARY:Summer short stories" in ics.content
    assert "summer-short-stories" in ics["Content-Disposition"]


def test_just_questions_needs_a_title_and_a_question(host_client, club):
    response = host_client.post(
        create_url(club), details(kind="own", own_questions="", own_title="", place="Kept")
    )
    page = response.content.decode()
    assert "Give the meeting a title." in page
    assert "Write at least one question for the meeting." in page
    assert 'value="Kept"' in page
    assert not Meeting.objects.exists()


def test_a_meeting_without_a_guide_has_a_recap(host_client, club, host):
    meeting = Meeting.schedule(
        club=club,
        guide=None,
        by=host,
        questions=["First?"],
        own_title="Poems",
        starts_at=timezone.now() + timedelta(days=1),
    )
    meeting.start()
    meeting.end()
    recap = host_client.get(reverse("sessions:recap", args=[meeting.pk]))
    assert recap.status_code == 200
    assert '<h1 id="recap-title">Poems</h1>' in recap.content.decode()
    markdown = host_client.get(reverse("sessions:recap_markdown", args=[meeting.pk]))
    assert markdown.content.decode().startswith("# Recap: Poems\n")
    assert re.search(r"poems-\d{4}-\d\d-\d\d-recap\.md", markdown["Content-Disposition"])


def test_the_database_refuses_a_meeting_with_neither_guide_nor_title(club, host):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        Meeting.objects.create(club=club, guide=None, starts_at=timezone.now(), created_by=host)


def test_a_meeting_without_a_guide_can_be_started_and_joined(host_client, club, host, member):
    meeting = Meeting.schedule(
        club=club,
        guide=None,
        by=host,
        questions=["First of our own?"],
        own_title="Poems",
        starts_at=timezone.now() + timedelta(days=1),
    )
    response = host_client.post(reverse("sessions:start", args=[meeting.pk]))
    assert response.status_code == 302
    presenter = host_client.get(reverse("sessions:present", args=[meeting.pk]))
    assert presenter.status_code == 200 and "First of our own?" in presenter.content.decode()
    live = client_for(member).get(reverse("sessions:live", args=[meeting.pk]))
    assert live.status_code == 200 and "First of our own?" in live.content.decode()


def test_a_club_goes_with_its_own_guides_and_their_meetings(club, host):
    from django.db.models import RestrictedError

    ours = save_guide(GuideContent(title="Our Book", author="Us", questions=["Ours?"]), by=host, club=club)
    Meeting.schedule(club=club, guide=ours, by=host, starts_at=timezone.now() + timedelta(days=1))
    library = Guide.objects.create(title="Library Book", author="Them", status=Guide.Status.PUBLISHED)
    Meeting.schedule(club=club, guide=library, by=host, starts_at=timezone.now() + timedelta(days=2))
    with pytest.raises(RestrictedError):
        library.delete()  # a guide that meetings were held on stays

    club.delete()
    assert not Meeting.objects.exists()
    assert list(Guide.objects.values_list("title", flat=True)) == ["Library Book"]
