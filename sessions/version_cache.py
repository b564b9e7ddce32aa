"""What every screen of a live meeting shares, computed once per meeting version.

Fifty phones in a meeting ask for the member view each time anything changes, and most of what they are
sent is the same for all of them: the meeting's questions, and everyone's answers to the current one,
each with its like button. Loading those and rendering the answers was most of the page's cost, so it is
done once per meeting version and kept in Django's cache (shared through Redis when `REDIS_URL` is set):

- `questions()`: the meeting's questions, in order;
- `shared_answers()`: everyone's answers to the current question, each as it appears in everyone's list
  and as it appears in its author's own list (with its edit and delete buttons);
- `member_page()`: the whole member view (`bookclub.skeleton`), for the screens that show everyone's
  answers while no timer runs (a countdown changes every second).

Only these things differ from one viewer to the next, and `fill()`, `fill_own()` and the page's holes put
them in per request, without a query (the entry knows who liked each answer):

- which answers are left out: the viewer's own are listed apart;
- the CSRF token in each form;
- `aria-pressed` on the like buttons the viewer has pressed;
- on the page: the viewer's name in the account links and the answer form's client token.

They are left as holes in the cached HTML: at render time each hole is a random marker, and the output is
split at the markers. A marker is drawn anew for every render, so no answer text can contain one.

Why the meeting's version is enough of a key: every change a screen must show (an answer posted, edited,
deleted, hidden, a like, a participant joining or removed, a question added, moved, skipped or reworded,
every host control) goes through `Meeting.touch()` or `Meeting._control()`, which move `version`, after
the change itself. The version is read before what is cached under it, so an entry may hold something
newer than its version, never older; newer is harmless, as the next change brings a new version. The
keys also hold the meeting's random join code (ids and versions repeat when a database is re-created next
to a Redis that outlives it) and `skeleton.release()` (a deploy must not serve HTML the old code made).
"""

from __future__ import annotations

import re
import secrets
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.http import HttpRequest
from django.template.loader import get_template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from bookclub import shared_cache, skeleton
from sessions.models import Answer, Like, Meeting, MeetingQuestion

TEMPLATE = "sessions/live/member.html"
PARTIAL = "other_answer"
OWN_TEMPLATE = "sessions/live/_own_answer.html"
# Versions move on with every answer and like, so an entry is read for seconds; the timeout only
# clears entries of meetings that ended.
TIMEOUT_SECONDS = 15 * 60
# The holes in each answer's HTML.
HOLES = ("csrf_token", "pressed")

# Stands in for an answer's id in the URLs that `answer_urls` reverses once per page.
_ANSWER_ID = 9_999_999_999


@dataclass(frozen=True)
class SharedAnswer:
    """One answer as every viewer gets it, and as its author's own list shows it: HTML split at the
    holes (HTML, hole name, HTML, hole name, ..., HTML)."""

    pk: int
    participant_id: int
    liked_by: frozenset[int]  # participant ids
    pieces: tuple[str, ...]
    own_pieces: tuple[str, ...]


def meeting(pk: int, join_code: str, version: int) -> Meeting:
    """Meeting `pk`, with its club and guide, as it is at `version` or newer (`Meeting.DoesNotExist` if
    it is gone). The viewer's seat reads the version with the participant, so the rest of the meeting
    comes from here."""
    entry = shared_cache.get(f"sessions:meeting:{pk}:{join_code}:{version}")
    if entry is None:
        entry = Meeting.objects.select_related("club", "guide").get(pk=pk)
        # Kept under the version it was read at, which may be newer than the one asked for.
        shared_cache.set(f"sessions:meeting:{pk}:{entry.join_code}:{entry.version}", entry, TIMEOUT_SECONDS)
    return entry


def questions(meeting: Meeting) -> list[MeetingQuestion]:
    """The meeting's questions in order, skipped ones included."""
    key = f"sessions:questions:{_meeting_key(meeting)}"
    entry = shared_cache.get(key)
    if entry is None:
        # Read apart from `meeting`, so that the cached questions do not carry the meeting along.
        entry = list(MeetingQuestion.objects.filter(meeting_id=meeting.pk))
        shared_cache.set(key, entry, TIMEOUT_SECONDS)
    return entry


def shared_answers(meeting: Meeting, *, show_names: bool) -> list[SharedAnswer]:
    """Every shown answer to the meeting's current question, oldest first."""
    key = f"sessions:answers:{_answers_key(meeting, show_names)}"
    entry = shared_cache.get(key)
    if entry is None:
        entry = _render(meeting, show_names=show_names)
        shared_cache.set(key, entry, TIMEOUT_SECONDS)
    return entry


