"""Rules that live on the club and meeting models: hosts, copying questions, controls, answers."""

import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from guides.models import Guide, Question
from sessions.models import (
    Answer,
    AnswerRefused,
    Club,
    ClubError,
    ControlConflict,
    JoinRefused,
    Like,
    Meeting,
    Membership,
    Participant,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def host() -> User:
    return User.objects.create_user("hana", password="hana-password")


@pytest.fixture
def guide() -> Guide:
    guide = Guide.objects.create(title="Never Let Me Go", author="Kazuo Ishiguro", status="published")
    for position, text in enumerate(["First?", "Second?", "Third?"], start=1):
        Question.objects.create(guide=guide, position=position, text=text)
    return guide


@pytest.fixture
def club(host) -> Club:
    return Club.create(name="Tuesday Readers", host=host)


@pytest.fixture
def meeting(club, guide, host) -> Meeting:
    return Meeting.schedule(club=club, guide=guide, by=host, starts_at=timezone.now() + timedelta(days=1))


def test_the_creator_of_a_club_is_its_host(club, host):
    membership = Membership.objects.get(club=club, user=host)
    assert membership.is_host


def test_club_slugs_are_unique_even_for_equal_names(host):
    first = Club.create(name="Readers", host=host)
    second = Club.create(name="Readers", host=host)
    assert first.slug != second.slug
    assert first.slug.startswith("readers-")


def test_the_last_host_cannot_leave_or_step_down(club, host):
    membership = Membership.objects.get(club=club, user=host)
    with pytest.raises(ClubError, match="at least one host"):
        membership.end()
    with pytest.raises(ClubError):
        membership.set_role(Membership.Role.MEMBER)
    assert Membership.objects.get(pk=membership.pk).is_host


def test_a_host_can_step_down_once_there_is_a_co_host(club, host):
    other = club.join(User.objects.create_user("milo"))
    other.set_role(Membership.Role.HOST)
    Membership.objects.get(club=club, user=host).end()
    assert list(club.memberships.values_list("user__username", "role")) == [("milo", "host")]


def test_joining_twice_keeps_one_membership(club):
    user = User.objects.create_user("milo")
    club.join(user)
    club.join(user)
    assert club.memberships.filter(user=user).count() == 1


def test_resetting_the_invite_token_changes_it(club):
    before = club.invite_token
    club.reset_invite_token()
    assert club.invite_token != before
    assert Club.objects.get(pk=club.pk).invite_token == club.invite_token


def test_scheduling_copies_the_guide_questions_so_later_edits_do_not_change_the_meeting(meeting, guide):
    assert [q.text for q in meeting.questions.all()] == ["First?", "Second?", "Third?"]
    assert [q.source.text for q in meeting.questions.all()] == ["First?", "Second?", "Third?"]
    Question.objects.filter(guide=guide, position=1).update(text="Edited later?")
    assert meeting.questions.first().text == "First?"


def test_starting_shows_the_first_question_and_next_moves_on(meeting):
    meeting.start()
    assert meeting.is_live
    assert meeting.question_number() == (1, 3)
    meeting.step(1, seen_version=meeting.control_version)
    assert meeting.question_number() == (2, 3)
    meeting.step(-1, seen_version=meeting.control_version)
    assert meeting.question_number() == (1, 3)


def test_two_hosts_pressing_next_at_once_move_the_meeting_on_once(meeting):
    meeting.start()
    seen = meeting.control_version
    first_screen = Meeting.objects.get(pk=meeting.pk)
    second_screen = Meeting.objects.get(pk=meeting.pk)
    first_screen.step(1, seen_version=seen)
    with pytest.raises(ControlConflict):
        second_screen.step(1, seen_version=seen)
    assert Meeting.objects.get(pk=meeting.pk).question_number() == (2, 3)


def test_skipped_questions_are_stepped_over(meeting):
    meeting.questions.filter(text="Second?").update(skipped=True)
    meeting.start()
    meeting.step(1, seen_version=meeting.control_version)
    assert meeting.current_question.text == "Third?"
    assert meeting.question_number() == (2, 2)


def test_every_control_counts_as_a_visible_change(meeting):
    meeting.start()
    before = meeting.version
    meeting.set_locked(True, seen_version=meeting.control_version)
    meeting.set_revealed(True, seen_version=meeting.control_version)
    assert meeting.version == before + 2
    assert meeting.answers_locked and meeting.answers_revealed


def test_moving_to_another_question_unlocks_and_hides_again(meeting):
    meeting.start()
    meeting.set_locked(True, seen_version=None)
    meeting.set_revealed(True, seen_version=None)
    meeting.step(1, seen_version=None)
    assert not meeting.answers_locked
    assert not meeting.answers_revealed


def test_a_posted_answer_is_saved_once_per_client_token(meeting):
    meeting.start()
    guest = meeting.add_guest("Kathy")
    token = uuid.uuid4()
    first = guest.post_answer(meeting.current_question, "Memory fades.", token)
    again = guest.post_answer(meeting.current_question, "Memory fades.", token)
    assert first.pk == again.pk
    assert Answer.objects.count() == 1


def test_another_participant_cannot_reuse_a_client_token(meeting):
    meeting.start()
    token = uuid.uuid4()
    meeting.add_guest("Kathy").post_answer(meeting.current_question, "Mine.", token)
    with pytest.raises(AnswerRefused):
        meeting.add_guest("Ruth").post_answer(meeting.current_question, "Also mine.", token)
    assert Answer.objects.count() == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "Write an answer"), ("   \n ", "Write an answer"), ("x" * 2001, "at most 2000 characters")],
)
def test_empty_and_overlong_answers_are_refused(meeting, text, message):
    meeting.start()
    guest = meeting.add_guest("Kathy")
    with pytest.raises(AnswerRefused, match=message):
        guest.post_answer(meeting.current_question, text, uuid.uuid4())
    assert Answer.objects.count() == 0


