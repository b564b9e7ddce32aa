"""Hosting and answering a live meeting: presenter view, controls, member view, answers, polling."""

import json
import re
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from sessions.models import Answer, Meeting, Participant
from tests.axe import axe_violations

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
QUESTIONS = ["What did you think of Hailsham?", "Was Kathy a reliable narrator?", "How did the ending feel?"]


def url(name: str, meeting: Meeting, *args) -> str:
    return reverse(f"sessions:{name}", args=[meeting.pk, *args])


def fresh(meeting: Meeting) -> Meeting:
    return Meeting.objects.get(pk=meeting.pk)


def control(client: Client, meeting: Meeting, action: str, *, version=None, htmx=False, **fields):
    if version is None:
        version = fresh(meeting).control_version
    data = {"action": action, "version": version, **fields}
    return client.post(url("control", meeting), data, headers=HTMX if htmx else {})


def post_answer(
    client: Client, meeting: Meeting, text="I loved it.", *, token=None, question=None, htmx=False, **extra
):
    data = {
        "question": question if question is not None else fresh(meeting).current_question_id,
        "text": text,
        "client_token": str(token or uuid.uuid4()),
        **extra,
    }
    return client.post(url("answer_post", meeting), data, headers=HTMX if htmx else {})


def join_as_guest(meeting: Meeting, name: str) -> tuple[Client, Participant]:
    client = Client()
    response = client.post(reverse("sessions:join_code", args=[meeting.join_code]), {"display_name": name})
    assert response.status_code == 302
    return client, Participant.objects.get(meeting=meeting, display_name=name)


def fill(meeting: Meeting, people: int, answers: int, prefix: str = "Reader") -> None:
    """`people` guests sharing `answers` answers to the current question, a few of them liked."""
    meeting = fresh(meeting)
    guests = [meeting.add_guest(f"{prefix} {number}") for number in range(people)]
    question = meeting.current_question
    saved = [
        guests[number % people].post_answer(question, f"Answer number {number}", uuid.uuid4())
        for number in range(answers)
    ]
    for answer in saved[:3]:
        guests[-1].toggle_like(answer)


def page_text(response) -> str:
    return response.content.decode()


def textarea(page: str, element_id: str) -> str:
    """The text of textarea `element_id` (the answer forms' ids end with their question's id)."""
    match = re.search(rf'<textarea id="{element_id}(?:-[0-9]+)?"[^>]*>\n(.*?)</textarea>', page, re.S)
    assert match, f"no textarea #{element_id}"
    return match.group(1)


def hidden_value(page: str, name: str) -> str:
    match = re.search(rf'<input type="hidden"[^>]*name="{name}" value="([^"]*)"', page)
    assert match, f"no hidden input {name}"
    return match.group(1)


@pytest.fixture
def ruth(live_meeting):
    """Another guest, with an answer to the first question."""
    client, participant = join_as_guest(live_meeting, "Ruth")
    post_answer(client, live_meeting, "Ruth's thoughts on Hailsham")
    return participant


@pytest.fixture
def ruths_answer(ruth) -> Answer:
    return Answer.objects.get(participant=ruth)


@pytest.fixture
def kathy(guest_client, live_meeting) -> Participant:
    return Participant.objects.get(meeting=live_meeting, display_name="Kathy")


# ---------- Starting and presenting ----------


def test_starting_a_meeting_goes_live_and_opens_the_presenter_view(host_client, meeting):
    response = host_client.post(url("start", meeting))
    assert response.status_code == 302
    assert response["Location"] == url("present", meeting)
    meeting = fresh(meeting)
    assert meeting.is_live
    assert meeting.current_question.text == QUESTIONS[0]


def test_starting_an_ended_meeting_leads_to_its_recap(host_client, live_meeting):
    live_meeting.end()
    response = host_client.post(url("start", live_meeting))
    assert response["Location"] == url("recap", live_meeting)
    assert fresh(live_meeting).is_ended


def test_the_presenter_view_shows_the_question_large_and_how_to_join(host_client, live_meeting):
    page = page_text(host_client.get(url("present", live_meeting)))
    code = live_meeting.join_code
    assert "Question 1 of 3" in page
    assert f'<h2 class="stage__question" id="current-question">{QUESTIONS[0]}</h2>' in page
    assert f'<a href="http://testserver/join/{code}">http://testserver/join/{code}</a>' in page
    assert f'<p class="join-code">{code}</p>' in page
    assert f'<svg role="img" aria-label="QR code for http://testserver/join/{code}"' in page
    assert '<span class="badge">0 in</span>' in page
    assert f'href="/meetings/{live_meeting.pk}/screen/"' in page
    assert ">Open audience screen</a>" in page


def test_the_presenter_view_redirects_before_the_start_and_after_the_end(host_client, meeting):
    assert host_client.get(url("present", meeting))["Location"] == url("meeting", meeting)
    meeting.start()
    meeting.end()
    assert host_client.get(url("present", meeting))["Location"] == url("recap", meeting)


def test_the_presenter_counts_people_in_without_the_removed(host_client, live_meeting, kathy, ruth):
    page = page_text(host_client.get(url("present", live_meeting)))
    assert '<span class="badge">2 in</span>' in page
    kathy.remove()
    page = page_text(host_client.get(url("present", live_meeting)))
    assert '<span class="badge">1 in</span>' in page
    assert 'Remove…<span class="visually-hidden"> Ruth</span>' in page
    assert 'Remove…<span class="visually-hidden"> Kathy</span>' not in page
    assert 'Let back in<span class="visually-hidden"> Kathy</span>' in page


