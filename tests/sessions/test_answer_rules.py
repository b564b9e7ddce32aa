"""What a meeting's record accepts: no likes once it ended, no new answers to skipped questions."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from sessions.models import AnswerRefused, Like
from tests.sessions.test_recap import seated_client

pytestmark = pytest.mark.django_db


def test_likes_after_the_meeting_ended_are_refused(live_meeting):
    kathy, tommy = live_meeting.add_guest("Kathy"), live_meeting.add_guest("Tommy")
    answer = kathy.post_answer(live_meeting.current_question, "Hailsham.", uuid.uuid4())
    live_meeting.end()
    tommy.refresh_from_db()
    with pytest.raises(AnswerRefused, match="ended"):
        tommy.toggle_like(answer)
    assert not Like.objects.exists()


def test_taking_back_a_like_after_the_meeting_ended_is_refused_too(live_meeting):
    kathy, tommy = live_meeting.add_guest("Kathy"), live_meeting.add_guest("Tommy")
    answer = kathy.post_answer(live_meeting.current_question, "Hailsham.", uuid.uuid4())
    tommy.toggle_like(answer)
    live_meeting.end()
    tommy.refresh_from_db()
    with pytest.raises(AnswerRefused):
        tommy.toggle_like(answer)
    assert Like.objects.count() == 1


def test_a_like_posted_after_the_end_does_not_change_the_recap(live_meeting):
    kathy, tommy = live_meeting.add_guest("Kathy"), live_meeting.add_guest("Tommy")
    answer = kathy.post_answer(live_meeting.current_question, "Hailsham.", uuid.uuid4())
    live_meeting.end()
    seated_client(tommy).post(reverse("sessions:answer_like", args=[live_meeting.pk, answer.pk]))
    assert not Like.objects.exists()


def test_answers_to_a_skipped_question_are_refused(live_meeting):
    skipped = live_meeting.questions.exclude(pk=live_meeting.current_question_id).first()
    skipped.set_skipped(True)
    kathy = live_meeting.add_guest("Kathy")
    with pytest.raises(AnswerRefused, match="skipped"):
        kathy.post_answer(skipped, "Sneaked in.", uuid.uuid4())
    assert not skipped.answers.exists()


def test_an_answer_given_before_the_skip_can_still_be_edited(live_meeting):
    question = live_meeting.questions.exclude(pk=live_meeting.current_question_id).first()
    kathy = live_meeting.add_guest("Kathy")
    answer = kathy.post_answer(question, "First thought.", uuid.uuid4())
    question.set_skipped(True)
    answer.question.refresh_from_db()
    kathy.edit_answer(answer, "Second thought.")
    answer.refresh_from_db()
    assert answer.text == "Second thought."
