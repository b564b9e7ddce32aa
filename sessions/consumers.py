"""The live stream of a meeting screen: Server-Sent Events carrying the meeting's rendered state.

One consumer per open screen, in the meeting's group on the channel layer. On connect it writes the
current state first, then whatever sessions/live_state.py pushes to the group, each region as an event
whose `id` is the meeting version it shows. Every heartbeat carries the version too: a screen that
shows an older one reconnects and so gets the whole current state, and the stream itself re-reads the
version, so a push lost between processes heals within one beat.

A stream ends, and tells the browser not to come back (HTTP 204 on reconnect), when the meeting ends or
the viewer is removed. On server shutdown every stream ends at once; browsers reconnect by themselves
to whichever process is up.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from typing import Any, cast
from urllib.parse import parse_qs, urlencode

from asgiref.sync import sync_to_async
from asgiref.typing import HTTPRequestEvent
from channels.exceptions import StopConsumer
from channels.generic.http import AsyncHttpConsumer
from django.conf import settings
from django.http import Http404
from django.http.request import split_domain_port, validate_host
from django.shortcuts import resolve_url

from sessions import access, live_state

logger = logging.getLogger(__name__)

RETRY_MS = 1000  # how soon a browser reconnects after a drop


class StreamLimits:
    """Open streams per session and per address in this process: one guest must not be able to hold
    a thousand streams and exhaust the server's file descriptors for everyone else."""

    def __init__(self) -> None:
        self.by_session: Counter[str] = Counter()
        self.by_address: Counter[str] = Counter()

    def admit(self, session_key: str, address: str) -> bool:
        if self.by_session[session_key] >= settings.LIVE_STREAMS_PER_SESSION:
            return False
        if self.by_address[address] >= settings.LIVE_STREAMS_PER_ADDRESS:
            return False
        self.by_session[session_key] += 1
        self.by_address[address] += 1
        return True

    def release(self, session_key: str, address: str) -> None:
        self.by_session[session_key] -= 1
        self.by_address[address] -= 1
        if self.by_session[session_key] <= 0:
            del self.by_session[session_key]
        if self.by_address[address] <= 0:
            del self.by_address[address]


limits = StreamLimits()
open_streams: set[MeetingStream] = set()
_finishing: set[asyncio.Task] = set()


def end_all_streams() -> None:
    """Server shutdown: end every open stream of this process now (browsers reconnect elsewhere)."""
    for stream in list(open_streams):
        task = asyncio.ensure_future(stream.finish())
        _finishing.add(task)
        task.add_done_callback(_finishing.discard)


