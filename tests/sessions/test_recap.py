"""The recap of an ended meeting: the page, its Markdown and CSV downloads, and who may see what."""

from __future__ import annotations

import csv
import html
import io
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import markdown
import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from sessions.access import SESSION_KEY
from sessions.models import Answer, Club, Meeting, MeetingQuestion, Participant
from sessions.views.recap import markdown_escape

RECAP_URLS = ["sessions:recap", "sessions:recap_markdown", "sessions:recap_csv"]
CSV_HEADER = [
    "question_number",
    "question",
    "participant",
    "role",
    "answer",
    "likes",
    "posted_at",
    "prepared",
]


# ---------- Building meetings the way people hold them ----------


def post(participant: Participant, question: MeetingQuestion, text: str) -> Answer:
    return participant.post_answer(question, text, uuid.uuid4())


def like(answer: Answer, *participants: Participant) -> None:
    for participant in participants:
        participant.toggle_like(answer)


def seated_client(participant: Participant, client: Client | None = None) -> Client:
    """A browser holding a guest seat in the participant's meeting, as the join page leaves it."""
    client = client or Client()
    session = client.session
    session[SESSION_KEY] = {str(participant.meeting_id): participant.pk}
    session.save()
    return client


@dataclass
class Held:
    meeting: Meeting
    questions: list[MeetingQuestion]
    hana: Participant
    milo: Participant
    kathy: Participant
    trevor: Participant
    kathys_answer: Answer
    hidden_answer: Answer


@pytest.fixture
def held(meeting, host, member) -> Held:
    """A meeting that ran and ended: a prepared answer, likes, a hidden answer, a removed guest, a skip."""
    first, second, third = meeting.questions.all()
    milo = meeting.participant_for_user(member, Participant.Role.MEMBER)
    post(milo, first, "I read it twice before we met.")
    meeting.start()
    third.set_skipped(True)
    hana = meeting.participant_for_user(host, Participant.Role.HOST)
    kathy = meeting.add_guest("Kathy")
    trevor = meeting.add_guest("Trevor")
    kathys_answer = post(kathy, first, "It felt like a boarding school.\nA strange one.")
    hanas_answer = post(hana, first, "Sad, and beautifully so.")
    like(kathys_answer, hana, milo, trevor)
    like(hanas_answer, kathy)
    meeting.step(1, seen_version=None)
    post(milo, second, "Not at all: she kept things back.")
    hidden_answer = post(trevor, second, "Buy cheap watches here")
    hidden_answer.set_hidden(True)
    trevor.remove()
    meeting.end()
    return Held(meeting, [first, second, third], hana, milo, kathy, trevor, kathys_answer, hidden_answer)


def url(name: str, meeting: Meeting) -> str:
    return reverse(name, args=[meeting.pk])


def page(client: Client, meeting: Meeting) -> str:
    response = client.get(url("sessions:recap", meeting))
    assert response.status_code == 200
    return response.content.decode()


def markdown_file(client: Client, meeting: Meeting) -> str:
    response = client.get(url("sessions:recap_markdown", meeting))
    assert response.status_code == 200
    return response.content.decode()