def test_the_shared_presenter_screen_keeps_an_anonymous_meeting_anonymous(host_client, live_meeting, ruth):
    Meeting.objects.filter(pk=live_meeting.pk).update(show_names=False)
    page = page_text(host_client.get(url("present", live_meeting)))
    assert "Ruth&#x27;s thoughts on Hailsham" in page
    assert '<span class="answer__name">Anonymous</span>' in page
    assert '<span class="answer__name">Ruth <span class="badge badge--role">Guest</span></span>' not in page
    assert 'id="hide-' in page


def test_user_text_is_escaped_everywhere(host_client, member_client, live_meeting, guest_client):
    post_answer(guest_client, live_meeting, "<script>alert(1)</script>")
    for page in (
        page_text(host_client.get(url("present", live_meeting))),
        page_text(member_client.get(url("live", live_meeting))),
    ):
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# ---------- Controls ----------


def test_next_previous_and_the_jump_list_move_the_meeting(host_client, live_meeting):
    assert control(host_client, live_meeting, "next")["Location"] == url("present", live_meeting)
    assert fresh(live_meeting).question_number() == (2, 3)
    control(host_client, live_meeting, "previous")
    assert fresh(live_meeting).question_number() == (1, 3)
    third = live_meeting.questions.get(text=QUESTIONS[2])
    control(host_client, live_meeting, "goto", question=third.pk)
    assert fresh(live_meeting).current_question == third
    page = page_text(host_client.get(url("present", live_meeting)))
    assert "Question 3 of 3" in page
    assert 'aria-keyshortcuts="ArrowRight" disabled' in page
    assert f'id="goto-{third.pk}"' not in page  # the current question has no "Go" button


def test_previous_at_the_first_question_moves_nothing(host_client, live_meeting):
    version = fresh(live_meeting).control_version
    control(host_client, live_meeting, "previous")
    assert fresh(live_meeting).question_number() == (1, 3)
    assert fresh(live_meeting).control_version == version


def test_lock_and_unlock_answers(host_client, live_meeting):
    control(host_client, live_meeting, "lock")
    assert fresh(live_meeting).answers_locked
    page = page_text(host_client.get(url("present", live_meeting)))
    assert ">Unlock answers</button>" in page
    assert "Answers are locked" in page
    control(host_client, live_meeting, "unlock")
    assert not fresh(live_meeting).answers_locked
    assert ">Lock answers</button>" in page_text(host_client.get(url("present", live_meeting)))


def test_reveal_controls_appear_only_when_answers_wait_for_a_reveal(host_client, live_meeting):
    assert "Reveal answers" not in page_text(host_client.get(url("present", live_meeting)))
    Meeting.objects.filter(pk=live_meeting.pk).update(answers_visible=Meeting.AnswersVisible.AFTER_REVEAL)
    assert ">Reveal answers</button>" in page_text(host_client.get(url("present", live_meeting)))
    control(host_client, live_meeting, "reveal")
    assert fresh(live_meeting).answers_revealed
    assert ">Hide answers</button>" in page_text(host_client.get(url("present", live_meeting)))
    control(host_client, live_meeting, "hide")
    assert not fresh(live_meeting).answers_revealed


def test_the_countdown_starts_from_the_questions_own_timer_and_shows_the_time_left(host_client, live_meeting):
    live_meeting.current_question.timer_seconds = 90
    live_meeting.current_question.save()
    page = page_text(host_client.get(url("present", live_meeting)))
    assert ">Start timer (1:30)</button>" in page
    control(host_client, live_meeting, "timer_start", seconds=90)
    page = page_text(host_client.get(url("present", live_meeting)))
    assert 'Time left: <span class="timer__value">1:30</span>' in page
    assert ">Stop timer</button>" in page
    control(host_client, live_meeting, "timer_stop")
    assert fresh(live_meeting).timer_ends_at is None
    assert "Time left" not in page_text(host_client.get(url("present", live_meeting)))


@pytest.mark.parametrize(
    ("seconds", "shown"), [("30", "0:30"), ("60", "1:00"), ("120", "2:00"), ("300", "5:00")]
)
def test_the_countdown_runs_for_a_chosen_duration(host_client, member_client, live_meeting, seconds, shown):
    control(host_client, live_meeting, "timer_start", seconds=seconds)
    ends = fresh(live_meeting).timer_ends_at
    assert timedelta(seconds=int(seconds) - 2) < ends - timezone.now() <= timedelta(seconds=int(seconds))
    assert f'Time left: <span class="timer__value">{shown}</span>' in page_text(
        member_client.get(url("live", live_meeting))
    )


def test_the_countdown_says_when_time_is_up(host_client, live_meeting):
    Meeting.objects.filter(pk=live_meeting.pk).update(timer_ends_at=timezone.now() - timedelta(seconds=1))
    assert "Time is up" in page_text(host_client.get(url("present", live_meeting)))


def test_ending_the_meeting_sends_the_host_to_the_recap(host_client, live_meeting):
    response = control(host_client, live_meeting, "end")
    assert fresh(live_meeting).is_ended
    assert host_client.get(response["Location"])["Location"] == url("recap", live_meeting)
    htmx_meeting = Meeting.schedule(
        club=live_meeting.club, guide=live_meeting.guide, by=None, starts_at=timezone.now()
    )
    htmx_meeting.start()
    response = control(host_client, htmx_meeting, "end", htmx=True)
    assert response["HX-Redirect"] == url("recap", htmx_meeting)


