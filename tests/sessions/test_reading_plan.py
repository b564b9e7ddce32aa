"""The reading plan: a target per meeting, questions tagged with the part they are about, each member's
progress, spoilers folded, and how many have reached the target (for the live meeting's screens)."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from sessions.models import Meeting, Participant, ReadingProgress

FOLD = "Spoiler: beyond where you are"


def url(name, *args):
    return reverse(f"sessions:{name}", args=args)


def plan(meeting, unit="part", target=2, parts=(1, 3, None)):
    meeting.set_reading_plan(unit=unit, target=target)
    for question, part in zip(meeting.questions.order_by("position"), parts, strict=False):
        question.reading_part = part
        question.save(update_fields=["reading_part"])


def test_a_host_sets_the_target_and_tags_questions_in_one_form(host_client, meeting):
    first, second, third = meeting.questions.order_by("position")
    response = host_client.post(
        url("reading_plan", meeting.pk),
        {
            "unit": "chapter",
            "target": "12",
            f"part_{first.pk}": "3",
            f"part_{second.pk}": "14",
            f"part_{third.pk}": "",
        },
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.reading_target_label == "Chapters 1-12"
    assert [q.reading_part for q in meeting.questions.order_by("position")] == [3, 14, None]


def test_a_bad_part_comes_back_with_everything_typed(host_client, meeting):
    first, second, _ = meeting.questions.order_by("position")
    response = host_client.post(
        url("reading_plan", meeting.pk),
        {"unit": "page", "target": "120", f"part_{first.pk}": "ten", f"part_{second.pk}": "40"},
    )
    page = response.content.decode()
    assert response.status_code == 422
    assert "Enter a whole number from 1, or leave it empty." in page
    assert 'value="ten"' in page and 'value="40"' in page and 'value="120"' in page
    meeting.refresh_from_db()
    assert meeting.reading_target is None


def test_a_percentage_target_over_100_is_refused(host_client, meeting):
    response = host_client.post(url("reading_plan", meeting.pk), {"unit": "percent", "target": "150"})
    assert response.status_code == 422
    assert "A percentage is between 1 and 100." in response.content.decode()


def test_the_meeting_page_shows_the_target_and_who_reached_it(member_client, member, host, meeting):
    plan(meeting)
    ReadingProgress.record(meeting, host, 2)
    page = member_client.get(url("meeting", meeting.pk)).content.decode()
    assert "Read by the meeting: <strong>Parts 1-2</strong>." in page
    assert "1 of 2 members has read that far." in page


def test_questions_beyond_a_members_progress_are_folded_as_spoilers(member_client, member, meeting):
    plan(meeting, parts=(1, 3, None))
    ReadingProgress.record(meeting, member, 2)
    page = member_client.get(url("meeting", meeting.pk)).content.decode()
    assert page.count(FOLD) == 1
    fold = page.index(FOLD)
    assert page.index("What did you think of Hailsham?") < fold < page.index("Was Kathy a reliable narrator?")
    assert page.index("How did the ending feel?") > page.index("</details>", fold)
    assert "About part 3" in page


def test_catching_up_unfolds_the_question(member_client, member, meeting):
    plan(meeting, parts=(1, 3, None))
    member_client.post(url("reading_progress", meeting.pk), {"position": "3"})
    assert ReadingProgress.objects.get(user=member).position == 3
    assert FOLD not in member_client.get(url("meeting", meeting.pk)).content.decode()


def test_without_progress_every_tagged_question_is_folded(member_client, meeting):
    plan(meeting, parts=(1, 3, None))
    assert member_client.get(url("meeting", meeting.pk)).content.decode().count(FOLD) == 2


def test_progress_must_be_a_number_and_a_percentage_at_most_100(member_client, member, meeting):
    response = member_client.post(url("reading_progress", meeting.pk), {"position": "lots"}, follow=True)
    assert "Enter a whole number." in response.content.decode()
    meeting.set_reading_plan(unit="percent", target=50)
    response = member_client.post(url("reading_progress", meeting.pk), {"position": "101"}, follow=True)
    assert "A percentage is between 0 and 100." in response.content.decode()
    assert not ReadingProgress.objects.exists()


def test_the_folded_question_can_still_be_answered_ahead(member_client, meeting):
    plan(meeting, parts=(5, 5, 5))
    page = member_client.get(url("meeting", meeting.pk)).content.decode()
    assert page.count("Post answer</button>") == 3


# ---------- How many reached the target (the live meeting's screens read this) ----------


def test_reading_target_reached_counts_members_before_the_meeting(meeting, host, member):
    plan(meeting, target=2)
    assert meeting.reading_target_reached() == (0, 2)
    ReadingProgress.record(meeting, member, 2)
    ReadingProgress.record(meeting, host, 1)
    assert meeting.reading_target_reached() == (1, 2)


def test_reading_target_reached_counts_the_people_in_a_live_meeting(meeting, host, member, club):
    plan(meeting, target=2)
    absent = User.objects.create_user("absent")
    club.join(absent)
    ReadingProgress.record(meeting, absent, 9)
    ReadingProgress.record(meeting, member, 4)
    meeting.start()
    meeting.participant_for_user(member, Participant.Role.MEMBER)
    meeting.participant_for_user(host, Participant.Role.HOST)
    meeting.add_guest("Kathy")  # a guest has no progress and is not counted
    assert meeting.reading_target_reached() == (1, 2)


def test_reading_target_reached_without_a_target_is_none_of_everyone(meeting):
    assert meeting.reading_target_reached() == (0, 2)


@pytest.mark.parametrize("members", [2, 40])
def test_reading_target_reached_is_one_query(meeting, club, django_assert_num_queries, members):
    plan(meeting, target=2)
    for number in range(members):
        user = User.objects.create_user(f"reader{number}")
        club.join(user)
        ReadingProgress.record(meeting, user, number % 4)
    fresh = Meeting.objects.get(pk=meeting.pk)
    with django_assert_num_queries(1):
        reached, total = fresh.reading_target_reached()
    assert total == members + 2
    assert reached == sum(1 for number in range(members) if number % 4 >= 2)