def csv_rows(client: Client, meeting: Meeting) -> list[dict[str, str]]:
    response = client.get(url("sessions:recap_csv", meeting))
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def text_of(html_text: str) -> str:
    """The page as a reader hears it: tags dropped, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", html_text)).split())


# ---------- The page ----------


def test_the_recap_names_the_guide_the_club_and_the_date_in_the_clubs_time_zone(held, member_client):
    Club.objects.filter(pk=held.meeting.club_id).update(time_zone="Pacific/Auckland")
    Meeting.objects.filter(pk=held.meeting.pk).update(started_at=datetime(2025, 3, 4, 23, 30, tzinfo=UTC))
    text = text_of(page(member_client, held.meeting))
    assert "Never Let Me Go" in text
    assert "by Kazuo Ishiguro" in text
    assert "Tuesday Readers" in text
    # 23:30 UTC on the 4th is 12:30 the next day in New Zealand summer time.
    assert "Wednesday 5 March 2025, 12:30 (Pacific/Auckland)" in text


def test_the_recap_lists_participants_with_their_roles_hosts_first(held, member_client):
    body = page(member_client, held.meeting)
    people = re.findall(r'recap-people__name">([^<]+)</span>\s*<span class="badge">(\w+)', body)
    assert people == [("hana", "Host"), ("milo", "Member"), ("Kathy", "Guest")]


def test_removed_participants_are_marked_for_the_host_and_left_out_for_others(
    held, host_client, member_client
):
    host_page = page(host_client, held.meeting)
    assert re.search(r"Trevor</span>\s*<span class=\"badge\">Guest</span>\s*<span[^>]*>Removed<", host_page)
    assert "Trevor" not in page(member_client, held.meeting)


def test_questions_come_in_meeting_order_and_skipped_ones_are_listed_apart(held, member_client):
    text = text_of(page(member_client, held.meeting))
    questions = text.split("Questions and answers", 1)[1]
    asked, skipped = questions.split("Skipped questions")
    assert asked.index("1. What did you think of Hailsham?") < asked.index(
        "2. Was Kathy a reliable narrator?"
    )
    assert "How did the ending feel?" not in asked
    assert "Skipped How did the ending feel? No answers." in skipped


def test_answers_come_in_the_order_they_were_posted_with_their_authors(held, member_client):
    text = text_of(page(member_client, held.meeting)).split("Questions and answers", 1)[1]
    first = text.split("1. What did you think of Hailsham?", 1)[1].split("2. Was Kathy", 1)[0]
    assert (
        first.index("I read it twice") < first.index("boarding school") < first.index("Sad, and beautifully")
    )
    assert "I read it twice before we met. milo" in first
    assert "Sad, and beautifully so. hana Host 1 like" in first


def test_like_counts_and_prepared_answers_are_shown(held, member_client):
    text = text_of(page(member_client, held.meeting))
    assert "It felt like a boarding school. A strange one. Kathy Guest 3 likes" in text
    assert "I read it twice before we met. milo Member prepared before the meeting" in text


def test_answer_text_is_escaped_and_keeps_its_line_breaks(held, member_client):
    body = page(member_client, held.meeting)
    assert "It felt like a boarding school.<br>A strange one." in body
    Answer.objects.filter(pk=held.kathys_answer.pk).update(text="<script>alert(1)</script>")
    body = page(member_client, held.meeting)
    assert "<script>alert(1)" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_hidden_answers_are_left_out_for_members_and_guests(held, member_client):
    assert "Buy cheap watches" not in page(member_client, held.meeting)
    assert "Buy cheap watches" not in page(seated_client(held.kathy), held.meeting)


def test_the_host_sees_hidden_answers_marked_hidden(held, host_client):
    text = text_of(page(host_client, held.meeting))
    assert "Buy cheap watches here Trevor Guest Hidden" in text
    assert "1 answer, 1 hidden" in text


def test_names_are_anonymous_to_members_and_guests_when_the_meeting_hid_them(held, member_client):
    Meeting.objects.filter(pk=held.meeting.pk).update(show_names=False)
    for client in (member_client, seated_client(held.kathy)):
        text = text_of(page(client, held.meeting))
        answers = text.split("Questions and answers", 1)[1]
        assert "It felt like a boarding school. A strange one. Anonymous 3 likes" in answers
        for name in ("Kathy", "hana", "milo"):
            assert name not in answers.replace("Was Kathy a reliable", "")


def test_the_host_always_sees_who_said_what(held, host_client):
    Meeting.objects.filter(pk=held.meeting.pk).update(show_names=False)
    text = text_of(page(host_client, held.meeting))
    assert "It felt like a boarding school. A strange one. Kathy Guest 3 likes" in text
    assert "Anonymous" in text  # the note telling the host what the others see
    assert "Names were hidden during this meeting" in text


def test_the_chart_draws_answers_per_question_and_tells_screen_readers_the_numbers(held, member_client):
    body = page(member_client, held.meeting)
    # Question 1 has three answers (the busiest: a full bar), question 2 one shown answer.
    assert re.findall(r'<rect class="recap-chart__fill" x="0" y="0" width="(\d+)"', body) == ["100", "33"]
    assert re.search(r'<ol class="recap-chart__rows" aria-hidden="true">', body)
    table = body.split('<table class="visually-hidden">', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<th scope=\"row\">([^<]+)</th><td>(\d+)</td>", table)
    assert rows == [("1. What did you think of Hailsham?", "3"), ("2. Was Kathy a reliable narrator?", "1")]
    assert 'style="' not in body


def test_the_page_links_both_downloads(held, member_client):
    body = page(member_client, held.meeting)
    assert f'href="{url("sessions:recap_markdown", held.meeting)}" download>Download Markdown<' in body
    assert f'href="{url("sessions:recap_csv", held.meeting)}" download>Download CSV<' in body


def test_the_recap_is_not_cached(held, member_client):
    for name in RECAP_URLS:
        assert "no-store" in member_client.get(url(name, held.meeting))["Cache-Control"]


# ---------- Markdown ----------


def test_the_markdown_file_is_a_download_named_after_the_guide_and_date(held, member_client):
    Meeting.objects.filter(pk=held.meeting.pk).update(started_at=datetime(2025, 3, 4, 18, 0, tzinfo=UTC))
    response = member_client.get(url("sessions:recap_markdown", held.meeting))
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="never-let-me-go-2025-03-04-recap.md"'


def test_the_markdown_holds_the_whole_recap(held, member_client):
    text = markdown_file(member_client, held.meeting)
    assert text.startswith("# Recap: Never Let Me Go\n")
    assert "- Club: Tuesday Readers\n" in text
    assert "## Participants\n\n- hana (host)\n- milo (member)\n- Kathy (guest)\n" in text
    assert "### 1\\. What did you think of Hailsham?\n\n3 answers\n\n" in text
    assert "- **milo** (prepared before the meeting): I read it twice before we met.\n" in text
    assert "- **Kathy** (3 likes): It felt like a boarding school.  \n    A strange one.\n" in text
    assert "- **hana** (1 like): Sad, and beautifully so.\n" in text
    assert text.index("### 1\\.") < text.index("### 2\\.") < text.index("## Skipped questions")
    assert "### Skipped: How did the ending feel?\n\nNo answers." in text
    assert "Trevor" not in text
    assert "Buy cheap watches" not in text


def test_the_markdown_for_the_host_marks_hidden_answers_and_removed_people(held, host_client):
    text = markdown_file(host_client, held.meeting)
    assert "- Trevor (guest, removed)\n" in text
    assert "1 answer, 1 hidden\n\n- **milo**: Not at all: she kept things back.\n\n" in text
    assert "- **Trevor** (Hidden): Buy cheap watches here\n" in text


def test_the_markdown_is_anonymous_when_the_meeting_hid_names(held, member_client, host_client):
    Meeting.objects.filter(pk=held.meeting.pk).update(show_names=False)
    answers = markdown_file(member_client, held.meeting).split("## Questions", 1)[1]
    assert "- **Anonymous** (3 likes): It felt like" in answers
    assert "**Kathy**" not in answers and "**milo**" not in answers
    assert "- **Kathy** (3 likes): It felt like" in markdown_file(host_client, held.meeting)


HOSTILE = [
    "<script>alert(1)</script>",
    "[x](javascript:alert(1))",
    "![x](https://evil.example/pixel.png)",
    "<img src=x onerror=alert(1)>",
    "<https://evil.example>",
    "`code` and *stars* and _under_ and **bold**",
    "# Not a heading",
    "> not a quote",
    "- not a list",
    "+ not a list",
    "1. not a list",
    "    not code",
    "```",
    "~~~",
    "===",
    "---",
    "&lt;b&gt; stays as typed &amp;",
    "back\\slash \\[ and a trailing \\",
    "[ref]: javascript:alert(1)",
    "an attribute list {: onclick=alert(1) }",
    "a footnote[^1] and *[HTML]: an abbreviation",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_user_text_renders_as_exactly_itself_in_a_markdown_viewer(text):
    rendered = markdown.markdown(f"Before\n\n{markdown_escape(text)}", extensions=["extra"])
    assert rendered.startswith("<p>Before</p>\n<p>")
    inner = rendered.removeprefix("<p>Before</p>\n<p>").removesuffix("</p>")
    assert "<" not in inner, rendered
    assert html.unescape(inner) == text.strip()


@pytest.mark.parametrize("text", HOSTILE)
def test_user_text_in_a_heading_renders_as_exactly_itself(text):
    rendered = markdown.markdown(f"### Q {markdown_escape(text)}", extensions=["extra"])
    assert rendered.startswith("<h3>Q ")
    inner = rendered.removeprefix("<h3>Q ").removesuffix("</h3>")
    assert "<" not in inner, rendered
    assert html.unescape(inner) == text.strip()


def test_hostile_answers_stay_inert_in_the_downloaded_markdown(held, member_client):
    Answer.objects.filter(pk=held.kathys_answer.pk).update(
        text="<script>alert(1)</script>\n[x](javascript:alert(1))\n- item\n\n\n"
        "# heading\n{: onclick=alert(1) }"
    )
    text = markdown_file(member_client, held.meeting)
    rendered = markdown.markdown(text, extensions=["extra"])
    assert "<script" not in rendered
    assert "javascript:" not in rendered.replace("(javascript:alert(1))", "")
    assert "href" not in rendered
    assert "onclick=" not in rendered.replace("{: onclick=alert(1) }", "")
    assert (
        "&lt;script&gt;alert(1)&lt;/script&gt;<br />\n    [x](javascript:alert(1))<br />\n    - item</p>"
        in rendered
    )
    # The blank lines became one paragraph break inside the same list item, not a heading.
    assert "<p># heading<br />\n{: onclick=alert(1) }</p>\n</li>\n<li>\n<p><strong>hana</strong>" in rendered


def test_hostile_names_and_questions_stay_inert_in_the_markdown(held, member_client):
    Participant.objects.filter(pk=held.kathy.pk).update(display_name="[Kathy](javascript:x)")
    MeetingQuestion.objects.filter(pk=held.questions[0].pk).update(
        text="<b>Bold</b> question #1 {: onclick=alert(1) }"
    )
    text = markdown_file(member_client, held.meeting)
    assert "- \\[Kathy\\](javascript:x) (guest)" in text
    assert "### 1\\. &lt;b&gt;Bold&lt;/b&gt; question \\#1 \\{: onclick=alert(1) \\}" in text
    rendered = markdown.markdown(text, extensions=["extra"])
    assert (
        "<b>" not in rendered and "href" not in rendered and "onclick=" not in rendered.replace("{: onc", "")
    )


# ---------- CSV ----------


def test_the_csv_file_is_a_download_named_after_the_guide_and_date(held, member_client):
    Meeting.objects.filter(pk=held.meeting.pk).update(started_at=datetime(2025, 3, 4, 18, 0, tzinfo=UTC))
    response = member_client.get(url("sessions:recap_csv", held.meeting))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="never-let-me-go-2025-03-04-recap.csv"'


def test_the_csv_has_one_row_per_answer_in_meeting_order(held, member_client):
    rows = csv_rows(member_client, held.meeting)
    assert list(rows[0]) == CSV_HEADER
    assert [(r["question_number"], r["participant"], r["role"], r["likes"], r["prepared"]) for r in rows] == [
        ("1", "milo", "member", "0", "yes"),
        ("1", "Kathy", "guest", "3", "no"),
        ("1", "hana", "host", "1", "no"),
        ("2", "milo", "member", "0", "no"),
    ]
    assert rows[1]["question"] == "What did you think of Hailsham?"
    assert rows[1]["answer"] == "It felt like a boarding school.\nA strange one."


def test_the_csv_times_are_iso_8601_in_utc(held, member_client):
    Answer.objects.filter(pk=held.kathys_answer.pk).update(
        created_at=datetime(2025, 3, 4, 19, 5, 6, tzinfo=UTC) + timedelta(microseconds=5)
    )
    rows = csv_rows(member_client, held.meeting)
    assert {r["participant"]: r["posted_at"] for r in rows}["Kathy"] == "2025-03-04T19:05:06Z"


def test_the_csv_for_the_host_has_the_hidden_column_and_hidden_rows(held, host_client):
    rows = csv_rows(host_client, held.meeting)
    assert list(rows[0]) == [*CSV_HEADER, "hidden"]
    assert [(r["participant"], r["hidden"]) for r in rows if r["question_number"] == "2"] == [
        ("milo", "no"),
        ("Trevor", "yes"),
    ]


def test_the_csv_is_anonymous_when_the_meeting_hid_names_except_for_the_host(
    held, member_client, host_client
):
    Meeting.objects.filter(pk=held.meeting.pk).update(show_names=False)
    rows = csv_rows(member_client, held.meeting)
    assert {(r["participant"], r["role"]) for r in rows} == {("Anonymous", "")}
    assert "Kathy" in {r["participant"] for r in csv_rows(host_client, held.meeting)}


def test_the_csv_lists_answers_to_skipped_questions_without_a_number(held, member_client, meeting):
    MeetingQuestion.objects.filter(pk=held.questions[2].pk).update(skipped=True)
    Answer.objects.create(question=held.questions[2], participant=held.milo, text="Prepared.", prepared=True)
    rows = csv_rows(member_client, held.meeting)
    assert (rows[-1]["question_number"], rows[-1]["question"]) == ("", "How did the ending feel?")


@pytest.mark.parametrize("payload", ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_csv_cells_that_a_spreadsheet_would_run_as_formulas_get_an_apostrophe(held, member_client, payload):
    Answer.objects.filter(pk=held.kathys_answer.pk).update(text=payload)
    Participant.objects.filter(pk=held.kathy.pk).update(display_name=payload)
    MeetingQuestion.objects.filter(pk=held.questions[0].pk).update(text=payload)
    row = csv_rows(member_client, held.meeting)[1]
    assert row["answer"] == "'" + payload
    assert row["participant"] == "'" + payload
    assert row["question"] == "'" + payload


# ---------- Who may see it ----------


@pytest.mark.parametrize("name", RECAP_URLS)
def test_anonymous_visitors_are_sent_to_log_in(held, client, name):
    response = client.get(url(name, held.meeting))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", RECAP_URLS)
def test_outsiders_and_staff_outside_the_club_get_404(held, outsider_client, staff_client, name):
    assert outsider_client.get(url(name, held.meeting)).status_code == 404
    assert staff_client.get(url(name, held.meeting)).status_code == 404


@pytest.mark.parametrize("name", RECAP_URLS)
def test_members_hosts_and_guests_of_the_meeting_may_see_it(held, member_client, host_client, name):
    for client in (member_client, host_client, seated_client(held.kathy)):
        assert client.get(url(name, held.meeting)).status_code == 200


def test_a_member_who_never_joined_the_meeting_may_still_read_its_recap(held, club):
    latecomer = User.objects.create_user("lara")
    club.join(latecomer)
    client = Client()
    client.force_login(latecomer)
    assert "Kathy" in page(client, held.meeting)
    assert not held.meeting.participants.filter(user=latecomer).exists()


@pytest.fixture
def other_seat(outsider, guide) -> Participant:
    """A guest seat in a meeting of another club."""
    other_club = Club.create(name="Thursday Readers", host=outsider)
    other = Meeting.schedule(club=other_club, guide=guide, by=outsider, starts_at=timezone.now())
    return other.add_guest("Kathy")


@pytest.mark.parametrize("name", RECAP_URLS)
def test_a_guest_of_another_meeting_gets_login_or_404(held, other_seat, outsider_client, name):
    response = seated_client(other_seat).get(url(name, held.meeting))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert seated_client(other_seat, outsider_client).get(url(name, held.meeting)).status_code == 404
    # ...while the same browsers may read the recap of the meeting they were in, once it ended.
    other_seat.meeting.end()
    assert seated_client(other_seat).get(url(name, other_seat.meeting)).status_code == 200


def test_a_logged_in_visitor_who_joined_as_a_guest_may_see_the_recap(held, outsider_client):
    assert (
        seated_client(held.kathy, outsider_client).get(url("sessions:recap", held.meeting)).status_code == 200
    )


@pytest.mark.parametrize("name", RECAP_URLS)
def test_a_guest_the_host_removed_gets_404(held, name):
    assert seated_client(held.trevor).get(url(name, held.meeting)).status_code == 404


@pytest.mark.parametrize("name", RECAP_URLS)
def test_the_recap_only_answers_get(held, member_client, name):
    assert member_client.post(url(name, held.meeting)).status_code == 405


@pytest.mark.parametrize("name", RECAP_URLS)
def test_before_the_meeting_ends_members_go_to_the_meeting_page(
    live_meeting, member_client, host_client, name
):
    for client in (member_client, host_client):
        response = client.get(url(name, live_meeting), follow=False)
        assert response.status_code == 302
        assert response["Location"] == url("sessions:meeting", live_meeting)
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["The recap is ready once the meeting has ended."]


@pytest.mark.parametrize("name", RECAP_URLS)
def test_before_the_meeting_ends_guests_go_to_the_live_meeting(live_meeting, name):
    guest = live_meeting.add_guest("Kathy")
    response = seated_client(guest).get(url(name, live_meeting))
    assert response.status_code == 302
    assert response["Location"] == url("sessions:live", live_meeting)


def test_an_unknown_meeting_is_404(member_client):
    assert member_client.get(reverse("sessions:recap", args=[999999])).status_code == 404


# ---------- Query counts ----------


def build_meeting(club: Club, guide, host: User, *, guests: int, answers: int) -> tuple[Meeting, Participant]:
    meeting = Meeting.schedule(club=club, guide=guide, by=host, starts_at=timezone.now())
    meeting.start()
    people = [meeting.participant_for_user(host, Participant.Role.HOST)]
    people += [meeting.add_guest(f"Guest {n}") for n in range(guests)]
    questions = list(meeting.questions.all())
    for n in range(answers):
        answer = post(people[n % len(people)], questions[n % len(questions)], f"Answer {n}")
        if n % 3 == 0:
            like(answer, people[(n + 1) % len(people)])
        if n % 7 == 0:
            answer.set_hidden(True)
    meeting.end()
    return meeting, people[1]


@pytest.mark.parametrize("name", RECAP_URLS)
def test_the_query_count_does_not_grow_with_answers_or_participants(
    club, guide, host, host_client, member_client, django_assert_num_queries, name
):
    small, small_guest = build_meeting(club, guide, host, guests=2, answers=5)
    large, large_guest = build_meeting(club, guide, host, guests=29, answers=200)
    # Session, user, meeting, membership (for a member, whether a host removed them from it); then
    # participants, questions, answers with their likes.
    for client, queries in ((host_client, 7), (member_client, 8)):
        for meeting in (small, large):
            with django_assert_num_queries(queries):
                assert client.get(url(name, meeting)).status_code == 200
    # A guest: session, their seat with its meeting; then the same three.
    for meeting, guest in ((small, small_guest), (large, large_guest)):
        client = seated_client(guest)
        for queries in (5, 5):
            with django_assert_num_queries(queries):
                assert client.get(url(name, meeting)).status_code == 200


@pytest.mark.parametrize("name", RECAP_URLS)
def test_a_member_the_host_removed_gets_404(held, member, member_client, name):
    held.meeting.participants.get(user=member).remove()
    assert member_client.get(url(name, held.meeting)).status_code == 404


def test_answers_on_the_recap_carry_the_role_of_who_wrote_them(held, member_client):
    page = member_client.get(url("sessions:recap", held.meeting)).content.decode()
    assert re.search(
        r'recap-answer__name">[^<]+</span>\s*<span class="badge badge--role">(Guest|Member|Host)', page
    )
