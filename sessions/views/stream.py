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
from collections.abc import AsyncIterator
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.db import connection
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.views.decorators.http import require_GET

from sessions import access, events
from sessions.models import Meeting, Membership, Participant


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


@require_GET
async def meeting_events(request: HttpRequest, pk: int) -> HttpResponse:
    participant_id = await sync_to_async(_viewer)(request, pk)
    if not isinstance(request, ASGIRequest) or events.hub.shutting_down.is_set():
        # No streaming under WSGI: 204 tells the browser's EventSource not to retry, and the page
        # falls back to polling.
        return HttpResponse(status=204)
    state = await _read_state_async(pk, participant_id)
    if state.finished:
        return HttpResponse(status=204)
    response = StreamingHttpResponse(_stream(pk, participant_id), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache, no-transform"
    # nginx buffers responses unless told not to; a buffered stream would arrive in lumps.
    response["X-Accel-Buffering"] = "no"
    return response