def test_controls_answer_htmx_with_the_live_region(host_client, live_meeting):
    response = control(host_client, live_meeting, "next", htmx=True)
    page = page_text(response)
    assert response.status_code == 200
    assert page.lstrip().startswith('<div class="presenter__state"')
    assert "<html" not in page
    assert "Question 2 of 3" in page
    assert f'name="version" value="{fresh(live_meeting).control_version}"' in page


@pytest.mark.parametrize(
    "fields",
    [
        {"action": "dance"},
        {"action": "goto", "question": "999999"},
        {"action": "goto", "question": "first"},
        {"action": "timer_start", "seconds": "0"},
        {"action": "timer_start", "seconds": "99999"},
        {"action": "timer_start", "seconds": "soon"},
        {"action": "timer_start"},  # the question has no timer of its own
    ],
)
def test_bad_controls_are_400(host_client, live_meeting, fields):
    before = fresh(live_meeting).control_version
    response = host_client.post(url("control", live_meeting), {"version": before, **fields})
    assert response.status_code == 400
    assert fresh(live_meeting).control_version == before


def test_a_control_without_a_version_is_400(host_client, live_meeting):
    assert host_client.post(url("control", live_meeting), {"action": "next"}).status_code == 400


def test_a_question_of_another_meeting_cannot_be_jumped_to(host_client, live_meeting, club, guide, host):
    other = Meeting.schedule(club=club, guide=guide, by=host, starts_at=timezone.now())
    response = control(host_client, live_meeting, "goto", question=other.questions.first().pk)
    assert response.status_code == 400


def test_a_skipped_question_cannot_be_jumped_to(host_client, live_meeting):
    third = live_meeting.questions.get(text=QUESTIONS[2])
    third.skipped = True
    third.save()
    assert control(host_client, live_meeting, "goto", question=third.pk).status_code == 400


def test_controls_before_the_start_lead_to_the_meeting_page(host_client, meeting):
    response = control(host_client, meeting, "next")
    assert response["Location"] == url("meeting", meeting)
    assert not fresh(meeting).is_live


def test_two_hosts_stale_next_clicks_move_the_meeting_on_once(host_client, live_meeting, club, member):
    club.memberships.filter(user=member).update(role="host")
    co_host = Client()
    co_host.force_login(member)
    seen = fresh(live_meeting).control_version

    first = control(host_client, live_meeting, "next", version=seen)
    second = control(co_host, live_meeting, "next", version=seen)

    assert fresh(live_meeting).question_number() == (2, 3)
    assert first.status_code == second.status_code == 302
    followed = co_host.get(second["Location"])
    assert followed.status_code == 200
    assert "The meeting moved on another screen" in page_text(followed)
    assert "Question 2 of 3" in page_text(followed)


def test_a_stale_htmx_control_redraws_the_current_state_with_a_message(host_client, live_meeting):
    seen = fresh(live_meeting).control_version
    control(host_client, live_meeting, "next", version=seen)
    response = control(host_client, live_meeting, "lock", version=seen, htmx=True)
    page = page_text(response)
    assert response.status_code == 200
    assert "The meeting moved on another screen" in page
    assert "Question 2 of 3" in page
    assert not fresh(live_meeting).answers_locked


# ---------- Moderation ----------


def test_a_hidden_answer_disappears_from_every_screen_and_can_come_back(
    host_client, member_client, live_meeting, ruths_answer
):
    response = host_client.post(url("answer_hide", live_meeting, ruths_answer.pk))
    assert response["Location"] == url("present", live_meeting)
    ruths_answer.refresh_from_db()
    assert ruths_answer.hidden
    presenter = page_text(host_client.get(url("present", live_meeting)))
    assert "Ruth&#x27;s thoughts" not in presenter
    assert "An answer by Ruth" in presenter
    assert "Ruth&#x27;s thoughts" not in page_text(member_client.get(url("live", live_meeting)))

    response = host_client.post(url("answer_hide", live_meeting, ruths_answer.pk), headers=HTMX)
    assert response.status_code == 200
    assert "Ruth&#x27;s thoughts" in page_text(response)
    ruths_answer.refresh_from_db()
    assert not ruths_answer.hidden


def test_hiding_an_answer_of_another_meeting_is_404(host_client, live_meeting, club, guide, host):
    other = Meeting.schedule(club=club, guide=guide, by=host, starts_at=timezone.now())
    other.start()
    stranger = other.add_guest("Stranger")
    answer = stranger.post_answer(other.current_question, "Elsewhere", uuid.uuid4())
    assert host_client.post(url("answer_hide", live_meeting, answer.pk)).status_code == 404


def test_a_removed_guest_is_told_so_and_can_no_longer_post(host_client, guest_client, live_meeting, kathy):
    response = host_client.post(url("participant_remove", live_meeting, kathy.pk))
    assert response["Location"] == url("present", live_meeting)
    kathy.refresh_from_db()
    assert kathy.removed

    page = page_text(guest_client.get(url("live", live_meeting)))
    assert "The host removed you from this meeting" in page
    assert 'name="text"' not in page
    refused = post_answer(guest_client, live_meeting, "Let me back in")
    assert refused.status_code == 200  # the removed page, not a form
    assert "The host removed you from this meeting" in page_text(refused)
    assert not Answer.objects.filter(participant=kathy).exists()
    htmx_refused = post_answer(guest_client, live_meeting, "Let me back in", htmx=True)
    assert htmx_refused.status_code == 422
    assert "The host removed you from this meeting." in page_text(htmx_refused)
    # Joining again with the same browser lands on the same "removed" page.
    again = guest_client.get(reverse("sessions:join_code", args=[live_meeting.join_code]))
    assert again["Location"] == url("live", live_meeting)


