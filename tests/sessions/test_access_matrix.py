"""Every club and meeting URL against every kind of visitor, as plain requests and as HTMX requests.

One table says what each of anonymous, outsider, guest, member, host and staff gets from each view. A
visitor who is refused must be refused the same way whether or not the request comes from htmx; where
a request is allowed, htmx may get the partial (200) where a plain post gets its redirect (302).

Statuses: "login" is a redirect to the login page, "redirect" any other redirect.
"""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from sessions.access import SESSION_KEY
from sessions.models import Answer, Club, Meeting, Membership, Participant

ROLES = ("anonymous", "outsider", "guest", "member", "host", "staff")
LOGIN = "login"
REDIRECT = "redirect"
HTMX = {"HX-Request": "true"}


@dataclass
class World:
    club: Club
    member_membership: Membership
    scheduled: Meeting
    live: Meeting
    ended: Meeting
    guest_answer: Answer
    member_answer: Answer
    guest: Participant
    clients: dict[str, Client]


def _logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world(db, host, member, outsider, staff, club, guide) -> World:
    def schedule() -> Meeting:
        return Meeting.schedule(club=club, guide=guide, by=host, starts_at=timezone.now() + timedelta(days=1))

    scheduled, live, ended = schedule(), schedule(), schedule()
    live.start()
    ended.start()
    guest = live.add_guest("Kathy")
    guest_in_ended = ended.add_guest("Kathy")
    member_seat = live.participant_for_user(member, Participant.Role.MEMBER)
    guest_answer = guest.post_answer(live.current_question, "The guest's answer", _token())
    member_answer = member_seat.post_answer(live.current_question, "The member's answer", _token())
    ended.end()

    guest_client = Client()
    session = guest_client.session
    session[SESSION_KEY] = {str(live.pk): guest.pk, str(ended.pk): guest_in_ended.pk}
    session.save()

    return World(
        club=club,
        member_membership=Membership.objects.get(club=club, user=member),
        scheduled=scheduled,
        live=live,
        ended=ended,
        guest_answer=guest_answer,
        member_answer=member_answer,
        guest=guest,
        clients={
            "anonymous": Client(),
            "outsider": _logged_in(outsider),
            "guest": guest_client,
            "member": _logged_in(member),
            "host": _logged_in(host),
            "staff": _logged_in(staff),
        },
    )


def _token() -> str:
    import uuid

    return uuid.uuid4()


# name -> (method, how to build the URL and data from the world, expected per role)
# Expected tuples follow ROLES: anonymous, outsider, guest, member, host, staff.
def _club(w):
    return reverse("sessions:club", args=[w.club.slug]), {}


def _meeting(name, which="live", data=None):
    def build(w):
        meeting = getattr(w, which)
        return reverse(f"sessions:{name}", args=[meeting.pk]), dict(data or {})

    return build


def _question_url(name, data):
    def build(w):
        # Not the question on screen: that one cannot be skipped while the meeting is live.
        question = w.live.questions.last()
        return reverse(f"sessions:{name}", args=[w.live.pk, question.pk]), dict(data)

    return build


def _answer_url(name, which_answer):
    def build(w):
        answer = getattr(w, which_answer)
        return reverse(f"sessions:{name}", args=[w.live.pk, answer.pk]), {}

    return build


def _control(w):
    return reverse("sessions:control", args=[w.live.pk]), {
        "action": "next",
        "version": w.live.control_version,
    }


def _answer_post(w):
    return reverse("sessions:answer_post", args=[w.live.pk]), {
        "question": w.live.current_question_id,
        "text": "An answer from the matrix",
        "client_token": str(_token()),
    }


def _participant_remove(w):
    return reverse("sessions:participant_remove", args=[w.live.pk, w.guest.pk]), {}


def _participant_readmit(w):
    w.guest.remove()
    return reverse("sessions:participant_readmit", args=[w.live.pk, w.guest.pk]), {}


def _member_action(name, data):
    def build(w):
        return reverse(f"sessions:{name}", args=[w.club.slug, w.member_membership.pk]), dict(data)

    return build


def _club_action(name):
    def build(w):
        return reverse(f"sessions:{name}", args=[w.club.slug]), {}

    return build


def _join_code(w):
    return reverse("sessions:join_code", args=[w.live.join_code]), {}


def _fixed(name):
    def build(w):
        return reverse(name), {}

    return build


