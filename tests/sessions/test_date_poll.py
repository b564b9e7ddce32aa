"""When can we meet? A host offers dates, members answer yes / if need be / no, the best date wins."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from sessions.models import DateAnswer, DatePoll


def url(name, *args):
    return reverse(f"sessions:{name}", args=args)


@pytest.fixture
def poll(club, host) -> DatePoll:
    start = (timezone.now() + timedelta(days=10)).replace(second=0, microsecond=0)
    return DatePoll.offer(
        club=club, by=host, starts=[start, start + timedelta(days=1), start + timedelta(days=2)]
    )


def local(moment, club) -> str:
    return f"{timezone.localtime(moment, club.tzinfo):%Y-%m-%dT%H:%M}"


def test_a_host_offers_dates(host_client, club):
    start = timezone.now() + timedelta(days=3)
    response = host_client.post(
        url("date_poll_create", club.slug),
        {
            "title": "When can we meet?",
            "option_1": local(start, club),
            "option_2": local(start + timedelta(days=1), club),
        },
    )
    poll = DatePoll.objects.get()
    assert response.status_code == 302
    assert poll.options.count() == 2


def test_one_date_is_not_a_poll_and_the_form_keeps_it(host_client, club):
    start = local(timezone.now() + timedelta(days=3), club)
    response = host_client.post(url("date_poll_create", club.slug), {"title": "Our dates", "option_1": start})
    page = response.content.decode()
    assert "Offer at least two different dates and times." in page
    assert f'value="{start}"' in page and 'value="Our dates"' in page
    assert not DatePoll.objects.exists()


def test_members_answer_and_the_best_date_is_shown_with_a_schedule_button(
    host_client, member_client, poll, host, member, club
):
    first, second, third = poll.options.all()
    member_client.post(
        url("date_poll_answer", poll.pk),
        {f"option_{first.pk}": "no", f"option_{second.pk}": "yes", f"option_{third.pk}": "if_need_be"},
    )
    host_client.post(
        url("date_poll_answer", poll.pk), {f"option_{second.pk}": "yes", f"option_{third.pk}": "yes"}
    )
    page = host_client.get(url("date_poll", poll.pk)).content.decode()
    best = page.split('id="best-heading"')[1].split("</section>")[0]
    assert f"{timezone.localtime(second.starts_at, club.tzinfo):%A %-d %B %Y, %H:%M}" in best
    assert "2 yes, 0 if need be, 0 no." in best
    schedule = (
        f"{url('meeting_create', club.slug)}?starts_at={local(second.starts_at, club).replace(':', '%3A')}"
    )
    assert f'href="{schedule}">Schedule the meeting at this date</a>' in page
    form = host_client.get(schedule).content.decode()
    assert f'value="{local(second.starts_at, club)}"' in form


def test_if_need_be_breaks_a_tie_on_yes_then_the_earlier_date(poll, host, member):
    first, second, third = poll.options.all()
    poll.answer(host, {first.pk: "yes", second.pk: "yes", third.pk: "yes"})
    poll.answer(member, {first.pk: "no", second.pk: "if_need_be", third.pk: "if_need_be"})
    assert [option.pk for option in poll.ranked_options()] == [second.pk, third.pk, first.pk]


def test_a_member_changes_their_answer(member_client, poll, member):
    option = poll.options.first()
    member_client.post(url("date_poll_answer", poll.pk), {f"option_{option.pk}": "yes"})
    member_client.post(url("date_poll_answer", poll.pk), {f"option_{option.pk}": "no"})
    assert list(DateAnswer.objects.values_list("answer", flat=True)) == ["no"]


def test_a_made_up_answer_is_refused(member_client, poll):
    option = poll.options.first()
    response = member_client.post(url("date_poll_answer", poll.pk), {f"option_{option.pk}": "perhaps"})
    assert response.status_code == 422
    assert "Answer yes, if need be or no for each date." in response.content.decode()
    assert not DateAnswer.objects.exists()


def test_a_closed_poll_takes_no_answers(host_client, member_client, poll):
    host_client.post(url("date_poll_close", poll.pk))
    option = poll.options.first()
    response = member_client.post(url("date_poll_answer", poll.pk), {f"option_{option.pk}": "yes"})
    assert response.status_code == 422
    assert "This poll is closed." in response.content.decode()


@pytest.mark.parametrize("members", [1, 30])
def test_the_poll_page_makes_a_fixed_number_of_queries(
    member_client, poll, club, member, django_assert_num_queries, members
):
    from django.contrib.auth.models import User

    for number in range(members):
        user = User.objects.create_user(f"reader{number}")
        club.join(user)
        poll.answer(user, {option.pk: "yes" for option in poll.options.all()})
    # session, user, poll with club, membership, options with counts, own answers, respondents
    with django_assert_num_queries(7):
        response = member_client.get(url("date_poll", poll.pk))
    assert response.status_code == 200