def test_a_host_cannot_remove_themselves(host_client, host, live_meeting):
    host_client.get(url("live", live_meeting))  # the host takes a seat
    seat = Participant.objects.get(meeting=live_meeting, user=host)
    page = page_text(host_client.post(url("participant_remove", live_meeting, seat.pk), follow=True))
    assert "You can&#x27;t remove yourself" in page
    seat.refresh_from_db()
    assert not seat.removed


def test_removing_with_htmx_redraws_the_people_list(host_client, live_meeting, kathy):
    response = host_client.post(url("participant_remove", live_meeting, kathy.pk), headers=HTMX)
    assert response.status_code == 200
    assert '<span class="badge">0 in</span>' in page_text(response)


# ---------- The member view ----------


def test_the_member_view_shows_the_current_question_and_the_answer_form(member_client, live_meeting):
    response = member_client.get(url("live", live_meeting))
    page = page_text(response)
    assert response.status_code == 200
    assert QUESTIONS[0] in page
    question = live_meeting.current_question_id
    assert f'<label for="answer-text-{question}" data-answer-label>Your answer</label>' in page
    assert f'<textarea id="answer-text-{question}" name="text"' in page
    assert ">Post answer<span" in page
    assert hidden_value(page, "question") == str(live_meeting.current_question_id)
    uuid.UUID(hidden_value(page, "client_token"))


def test_each_member_view_gets_a_new_client_token(member_client, live_meeting):
    first = hidden_value(page_text(member_client.get(url("live", live_meeting))), "client_token")
    second = hidden_value(page_text(member_client.get(url("live", live_meeting))), "client_token")
    assert first != second


def test_the_member_view_follows_the_host(host_client, member_client, live_meeting):
    control(host_client, live_meeting, "next")
    page = page_text(member_client.get(url("live", live_meeting)))
    assert "Question 2 of 3" in page
    assert QUESTIONS[1] in page
    assert hidden_value(page, "question") == str(fresh(live_meeting).current_question_id)


def test_the_answer_form_and_own_answers_are_outside_the_pushed_regions(member_client, live_meeting):
    page = page_text(member_client.get(url("live", live_meeting)))
    pushed = re.findall(
        r'<section id="member-(?:question|answers)"[^>]*sse-swap="[a-z]+">.*?</section>', page, re.S
    )
    assert len(pushed) == 2
    for region in pushed:
        assert "answer-text" not in region
        assert "own-answers" not in region
    assert 'id="own-answers"' in page and "data-answer-form" in page


def test_posting_an_answer_saves_it_and_shows_it_with_edit_and_delete(guest_client, live_meeting, kathy):
    response = post_answer(guest_client, live_meeting, "Hailsham felt like a boarding school.")
    assert response.status_code == 302
    assert response["Location"] == url("live", live_meeting)
    answer = Answer.objects.get(participant=kathy)
    assert answer.text == "Hailsham felt like a boarding school."
    assert answer.question_id == live_meeting.current_question_id
    page = page_text(guest_client.get(response["Location"]))
    assert "Your answer is saved." in page
    assert "Hailsham felt like a boarding school." in page
    assert f'href="{url("answer_edit", live_meeting, answer.pk)}"' in page
    assert f'action="{url("answer_delete", live_meeting, answer.pk)}"' in page


def test_posting_the_same_form_twice_saves_one_answer(guest_client, live_meeting, kathy):
    token = uuid.uuid4()
    assert post_answer(guest_client, live_meeting, "Once", token=token).status_code == 302
    assert post_answer(guest_client, live_meeting, "Once", token=token).status_code == 302
    assert post_answer(guest_client, live_meeting, "Once", token=token, htmx=True).status_code == 200
    assert Answer.objects.filter(participant=kathy).count() == 1


def test_an_htmx_post_returns_the_lists_and_a_fresh_empty_form(guest_client, live_meeting, kathy):
    token = uuid.uuid4()
    response = post_answer(guest_client, live_meeting, "Fresh form please", token=token, htmx=True)
    page = page_text(response)
    assert response.status_code == 200
    assert page.lstrip().startswith('<form class="answer-form"')
    assert textarea(page, "answer-text") == ""
    new_token = hidden_value(page, "client_token")
    assert new_token != str(token)
    uuid.UUID(new_token)
    assert "Your answer is saved." in page
    assert (
        '<section id="own-answers" class="own-answers" aria-labelledby="own-heading" hx-swap-oob="true">'
        in page
    )
    assert response["HX-Trigger"].startswith('{"answerSaved"')
    assert "Fresh form please" in page
    assert Answer.objects.filter(participant=kathy, text="Fresh form please").exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Write an answer before posting it."),
        ("   \n  ", "Write an answer before posting it."),
        ("x" * 2001, "Answers can be at most 2000 characters; this one has 2001."),
    ],
)
@pytest.mark.parametrize("htmx", [False, True])
def test_bad_answers_are_refused_beside_the_field_with_the_text_kept(
    guest_client, live_meeting, kathy, text, message, htmx
):
    token = uuid.uuid4()
    response = post_answer(guest_client, live_meeting, text, token=token, htmx=htmx)
    page = page_text(response)
    assert response.status_code == 422
    question = live_meeting.current_question_id
    assert f'<p class="field__error" id="answer-error-{question}" role="alert">{message}</p>' in page
    assert textarea(page, "answer-text") == text
    assert hidden_value(page, "client_token") == str(token)  # retrying the same form still saves once
    assert ("<html" in page) is not htmx
    assert not Answer.objects.filter(participant=kathy).exists()


