"""The Django side of `bench.pages`, run inside `manage.py shell` against the benchmark's database.

`setup()` builds what the pages show (a live meeting with guests and answers, an ended one for the recap)
and the sessions the load uses; `count_queries()` asks each page once through Django's test client and
counts its SQL queries, then again with ten times the answers and items (in a transaction that is rolled
back, so the database the server uses is left as it was).
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY
from django.contrib.auth import SESSION_KEY as USER_SESSION_KEY
from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from guides.models import SECTION_MODELS, Guide
from sessions import access
from sessions.models import Answer, Club, Like, Meeting, Participant

GUIDE_SLUG = "never-let-me-go"
LIKES_PER_GUEST = 2
RECAP_MEMBERS = 20


def setup(guests: int, posters: int, answers_per_guest: int) -> None:
    """Print (JSON) the paths and session keys the load needs."""
    guide = Guide.objects.get(slug=GUIDE_SLUG)
    host = User.objects.create_user("hana", "hana@example.com")
    club = Club.create(name="Tuesday Readers", host=host)
    members = [User.objects.create_user(f"reader{n}", f"reader{n}@example.com") for n in range(posters)]
    for user in members:
        club.join(user)

    live = Meeting.schedule(club=club, guide=guide, by=host, starts_at=timezone.now() + timedelta(hours=1))
    live.start()
    question = live.current_question
    seated = [live.add_guest(f"Guest {n}") for n in range(guests)]
    answers = [
        guest.post_answer(
            question, f"Answer {k} of {guest.display_name}: Hailsham shaped them.", uuid.uuid4()
        )
        for guest in seated
        for k in range(answers_per_guest)
    ]
    for index, guest in enumerate(seated):
        for step in range(1, LIKES_PER_GUEST + 1):
            guest.toggle_like(answers[(index * answers_per_guest + step * 7) % len(answers)])
    for user in members:
        live.participant_for_user(user, Participant.Role.MEMBER)

    ended = Meeting.schedule(club=club, guide=guide, by=host, starts_at=timezone.now() - timedelta(hours=2))
    ended.start()
    readers = [ended.participant_for_user(user, Participant.Role.MEMBER) for user in members[:RECAP_MEMBERS]]
    for reader in readers:
        for meeting_question in ended.active_questions():
            reader.post_answer(
                meeting_question, f"{reader.display_name} on “{meeting_question.text}”", uuid.uuid4()
            )
    ended.end()

    print(
        json.dumps(
            {
                "guide": Guide.objects.get(slug=GUIDE_SLUG).get_absolute_url(),
                "live": live.pk,
                "ended": ended.pk,
                "question": question.pk,
                "guest_sessions": [_guest_session(live, guest) for guest in seated],
                "member_sessions": [_member_session(user) for user in members],
            }
        )
    )


def _guest_session(meeting: Meeting, participant: Participant) -> str:
    store = SessionStore()
    store[access.SESSION_KEY] = {str(meeting.pk): participant.pk}
    store.create()
    return store.session_key


def _member_session(user: User) -> str:
    store = SessionStore()
    store[USER_SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


# ---------- Query counts ----------


def count_queries(spec_json: str) -> None:
    """Print (JSON) each page's query count, as it is and with ten times the answers and items."""
    spec = json.loads(spec_json)
    with transaction.atomic():
        counts = {"1x": _count_pages(spec)}
        _multiply(spec, 10)
        counts["10x"] = _count_pages(spec)
        transaction.set_rollback(True)
    cache.clear()
    print(json.dumps(counts))


def _count_pages(spec: dict) -> dict[str, int]:
    live, ended = spec["live"], spec["ended"]
    guest, member = spec["guest_sessions"][0], spec["member_sessions"][0]
    cache.clear()
    counts = {
        "healthz": _count("GET", "/healthz", None, 200),
        "guide page, first visit": _count("GET", spec["guide"], None, 200),
        "guide page": _count("GET", spec["guide"], None, 200),
        # The first screen after a change reads what sessions/version_cache.py then keeps for the others.
        "member view, after a change": _count("GET", f"/meetings/{live}/live/", guest, 200),
        "member view": _count("GET", f"/meetings/{live}/live/", guest, 200),
        "recap": _count("GET", f"/meetings/{ended}/recap/", member, 200),
        "answer post": _count(
            "POST",
            f"/meetings/{live}/answers/",
            member,
            302,
            {"question": spec["question"], "text": "Counted.", "client_token": str(uuid.uuid4())},
        ),
    }
    return counts


def _count(method: str, path: str, session_key: str | None, expected: int, data: dict | None = None) -> int:
    client = Client(HTTP_HOST="127.0.0.1")
    if session_key:
        client.cookies["sessionid"] = session_key
    with CaptureQueriesContext(connection) as queries:
        response = client.post(path, data) if method == "POST" else client.get(path)
    if response.status_code != expected:
        raise RuntimeError(f"{method} {path} answered {response.status_code}, expected {expected}")
    return len(queries)


def _multiply(spec: dict, factor: int) -> None:
    """Make every list of the guide and the answers (with their likes) of both meetings `factor` times
    as long."""
    guide = Guide.objects.get(slug=GUIDE_SLUG)
    for model in SECTION_MODELS.values():
        for item in list(model.objects.filter(guide=guide)):
            for copy in range(1, factor):
                item.pk = None
                item.position += 1000 * copy
                item.save()
                item.position -= 1000 * copy
    guide.update_reading_time()
    for meeting in Meeting.objects.filter(pk__in=[spec["live"], spec["ended"]]):
        originals = list(Answer.objects.filter(question__meeting=meeting))
        likes = list(Like.objects.filter(answer__question__meeting=meeting))
        copies = []
        for _ in range(1, factor):
            for answer in originals:
                copies.append(
                    Answer(
                        question_id=answer.question_id,
                        participant_id=answer.participant_id,
                        text=answer.text,
                        client_token=uuid.uuid4(),
                    )
                )
        Answer.objects.bulk_create(copies)
        by_original = {}
        for index, copy in enumerate(copies):
            by_original.setdefault(originals[index % len(originals)].pk, []).append(copy)
        Like.objects.bulk_create(
            Like(answer=copy, participant_id=like.participant_id)
            for like in likes
            for copy in by_original.get(like.answer_id, [])
        )
        meeting.touch()
