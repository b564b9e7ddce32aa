"""The meeting's event stream (Server-Sent Events), driven through Django's ASGI handler.

Each test reads the stream as a browser would, chunk by chunk, with a deadline, while the meeting is
changed through the model methods the views use.
"""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connections
from django.test import Client
from django.urls import reverse

from bookclub.asgi import application
from sessions import events
from sessions.access import SESSION_KEY
from sessions.models import Meeting, Participant

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def fast_heartbeat(settings):
    settings.LIVE_HEARTBEAT_SECONDS = 0.3
    settings.LIVE_BROKER = "local"
    events.broker.cache_clear()
    yield
    events.broker.cache_clear()
    events.hub.shutting_down.clear()


def events_url(meeting: Meeting) -> str:
    return reverse("sessions:events", args=[meeting.pk])


def session_cookie(user=None, seat: Participant | None = None) -> str:
    """A session like a browser's: logged in as `user` and/or holding a guest seat."""
    client = Client()
    if user is not None:
        client.force_login(user)
    if seat is not None:
        session = client.session
        session[SESSION_KEY] = {str(seat.meeting_id): seat.pk}
        session.save()
    morsel = client.cookies.get(settings.SESSION_COOKIE_NAME)
    return f"{settings.SESSION_COOKIE_NAME}={morsel.value}" if morsel else ""


class Stream:
    """A request to the real ASGI application (bookclub.asgi), read as a browser's EventSource would."""

    def __init__(self, path: str, cookie: str = "", method: str = "GET") -> None:
        headers = [(b"host", b"testserver")]
        if cookie:
            headers.append((b"cookie", cookie.encode()))
        self.scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
        }
        self.inbox: asyncio.Queue = asyncio.Queue()
        self.outbox: asyncio.Queue = asyncio.Queue()
        self.buffer = ""
        self.finished = False

    async def open(self) -> Stream:
        self.task = asyncio.create_task(application(self.scope, self.inbox.get, self.outbox.put))
        start = await asyncio.wait_for(self.outbox.get(), 5)
        self.status = start["status"]
        self.headers = {key.decode(): value.decode() for key, value in start["headers"]}
        return self

    async def _more(self) -> None:
        message = await self.outbox.get()
        self.buffer += message.get("body", b"").decode()
        if not message.get("more_body"):
            self.finished = True

    async def next_event(self, timeout: float = 2.0) -> dict[str, str]:
        async def read() -> dict[str, str]:
            while True:
                while "\n\n" not in self.buffer:
                    if self.finished:
                        raise EOFError("the stream ended")
                    await self._more()
                block, self.buffer = self.buffer.split("\n\n", 1)
                fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
                if not block.startswith(":") and "event" in fields:
                    return fields  # heartbeats and the retry hint are not events

        return await asyncio.wait_for(read(), timeout)

    async def ended(self, timeout: float = 2.0) -> bool:
        async def drain() -> bool:
            while not self.finished:
                await self._more()
            await self.task
            return True

        return await asyncio.wait_for(drain(), timeout)

    async def disconnect(self) -> None:
        await self.inbox.put({"type": "http.disconnect"})
        await asyncio.wait_for(self.task, 2)


def post_answer(participant: Participant, text: str) -> None:
    question = Meeting.objects.get(pk=participant.meeting_id).current_question
    participant.post_answer(question, text, uuid.uuid4())


def run(coroutine_function):
    """Run a scenario on an event loop of its own thread.

    The browser tests' Playwright keeps an event loop running in the main thread for the whole session,
    and asgiref refuses to start another there.
    """

    async def scenario_then_close_connections():
        try:
            return await coroutine_function()
        finally:
            await sync_to_async(connections.close_all)()  # the thread-sensitive worker's connection

    def in_thread():
        try:
            return asyncio.run(scenario_then_close_connections())
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(in_thread).result()