def test_a_2000_character_answer_is_fine(guest_client, live_meeting, kathy):
    assert post_answer(guest_client, live_meeting, "y" * 2000).status_code == 302
    assert Answer.objects.get(participant=kathy).text == "y" * 2000


def test_locked_answers_are_refused_and_the_typed_text_kept(host_client, guest_client, live_meeting, kathy):
    control(host_client, live_meeting, "lock")
    page = page_text(guest_client.get(url("live", live_meeting)))
    assert "Answers are locked" in page
    response = post_answer(guest_client, live_meeting, "Too late?")
    page = page_text(response)
    assert response.status_code == 422
    assert "Answers are locked for this question." in page
    assert textarea(page, "answer-text") == "Too late?"
    assert not Answer.objects.filter(participant=kathy).exists()


def test_an_answer_to_a_question_of_another_meeting_is_refused(guest_client, live_meeting, club, guide, host):
    other = Meeting.schedule(club=club, guide=guide, by=host, starts_at=timezone.now())
    response = post_answer(guest_client, live_meeting, "Wrong place", question=other.questions.first().pk)
    assert response.status_code == 422
    assert "That question is not part of this meeting." in page_text(response)
    assert textarea(page_text(response), "answer-text") == "Wrong place"


def test_an_answer_without_a_client_token_is_refused_with_the_text_kept(guest_client, live_meeting):
    data = {"question": live_meeting.current_question_id, "text": "No token"}
    response = guest_client.post(url("answer_post", live_meeting), data)
    assert response.status_code == 422
    assert "This form is out of date" in page_text(response)
    assert textarea(page_text(response), "answer-text") == "No token"
    assert not Answer.objects.exists()


def test_after_posting_the_answer_goes_to_a_safe_next_address_only(member_client, live_meeting):
    safe = post_answer(member_client, live_meeting, "one", next="/meetings/1/")
    assert safe["Location"] == "/meetings/1/"
    unsafe = post_answer(member_client, live_meeting, "two", next="https://evil.example/")
    assert unsafe["Location"] == url("live", live_meeting)
    sneaky = post_answer(member_client, live_meeting, "three", next="//evil.example/")
    assert sneaky["Location"] == url("live", live_meeting)


def test_others_answers_show_names_and_likes(member_client, live_meeting, ruths_answer):
    page = page_text(member_client.get(url("live", live_meeting)))
    assert "Ruth&#x27;s thoughts on Hailsham" in page
    assert '<span class="answer__name">Ruth <span class="badge badge--role">Guest</span></span>' in page
    assert 'aria-pressed="false">Like' in page
    assert "0 likes" in page


def test_an_anonymous_meeting_hides_names_from_members_but_not_from_the_host(
    member_client, host_client, live_meeting, ruths_answer
):
    Meeting.objects.filter(pk=live_meeting.pk).update(show_names=False)
    page = page_text(member_client.get(url("live", live_meeting)))
    assert '<span class="answer__name">Anonymous</span>' in page
    assert "Ruth" not in page.replace("Ruth&#x27;s thoughts", "")
    host_page = page_text(host_client.get(url("live", live_meeting)))
    assert '<span class="answer__name">Ruth <span class="badge badge--role">Guest</span></span>' in host_page


def test_answers_wait_for_the_reveal_when_the_meeting_says_so(
    host_client, member_client, live_meeting, ruths_answer
):
    Meeting.objects.filter(pk=live_meeting.pk).update(answers_visible=Meeting.AnswersVisible.AFTER_REVEAL)
    page = page_text(member_client.get(url("live", live_meeting)))
    assert "Ruth&#x27;s thoughts" not in page
    assert "The host will reveal everyone's answers." in page
    assert member_client.post(url("answer_like", live_meeting, ruths_answer.pk)).status_code == 404
    # The room's screen waits for the reveal; the host's own presenter shows what is waiting.
    audience = page_text(host_client.get(url("screen", live_meeting)))
    assert "Ruth&#x27;s thoughts" not in audience
    assert "1 answer waiting for the reveal." in audience
    presenter = page_text(host_client.get(url("present", live_meeting)))
    assert "Members don't see these until you press “Reveal answers”." in presenter
    control(host_client, live_meeting, "reveal")
    assert "Ruth&#x27;s thoughts" in page_text(member_client.get(url("live", live_meeting)))
    assert "Ruth&#x27;s thoughts" in page_text(host_client.get(url("screen", live_meeting)))


def test_a_like_toggles_once_per_participant(member_client, guest_client, live_meeting, ruths_answer):
    response = member_client.post(url("answer_like", live_meeting, ruths_answer.pk))
    assert response["Location"] == url("live", live_meeting)
    page = page_text(member_client.get(url("live", live_meeting)))
    assert re.search(
        rf'id="like-{ruths_answer.pk}"\s+data-like="{ruths_answer.pk}" aria-pressed="true">Like', page
    )
    assert "1 like<" in page
    guest_client.post(url("answer_like", live_meeting, ruths_answer.pk))
    assert ruths_answer.likes.count() == 2

    response = member_client.post(url("answer_like", live_meeting, ruths_answer.pk), headers=HTMX)
    # The count reaches every screen with the push; this viewer's own pressed state comes back here.
    assert response.status_code == 200
    assert json.loads(response["HX-Trigger"]) == {"liked": {"answer": ruths_answer.pk, "liked": False}}
    assert ruths_answer.likes.count() == 1