def test_locked_answers_are_refused(meeting):
    meeting.start()
    guest = meeting.add_guest("Kathy")
    meeting.set_locked(True, seen_version=None)
    guest.refresh_from_db()
    with pytest.raises(AnswerRefused, match="locked"):
        guest.post_answer(meeting.current_question, "Too late", uuid.uuid4())


def test_answers_posted_before_the_meeting_are_marked_prepared(meeting, club):
    member = User.objects.create_user("milo")
    club.join(member)
    participant = meeting.participant_for_user(member, Participant.Role.MEMBER)
    answer = participant.post_answer(meeting.questions.last(), "Prepared ahead.", uuid.uuid4())
    assert answer.prepared


def test_a_participant_edits_and_deletes_only_their_own_answers(meeting):
    meeting.start()
    kathy, ruth = meeting.add_guest("Kathy"), meeting.add_guest("Ruth")
    answer = kathy.post_answer(meeting.current_question, "First draft", uuid.uuid4())
    with pytest.raises(AnswerRefused, match="your own"):
        ruth.edit_answer(answer, "Hijacked")
    kathy.edit_answer(answer, "Second draft")
    assert Answer.objects.get(pk=answer.pk).text == "Second draft"
    with pytest.raises(AnswerRefused):
        ruth.delete_answer(answer)
    kathy.delete_answer(answer)
    assert not Answer.objects.exists()


def test_a_like_toggles_and_counts_once_per_participant(meeting):
    meeting.start()
    kathy, ruth = meeting.add_guest("Kathy"), meeting.add_guest("Ruth")
    answer = kathy.post_answer(meeting.current_question, "Liked", uuid.uuid4())
    assert ruth.toggle_like(answer) is True
    assert Like.objects.filter(answer=answer).count() == 1
    assert ruth.toggle_like(answer) is False
    assert Like.objects.filter(answer=answer).count() == 0


def test_display_names_are_unique_within_a_meeting_ignoring_case(meeting):
    meeting.add_guest("Kathy")
    with pytest.raises(JoinRefused, match="already called"):
        meeting.add_guest("  kathy ")


def test_guests_cannot_join_when_the_meeting_is_for_members_only(meeting):
    meeting.allow_guests = False
    meeting.save()
    with pytest.raises(JoinRefused, match="members only"):
        meeting.add_guest("Kathy")


def test_a_member_whose_name_a_guest_took_gets_a_numbered_name(meeting, club):
    meeting.add_guest("milo")
    member = User.objects.create_user("milo")
    participant = meeting.participant_for_user(member, Participant.Role.MEMBER)
    assert participant.display_name == "milo (2)"
    assert meeting.participant_for_user(member, Participant.Role.MEMBER).pk == participant.pk


def test_a_removed_participant_cannot_answer(meeting):
    meeting.start()
    guest = meeting.add_guest("Kathy")
    guest.remove()
    with pytest.raises(AnswerRefused, match="removed"):
        guest.post_answer(meeting.current_question, "Still here?", uuid.uuid4())


def test_a_hidden_answer_stays_in_the_record(meeting):
    meeting.start()
    answer = meeting.add_guest("Kathy").post_answer(meeting.current_question, "Rude", uuid.uuid4())
    answer.set_hidden(True)
    assert Answer.objects.get(pk=answer.pk).hidden
    assert not Answer.objects.shown().exists()


def test_ending_a_meeting_stops_answers(meeting):
    meeting.start()
    guest = meeting.add_guest("Kathy")
    meeting.end()
    guest.meeting.refresh_from_db()
    with pytest.raises(AnswerRefused, match="ended"):
        guest.post_answer(meeting.current_question, "After", uuid.uuid4())