class MeetingStream(AsyncHttpConsumer):
    meeting_id: int
    audience: str
    participant_id: int | None
    sent_version: int
    admitted: tuple[str, str] | None = None
    heartbeat: asyncio.Task | None = None
    finished: bool = False

    async def http_request(self, message: HTTPRequestEvent) -> None:
        # AsyncHttpConsumer ends the consumer when handle() returns; a stream lives on, taking the
        # group's messages, until the browser goes or the stream finishes.
        if "body" in message:
            self.body.append(message["body"])
        if not message.get("more_body"):
            await self.handle(b"".join(self.body))

    async def handle(self, body: bytes) -> None:
        # AuthMiddlewareStack adds the session and the user, URLRouter the route: not in channels' HTTPScope.
        scope = cast(dict[str, Any], self.scope)
        self.meeting_id = int(scope["url_route"]["kwargs"]["pk"])
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        requested = query.get("audience", ["members"])[0]
        if self.scope["method"] != "GET":
            return await self._refuse(405, [(b"allow", b"GET")])
        if not _host_allowed(scope):
            return await self._refuse(400)
        session = scope["session"]
        session_key = session.session_key or ""
        address = (self.scope.get("client") or ("", 0))[0]
        if not limits.admit(session_key, address):
            return await self._refuse(429, [(b"retry-after", b"30")])
        self.admitted = (session_key, address)
        try:
            seat = await sync_to_async(_authorize, thread_sensitive=False)(
                scope["user"], session, self.meeting_id, requested
            )
        except access.LoginRequired:
            path = self.scope["path"] + (
                "?" + self.scope["query_string"].decode() if self.scope.get("query_string") else ""
            )
            login = f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': path})}"
            return await self._refuse(302, [(b"location", login.encode())])
        except Http404:
            return await self._refuse(404)
        except Exception:  # never a traceback down the wire: the stream simply is not there
            logger.exception("Refusing an event stream after an error")
            return await self._refuse(503, [(b"retry-after", b"5")])
        self.audience, self.participant_id = seat
        # Join the group before reading the state, so no change can fall between the two.
        await self.channel_layer.group_add(live_state.group_name(self.meeting_id), self.channel_name)
        try:
            state = await live_state.store.current(self.meeting_id)
        except Exception:
            logger.exception("Could not read meeting %s for a stream", self.meeting_id)
            return await self._refuse(503, [(b"retry-after", b"5")])
        if self._is_over(state):
            return await self._refuse(204)  # EventSource does not come back after a 204
        await self.send_headers(
            status=200,
            headers=[
                (b"content-type", b"text/event-stream"),
                (b"cache-control", b"no-cache, no-transform"),
                # nginx buffers responses unless told not to; a buffered stream arrives in lumps.
                (b"x-accel-buffering", b"no"),
                (b"x-content-type-options", b"nosniff"),
            ],
        )
        open_streams.add(self)
        self.sent_version = 0
        await self.send_body(f"retry: {RETRY_MS}\n\n".encode(), more_body=True)
        await self._send_state(state)
        if "once" in query:
            # A screen whose stream never delivers (a proxy that buffers) polls for the state instead.
            return await self.finish()
        self.heartbeat = asyncio.create_task(self._beat())

    async def dispatch(self, message: dict) -> None:
        # Channels closes stale database connections before every handler, by a hop to a worker
        # thread; a push touches no database, and with 500 screens those hops were a fifth of the
        # server's time per change.
        if message["type"] == "meeting.state":
            return await self.meeting_state(message)
        return await super().dispatch(message)

    async def meeting_state(self, message: dict) -> None:
        """A push from sessions/live_state.py, through the channel layer."""
        state = live_state.LiveState.from_message(message)
        live_state.store.remember(state)
        if not self.finished:
            await self._send_state(state)

    async def _send_state(self, state: live_state.LiveState) -> None:
        if state.version < self.sent_version:
            return  # an older render overtaken by a newer one (two processes, or a heal)
        if self.participant_id is not None and self.participant_id in state.removed:
            await self.send_body(live_state.sse_event("removed", "", state.version).encode(), more_body=True)
            return await self.finish()
        shown, self.sent_version = self.sent_version, state.version
        await self.send_body(state.for_screen_at(self.audience, shown), more_body=True)
        if state.ended:
            await self.send_body(live_state.sse_event("end", "", state.version).encode(), more_body=True)
            await self.finish()

    async def _beat(self) -> None:
        interval = settings.LIVE_HEARTBEAT_SECONDS
        while not self.finished:
            await asyncio.sleep(interval)
            try:
                version = await live_state.store.version(self.meeting_id, max_age=interval / 2)
                if version > self.sent_version:
                    await self._send_state(await live_state.store.current(self.meeting_id, version))
                if not self.finished:
                    event = live_state.sse_event("heartbeat", str(self.sent_version))
                    await self.send_body(event.encode(), more_body=True)
            except asyncio.CancelledError:
                raise
            except Exception:  # the database is away: keep the stream, try again next beat
                logger.warning("A stream's heartbeat failed", exc_info=True)

    def _is_over(self, state: live_state.LiveState) -> bool:
        return state.ended or (self.participant_id is not None and self.participant_id in state.removed)

    async def finish(self) -> None:
        """End the response; the server then reports the disconnect, which stops the consumer."""
        if self.finished:
            return
        self.finished = True
        open_streams.discard(self)
        await self.send_body(b"", more_body=False)

    async def _refuse(self, status: int, headers: list | None = None) -> None:
        self.finished = True
        await self.send_response(status, b"", headers=headers or [])
        await self.disconnect()
        raise StopConsumer()

    async def disconnect(self) -> None:
        open_streams.discard(self)
        if self.heartbeat is not None:
            self.heartbeat.cancel()
            self.heartbeat = None
        if self.admitted is not None:
            limits.release(*self.admitted)
            self.admitted = None
        if hasattr(self, "meeting_id") and self.channel_layer is not None:
            await self.channel_layer.group_discard(live_state.group_name(self.meeting_id), self.channel_name)


def _authorize(user, session, pk: int, requested: str) -> tuple[str, int | None]:
    try:
        return access.stream_seat(user, session, pk, requested)
    finally:
        live_state._release_connection()


def _host_allowed(scope: dict) -> bool:
    host = dict(scope.get("headers", [])).get(b"host", b"").decode("latin-1")
    domain, _ = split_domain_port(host)
    allowed = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    return bool(domain) and validate_host(domain, allowed)