def test_each_answer_on_the_member_view_links_its_own_like_edit_and_delete_urls(member_client, live_meeting):
    fill(live_meeting, people=3, answers=12)
    post_answer(member_client, live_meeting, "My own view.")
    page = page_text(member_client.get(url("live", live_meeting)))

    answers = Answer.objects.filter(question__meeting=live_meeting)
    for answer in answers.exclude(text="My own view."):
        like = url("answer_like", live_meeting, answer.pk)
        assert re.search(rf'<form method="post" action="{like}"\s+hx-post="{like}"', page)
    own = answers.get(text="My own view.")
    assert f'href="{url("answer_edit", live_meeting, own.pk)}"' in page
    delete = url("answer_delete", live_meeting, own.pk)
    assert re.search(rf'<form method="post" action="{delete}"\s+hx-post="{delete}"', page)


def test_an_answer_is_edited_on_its_own_page(guest_client, live_meeting, kathy):
    post_answer(guest_client, live_meeting, "First thought")
    answer = Answer.objects.get(participant=kathy)
    page = page_text(guest_client.get(url("answer_edit", live_meeting, answer.pk)))
    assert '<label for="edit-text">Your answer</label>' in page
    assert textarea(page, "edit-text") == "First thought"

    response = guest_client.post(url("answer_edit", live_meeting, answer.pk), {"text": "Second thought"})
    assert response["Location"] == url("live", live_meeting)
    answer.refresh_from_db()
    assert answer.text == "Second thought"

    response = guest_client.post(url("answer_edit", live_meeting, answer.pk), {"text": "Third"}, headers=HTMX)
    assert response["HX-Redirect"] == url("live", live_meeting)


@pytest.mark.parametrize("htmx", [False, True])
def test_a_bad_edit_is_refused_with_the_text_kept(guest_client, live_meeting, kathy, htmx):
    post_answer(guest_client, live_meeting, "Keep me")
    answer = Answer.objects.get(participant=kathy)
    response = guest_client.post(
        url("answer_edit", live_meeting, answer.pk), {"text": "z" * 2001}, headers=HTMX if htmx else {}
    )
    assert response.status_code == 422
    assert textarea(page_text(response), "edit-text") == "z" * 2001
    assert "at most 2000 characters" in page_text(response)
    answer.refresh_from_db()
    assert answer.text == "Keep me"


def test_locked_answers_cannot_be_edited_or_deleted(host_client, guest_client, live_meeting, kathy):
    post_answer(guest_client, live_meeting, "Mine")
    answer = Answer.objects.get(participant=kathy)
    control(host_client, live_meeting, "lock")
    page = page_text(guest_client.get(url("live", live_meeting)))
    controls = re.search(rf'<span data-own-controls( hidden)?>.*?id="edit-{answer.pk}"', page, re.S)
    assert controls and controls.group(1) == " hidden"
    edit = guest_client.post(url("answer_edit", live_meeting, answer.pk), {"text": "Changed"})
    assert edit.status_code == 422
    assert textarea(page_text(edit), "edit-text") == "Changed"
    delete = guest_client.post(url("answer_delete", live_meeting, answer.pk), follow=True)
    assert "Answers are locked for this question." in page_text(delete)
    assert guest_client.post(url("answer_delete", live_meeting, answer.pk), headers=HTMX).status_code == 422
    answer.refresh_from_db()
    assert answer.text == "Mine"


@pytest.mark.parametrize("htmx", [False, True])
def test_an_own_answer_can_be_deleted(guest_client, live_meeting, kathy, htmx):
    post_answer(guest_client, live_meeting, "Regret this")
    answer = Answer.objects.get(participant=kathy)
    response = guest_client.post(url("answer_delete", live_meeting, answer.pk), headers=HTMX if htmx else {})
    assert response.status_code == (200 if htmx else 302)
    assert not Answer.objects.filter(pk=answer.pk).exists()
    if htmx:
        assert "Regret this" not in page_text(response)


@pytest.mark.parametrize("client_fixture", ["guest_client", "member_client", "host_client"])
def test_nobody_edits_or_deletes_someone_elses_answer(request, live_meeting, ruths_answer, client_fixture):
    client = request.getfixturevalue(client_fixture)
    assert client.get(url("answer_edit", live_meeting, ruths_answer.pk)).status_code == 404
    assert (
        client.post(url("answer_edit", live_meeting, ruths_answer.pk), {"text": "Mine now"}).status_code
        == 404
    )
    assert client.post(url("answer_delete", live_meeting, ruths_answer.pk)).status_code == 404
    ruths_answer.refresh_from_db()
    assert ruths_answer.text == "Ruth's thoughts on Hailsham"


def test_before_the_start_the_member_view_shows_the_prepared_answers(member_client, meeting, member):
    first = meeting.questions.first()
    response = post_answer(member_client, meeting, "Prepared at home", question=first.pk)
    assert response["Location"] == url("live", meeting)
    assert Answer.objects.get(text="Prepared at home").prepared
    page = page_text(member_client.get(url("live", meeting)))
    assert "The meeting hasn't started yet" in page
    assert "Your prepared answers" in page
    assert "Prepared at home" in page
    assert 'name="text"' not in page


def test_after_the_end_the_member_view_leads_to_the_recap(member_client, live_meeting):
    live_meeting.end()
    assert member_client.get(url("live", live_meeting))["Location"] == url("recap", live_meeting)
    response = member_client.get(url("live", live_meeting) + "?since=1", headers=HTMX)
    assert response["HX-Redirect"] == url("recap", live_meeting)


def test_posting_to_an_ended_meeting_leads_to_the_recap_with_the_reason(guest_client, live_meeting):
    live_meeting.end()
    response = post_answer(guest_client, live_meeting, "Too late", question=live_meeting.questions.first().pk)
    assert response["Location"] == url("recap", live_meeting)


