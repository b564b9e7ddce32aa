"""The live stream of a meeting: Server-Sent Events that tell an open screen the meeting changed.

Each event names the meeting's new version and nothing else; the screen answers by fetching its live
regions (the same partials the polling fetches, which say 204 when the screen is already current). So a
lost event, a dropped connection or a server restart can delay a screen but never leave it wrong: on
every (re)connect the stream first sends the current version, and every heartbeat re-reads it.

A stream ends, and tells the browser not to come back (HTTP 204 on reconnect), when the meeting has ended
or the viewer was removed from it. On server shutdown streams end at once; browsers reconnect on their
own to whichever process is up.
"""

from __future__ import annotations

import asyncio
import io
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from importlib import import_module

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib import auth
from django.core.exceptions import DisallowedHost
from django.core.handlers.asgi import ASGIRequest
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from sessions import access, events
from sessions.models import Meeting, Membership, Participant

logger = logging.getLogger(__name__)

# The events URL (sessions:events), matched by bookclub.asgi before Django's handler sees the request.
EVENTS_PATH = re.compile(r"^/meetings/(?P<pk>[0-9]+)/events/$")


@dataclass(frozen=True)
class StreamState:
    version: int
    ended: bool
    removed: bool

    @property
    def finished(self) -> bool:
        return self.ended or self.removed


def _viewer(request: HttpRequest, pk: int) -> int | None:
    """The participant whose removal ends the stream (None for the club's hosts).

    Anyone who could open the meeting's presenter or member view may stream it; anyone else is refused
    exactly as those views refuse them (login, or 404).
    """
    try:
        if request.user.is_authenticated:
            membership = Membership.objects.filter(club__meetings=pk, user=request.user).first()
            if membership is not None and membership.is_host:
                return None
        return access.seat_in_meeting(request, pk, create=False).participant.pk
    finally:
        _release_connection()


def _read_state(pk: int, participant_id: int | None) -> StreamState:
    try:
        meeting = Meeting.objects.only("version", "state").get(pk=pk)
        removed = (
            participant_id is not None
            and Participant.objects.filter(pk=participant_id, removed=True).exists()
        )
        return StreamState(meeting.version, meeting.state == Meeting.State.ENDED, removed)
    finally:
        _release_connection()


def _release_connection() -> None:
    # Streams are long-lived and many; none may hold a database connection between its short reads.
    if not connection.in_atomic_block:
        connection.close()


# Reads run on the shared worker pool rather than one thread per stream: hundreds of open streams
# must not mean hundreds of threads.
_read_state_async = sync_to_async(_read_state, thread_sensitive=False)


def _event(name: str, version: int) -> str:
    return f"event: {name}\nid: {version}\ndata: {version}\n\n"


async def _stream(pk: int, participant_id: int | None) -> AsyncIterator[str]:
    listener = events.Listener(pk, asyncio.get_running_loop())
    # Listen before reading the state, so no change can fall between the two.
    events.hub.add(listener)
    try:
        await events.broker().ensure_listening()
        state = await _read_state_async(pk, participant_id)
        # Tell the browser how soon to reconnect after a drop.
        yield "retry: 1000\n\n"
        sent = None
        while True:
            if state.version != sent:
                yield _event("meeting", state.version)
                sent = state.version
            if state.finished:
                yield _event("end", state.version)
                return
            woke = await listener.wait(settings.LIVE_HEARTBEAT_SECONDS)
            if events.hub.shutting_down.is_set():
                return
            if woke:
                state = StreamState(
                    max(listener.version, state.version),
                    state.ended or listener.ended,
                    state.removed or (participant_id in listener.removed),
                )
            else:
                state = await _read_state_async(pk, participant_id)
                if state.version == sent and not state.finished:
                    yield ": heartbeat\n\n"
    finally:
        events.hub.remove(listener)


async def serve_events(scope: dict, receive, send, pk: int) -> None:
    """The stream itself, as a bare ASGI app (bookclub.asgi routes the events URL here).

    It runs outside Django's request handler on purpose: that handler gives every request a thread of
    its own for the sync parts of the middleware, and keeps it for as long as the response lasts, so
    each open stream would hold a thread (about 300 KB) for the whole meeting. Here the few database
    reads run on the shared worker pool and an idle stream costs only its socket and a small task.
    """
    request = ASGIRequest(scope, io.BytesIO())
    try:
        response = await _authorize_async(request, pk)
    except Exception:  # never a traceback down the wire: the stream simply is not there
        logger.exception("Refusing an event stream after an error")
        response = (500, [])
    if response is not None:
        status, headers = response
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return
    participant_id = request.stream_participant_id
    state = await _read_state_async(pk, participant_id)
    if state.finished or events.hub.shutting_down.is_set():
        # 204 tells the browser's EventSource that there is nothing more to come.
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        return

    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"text/event-stream"),
                (b"cache-control", b"no-cache, no-transform"),
                # nginx buffers responses unless told not to; a buffered stream arrives in lumps.
                (b"x-accel-buffering", b"no"),
                (b"x-content-type-options", b"nosniff"),
            ],
        }
    )

    async def pump() -> None:
        async for chunk in _stream(pk, participant_id):
            await send({"type": "http.response.body", "body": chunk.encode(), "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    async def until_disconnect() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    pumping = asyncio.create_task(pump())
    listening = asyncio.create_task(until_disconnect())
    done, pending = await asyncio.wait({pumping, listening}, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    for task in done:
        if not task.cancelled() and task.exception() is not None and task is pumping:
            logger.warning("An event stream failed", exc_info=task.exception())


def _authorize(request: ASGIRequest, pk: int) -> tuple[int, list] | None:
    """Check the viewer exactly as the meeting's views would; None if they may stream.

    The session and user are read here, in a worker thread, as Django's middleware would read them.
    """
    if request.method != "GET":
        return 405, [(b"allow", b"GET")]
    try:
        request.get_host()
    except DisallowedHost:
        return 400, []
    engine = import_module(settings.SESSION_ENGINE)
    request.session = engine.SessionStore(request.COOKIES.get(settings.SESSION_COOKIE_NAME))
    request.user = auth.get_user(request)
    try:
        request.stream_participant_id = _viewer(request, pk)
    except access.LoginRequired:
        return 302, [(b"location", access.login_redirect(request)["Location"].encode())]
    except Http404:
        return 404, []
    return None


_authorize_async = sync_to_async(_authorize, thread_sensitive=False)


@require_GET
def meeting_events(request: HttpRequest, pk: int) -> HttpResponse:
    """The events URL as Django serves it: only when the app runs without bookclub.asgi (say under
    WSGI), where nothing can stream. 204 tells the browser not to retry, and the page polls instead."""
    _viewer(request, pk)
    return HttpResponse(status=204)
