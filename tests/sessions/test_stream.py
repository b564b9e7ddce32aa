"""The meeting's event stream (Server-Sent Events), driven through Django's ASGI handler.

Each test reads the stream as a browser would, chunk by chunk, with a deadline, while the meeting is
changed through the model methods the views use.
"""

import asyncio
import uuid

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.test import AsyncClient, Client
from django.urls import reverse

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


async def async_client_for(user=None, seat: Participant | None = None) -> AsyncClient:
    client = AsyncClient()
    if user is not None:
        await client.aforce_login(user)
    if seat is not None:
        session = await client.asession()
        session[SESSION_KEY] = {str(seat.meeting_id): seat.pk}
        await session.asave()
    return client


class Reader:
    """Reads server-sent events from a streaming response, each within a deadline."""

    def __init__(self, response):
        self.chunks = response.streaming_content.__aiter__()
        self.buffer = ""

    async def next_event(self, timeout: float = 2.0) -> dict[str, str]:
        async def read() -> dict[str, str]:
            while "\n\n" not in self.buffer:
                self.buffer += (await anext(self.chunks)).decode()
            block, self.buffer = self.buffer.split("\n\n", 1)
            fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
            if block.startswith(":") or "event" not in fields:
                return await read()  # heartbeats and the retry hint are not events
            return fields

        return await asyncio.wait_for(read(), timeout)

    async def ended(self, timeout: float = 2.0) -> bool:
        async def drain() -> bool:
            async for _ in self.chunks:
                pass
            return True

        return await asyncio.wait_for(drain(), timeout)


def post_answer(participant: Participant, text: str) -> None:
    question = Meeting.objects.get(pk=participant.meeting_id).current_question
    participant.post_answer(question, text, uuid.uuid4())


def run(coroutine_function):
    return async_to_sync(coroutine_function)()


def test_the_host_is_sent_the_current_version_on_connect_then_each_change(host, live_meeting):
    async def scenario():
        client = await async_client_for(host)
        response = await client.get(events_url(live_meeting))
        assert response.status_code == 200
        assert response["Content-Type"] == "text/event-stream"
        assert response["X-Accel-Buffering"] == "no"
        reader = Reader(response)
        first = await reader.next_event()
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
            seen = int((await reader.next_event())["data"])
        assert seen == latest.version

    run(scenario)


def test_a_dropped_event_is_healed_by_the_next_heartbeat(host, live_meeting, monkeypatch):
    async def scenario():
        client = await async_client_for(host)
        reader = Reader(await client.get(events_url(live_meeting)))
        await reader.next_event()
        # The broker loses the next message entirely.
        monkeypatch.setattr(events.hub, "deliver", lambda change: None)
        await sync_to_async(live_meeting.set_locked)(True, seen_version=None)
        event = await reader.next_event(timeout=2)
        assert int(event["data"]) == live_meeting.version

    run(scenario)


def test_a_guest_streams_their_meeting_and_the_stream_stops_when_they_are_removed(live_meeting):
    async def scenario():
        guest = await sync_to_async(live_meeting.add_guest)("Kathy")
        client = await async_client_for(seat=guest)
        response = await client.get(events_url(live_meeting))
        assert response.status_code == 200
        reader = Reader(response)
        await reader.next_event()
        await sync_to_async(guest.remove)()
        assert (await reader.next_event())["event"] == "meeting"
        assert (await reader.next_event())["event"] == "end"
        assert await reader.ended()
        # Coming back is refused with 204, which tells the browser to stop reconnecting.
        assert (await client.get(events_url(live_meeting))).status_code == 204

    run(scenario)


def test_the_stream_ends_when_the_meeting_ends(host, live_meeting):
    async def scenario():
        client = await async_client_for(host)
        reader = Reader(await client.get(events_url(live_meeting)))
        await reader.next_event()
        await sync_to_async(live_meeting.end)()
        assert (await reader.next_event())["event"] == "meeting"
        assert (await reader.next_event())["event"] == "end"
        assert await reader.ended()
        assert (await client.get(events_url(live_meeting))).status_code == 204

    run(scenario)


def test_streams_end_at_once_when_the_server_shuts_down(host, live_meeting):
    async def scenario():
        client = await async_client_for(host)
        reader = Reader(await client.get(events_url(live_meeting)))
        await reader.next_event()
        events.hub.shut_down()
        assert await reader.ended(timeout=1)
        assert events.hub.count() == 0

    run(scenario)


def test_a_stream_sends_heartbeats_while_nothing_happens(host, live_meeting):
    async def scenario():
        client = await async_client_for(host)
        response = await client.get(events_url(live_meeting))
        chunks = response.streaming_content.__aiter__()
        received = ""
        while ": heartbeat" not in received:
            received += (await asyncio.wait_for(anext(chunks), 2)).decode()
        await chunks.aclose()

    run(scenario)


@pytest.mark.parametrize(
    ("who", "expected"),
    [("anonymous", 302), ("outsider", 404), ("staff", 404), ("member_without_seat", 404)],
)
def test_the_stream_is_refused_to_anyone_who_could_not_open_the_meeting(
    request, live_meeting, outsider, staff, member, who, expected
):
    users = {"anonymous": None, "outsider": outsider, "staff": staff, "member_without_seat": member}

    async def scenario():
        client = await async_client_for(users[who])
        response = await client.get(events_url(live_meeting))
        assert response.status_code == expected
        if expected == 302:
            assert response["Location"].startswith(reverse("login"))

    run(scenario)


def test_a_guest_of_another_meeting_cannot_stream_this_one(club, guide, host, live_meeting):
    other = Meeting.schedule(club=club, guide=guide, by=host, starts_at=live_meeting.starts_at)
    other.start()
    stranger = other.add_guest("Stranger")

    async def scenario():
        client = await async_client_for(seat=stranger)
        assert (await client.get(events_url(live_meeting))).status_code == 302

    run(scenario)


def test_under_wsgi_the_stream_answers_204_so_screens_fall_back_to_polling(host_client, live_meeting):
    response = host_client.get(events_url(live_meeting))
    assert response.status_code == 204


def test_posting_to_the_stream_is_not_allowed(host_client, live_meeting):
    assert host_client.post(events_url(live_meeting)).status_code == 405


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
