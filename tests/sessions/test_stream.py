"""The meeting's live stream (Server-Sent Events through Channels), driven through bookclub.asgi.

Each test reads the stream as a browser's EventSource would, chunk by chunk, with a deadline, while the
meeting is changed through the model methods the views use. The publisher renders on the test's own
event loop, as it does on the server's.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.sync import sync_to_async
from channels.layers import channel_layers
from django.conf import settings
from django.db import connections, transaction
from django.test import Client
from django.urls import reverse

from bookclub.asgi import application
from sessions import consumers, live_state
from sessions.access import SESSION_KEY
from sessions.models import Meeting, Participant

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def fresh_live_state(settings):
    settings.LIVE_HEARTBEAT_SECONDS = 0.3
    settings.LIVE_PUSH_INTERVAL = 0.05
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "bookclub.channel_layers.InMemoryChannelLayer"}}
    channel_layers.backends.clear()  # a layer's queues belong to one event loop; each test has its own
    live_state.store.clear()
    yield
    live_state.store.clear()
    channel_layers.backends.clear()
    consumers.limits.by_session.clear()
    consumers.limits.by_address.clear()


def events_url(meeting: Meeting, audience: str = "") -> str:
    url = reverse("sessions:events", args=[meeting.pk])
    return f"{url}?audience={audience}" if audience else url


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

    def __init__(self, url: str, cookie: str = "", method: str = "GET", host: bytes = b"testserver") -> None:
        path, _, query = url.partition("?")
        headers = [(b"host", host)]
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
            "query_string": query.encode(),
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
        await self.inbox.put({"type": "http.request", "body": b"", "more_body": False})
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
            await self.inbox.put({"type": "http.disconnect"})  # as the server says once a response ends

    async def next_event(
        self, timeout: float = 2.0, name: str | tuple[str, ...] | None = None
    ) -> dict[str, str]:
        """The next event (of `name`, or of one of the names, when given): its fields, with every data
        line joined."""
        names = (name,) if isinstance(name, str) else name

        async def read() -> dict[str, str]:
            while True:
                while "\n\n" not in self.buffer:
                    if self.finished:
                        raise EOFError("the stream ended")
                    await self._more()
                block, self.buffer = self.buffer.split("\n\n", 1)
                fields: dict[str, str] = {}
                for line in block.splitlines():
                    key, _, value = line.partition(": ")
                    fields[key] = f"{fields[key]}\n{value}" if key == "data" and key in fields else value
                if "event" in fields and (names is None or fields["event"] in names):
                    return fields

        return await asyncio.wait_for(read(), timeout)

    async def event_with(self, text: str, name: str, timeout: float = 2.0) -> dict[str, str]:
        """Read on until an event `name` whose HTML holds `text`, or a "delta" that does (what changed
        since the version before, as out-of-band swaps: new answers, counts)."""

        async def read() -> dict[str, str]:
            while True:
                event = await self.next_event(timeout=timeout, name=(name, "delta"))
                if text in event.get("data", ""):
                    return event

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


def post_answer(participant: Participant, text: str):
    question = Meeting.objects.get(pk=participant.meeting_id).current_question
    return participant.post_answer(question, text, uuid.uuid4())


def run(coroutine_function):
    """Run a scenario on an event loop of its own thread, with the publisher attached to it as the
    server's lifespan does.

    The browser tests' Playwright keeps an event loop running in the main thread for the whole session,
    and asgiref refuses to start another there.
    """

    async def scenario_then_close_connections():
        live_state.publisher.attach(asyncio.get_running_loop())
        try:
            return await coroutine_function()
        finally:
            await live_state.publisher.drain()
            live_state.publisher.detach()
            await sync_to_async(connections.close_all)()  # the thread-sensitive worker's connection

    def in_thread():
        try:
            return asyncio.run(scenario_then_close_connections())
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(in_thread).result()


def test_the_presenter_gets_the_rendered_state_on_connect_then_each_change(host, live_meeting):
    cookie = session_cookie(host)
    question = live_meeting.current_question.text

    async def scenario():
        stream = await Stream(events_url(live_meeting, "presenter"), cookie).open()
        assert stream.status == 200
        assert stream.headers["content-type"] == "text/event-stream"
        assert stream.headers["x-accel-buffering"] == "no"
        first = await stream.next_event(name="live")
        assert first["id"] == str(live_meeting.version)
        assert question in first["data"]
        assert "Next question" in first["data"]
        guest = await sync_to_async(live_meeting.add_guest)("Kathy")
        await sync_to_async(post_answer)(guest, "Hailsham felt like a boarding school")
        pushed = await stream.event_with("Hailsham felt like a boarding school", name="live")
        assert int(pushed["id"]) > int(first["id"])
        await stream.disconnect()
        assert not consumers.open_streams

    run(scenario)


def test_phones_get_the_question_and_everyones_answers_with_nothing_of_any_viewer(live_meeting, member):
    guest = live_meeting.add_guest("Kathy")
    member_seat = live_meeting.participant_for_user(member, Participant.Role.MEMBER)
    answer = post_answer(member_seat, "Ruth's view")
    answer.likes.create(participant=guest)
    cookie = session_cookie(seat=guest)
    question = live_meeting.current_question.text

    async def scenario():
        stream = await Stream(events_url(live_meeting), cookie).open()
        stage = await stream.next_event(name="stage")
        answers = await stream.next_event(name="answers")
        assert question in stage["data"]
        assert "Ruth&#x27;s view" in answers["data"] or "Ruth's view" in answers["data"]
        # Rendered once for every phone: no CSRF token, no like state, no "this is yours".
        assert "csrfmiddlewaretoken" not in answers["data"]
        assert 'aria-pressed="true"' not in answers["data"]
        assert "Next question" not in stage["data"] + answers["data"]
        await stream.disconnect()

    run(scenario)


def test_one_change_is_rendered_once_however_many_screens_are_open(host, live_meeting, monkeypatch):
    guests = [live_meeting.add_guest(f"Reader {n}") for n in range(5)]
    cookies = [session_cookie(seat=guest) for guest in guests]
    renders = []
    original = live_state.render_state
    monkeypatch.setattr(live_state, "render_state", lambda pk: renders.append(pk) or original(pk))

    async def scenario():
        streams = [await Stream(events_url(live_meeting), cookie).open() for cookie in cookies]
        for stream in streams:
            await stream.next_event(name="answers")
        renders.clear()
        await sync_to_async(post_answer)(guests[0], "Only one render for this")
        for stream in streams:
            await stream.event_with("Only one render for this", "answers")
        assert renders == [live_meeting.pk]
        for stream in streams:
            await stream.disconnect()

    run(scenario)


def test_a_burst_of_changes_is_pushed_as_few_renders_that_end_on_the_newest(
    live_meeting, settings, monkeypatch
):
    settings.LIVE_PUSH_INTERVAL = 0.3
    guest = live_meeting.add_guest("Kathy")
    cookie = session_cookie(seat=guest)
    renders = []
    original = live_state.render_state
    monkeypatch.setattr(live_state, "render_state", lambda pk: renders.append(pk) or original(pk))

    async def scenario():
        stream = await Stream(events_url(live_meeting), cookie).open()
        await stream.next_event(name="answers")
        renders.clear()
        started = time.monotonic()
        for n in range(20):
            await sync_to_async(post_answer)(guest, f"Burst answer {n}")
        posting = time.monotonic() - started
        await stream.event_with("Burst answer 19", "answers", timeout=3)
        # About one render per interval while the burst lasts (the first at once, then one per interval, then
        # the last one after it), never one per change.
        assert len(renders) <= posting / 0.3 + 3 < 20
        await stream.disconnect()

    run(scenario)


def test_a_lost_push_heals_at_the_next_heartbeat(host, live_meeting, monkeypatch):
    cookie = session_cookie(host)

    async def scenario():
        stream = await Stream(events_url(live_meeting, "presenter"), cookie).open()
        await stream.next_event(name="live")
        layer = live_state.get_channel_layer()

        async def lose(group, message):
            return None

        monkeypatch.setattr(layer, "group_send", lose)
        await sync_to_async(live_meeting.set_locked)(True, seen_version=None)
        healed = await stream.event_with("Unlock answers", "live", timeout=3)
        assert int(healed["id"]) == live_meeting.version
        await stream.disconnect()

    run(scenario)


def test_heartbeats_carry_the_version_the_stream_has_sent(host, live_meeting):
    cookie = session_cookie(host)

    async def scenario():
        stream = await Stream(events_url(live_meeting, "presenter"), cookie).open()
        beat = await stream.next_event(name="heartbeat")
        assert beat["data"] == str(live_meeting.version)
        await stream.disconnect()

    run(scenario)


def test_a_removed_guest_is_told_and_their_stream_ends_for_good(live_meeting):
    guest = live_meeting.add_guest("Kathy")
    cookie = session_cookie(seat=guest)

    async def scenario():
        stream = await Stream(events_url(live_meeting), cookie).open()
        await stream.next_event(name="stage")
        await sync_to_async(guest.remove)()
        assert (await stream.next_event(name="removed"))["event"] == "removed"
        assert await stream.ended()
        # Coming back is answered 204, which tells the browser there is nothing more to come.
        assert (await Stream(events_url(live_meeting), cookie).open()).status == 204

    run(scenario)


def test_when_the_meeting_ends_phones_get_the_last_state_then_the_end(host, live_meeting):
    guest = live_meeting.add_guest("Kathy")
    cookie = session_cookie(seat=guest)

    async def scenario():
        stream = await Stream(events_url(live_meeting), cookie).open()
        await stream.next_event(name="stage")
        await sync_to_async(live_meeting.end)()
        assert "The meeting has ended" in (await stream.event_with("ended", "stage"))["data"]
        assert (await stream.next_event(name="end"))["event"] == "end"
        assert await stream.ended()
        assert (await Stream(events_url(live_meeting), cookie).open()).status == 204

    run(scenario)


def test_streams_end_at_once_when_the_server_shuts_down(host, live_meeting):
    cookie = session_cookie(host)

    async def scenario():
        stream = await Stream(events_url(live_meeting, "presenter"), cookie).open()
        await stream.next_event()
        consumers.end_all_streams()
        assert await stream.ended(timeout=1)
        assert not consumers.open_streams

    run(scenario)


def test_a_closed_browser_tab_releases_its_stream_and_its_place_at_once(host, live_meeting):
    cookie = session_cookie(host)

    async def scenario():
        stream = await Stream(events_url(live_meeting, "presenter"), cookie).open()
        await stream.next_event()
        assert len(consumers.open_streams) == 1
        await stream.disconnect()
        assert not consumers.open_streams
        assert not consumers.limits.by_address

    run(scenario)


def test_one_session_cannot_hold_more_than_its_share_of_streams(host, live_meeting, settings):
    settings.LIVE_STREAMS_PER_SESSION = 3
    cookie = session_cookie(host)

    async def scenario():
        streams = [await Stream(events_url(live_meeting, "presenter"), cookie).open() for _ in range(3)]
        assert [stream.status for stream in streams] == [200, 200, 200]
        refused = await Stream(events_url(live_meeting, "presenter"), cookie).open()
        assert refused.status == 429
        await streams[0].disconnect()
        again = await Stream(events_url(live_meeting, "presenter"), cookie).open()
        assert again.status == 200
        for stream in [*streams[1:], again]:
            await stream.disconnect()

    run(scenario)


def test_a_stream_asked_once_sends_the_state_and_ends(host, live_meeting):
    cookie = session_cookie(host)

    async def scenario():
        stream = await Stream(events_url(live_meeting, "presenter") + "&once=1", cookie).open()
        assert (await stream.next_event(name="live"))["id"] == str(live_meeting.version)
        assert await stream.ended()

    run(scenario)


def test_a_database_error_after_authorising_still_ends_with_a_response(host, live_meeting, monkeypatch):
    cookie = session_cookie(host)

    async def broken(meeting_id, version=None):
        raise RuntimeError("unable to open database file")

    monkeypatch.setattr(live_state.store, "current", broken)

    async def scenario():
        stream = await Stream(events_url(live_meeting, "presenter"), cookie).open()
        assert stream.status == 503
        assert await stream.ended()

    run(scenario)


@pytest.mark.parametrize(
    ("who", "audience", "expected"),
    [
        ("anonymous", "", 302),
        ("anonymous", "presenter", 302),
        ("outsider", "", 404),
        ("staff", "", 404),
        ("staff", "screen", 404),
        ("member_without_seat", "", 404),
        ("member", "presenter", 404),
        ("member", "screen", 404),
        ("guest", "presenter", 302),
        ("host", "screen", 200),
        ("host", "nonsense", 404),
    ],
)
def test_each_stream_is_for_those_who_may_open_its_page(
    live_meeting, host, outsider, staff, member, who, audience, expected
):
    if who == "member":
        live_meeting.participant_for_user(member, Participant.Role.MEMBER)
    users = {
        "outsider": outsider,
        "staff": staff,
        "member_without_seat": member,
        "member": member,
        "host": host,
    }
    seat = live_meeting.add_guest("Kathy") if who == "guest" else None
    cookie = session_cookie(users.get(who), seat=seat)

    async def scenario():
        stream = await Stream(events_url(live_meeting, audience), cookie).open()
        assert stream.status == expected
        if expected == 302:
            assert stream.headers["location"].startswith(reverse("login"))
        if expected == 200:
            await stream.disconnect()

    run(scenario)


def test_a_guest_of_another_meeting_cannot_stream_this_one(club, guide, host, live_meeting):
    other = Meeting.schedule(club=club, guide=guide, by=host, starts_at=live_meeting.starts_at)
    other.start()
    cookie = session_cookie(seat=other.add_guest("Kathy"))

    async def scenario():
        assert (await Stream(events_url(live_meeting), cookie).open()).status == 302

    run(scenario)


def test_only_get_opens_a_stream_and_only_for_our_host_names(host, live_meeting):
    cookie = session_cookie(host)

    async def scenario():
        assert (
            await Stream(events_url(live_meeting, "presenter"), cookie, method="POST").open()
        ).status == 405
        stranger = Stream(events_url(live_meeting, "presenter"), cookie, host=b"evil.example")
        assert (await stranger.open()).status == 400

    run(scenario)


def test_a_change_is_pushed_only_once_its_transaction_commits(live_meeting, monkeypatch):
    pushed = []
    monkeypatch.setattr(live_state.publisher, "changed", pushed.append)
    with transaction.atomic():
        live_meeting.set_locked(True, seen_version=None)
        assert pushed == []
    assert pushed == [live_meeting.pk]


def test_under_wsgi_the_events_url_sends_the_state_once_and_a_retry_so_screens_poll(
    host_client, live_meeting, settings
):
    settings.LIVE_POLL_SECONDS = 2
    response = host_client.get(events_url(live_meeting, "presenter"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream"
    body = response.content.decode()
    assert body.startswith("retry: 2000\n\n")
    assert re.search(rf"event: live\nid: {live_meeting.version}\n", body)
    assert live_meeting.current_question.text in body


def test_under_wsgi_an_ended_meeting_or_polling_off_answers_204(host_client, live_meeting, settings):
    settings.LIVE_POLL_SECONDS = 0
    assert host_client.get(events_url(live_meeting, "presenter")).status_code == 204
    settings.LIVE_POLL_SECONDS = 2
    live_meeting.end()
    assert host_client.get(events_url(live_meeting, "presenter")).status_code == 204


def test_under_wsgi_the_events_url_keeps_the_access_rules(
    outsider_client, client, member_client, live_meeting
):
    assert outsider_client.get(events_url(live_meeting)).status_code == 404
    assert client.get(events_url(live_meeting)).status_code == 302
    assert member_client.get(events_url(live_meeting, "presenter")).status_code == 404


def test_the_pages_connect_to_their_streams(host_client, member_client, live_meeting):
    member_page = member_client.get(reverse("sessions:live", args=[live_meeting.pk])).content.decode()
    assert f'sse-connect="{events_url(live_meeting)}"' in member_page
    assert 'sse-swap="stage"' in member_page and 'sse-swap="answers"' in member_page
    presenter = host_client.get(reverse("sessions:present", args=[live_meeting.pk])).content.decode()
    assert f'sse-connect="{events_url(live_meeting, "presenter")}"' in presenter
    screen = host_client.get(reverse("sessions:screen", args=[live_meeting.pk])).content.decode()
    assert f'sse-connect="{events_url(live_meeting, "screen")}"' in screen


# ---------- What a push carries: what changed since the version a screen shows ----------


def test_a_new_answer_reaches_a_phone_that_shows_the_version_before_as_that_answer_alone(live_meeting):
    guest = live_meeting.add_guest("Kathy")
    post_answer(guest, "The first answer, already on every phone")
    cookie = session_cookie(seat=live_meeting.add_guest("Ruth"))

    async def scenario():
        stream = await Stream(events_url(live_meeting), cookie).open()
        shown = await stream.next_event(name="answers")
        assert "The first answer" in shown["data"]
        await sync_to_async(post_answer)(guest, "A second answer, the only thing new")
        delta = await stream.next_event(name="delta")
        assert delta["data"].startswith(f"<!--base:{shown['id']}-->")
        assert 'hx-swap-oob="beforeend:#member-answer-list"' in delta["data"]
        assert "A second answer, the only thing new" in delta["data"]
        assert "The first answer" not in delta["data"]  # the list is not sent again
        stage = await stream.next_event(name="stage")  # the count went up: the small stage goes whole
        assert stage["id"] == delta["id"] and "2 answers" in stage["data"]
        await stream.disconnect()

    run(scenario)


def test_a_like_changes_the_one_answer_in_place_on_the_audience_screen(host, live_meeting):
    guest = live_meeting.add_guest("Kathy")
    liked = post_answer(guest, "Liked on the screen")
    post_answer(live_meeting.add_guest("Ruth"), "Not liked")
    cookie = session_cookie(host)

    async def scenario():
        stream = await Stream(events_url(live_meeting, "screen"), cookie).open()
        await stream.next_event(name="screen")
        await sync_to_async(liked.likes.create)(participant=guest)
        await sync_to_async(live_state.changed)(live_meeting.pk)
        delta = await stream.next_event(name="delta")
        assert (
            f'<li hx-swap-oob="true" class="audience__answer" id="audience-answer-{liked.pk}">'
            in delta["data"]
        )
        assert "1 like" in delta["data"] and "Not liked" not in delta["data"]
        await stream.disconnect()

    run(scenario)


def test_a_stream_that_missed_a_push_is_sent_the_whole_state_not_what_changed_since(
    live_meeting, monkeypatch
):
    guest = live_meeting.add_guest("Kathy")
    post_answer(guest, "Answer one")
    cookie = session_cookie(seat=live_meeting.add_guest("Ruth"))

    async def scenario():
        stream = await Stream(events_url(live_meeting), cookie).open()
        await stream.next_event(name="answers")
        layer = live_state.get_channel_layer()
        send = layer.group_send
        lost = []

        async def lose_once(group, message):
            if not lost:
                lost.append(message["version"])
                return None
            return await send(group, message)

        monkeypatch.setattr(layer, "group_send", lose_once)
        await sync_to_async(post_answer)(guest, "Answer two, whose push is lost")
        while not lost:  # the push of answer two has been rendered and dropped
            await asyncio.sleep(0.02)
        await sync_to_async(post_answer)(guest, "Answer three")
        # Built on a version this phone never saw, a delta would be wrong: the next push comes whole.
        whole = await stream.next_event(name=("answers", "delta"), timeout=3)
        assert whole["event"] == "answers"
        assert "Answer one" in whole["data"] and "Answer two" in whole["data"]
        await stream.disconnect()

    run(scenario)


def test_a_push_reaches_a_stream_without_a_hop_to_a_database_thread(live_meeting, monkeypatch):
    from channels import consumer

    hops = []
    original = consumer.aclose_old_connections

    async def counted():
        hops.append(1)
        return await original()

    monkeypatch.setattr(consumer, "aclose_old_connections", counted)
    guest = live_meeting.add_guest("Kathy")
    cookie = session_cookie(seat=guest)

    async def scenario():
        stream = await Stream(events_url(live_meeting), cookie).open()
        await stream.next_event(name="stage")
        before = len(hops)
        await sync_to_async(post_answer)(guest, "No thread hop for this")
        await stream.event_with("No thread hop for this", "answers")
        assert len(hops) == before  # the stock dispatch makes one per message, on every stream
        await stream.disconnect()

    run(scenario)
