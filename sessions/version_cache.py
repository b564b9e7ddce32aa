"""What every screen of a live meeting shares, computed once per meeting version.

Fifty phones in a meeting ask for the member view each time anything changes, and most of what they are
sent is the same for all of them: the meeting's questions, and everyone's answers to the current one,
each with its like button. Loading those and rendering the answers was most of the page's cost, so it is
done once per meeting version and kept in Django's cache (shared through Redis when `REDIS_URL` is set):

- `questions()`: the meeting's questions, in order;
- `shared_answers()`: everyone's answers to the current question, one piece of HTML per answer.

Only three things in the answers' HTML differ from one viewer to the next, and `fill()` puts them in per
request, without a query (the entry knows who liked each answer):

- which answers are left out: the viewer's own are listed apart, with their edit and delete buttons
  (`SharedAnswer.as_own_answer`);
- the CSRF token in each like form;
- `aria-pressed` on the like buttons the viewer has pressed.

They are left as holes in the cached HTML: at render time each hole is a random marker, and the output is
split at the markers. A marker is drawn anew for every render, so no answer text can contain one.

Why the meeting's version is enough of a key: every change a screen must show (an answer posted, edited,
deleted, hidden, a like, a participant joining or removed, a question added, moved, skipped or reworded,
every host control) goes through `Meeting.touch()` or `Meeting._control()`, which move `version`, after
the change itself. The version is read before what is cached under it, so an entry may hold something
newer than its version, never older; newer is harmless, as the next change brings a new version. The
keys also hold the meeting's random join code (ids and versions repeat when a database is re-created next
to a Redis that outlives it) and a digest of the template (a deploy must not serve HTML the old template
made).
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.cache import cache
from django.template.loader import get_template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from sessions.models import Answer, Like, Meeting, MeetingQuestion

TEMPLATE = "sessions/live/member.html"
PARTIAL = "other_answer"
# Versions move on with every answer and like, so an entry is read for seconds; the timeout only
# clears entries of meetings that ended.
TIMEOUT_SECONDS = 15 * 60
# The holes in each answer's HTML, in the order the template prints them.
HOLES = ("csrf_token", "pressed")

# Stands in for an answer's id in the URLs that `answer_urls` reverses once per page.
_ANSWER_ID = 9_999_999_999


@dataclass(frozen=True)
class SharedAnswer:
    """One answer of the list as every viewer gets it: its HTML split at the holes, and what its
    author's own screen shows of it instead."""

    pk: int
    participant_id: int
    text: str
    liked_by: frozenset[int]  # participant ids
    pieces: tuple[str, ...]  # HTML, hole name, HTML, hole name, ..., HTML

    def as_own_answer(self, meeting: Meeting) -> Answer:
        """The answer as its author's "Your answers" list needs it (with its edit and delete buttons),
        made from the cache rather than read again."""
        answer = Answer(
            pk=self.pk,
            question_id=meeting.current_question_id,
            participant_id=self.participant_id,
            text=self.text,
        )
        answer.like_count = len(self.liked_by)
        return answer


def questions(meeting: Meeting) -> list[MeetingQuestion]:
    """The meeting's questions in order, skipped ones included."""
    key = f"sessions:questions:{_meeting_key(meeting)}"
    entry = cache.get(key)
    if entry is None:
        # Read apart from `meeting`, so that the cached questions do not carry the meeting along.
        entry = list(MeetingQuestion.objects.filter(meeting_id=meeting.pk))
        cache.set(key, entry, TIMEOUT_SECONDS)
    return entry


def shared_answers(meeting: Meeting, *, show_names: bool) -> list[SharedAnswer]:
    """Every shown answer to the meeting's current question, oldest first."""
    # The template is looked up each time: in debug mode it reloads while the server runs.
    digest = _digest(get_template(TEMPLATE).template.source)
    key = f"sessions:answers:{_meeting_key(meeting)}:{meeting.current_question_id}:{int(show_names)}:{digest}"
    entry = cache.get(key)
    if entry is None:
        entry = _render(meeting, get_template(f"{TEMPLATE}#{PARTIAL}"), show_names=show_names)
        cache.set(key, entry, TIMEOUT_SECONDS)
    return entry


def fill(shared: Iterable[SharedAnswer], *, csrf_token: str, viewer: int) -> SafeString:
    """The answers' HTML for one viewer (a participant id): their CSRF token and like states in the
    holes."""
    parts = []
    for answer in shared:
        values = {"csrf_token": csrf_token, "pressed": "true" if viewer in answer.liked_by else "false"}
        # Even indexes are HTML, odd ones hole names (re.split with one group alternates them).
        parts.extend(values[piece] if index % 2 else piece for index, piece in enumerate(answer.pieces))
    # Rendered by the template with autoescaping; the holes hold a token and "true"/"false".
    return mark_safe("".join(parts))


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


@functools.lru_cache(maxsize=4)
def _digest(source: str) -> str:
    return hashlib.blake2b(source.encode(), digest_size=8).hexdigest()


def _render(meeting: Meeting, template, *, show_names: bool) -> list[SharedAnswer]:
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
    shared = []
    for answer in answers:
        html = template.render({"answer": answer, "show_names": show_names, **markers})
        pieces = tuple(names.get(piece, piece) for piece in split.split(html))
        likers = frozenset(liked_by[answer.pk])
        shared.append(SharedAnswer(answer.pk, answer.participant_id, answer.text, likers, pieces))
    return shared