# ---------- Query counts ----------


def count_queries(client: Client, address: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(address)
    assert response.status_code == 200
    return len(queries)


def test_the_presenter_view_costs_the_same_for_5_or_200_answers(
    host_client, live_meeting, django_assert_num_queries
):
    fill(live_meeting, people=3, answers=5)
    small = count_queries(host_client, url("present", live_meeting))
    other = Meeting.schedule(
        club=live_meeting.club, guide=live_meeting.guide, by=None, starts_at=timezone.now()
    )
    other.start()
    fill(other, people=30, answers=200)
    large = count_queries(host_client, url("present", other))
    assert small == large <= 10
    # Session, user, meeting, membership; the meeting with its club and guide, its questions, talking
    # points and quotes; the answers with their likes; the people.
    with django_assert_num_queries(10):
        host_client.get(url("present", other))


@pytest.mark.parametrize("viewer", ["member_client", "guest_client"])
def test_the_member_view_costs_the_same_for_5_or_200_answers(request, live_meeting, viewer):
    client = request.getfixturevalue(viewer)
    client.get(url("live", live_meeting))  # take a seat first
    fill(live_meeting, people=3, answers=5)
    small = count_queries(client, url("live", live_meeting))
    fill(live_meeting, people=27, answers=195, prefix="Latecomer")
    assert Answer.objects.filter(question=fresh(live_meeting).current_question).count() == 200
    large = count_queries(client, url("live", live_meeting))
    assert small == large <= 10


def test_the_member_view_is_nine_queries_however_many_answers(
    member_client, live_meeting, django_assert_num_queries
):
    member_client.get(url("live", live_meeting))
    fill(live_meeting, people=30, answers=200)
    # Session, user, membership, participant with its meeting; the meeting with its club and guide, its
    # questions; everyone's answers; the viewer's own answers and likes. The page is loaded once per
    # phone: after that, every change reaches it pushed (sessions/live_state.py).
    with django_assert_num_queries(9):
        member_client.get(url("live", live_meeting))


# ---------- Who may do what ----------

LOGIN = "/accounts/login/"


@pytest.fixture
def anonymous_client() -> Client:
    return Client()


HOST_ONLY = ["present", "start", "control", "answer_hide", "participant_remove"]


def host_request(client: Client, name: str, meeting: Meeting, answer: Answer, participant: Participant):
    if name == "present":
        return client.get(url("present", meeting))
    if name == "start":
        return client.post(url("start", meeting))
    if name == "control":
        return client.post(
            url("control", meeting), {"action": "lock", "version": fresh(meeting).control_version}
        )
    if name == "answer_hide":
        return client.post(url("answer_hide", meeting, answer.pk))
    return client.post(url("participant_remove", meeting, participant.pk))


@pytest.mark.parametrize("name", HOST_ONLY)
@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("anonymous_client", 302),
        ("outsider_client", 404),
        ("staff_client", 404),
        ("guest_client", 404),
        ("member_client", 403),
        ("host_client", 200),
    ],
)
def test_only_hosts_present_and_control(request, live_meeting, ruth, ruths_answer, name, role, expected):
    client = request.getfixturevalue(role)
    before = fresh(live_meeting)
    response = host_request(client, name, live_meeting, ruths_answer, ruth)
    if role == "host_client":
        assert response.status_code in (200, 302)
        assert not response.get("Location", "").startswith(LOGIN)
        return
    assert response.status_code == expected
    if expected == 302:
        assert response["Location"].startswith(LOGIN)
    after = fresh(live_meeting)
    assert after.control_version == before.control_version
    assert after.version == before.version
    ruth.refresh_from_db()
    ruths_answer.refresh_from_db()
    assert not ruth.removed and not ruths_answer.hidden


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("anonymous_client", 302),
        ("outsider_client", 404),
        ("staff_client", 404),
        ("guest_client", 200),
        ("member_client", 200),
        ("host_client", 200),
    ],
)
def test_the_member_view_is_for_the_club_and_seated_guests(request, live_meeting, role, expected):
    client = request.getfixturevalue(role)
    response = client.get(url("live", live_meeting))
    assert response.status_code == expected
    if expected == 302:
        assert response["Location"].startswith(LOGIN)


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("anonymous_client", 302),
        ("outsider_client", 404),
        ("staff_client", 404),
        ("guest_client", 302),
        ("member_client", 302),
        ("host_client", 302),
    ],
)
def test_answering_and_liking_are_for_the_club_and_seated_guests(
    request, live_meeting, ruths_answer, role, expected
):
    client = request.getfixturevalue(role)
    before = Answer.objects.count()
    answered = post_answer(client, live_meeting, "My view")
    liked = client.post(url("answer_like", live_meeting, ruths_answer.pk))
    assert answered.status_code == liked.status_code == expected
    allowed = not (expected != 302 or answered["Location"].startswith(LOGIN))
    assert Answer.objects.count() == before + (1 if allowed else 0)
    assert ruths_answer.likes.count() == (1 if allowed else 0)


def test_the_join_pages_are_open_to_anonymous_visitors(anonymous_client, live_meeting):
    assert anonymous_client.get(reverse("sessions:join")).status_code == 200
    assert (
        anonymous_client.get(reverse("sessions:join_code", args=[live_meeting.join_code])).status_code == 200
    )


def test_a_guest_of_one_meeting_has_no_seat_in_another(guest_client, live_meeting, club, guide, host):
    other = Meeting.schedule(club=club, guide=guide, by=host, starts_at=timezone.now())
    other.start()
    response = guest_client.get(url("live", other))
    assert response["Location"].startswith(LOGIN)