OK = 200
CASES = {
    # Pages
    "club page": ("get", _club, (LOGIN, 404, LOGIN, OK, OK, 404)),
    "new club": ("get", _fixed("sessions:club_create"), (LOGIN, OK, LOGIN, OK, OK, OK)),
    "new meeting": ("get", _club_action("meeting_create"), (LOGIN, 404, LOGIN, 403, OK, 404)),
    "meeting page": ("get", _meeting("meeting", "live"), (LOGIN, 404, 404, OK, OK, 404)),
    "edit meeting": ("get", _meeting("meeting_edit", "live"), (LOGIN, 404, 404, 403, OK, 404)),
    "calendar file": ("get", _meeting("meeting_ics", "live"), (LOGIN, 404, 404, OK, OK, 404)),
    "presenter view": ("get", _meeting("present"), (LOGIN, 404, 404, 403, OK, 404)),
    "audience screen": ("get", _meeting("screen"), (LOGIN, 404, 404, 403, OK, 404)),
    "member view": ("get", _meeting("live"), (LOGIN, 404, OK, OK, OK, 404)),
    "join page": ("get", _fixed("sessions:join"), (OK, OK, OK, OK, OK, OK)),
    "join code page": ("get", _join_code, (OK, OK, REDIRECT, REDIRECT, REDIRECT, OK)),
    "recap": ("get", _meeting("recap", "ended"), (LOGIN, 404, OK, OK, OK, 404)),
    "recap markdown": ("get", _meeting("recap_markdown", "ended"), (LOGIN, 404, OK, OK, OK, 404)),
    "recap csv": ("get", _meeting("recap_csv", "ended"), (LOGIN, 404, OK, OK, OK, 404)),
    # Club actions
    "reset invite": ("post", _club_action("invite_reset"), (LOGIN, 404, LOGIN, 403, REDIRECT, 404)),
    "make co-host": (
        "post",
        _member_action("member_role", {"role": "host"}),
        (LOGIN, 404, LOGIN, 403, REDIRECT, 404),
    ),
    "remove member": ("post", _member_action("member_remove", {}), (LOGIN, 404, LOGIN, 403, REDIRECT, 404)),
    "leave club": ("post", _club_action("club_leave"), (LOGIN, 404, LOGIN, REDIRECT, REDIRECT, 404)),
    # Meeting preparation
    "rsvp": (
        "post",
        _meeting("rsvp", "live", {"response": "going"}),
        (LOGIN, 404, 404, REDIRECT, REDIRECT, 404),
    ),
    "add question": (
        "post",
        _meeting("question_add", "live", {"text": "A new question?"}),
        (LOGIN, 404, 404, 403, REDIRECT, 404),
    ),
    "edit question": (
        "post",
        _question_url("question_edit", {"text": "Reworded?"}),
        (LOGIN, 404, 404, 403, REDIRECT, 404),
    ),
    "move question": (
        "post",
        _question_url("question_move", {"direction": "down"}),
        (LOGIN, 404, 404, 403, REDIRECT, 404),
    ),
    "skip question": (
        "post",
        _question_url("question_skip", {"skipped": "1"}),
        (LOGIN, 404, 404, 403, REDIRECT, 404),
    ),
    # Hosting
    # The guest holds seats in the live and the ended meeting only: elsewhere they are just anonymous.
    "start meeting": ("post", _meeting("start", "scheduled"), (LOGIN, 404, LOGIN, 403, REDIRECT, 404)),
    "control": ("post", _control, (LOGIN, 404, 404, 403, REDIRECT, 404)),
    "hide answer": (
        "post",
        _answer_url("answer_hide", "guest_answer"),
        (LOGIN, 404, 404, 403, REDIRECT, 404),
    ),
    "remove participant": ("post", _participant_remove, (LOGIN, 404, 404, 403, REDIRECT, 404)),
    "let participant back in": ("post", _participant_readmit, (LOGIN, 404, 404, 403, REDIRECT, 404)),
    # Answering
    "post answer": ("post", _answer_post, (LOGIN, 404, REDIRECT, REDIRECT, REDIRECT, 404)),
    "edit own answer": (
        "post",
        _answer_url("answer_edit", "guest_answer"),
        (LOGIN, 404, "own", 404, 404, 404),
    ),
    "delete the member's answer": (
        "post",
        _answer_url("answer_delete", "member_answer"),
        (LOGIN, 404, 404, "own", 404, 404),
    ),
    "like": (
        "post",
        _answer_url("answer_like", "member_answer"),
        (LOGIN, 404, REDIRECT, REDIRECT, REDIRECT, 404),
    ),
}

MATRIX = [
    pytest.param(name, role, htmx, id=f"{name} | {role}{' | htmx' if htmx else ''}")
    for name in CASES
    for role in ROLES
    for htmx in (False, True)
]


@pytest.mark.parametrize(("name", "role", "htmx"), MATRIX)
def test_each_visitor_gets_what_the_access_rules_allow(world, name, role, htmx):
    method, build, expected_by_role = CASES[name]
    expected = expected_by_role[ROLES.index(role)]
    url, data = build(world)
    if name == "edit own answer":
        data = {"text": "Edited by its author"}
    client = world.clients[role]
    headers = HTMX if htmx else {}
    response = (
        client.get(url, headers=headers) if method == "get" else client.post(url, data, headers=headers)
    )

    status = response.status_code
    if expected == LOGIN:
        assert status == 302, (status, url)
        assert response["Location"].startswith(reverse("login")), response["Location"]
    elif expected == REDIRECT or expected == "own":
        # Allowed: a plain request is redirected after its post; htmx may get the partial in place.
        allowed = {302} if not htmx else {200, 204, 302}
        if name in {"join code page"}:
            allowed = {302}
        assert status in allowed, (status, url)
        if status == 302:
            assert not response["Location"].startswith(reverse("login")), response["Location"]
    else:
        assert status == expected, (status, url)


def test_the_matrix_covers_every_club_and_meeting_url():
    from sessions.urls import urlpatterns

    covered = {
        "club",
        "club_create",
        "meeting_create",
        "meeting",
        "meeting_edit",
        "meeting_ics",
        "present",
        "live",
        "join",
        "join_code",
        "recap",
        "recap_markdown",
        "recap_csv",
        "invite_reset",
        "member_role",
        "member_remove",
        "club_leave",
        "rsvp",
        "question_add",
        "question_edit",
        "question_move",
        "question_skip",
        "start",
        "control",
        "answer_hide",
        "participant_remove",
        "participant_readmit",
        "screen",
        "answer_post",
        "answer_edit",
        "answer_delete",
        "answer_like",
    }
    # The between-meetings URLs have a table of their own (test_planning_access.py).
    from tests.sessions.test_planning_access import COVERED

    covered |= COVERED
    # The invite link joins whoever opens it (tested in test_clubs.py); the event stream needs an ASGI
    # client (tested in test_stream.py).
    assert {pattern.name for pattern in urlpatterns} - covered == {"invite", "events"}