def fill(shared: Iterable[SharedAnswer], *, csrf_token: str, viewer: int) -> SafeString:
    """The answers' HTML in everyone's list for one viewer (a participant id): their CSRF token and like
    states in the holes."""
    parts = []
    for answer in shared:
        values = {"csrf_token": csrf_token, "pressed": "true" if viewer in answer.liked_by else "false"}
        # Even indexes are HTML, odd ones hole names (re.split with one group alternates them).
        parts.extend(values[piece] if index % 2 else piece for index, piece in enumerate(answer.pieces))
    # Rendered by the template with autoescaping; the holes hold a token and "true"/"false".
    return mark_safe("".join(parts))


def fill_own(own: Iterable[SharedAnswer], *, csrf_token: str) -> SafeString:
    """The viewer's own answers as their "Your answers" list shows them, with their CSRF token."""
    values = {"csrf_token": csrf_token}
    parts = []
    for answer in own:
        parts.extend(values[piece] if index % 2 else piece for index, piece in enumerate(answer.own_pieces))
    return mark_safe("".join(parts))  # as in fill()


def member_page(
    request: HttpRequest, meeting: Meeting, variant: str, render: Callable[[], skeleton.Skeleton]
) -> skeleton.Skeleton:
    """The member view of `meeting` for one kind of viewer (`variant`, made by the view from what
    changes the page's shape), from the cache or from `render()`."""
    key = (
        f"sessions:page:{_answers_key(meeting, show_names=meeting.show_names)}:"
        f"{skeleton.variant(request)}:{variant}"
    )
    pieces = shared_cache.get(key)
    if pieces is not None:
        return skeleton.Skeleton(pieces)
    page = render()
    shared_cache.set(key, page.pieces, TIMEOUT_SECONDS)
    return page


def answer_urls(meeting: Meeting, answers: list[Answer]) -> None:
    """Give each answer the URLs of its like, edit and delete buttons and its "N likes" label.

    A `{% url %}` per button was a third of the member view's time; reversing each URL once and filling
    in the ids gives the same URLs. The id is the last number in each pattern, hence `rpartition`.
    """
    if not answers:
        return
    patterns = {
        name: reverse(f"sessions:answer_{name}", args=[meeting.pk, _ANSWER_ID]).rpartition(str(_ANSWER_ID))
        for name in ("like", "edit", "delete")
    }
    for answer in answers:
        for name, (head, _, tail) in patterns.items():
            setattr(answer, f"{name}_url", f"{head}{answer.pk}{tail}")
        answer.likes_label = f"{answer.like_count} like{'' if answer.like_count == 1 else 's'}"


def _meeting_key(meeting: Meeting) -> str:
    return f"{meeting.pk}:{meeting.join_code}:{meeting.version}"


def _answers_key(meeting: Meeting, show_names: bool) -> str:
    return f"{_meeting_key(meeting)}:{meeting.current_question_id}:{int(show_names)}:{skeleton.release()}"


def _render(meeting: Meeting, *, show_names: bool) -> list[SharedAnswer]:
    answers = list(
        Answer.objects.shown()
        .filter(question_id=meeting.current_question_id)
        .select_related("participant")
        # Only what the list shows: a hundred answers cost a third less to load without the rest.
        .only("id", "text", "question_id", "participant_id", "participant__id", "participant__display_name")
        .order_by("created_at", "id")
    )
    # Who liked what, so that each viewer's like buttons are filled in without a query of their own.
    liked_by = defaultdict(set)
    for answer_id, participant_id in Like.objects.filter(
        answer__question_id=meeting.current_question_id
    ).values_list("answer_id", "participant_id"):
        liked_by[answer_id].add(participant_id)
    for answer in answers:
        answer.like_count = len(liked_by[answer.pk])
    answer_urls(meeting, answers)
    markers = {name: secrets.token_hex(16) for name in HOLES}
    names = {marker: name for name, marker in markers.items()}
    split = re.compile("(" + "|".join(markers.values()) + ")")
    others = get_template(f"{TEMPLATE}#{PARTIAL}")
    own = get_template(OWN_TEMPLATE)
    # What the author's own list shows: the likes (answers are shown to all), the buttons unless locked.
    own_context = {"sees_all": True, "meeting": meeting, "locked": meeting.is_live and meeting.answers_locked}
    shared = []
    for answer in answers:
        pieces = split.split(others.render({"answer": answer, "show_names": show_names, **markers}))
        own_pieces = split.split(own.render({"answer": answer, **own_context, **markers}))
        shared.append(
            SharedAnswer(
                answer.pk,
                answer.participant_id,
                frozenset(liked_by[answer.pk]),
                tuple(names.get(piece, piece) for piece in pieces),
                tuple(names.get(piece, piece) for piece in own_pieces),
            )
        )
    return shared