def test_the_host_is_sent_the_current_version_on_connect_then_each_change(host, live_meeting):
    cookie = session_cookie(host)

    async def scenario():
        stream = await Stream(events_url(live_meeting), cookie).open()
        assert stream.status == 200
        assert stream.headers["content-type"] == "text/event-stream"
        assert stream.headers["x-accel-buffering"] == "no"
        first = await stream.next_event()
        assert first == {
            "event": "meeting",
            "id": str(live_meeting.version),
            "data": str(live_meeting.version),
        }
        guest = await sync_to_async(live_meeting.add_guest)("Kathy")
        await sync_to_async(post_answer)(guest, "Hello")
        latest = await sync_to_async(Meeting.objects.get)(pk=live_meeting.pk)
        seen = int(first["data"])
        while seen < latest.version:
            seen = int((await stream.next_event())["data"])
        assert seen == latest.version
        await stream.disconnect()
        assert events.hub.count() == 0

    run(scenario)


def test_a_dropped_event_is_healed_by_the_next_heartbeat(host, live_meeting, monkeypatch):
    cookie = session_cookie(host)

    async def scenario():
        stream = await Stream(events_url(live_meeting), cookie).open()
        await stream.next_event()
        # The broker loses the next message entirely.
        monkeypatch.setattr(events.hub, "deliver", lambda change: None)
        await sync_to_async(live_meeting.set_locked)(True, seen_version=None)
        event = await stream.next_event(timeout=2)
        assert int(event["data"]) == live_meeting.version
        await stream.disconnect()

    run(scenario)


def test_a_guest_streams_their_meeting_and_the_stream_stops_when_they_are_removed(live_meeting):
    guest = live_meeting.add_guest("Kathy")
    cookie = session_cookie(seat=guest)

    async def scenario():
        stream = await Stream(events_url(live_meeting), cookie).open()
        assert stream.status == 200
        await stream.next_event()
        await sync_to_async(guest.remove)()
        assert (await stream.next_event())["event"] == "meeting"
        assert (await stream.next_event())["event"] == "end"
        assert await stream.ended()
        # Coming back is answered 204, which tells the browser there is nothing more to come.
        assert (await Stream(events_url(live_meeting), cookie).open()).status == 204

    run(scenario)


def test_the_stream_ends_when_the_meeting_ends(host, live_meeting):
    cookie = session_cookie(host)

    async def scenario():
        stream = await Stream(events_url(live_meeting), cookie).open()
        await stream.next_event()
        await sync_to_async(live_meeting.end)()
        assert (await stream.next_event())["event"] == "meeting"
        assert (await stream.next_event())["event"] == "end"
        assert await stream.ended()
        assert (await Stream(events_url(live_meeting), cookie).open()).status == 204

    run(scenario)


def test_streams_end_at_once_when_the_server_shuts_down(host, live_meeting):
    cookie = session_cookie(host)

    async def scenario():
        stream = await Stream(events_url(live_meeting), cookie).open()
        await stream.next_event()
        events.hub.shut_down()
        assert await stream.ended(timeout=1)
        assert events.hub.count() == 0

    run(scenario)


def test_a_stream_sends_heartbeats_while_nothing_happens(host, live_meeting):
    cookie = session_cookie(host)

    async def scenario():
        stream = await Stream(events_url(live_meeting), cookie).open()
        while ": heartbeat" not in stream.buffer:
            await asyncio.wait_for(stream._more(), 2)
        await stream.disconnect()

    run(scenario)


def test_a_closed_browser_tab_releases_its_stream_at_once(host, live_meeting):
    cookie = session_cookie(host)

    async def scenario():
        stream = await Stream(events_url(live_meeting), cookie).open()
        await stream.next_event()
        assert events.hub.count() == 1
        await stream.disconnect()
        assert events.hub.count() == 0

    run(scenario)


