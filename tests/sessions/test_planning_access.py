# ruff: noqa: F811  (the fixture imported from the shared module is used as a parameter of that name)
"""Every between-meetings URL (votes, date polls, reading plan, calendar, email) against every kind of
visitor, as plain and as HTMX requests: the same table style as test_access_matrix.py, on its world."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from sessions import notifications
from sessions.models import BookVote, CalendarFeed, DatePoll, Nomination
from tests.sessions.test_access_matrix import HTMX, LOGIN, REDIRECT, ROLES, World, world  # noqa: F401

OK = 200
COVERED = {
    "vote_create",
    "vote",
    "nominate",
    "nomination_withdraw",
    "vote_start",
    "vote_close",
    "ballot",
    "date_poll_create",
    "date_poll",
    "date_poll_answer",
    "date_poll_close",
    "reading_plan",
    "reading_progress",
    "meeting_cancel",
    "calendar",
    "calendar_reset",
    "calendar_feed",
    "email_preferences",
    "unsubscribe",
}


@dataclass
class Planning:
    world: World
    nominating: BookVote
    voting: BookVote
    nomination: Nomination
    poll: DatePoll
    feed_token: str
    unsubscribe_token: str


@pytest.fixture
def planning(world, member, host) -> Planning:
    club = world.club
    soon = timezone.now() + timedelta(days=5)
    nominating = BookVote.open(club=club, by=host, closes_at=soon)
    nomination = nominating.nominate(by=member, title="The Buried Giant")
    voting = BookVote.open(club=club, by=host, closes_at=soon)
    voting.nominate(by=host, title="Klara and the Sun")
    voting.start_voting()
    poll = DatePoll.offer(club=club, by=host, starts=[soon, soon + timedelta(days=1)])
    return Planning(
        world=world,
        nominating=nominating,
        voting=voting,
        nomination=nomination,
        poll=poll,
        feed_token=CalendarFeed.of(member).token,
        unsubscribe_token=notifications.unsubscribe_token(member, "reminder"),
    )


def _club(name):
    return lambda p: (reverse(f"sessions:{name}", args=[p.world.club.slug]), {})


def _vote(name, which="nominating", data=None):
    return lambda p: (reverse(f"sessions:{name}", args=[getattr(p, which).pk]), dict(data or {}))


def _withdraw(p):
    return reverse("sessions:nomination_withdraw", args=[p.nominating.pk, p.nomination.pk]), {}


def _ballot(p):
    return reverse("sessions:ballot", args=[p.voting.pk]), {"ranking": [p.voting.nominations.get().pk]}


def _poll(name, data=None):
    def build(p):
        payload = dict(data or {})
        if name == "date_poll_answer":
            payload = {f"option_{option.pk}": "yes" for option in p.poll.options.all()}
        return reverse(f"sessions:{name}", args=[p.poll.pk]), payload

    return build


def _meeting(name, data=None):
    return lambda p: (reverse(f"sessions:{name}", args=[p.world.live.pk]), dict(data or {}))


def _scheduled(name):
    return lambda p: (reverse(f"sessions:{name}", args=[p.world.scheduled.pk]), {})


def _fixed(name):
    return lambda p: (reverse(f"sessions:{name}"), {})


def _token(name, attribute):
    return lambda p: (reverse(f"sessions:{name}", args=[getattr(p, attribute)]), {})


HOST_ONLY_POST = (LOGIN, 404, LOGIN, 403, REDIRECT, 404)
MEMBERS_POST = (LOGIN, 404, LOGIN, REDIRECT, REDIRECT, 404)
# Expected tuples follow ROLES: anonymous, outsider, guest, member, host, staff.
CASES = {
    "new vote": ("get", _club("vote_create"), (LOGIN, 404, LOGIN, 403, OK, 404)),
    "vote page": ("get", _vote("vote"), (LOGIN, 404, LOGIN, OK, OK, 404)),
    "nominate": ("post", _vote("nominate", data={"title": "Matrix book"}), MEMBERS_POST),
    "withdraw nomination": ("post", _withdraw, MEMBERS_POST),
    "start voting": ("post", _vote("vote_start"), HOST_ONLY_POST),
    "close vote": ("post", _vote("vote_close", "voting"), HOST_ONLY_POST),
    "ballot": ("post", _ballot, MEMBERS_POST),
    "new date poll": ("get", _club("date_poll_create"), (LOGIN, 404, LOGIN, 403, OK, 404)),
    "date poll": ("get", _poll("date_poll"), (LOGIN, 404, LOGIN, OK, OK, 404)),
    "answer date poll": ("post", _poll("date_poll_answer"), MEMBERS_POST),
    "close date poll": ("post", _poll("date_poll_close"), HOST_ONLY_POST),
    # The guest holds a seat in the live meeting: like its other member pages, these are 404 for them.
    "reading plan": ("get", _meeting("reading_plan"), (LOGIN, 404, 404, 403, OK, 404)),
    "reading progress": (
        "post",
        _meeting("reading_progress", {"position": "3"}),
        (LOGIN, 404, 404, REDIRECT, REDIRECT, 404),
    ),
    "cancel meeting": ("post", _scheduled("meeting_cancel"), (LOGIN, 404, LOGIN, 403, REDIRECT, 404)),
    # Each account has its own calendar and email choices.
    "calendar page": ("get", _fixed("calendar"), (LOGIN, OK, LOGIN, OK, OK, OK)),
    "reset calendar": (
        "post",
        _fixed("calendar_reset"),
        (LOGIN, REDIRECT, LOGIN, REDIRECT, REDIRECT, REDIRECT),
    ),
    "email choices": ("get", _fixed("email_preferences"), (LOGIN, OK, LOGIN, OK, OK, OK)),
    # The secret in the URL is the key (calendar apps and mail apps have no login): whoever holds it.
    "calendar feed": ("get", _token("calendar_feed", "feed_token"), (OK,) * 6),
    "unsubscribe": ("get", _token("unsubscribe", "unsubscribe_token"), (OK,) * 6),
}

MATRIX = [
    pytest.param(name, role, htmx, id=f"{name} | {role}{' | htmx' if htmx else ''}")
    for name in CASES
    for role in ROLES
    for htmx in (False, True)
]


@pytest.mark.parametrize(("name", "role", "htmx"), MATRIX)
def test_each_visitor_gets_what_the_access_rules_allow(planning, name, role, htmx):
    method, build, expected_by_role = CASES[name]
    expected = expected_by_role[ROLES.index(role)]
    url, data = build(planning)
    client = planning.world.clients[role]
    headers = HTMX if htmx else {}
    response = (
        client.get(url, headers=headers) if method == "get" else client.post(url, data, headers=headers)
    )
    status = response.status_code
    if expected == LOGIN:
        assert status == 302, (status, url)
        assert response["Location"].startswith(reverse("login")), response["Location"]
    elif expected == REDIRECT:
        assert status in ({302} if not htmx else {200, 302}), (status, url)
        if status == 302:
            assert not response["Location"].startswith(reverse("login")), response["Location"]
    else:
        assert status == expected, (status, url)


def test_a_made_up_token_is_404_for_everyone(planning):
    for role in ROLES:
        client = planning.world.clients[role]
        assert client.get(reverse("sessions:calendar_feed", args=["nope"])).status_code == 404
        assert client.get(reverse("sessions:unsubscribe", args=["nope"])).status_code == 404