def test_views_refuse_the_wrong_http_method(host_client, live_meeting):
    assert host_client.get(url("control", live_meeting)).status_code == 405
    assert host_client.get(url("start", live_meeting)).status_code == 405
    assert host_client.post(url("present", live_meeting)).status_code == 405
    assert host_client.get(url("answer_post", live_meeting)).status_code == 405


# ---------- In a real browser ----------


def log_in_browser(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"].value
    page.context.add_cookies([{"name": "sessionid", "value": cookie, "url": live_server.url}])


def assert_no_axe_violations(page, *, colours_only: bool = False) -> None:
    violations = axe_violations(page, colours_only=colours_only)
    assert not violations, violations


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_a_browser_the_host_steps_through_questions_and_pages_pass_axe(
    page, live_server, live_meeting, host
):
    from playwright.sync_api import expect

    live_meeting.add_guest("Kathy").post_answer(live_meeting.current_question, "A thought", uuid.uuid4())
    log_in_browser(page, live_server, host)
    page.goto(url("present", live_meeting))
    page.wait_for_function("() => window.htmx !== undefined")
    assert page.get_by_role("img", name=re.compile(r"QR code for http:")).is_visible()
    assert_no_axe_violations(page)

    page.get_by_role("button", name="Next question").click()
    expect(page.locator(".stage__number")).to_have_text("Question 2 of 3")
    assert page.url.endswith(url("present", live_meeting))  # swapped in place, no navigation
    page.get_by_role("button", name="Lock answers").click()
    expect(page.get_by_role("button", name="Unlock answers")).to_be_visible()
    assert fresh(live_meeting).answers_locked

    page.emulate_media(color_scheme="dark")
    page.reload()  # not mid-way through the buttons' colour transition
    assert_no_axe_violations(page)
    page.goto(url("live", live_meeting))
    assert_no_axe_violations(page)


# ---------- Countdown, spotlight and sorting (pushed state) ----------


def test_when_time_is_up_answers_close_unless_the_host_turned_that_off(
    host_client, guest_client, live_meeting, kathy
):
    Meeting.objects.filter(pk=live_meeting.pk).update(timer_ends_at=timezone.now() - timedelta(seconds=1))
    refused = post_answer(guest_client, live_meeting, "Just too late")
    assert refused.status_code == 422
    assert "Time is up for this question, so answers are closed." in page_text(refused)
    control(host_client, live_meeting, "close_at_zero", on="0")
    assert post_answer(guest_client, live_meeting, "Allowed after all").status_code == 302
    assert Answer.objects.filter(participant=kathy).count() == 1


def test_unlocking_after_time_is_up_opens_answers_again(host_client, guest_client, live_meeting, kathy):
    Meeting.objects.filter(pk=live_meeting.pk).update(timer_ends_at=timezone.now() - timedelta(seconds=1))
    control(host_client, live_meeting, "unlock")
    assert fresh(live_meeting).timer_ends_at is None
    assert post_answer(guest_client, live_meeting, "Open again").status_code == 302


def test_the_spotlight_shows_one_answer_large_on_the_audience_screen_and_clears_on_next(
    host_client, live_meeting, ruths_answer
):
    control(host_client, live_meeting, "spotlight", answer=ruths_answer.pk)
    screen = page_text(host_client.get(url("screen", live_meeting)))
    assert re.search(r'<figure class="audience__spotlight">\s*<blockquote[^>]*>Ruth&#x27;s thoughts', screen)
    control(host_client, live_meeting, "next")
    assert fresh(live_meeting).spotlight_id is None


def test_a_hidden_answer_leaves_the_spotlight(host_client, live_meeting, ruths_answer):
    control(host_client, live_meeting, "spotlight", answer=ruths_answer.pk)
    host_client.post(url("answer_hide", live_meeting, ruths_answer.pk))
    assert fresh(live_meeting).spotlight_id is None


def test_answers_can_be_sorted_by_likes_on_every_screen(host_client, live_meeting, ruths_answer, kathy):
    later = kathy.post_answer(live_meeting.current_question, "Liked more", uuid.uuid4())
    later.likes.create(participant=ruths_answer.participant)
    control(host_client, live_meeting, "sort_likes")
    screen = page_text(host_client.get(url("screen", live_meeting)))
    assert screen.index("Liked more") < screen.index("Ruth&#x27;s thoughts")
    control(host_client, live_meeting, "sort_time")
    screen = page_text(host_client.get(url("screen", live_meeting)))
    assert screen.index("Liked more") < screen.index("Ruth&#x27;s thoughts")  # newest first without sorting
    presenter = page_text(host_client.get(url("present", live_meeting)))
    assert presenter.index("Ruth&#x27;s thoughts") < presenter.index("Liked more")  # in time order


def test_the_presenter_shows_the_guides_talking_points_and_quotes_to_the_host_only(
    host_client, member_client, live_meeting
):
    live_meeting.guide.talking_points.create(text="Hailsham as a metaphor for childhood", position=1)
    live_meeting.guide.quotes.create(text="Memories are what we hold on to", position=1)
    presenter = page_text(host_client.get(url("present", live_meeting)))
    assert "Speaker notes" in presenter and "Hailsham as a metaphor for childhood" in presenter
    assert "Memories are what we hold on to" in presenter
    for page in (member_client.get(url("live", live_meeting)), host_client.get(url("screen", live_meeting))):
        assert "Hailsham as a metaphor for childhood" not in page_text(page)