@pytest.mark.parametrize(
    ("who", "expected"),
    [("anonymous", 302), ("outsider", 404), ("staff", 404), ("member_without_seat", 404)],
)
def test_the_stream_is_refused_to_anyone_who_could_not_open_the_meeting(
    live_meeting, outsider, staff, member, who, expected
):
    user = {"anonymous": None, "outsider": outsider, "staff": staff, "member_without_seat": member}[who]
    cookie = session_cookie(user)

    async def scenario():
        stream = await Stream(events_url(live_meeting), cookie).open()
        assert stream.status == expected
        if expected == 302:
            assert stream.headers["location"].startswith(reverse("login"))
        assert await stream.ended()

    run(scenario)


def test_a_guest_of_another_meeting_cannot_stream_this_one(club, guide, host, live_meeting):
    other = Meeting.schedule(club=club, guide=guide, by=host, starts_at=live_meeting.starts_at)
    other.start()
    cookie = session_cookie(seat=other.add_guest("Stranger"))

    async def scenario():
        assert (await Stream(events_url(live_meeting), cookie).open()).status == 302

    run(scenario)


def test_only_get_opens_a_stream(host, live_meeting):
    cookie = session_cookie(host)

    async def scenario():
        stream = await Stream(events_url(live_meeting), cookie, method="POST").open()
        assert stream.status == 405

    run(scenario)


def test_a_stream_for_an_unknown_host_name_is_refused(host, live_meeting):
    cookie = session_cookie(host)

    async def scenario():
        stream = Stream(events_url(live_meeting), cookie)
        stream.scope["headers"][0] = (b"host", b"evil.example.com")
        assert (await stream.open()).status == 400

    run(scenario)


def test_under_wsgi_the_stream_answers_204_so_screens_fall_back_to_polling(host_client, live_meeting):
    response = host_client.get(events_url(live_meeting))
    assert response.status_code == 204


def test_through_django_alone_the_events_url_keeps_the_access_rules(outsider_client, client, live_meeting):
    assert outsider_client.get(events_url(live_meeting)).status_code == 404
    assert client.get(events_url(live_meeting))["Location"].startswith(reverse("login"))


def test_a_listener_keeps_constant_memory_however_many_changes_arrive():
    async def scenario():
        listener = events.Listener(1, asyncio.get_running_loop())
        for version in range(1, 5001):
            listener.offer(events.Change(1, version))
        await asyncio.sleep(0)
        assert listener.version == 5000
        assert listener.removed == set()
        assert await listener.wait(0.1) is True
        assert await listener.wait(0.05) is False  # five thousand changes woke it once

    run(scenario)


def test_a_malformed_broker_message_is_ignored():
    assert events.Change.decode(b"not json") is None
    assert events.Change.decode(events.Change(3, 7, ended=True).encode()) == events.Change(3, 7, ended=True)


def test_a_change_is_announced_only_once_its_transaction_commits(live_meeting, monkeypatch):
    published = []
    monkeypatch.setattr(events.LocalBroker, "publish", lambda self, change: published.append(change))
    from django.db import transaction

    with transaction.atomic():
        live_meeting.set_locked(True, seen_version=None)
        assert published == []
    assert [change.version for change in published] == [live_meeting.version]


def test_the_member_view_page_connects_to_the_stream(member_client, live_meeting):
    page = member_client.get(reverse("sessions:live", args=[live_meeting.pk])).content.decode()
    assert f'sse-connect="{events_url(live_meeting)}"' in page
    assert 'hx-trigger="sse:meeting, poll"' in page


def test_the_presenter_view_connects_to_the_stream(host_client, live_meeting):
    page = host_client.get(reverse("sessions:present", args=[live_meeting.pk])).content.decode()
    assert f'sse-connect="{events_url(live_meeting)}"' in page
    assert 'hx-trigger="sse:meeting, poll"' in page


def test_polling_can_be_switched_off(settings, member_client, live_meeting):
    settings.LIVE_POLL_SECONDS = 0
    page = member_client.get(reverse("sessions:live", args=[live_meeting.pk])).content.decode()
    assert 'data-live-poll="0"' in page


def test_the_wsgi_client_is_a_plain_client():
    # Guard for the 204 test above: Django's test Client goes through the WSGI handler.
    assert Client().handler.__class__.__name__ == "ClientHandler"
