"""Finding the way: the "Join a meeting" code box in the header and on the home page, the first step
after signing up, and the club page's "What's next"."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from sessions.models import CalendarFeed


def url(name, *args):
    return reverse(f"sessions:{name}", args=args)


def test_the_header_has_a_join_box_that_goes_to_the_join_flow(client, db):
    """Everywhere but the home page and the join pages, which have a code box of their own."""
    page = client.get(reverse("guides:list")).content.decode()
    form = re.search(r'<form class="header-join" method="get" action="([^"]+)"', page)
    assert form and form.group(1) == url("join")
    assert '<label for="header-join-code">Join a meeting</label>' in page


def test_a_code_typed_in_the_box_opens_that_meeting(client, live_meeting):
    response = client.get(url("join"), {"code": live_meeting.join_code.lower()})
    assert response.status_code == 302
    assert response.url == url("join_code", live_meeting.join_code)


def test_the_home_page_has_a_join_box_too(client, db):
    page = client.get(reverse("home")).content.decode()
    assert '<label for="home-join-code">Meeting code</label>' in page


def test_a_new_account_gets_a_first_step(db):
    client = Client()
    response = client.post(
        reverse("signup"),
        {
            "username": "newbie",
            "email": "newbie@example.com",
            "password1": "a-Long-reading-list-42",
            "password2": "a-Long-reading-list-42",
        },
        follow=True,
    )
    page = response.content.decode()
    assert "First step:" in page
    assert f'href="{url("club_create")}">Start a club</a>' in page
    assert "Join with an invite link:" in page


def test_the_club_page_shows_the_last_recap(member_client, club, live_meeting):
    live_meeting.end()
    page = member_client.get(url("club", club.slug)).content.decode()
    assert f'href="{url("recap", live_meeting.pk)}">Recap of Never Let Me Go</a>' in page


def test_the_header_links_to_the_calendar_and_email_choices(member_client, member):
    page = member_client.get(reverse("home")).content.decode()
    assert f'href="{url("calendar")}"' in page
    assert f'href="{url("email_preferences")}"' in page


@pytest.mark.parametrize("questions", [3, 30])
def test_the_reading_plan_page_makes_a_fixed_number_of_queries(
    host_client, meeting, django_assert_num_queries, questions
):
    for number in range(questions - 3):
        meeting.add_question(f"Extra question {number}?")
    # session, user, meeting, membership, questions
    with django_assert_num_queries(5):
        response = host_client.get(url("reading_plan", meeting.pk))
    assert response.content.decode().count('type="number" min="1"') == questions


def test_the_calendar_page_makes_a_fixed_number_of_queries(member_client, member, django_assert_num_queries):
    CalendarFeed.of(member)
    with django_assert_num_queries(3):  # session, user, the feed
        member_client.get(url("calendar"))


def test_pages_with_their_own_code_box_have_no_second_one_in_the_header(client, live_meeting):
    for path in (reverse("home"), url("join"), url("join_code", live_meeting.join_code)):
        assert 'class="header-join"' not in client.get(path).content.decode(), path
