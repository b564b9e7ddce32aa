"""What every screen of a live meeting shows, rendered once per change and pushed to all of them.

A change (a control, an answer, a like, moderation) moves the meeting's `version` and calls `changed()`
once its transaction commits. In a server process that holds screens, a short debounce later one task
renders the meeting's state for each audience and sends it to the meeting's group on the channel layer
(in-memory on one process, Redis between processes); every open stream (sessions/consumers.py) writes
its audience's part to its screen as Server-Sent Events. Screens never fetch after an event.

Audiences, and the regions each one gets (event name -> HTML for the element with that `sse-swap`):
- "presenter": the host's presenter view (controls, moderation, people, speaker notes);
- "screen": the audience screen for the TV (no controls, nothing per answer);
- "members": the phones (question and everyone's answers; what is the viewer's own stays out of it,
  and static/js/live.js applies their like states and own answers from their own requests).

Nothing here uses a request: no CSRF token (htmx sends it from `hx-headers` on <body>), no user.
Debouncing coalesces bursts (a flood of likes makes one push per interval, carrying all of them).
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from dataclasses import dataclass, field

from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import BaseChannelLayer, get_channel_layer
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from sessions.models import Answer, Meeting

logger = logging.getLogger(__name__)

AUDIENCES = ("presenter", "screen", "members")
PRESENT_TEMPLATE = "sessions/live/present.html"
SCREEN_TEMPLATE = "sessions/live/screen.html"
MEMBER_TEMPLATE = "sessions/live/member.html"
# Regions of each page that a push replaces, by SSE event name -> the page template's partial.
REGIONS = {
    "presenter": {"live": f"{PRESENT_TEMPLATE}#live"},
    "screen": {"screen": f"{SCREEN_TEMPLATE}#screen"},
    "members": {"stage": f"{MEMBER_TEMPLATE}#stage", "answers": f"{MEMBER_TEMPLATE}#answers"},
}
# Pushed lists stop here; the recap keeps every answer. A phone shows 100 answers to one question at
# most, and a room that writes more reads the rest afterwards.
MAX_PUSHED_ANSWERS = 100
TIMER_CHOICES = [(30, "30 s"), (60, "1 min"), (120, "2 min"), (300, "5 min")]


def _layer() -> BaseChannelLayer:
    """The channel layer: settings.CHANNEL_LAYERS always defines one, so it is never None."""
    layer = get_channel_layer()
    if layer is None:
        raise ImproperlyConfigured("CHANNEL_LAYERS defines no default layer.")
    return layer


def group_name(meeting_id: int) -> str:
    return f"meeting-{meeting_id}"


@dataclass(frozen=True)
class LiveState:
    """One version of a meeting as each audience sees it, ready to write down a stream."""

    meeting_id: int
    version: int
    ended: bool
    removed: frozenset[int]  # participants the host removed: their streams end
    events: dict[str, bytes] = field(default_factory=dict)  # audience -> its SSE events, encoded once
    # What changed since version `base`, per audience: for a stream whose screen shows `base`.
    base: int | None = None
    updates: dict[str, bytes] = field(default_factory=dict)

    def message(self) -> dict:
        """The channel layer message (sessions/consumers.py `meeting_state`)."""
        return {
            "type": "meeting.state",
            "meeting": self.meeting_id,
            "version": self.version,
            "ended": self.ended,
            "removed": sorted(self.removed),
            "events": self.events,
            "base": self.base,
            "updates": self.updates,
        }

    @classmethod
    def from_message(cls, message: dict) -> LiveState:
        return cls(
            message["meeting"],
            message["version"],
            message["ended"],
            frozenset(message["removed"]),
            message["events"],
            message.get("base"),
            message.get("updates", {}),
        )

    def for_screen_at(self, audience: str, shown: int) -> bytes:
        """The events that take a screen of `audience` showing version `shown` to this version."""
        if self.base is not None and shown == self.base and audience in self.updates:
            return self.updates[audience]
        return self.events[audience]


def sse_event(name: str, data: str, event_id: int | None = None) -> str:
    lines = [f"event: {name}"]
    if event_id is not None:
        lines.append(f"id: {event_id}")
    # Templates' indentation and blank lines are a third of a region's bytes, and every screen gets
    # them; pushed regions hold no <pre> or <textarea>, where they would matter.
    lines.extend(f"data: {line.lstrip()}" for line in data.split("\n") if line.strip() or not data)
    return "\n".join(lines) + "\n\n"


# ---------- Rendering ----------


def load_meeting(pk: int, *, notes: bool = True) -> Meeting:
    """The meeting with everything its live screens show, in a constant number of queries (`notes`:
    with the guide's talking points and quotes, which only the presenter shows)."""
    meetings = Meeting.objects.select_related("club", "guide", "current_question", "spotlight__participant")
    if notes:
        meetings = meetings.prefetch_related("guide__talking_points", "guide__quotes")
    return meetings.prefetch_related("questions").get(pk=pk)


def screen_context(meeting: Meeting, *, people: bool = True) -> dict:
    """Everything the three audiences' regions need, read once for all of them (`people`: with the
    participants, which only the presenter lists)."""
    questions = list(meeting.questions.all())
    active = [q for q in questions if not q.skipped]
    number, total = meeting.question_number(questions)
    current = next((q for q in questions if q.pk == meeting.current_question_id), None)
    answers = list(
        Answer.objects.filter(question_id=meeting.current_question_id)
        .select_related("participant")
        .with_like_counts()
        .order_by("created_at", "id")
    )
    shown = [answer for answer in answers if not answer.hidden]
    if meeting.sort_by_likes:
        shown.sort(key=lambda answer: -answer.like_count)  # stable: equal likes stay in time order
    for position, answer in enumerate(shown, 1):
        answer.pk_str = str(answer.pk)  # the answer's own URLs are the answers URL, its id and an action
        answer.likes_label = f"{answer.like_count} like{'s' if answer.like_count != 1 else ''}"
        answer.position = position  # "Hide answer 3": stays the answer's number as later ones arrive
    participants = list(meeting.participants.all()) if people else []
    timer = timer_context(meeting)
    return {
        "meeting": meeting,
        "number": number,
        "total": total,
        "current": current,
        "questions": active,
        "answers": shown[:MAX_PUSHED_ANSWERS] if meeting.sort_by_likes else shown[-MAX_PUSHED_ANSWERS:],
        "newest_first": list(reversed(shown[-MAX_PUSHED_ANSWERS:])),
        "answer_count": len(shown),
        "more_answers": max(0, len(shown) - MAX_PUSHED_ANSWERS),
        "hidden_answers": [answer for answer in answers if answer.hidden],
        "hidden_ids": " ".join(str(answer.pk) for answer in answers if answer.hidden),
        "participants": [p for p in participants if not p.removed],
        "removed_participants": [p for p in participants if p.removed],
        "is_first": number <= 1,
        "is_last": number >= total,
        "needs_reveal": meeting.answers_visible == Meeting.AnswersVisible.AFTER_REVEAL,
        "sees_all": meeting.answers_shown_to_participants,
        "show_names": meeting.show_names,
        "live_poll_seconds": settings.LIVE_POLL_SECONDS,
        "live_heartbeat_seconds": settings.LIVE_HEARTBEAT_SECONDS,
        "locked": meeting.is_live and meeting.answers_closed,
        "timer_choices": TIMER_CHOICES,
        "question_timer_label": (
            f"Start timer ({duration(current.timer_seconds)})" if current and current.timer_seconds else ""
        ),
        **_notes(meeting),
        "reading": _reading(meeting),
        "urls": _urls(meeting),
        "server_now": timezone.now().isoformat(),
        **timer,
    }


def _notes(meeting: Meeting) -> dict:
    guide = meeting.guide
    cache = getattr(guide, "_prefetched_objects_cache", {}) if guide is not None else {}
    if guide is None or "talking_points" not in cache:
        return {"talking_points": [], "quotes": []}
    return {
        "talking_points": list(guide.talking_points.all()),
        "quotes": list(guide.quotes.all()),
    }


def _reading(meeting: Meeting) -> str:
    """How many in the room have reached the reading target (issue 12), e.g. "5 of 9 have reached
    Parts 1-2"; one query, and none when the meeting has no target."""
    if meeting.reading_target is None:
        return ""
    reached, total = meeting.reading_target_reached()
    return f"{reached} of {total} {'has' if reached == 1 else 'have'} reached {meeting.reading_target_label}"


def _urls(meeting: Meeting) -> dict[str, str]:
    # Reversed once per render: the answer lists build per-answer URLs from these prefixes.
    return {
        "control": reverse("sessions:control", args=[meeting.pk]),
        "answers": reverse("sessions:answer_post", args=[meeting.pk]),
        "recap": reverse("sessions:recap", args=[meeting.pk]),
    }


def timer_context(meeting: Meeting) -> dict:
    if meeting.timer_ends_at is None:
        return {"timer_running": False, "time_left": None, "time_left_display": "", "ends_at": ""}
    seconds = max(0, math.ceil((meeting.timer_ends_at - timezone.now()).total_seconds()))
    return {
        "timer_running": True,
        "time_left": seconds,
        "time_left_display": duration(seconds),
        "ends_at": meeting.timer_ends_at.isoformat(),
    }


def duration(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


def render_state(pk: int) -> LiveState:
    """Render every audience's regions of meeting `pk` as it is now, and what changed since the last
    render in this process (`LiveState.updates`)."""
    try:
        meeting = load_meeting(pk)
        context = screen_context(meeting)
        context["pushed"] = True
        # The countdown ticks on the screen (static/js/live.js) from data-ends-at: pushed HTML stays the
        # same from second to second, so a new answer during a countdown is still only a new answer.
        if context["timer_running"]:
            context["time_left_display"] = ""
        memory = _memories.get(pk) or _memories.setdefault(pk, RenderMemory(pk))
        rendered = memory.render(meeting, context)
        if meeting.is_ended:
            _memories.pop(pk, None)  # nothing follows an end: a screen that comes back gets it whole
        removed = frozenset(p.pk for p in context["removed_participants"])
        return LiveState(
            pk,
            meeting.version,
            meeting.is_ended,
            removed,
            rendered.events,
            rendered.base,
            rendered.updates,
        )
    finally:
        _release_connection()


# ---------- Rendering only what changed ----------

# Each audience's list of answers: (region holding it, the item template, the list's id, where new
# answers go when the list is newest first). The rest of a region is its "frame".
ANSWER_LISTS = {
    "presenter": (
        "live",
        f"{PRESENT_TEMPLATE}#presenter_answer",
        "presenter-answer-list",
        "presenter-answer",
    ),
    "screen": ("screen", "sessions/live/_screen_answer.html", "audience-answer-list", "audience-answer"),
    "members": ("answers", f"{MEMBER_TEMPLATE}#member_answer", "member-answer-list", "member-answer"),
}
COUNTS = {
    "presenter": f"{PRESENT_TEMPLATE}#presenter_count",
    "screen": f"{SCREEN_TEMPLATE}#screen_count",
}
ITEMS_CONTEXT = {"presenter": "presenter_items", "screen": "screen_items", "members": "member_items"}


@dataclass
class Rendered:
    events: dict[str, bytes]
    base: int | None
    updates: dict[str, bytes]


@dataclass
class RenderMemory:
    """What this process last rendered for one meeting: each region's HTML, its frame (the region with
    no answers in it and every count at zero), and the answers it lists. The next render sends a
    screen that showed that version only what differs: new answers as an append, counts on their own,
    a region whole only when something else in it changed."""

    meeting_id: int
    version: int | None = None
    regions: dict[tuple[str, str], str] = field(default_factory=dict)
    frames: dict[str, tuple[str, bool]] = field(default_factory=dict)
    listed: dict[str, list[tuple]] = field(default_factory=dict)
    items: dict[tuple, str] = field(default_factory=dict)
    people: tuple[tuple, str] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def render(self, meeting: Meeting, context: dict) -> Rendered:
        # Renders of one meeting run on worker threads; each compares with the one before it.
        with self.lock:
            return self._render(meeting, context)

    def _render(self, meeting: Meeting, context: dict) -> Rendered:
        listed, fresh_items = self._items(meeting, context)
        context["people_items"] = self._people(meeting, context)
        frame_context = {**context, "answers": [], "newest_first": [], "answer_count": 0, "more_answers": 0}
        for items in ITEMS_CONTEXT.values():
            frame_context[items] = ""
        events: dict[str, bytes] = {}
        updates: dict[str, bytes] = {}
        regions: dict[tuple[str, str], str] = {}
        frames: dict[str, tuple[str, bool]] = {}
        version = meeting.version
        for audience, names in REGIONS.items():
            list_region, _template, list_id, item_id = ANSWER_LISTS[audience]
            full, changed = [], []
            delta = ""
            for name, template in names.items():
                html = render_to_string(template, context).strip()
                regions[audience, name] = html
                full.append(sse_event(name, html, version))
                if self.regions.get((audience, name)) == html:
                    continue
                if name == list_region:
                    frame = (render_to_string(template, frame_context).strip(), bool(listed[audience]))
                    frames[audience] = frame
                    delta = self._delta(audience, frame, listed[audience], list_id, item_id, context)
                    if delta:
                        continue
                changed.append(sse_event(name, html, version))
            events[audience] = "".join(full).encode()
            if delta:
                # First, so that a screen checks the version it is built on before anything moves it on.
                changed.insert(0, sse_event("delta", f"<!--base:{self.version}-->{delta}", version))
            # Nothing this audience sees changed: the screen still learns that it shows this version,
            # which the next update builds on.
            updates[audience] = ("".join(changed) or sse_event("version", str(version), version)).encode()
        base = self.version
        for audience in REGIONS:
            if audience not in frames:  # the list's region did not change: its frame did not either
                frames[audience] = self.frames.get(audience, ("", False))
        self.version, self.regions, self.frames, self.listed = version, regions, frames, listed
        self.items = fresh_items
        return Rendered(events, base, updates)

    def _delta(self, audience, frame, listed, list_id, item_id, context) -> str:
        """Out-of-band swaps that take the list from what was rendered last to `listed`, or "" when the
        region changed in another way and goes whole: answers may leave the front (the list is capped
        at MAX_PUSHED_ANSWERS), arrive at the end, or change in place (likes, an edit)."""
        before = self.listed.get(audience)
        if not before or not listed or self.frames.get(audience) != frame:
            return ""
        old_ids = [key[1] for key, _html in before]
        new_ids = [key[1] for key, _html in listed]
        still_listed = set(new_ids)
        kept = [pk for pk in old_ids if pk in still_listed]
        dropped = old_ids[: len(old_ids) - len(kept)]
        if not kept or old_ids[len(dropped) :] != kept or new_ids[: len(kept)] != kept:
            return ""  # something left from the middle, or the order changed: the list goes whole
        old_keys = {key[1]: key for key, _html in before}
        parts = [f'<li id="{item_id}-{pk}" hx-swap-oob="delete"></li>' for pk in dropped]
        for key, html in listed[: len(kept)]:
            if old_keys[key[1]] != key:  # the same answer, shown differently: replace it where it is
                parts.append(html.replace("<li ", '<li hx-swap-oob="true" ', 1))
        added = [html for _key, html in listed[len(kept) :]]
        if added:
            if audience == "screen" and not context["meeting"].sort_by_likes:  # newest first
                parts.append(f'<ol hx-swap-oob="afterbegin:#{list_id}">{"".join(reversed(added))}</ol>')
            else:
                parts.append(f'<ul hx-swap-oob="beforeend:#{list_id}">{"".join(added)}</ul>')
        if audience in COUNTS:
            parts.append(render_to_string(COUNTS[audience], {**context, "oob": True}).strip())
        return "".join(parts)

    def _items(self, meeting: Meeting, context: dict) -> tuple[dict[str, list[tuple]], dict[tuple, str]]:
        """Each audience's answers as (key, HTML), rendered only when the key (everything the item
        shows) is new; and the items to keep for the next render."""
        members_see = meeting.is_live and context["sees_all"]
        shown = {
            "presenter": context["answers"],
            "screen": context["answers"] if context["sees_all"] else [],
            "members": context["answers"] if members_see else [],
        }
        fresh: dict[tuple, str] = {}
        listed: dict[str, list[tuple]] = {}
        for audience, answers in shown.items():
            template = ANSWER_LISTS[audience][1]
            pairs = []
            for answer in answers:
                key = (
                    audience,
                    answer.pk,
                    answer.text,
                    answer.participant.display_name,
                    answer.participant.role,
                    answer.like_count,
                    answer.position,
                    meeting.show_names,
                    meeting.spotlight_id == answer.pk,
                    meeting.control_version,
                )
                html = self.items.get(key) or fresh.get(key)
                if html is None:
                    html = render_to_string(template, {**context, "answer": answer}).strip()
                fresh[key] = html
                pairs.append((key, html))
            listed[audience] = pairs
            htmls = [html for _key, html in pairs]
            if audience == "screen" and not meeting.sort_by_likes:
                htmls.reverse()
            context[ITEMS_CONTEXT[audience]] = mark_safe(
                "".join(htmls)
            )  # items the templates rendered and escaped
        return listed, fresh

    def _people(self, meeting: Meeting, context: dict) -> str:
        people = context["participants"]
        key = tuple((p.pk, p.display_name, p.role) for p in people)
        if self.people is None or self.people[0] != key:
            html = "".join(
                render_to_string(f"{PRESENT_TEMPLATE}#person", {**context, "person": person}).strip()
                for person in people
            )
            self.people = (key, mark_safe(html))  # rendered and escaped by the template
        return self.people[1]


# One per meeting this process renders; a process renders the meetings whose changes it took.
_memories: dict[int, RenderMemory] = {}


def _release_connection() -> None:
    # Renders and stream reads run on shared worker threads; none may keep a database connection.
    if not connection.in_atomic_block:
        connection.close()


# ---------- This process's newest states ----------


class StateStore:
    """The newest state of each meeting this process has rendered or been sent, so that a stream that
    (re)connects gets the current state without a render of its own, however many connect at once."""

    def __init__(self) -> None:
        self._states: dict[int, LiveState] = {}
        self._versions: dict[int, tuple[float, int]] = {}
        self._locks: dict[int, asyncio.Lock] = {}

    def remember(self, state: LiveState) -> None:
        known = self._states.get(state.meeting_id)
        if known is None or state.version >= known.version:
            self._states[state.meeting_id] = state

    def newest(self, meeting_id: int) -> LiveState | None:
        return self._states.get(meeting_id)

    async def current(self, meeting_id: int, version: int | None = None) -> LiveState:
        """The state at `version` (the database's, read now when not given) or newer."""
        if version is None:
            version = await self.version(meeting_id, max_age=0)
        known = self._states.get(meeting_id)
        if known is not None and known.version >= version:
            return known
        lock = self._locks.setdefault(meeting_id, asyncio.Lock())
        async with lock:  # one render for a crowd of screens reconnecting at once
            known = self._states.get(meeting_id)
            if known is None or known.version < version:
                known = await sync_to_async(render_state, thread_sensitive=False)(meeting_id)
                self.remember(known)
        return self._states[meeting_id]

    async def version(self, meeting_id: int, *, max_age: float) -> int:
        """The meeting's version in the database, read at most once per `max_age` seconds per process."""
        read_at, version = self._versions.get(meeting_id, (0.0, 0))
        if time.monotonic() - read_at > max_age or max_age == 0:
            version = await sync_to_async(_read_version, thread_sensitive=False)(meeting_id)
            self._versions[meeting_id] = (time.monotonic(), version)
        return version

    def clear(self) -> None:
        _memories.clear()
        self._states.clear()
        self._versions.clear()
        self._locks.clear()

    def forget(self, meeting_id: int) -> None:
        _memories.pop(meeting_id, None)
        self._states.pop(meeting_id, None)
        self._versions.pop(meeting_id, None)


def _read_version(pk: int) -> int:
    try:
        return Meeting.objects.filter(pk=pk).values_list("version", flat=True).get()
    finally:
        _release_connection()


store = StateStore()


def current_state(pk: int) -> LiveState:
    """The meeting's current state for a request thread (the polling events URL under WSGI): one small
    query for the version, and a render only when no screen of this process has seen that version."""
    version = _read_version(pk)
    known = store.newest(pk)
    if known is None or known.version < version:
        known = render_state(pk)
        store.remember(known)
    return known


# ---------- Publishing ----------


class Publisher:
    """Renders and sends a meeting's state after a change, at most once per `LIVE_PUSH_INTERVAL`.

    It runs in the server's event loop (attached at start-up by bookclub.asgi), where the streams and
    the in-memory channel layer live. Changes arrive from request threads; a burst of them makes one
    render that reads them all, since the render reads the database after the last one committed.
    Outside a server (management commands, WSGI) no screen is held in this process: then a change is
    rendered at once and sent only when a layer reaches other processes.
    """

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self._pending: dict[int, asyncio.Task] = {}
        self._last: dict[int, float] = {}
        self._lock = threading.Lock()

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    def detach(self) -> None:
        self.loop = None

    def changed(self, meeting_id: int) -> None:
        loop = self.loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._schedule, meeting_id)
        elif _layer_reaches_other_processes():
            state = render_state(meeting_id)
            async_to_sync(_layer().group_send)(group_name(meeting_id), state.message())

    def _schedule(self, meeting_id: int) -> None:
        if meeting_id in self._pending:
            return  # a render is on its way and will read this change too
        loop = asyncio.get_running_loop()
        wait = max(0.0, self._last.get(meeting_id, 0.0) + settings.LIVE_PUSH_INTERVAL - loop.time())
        self._pending[meeting_id] = loop.create_task(self._publish(meeting_id, wait))

    async def _publish(self, meeting_id: int, wait: float) -> None:
        try:
            if wait:
                await asyncio.sleep(wait)
        finally:
            # From here on a new change schedules a render of its own.
            self._pending.pop(meeting_id, None)
        self._last[meeting_id] = asyncio.get_running_loop().time()
        try:
            state = await sync_to_async(render_state, thread_sensitive=False)(meeting_id)
        except Meeting.DoesNotExist:
            store.forget(meeting_id)
            return
        except Exception:
            logger.exception("Could not render meeting %s for its screens", meeting_id)
            return
        store.remember(state)
        try:
            await _layer().group_send(group_name(meeting_id), state.message())
        except Exception:  # a broker outage: the screens heal from the heartbeat's version check
            logger.warning("Could not send meeting %s to its screens", meeting_id, exc_info=True)

    async def drain(self) -> None:
        """Wait for the renders under way (tests, and a clean shutdown)."""
        while self._pending:
            await asyncio.gather(*list(self._pending.values()), return_exceptions=True)


def _layer_reaches_other_processes() -> bool:
    backend = settings.CHANNEL_LAYERS.get("default", {}).get("BACKEND", "")
    return "InMemory" not in backend


publisher = Publisher()


def changed(meeting_id: int) -> None:
    """Push meeting `meeting_id` to its screens once the current transaction commits."""
    transaction.on_commit(lambda: publisher.changed(meeting_id))
