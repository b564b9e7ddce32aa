"""Many people posting at the same moment: no "database is locked", no lost answer, no answer saved twice.

The production shape, not the test client: a real uvicorn server (one process, then uvicorn's supervisor
with two worker processes) on the SQLite file (WAL, IMMEDIATE transactions, busy timeout), and on
PostgreSQL when it answers on 127.0.0.1:5432. Every guest gets a session of its own and its CSRF token
from the member view; the connections are opened first and the posts all written at one instant.
"""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest

from bench.live import SETUP_GUESTS, Poster
from bench.servers import SETUP_MEETING, AsgiServer, Deployment, postgres_answers, run_async

PEOPLE = 50
RETRIES = 20

# The answers of meeting `pk`, as the database holds them.
ANSWERS_IN_DATABASE = """
import json
from sessions.models import Answer
answers = Answer.objects.filter(question__meeting_id={pk}).order_by("id")
print(json.dumps([[answer.participant_id, answer.text, str(answer.client_token)] for answer in answers]))
"""


@dataclass
class Server:
    """A running AsgiServer whose stderr is read as it comes, so a chatty server never blocks on it."""

    server: AsgiServer
    _log: list[bytes] = field(default_factory=list)
    _reader: threading.Thread | None = None

    def start(self) -> Server:
        self.server.start()
        pipe = self.server.process.stderr
        self._reader = threading.Thread(
            target=lambda: self._log.extend(iter(pipe.readline, b"")), daemon=True
        )
        self._reader.start()
        return self

    def stop(self) -> str:
        """Stop the server and return everything it wrote to stderr."""
        self.server.stop()
        return self._drained()

    def kill(self) -> str:
        """SIGKILL the server, as a crash or an OOM killer would: no shutdown of any kind."""
        self.server.process.kill()
        self.server.process.wait()
        self.server.process = None
        return self._drained()

    def _drained(self) -> str:
        self._reader.join(timeout=15)
        return b"".join(self._log).decode(errors="replace")


@contextmanager
def deployment_on(backend: str, tmp_path) -> Iterator[Deployment]:
    if backend == "postgres":
        if not postgres_answers():
            pytest.skip("needs PostgreSQL on 127.0.0.1:5432")
        deployment = Deployment.postgres("postgres")
    else:
        deployment = Deployment.sqlite(tmp_path)
    try:
        yield deployment
    finally:
        deployment.close()


def meeting_with_guests(deployment: Deployment, count: int) -> tuple[int, list[str], int]:
    """A live meeting with `count` guests seated in it, each with a session of its own (in one
    `manage.py shell`, since each costs a second of start-up); returns the meeting, the guests' session
    keys and the meeting's current question."""
    code = SETUP_MEETING + SETUP_GUESTS.format(pk="meeting.pk", count=count)
    meeting_line, guests_line = deployment.manage("shell", "-v0", code=code).splitlines()
    setup = json.loads(guests_line)
    return int(meeting_line.split()[0]), setup["keys"], setup["question"]


async def ready_posters(server: AsgiServer, meeting_pk: int, keys: list[str], question: int) -> list[Poster]:
    """One Poster per guest, holding the CSRF token and cookie its member view handed out."""
    posters = [Poster(server.url, meeting_pk, key, question) for key in keys]
    await asyncio.gather(*(poster.prepare() for poster in posters))
    assert all(poster.csrf and "csrftoken" in poster.cookies for poster in posters)
    return posters


def answer_request(poster: Poster, text: str, client_token: uuid.UUID) -> bytes:
    body = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": poster.csrf,
            "question": poster.question,
            "text": text,
            "client_token": str(client_token),
        }
    ).encode()
    cookie = "; ".join(f"{name}={value}" for name, value in poster.cookies.items())
    head = (
        f"POST /meetings/{poster.meeting_pk}/answers/ HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


async def fire_at_once(
    port: int, requests: list[bytes], on_response: Callable[[int], None] | None = None
) -> list[tuple[int, str]]:
    """Open one connection per request, then write every request at the same instant; returns each
    response's status and Location (status 0: the connection ended without an answer).
    `on_response(n)` is called as the n-th response arrives."""
    connections = await asyncio.gather(*(asyncio.open_connection("127.0.0.1", port) for _ in requests))
    gate = asyncio.Event()
    received = 0

    async def send(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes):
        nonlocal received
        await gate.wait()
        try:
            writer.write(request)
            await writer.drain()
            raw = await asyncio.wait_for(reader.read(), 120)
        except ConnectionError:
            raw = b""
        finally:
            writer.close()
        head = raw.partition(b"\r\n\r\n")[0].decode(errors="replace").split("\r\n")
        status = int(head[0].split()[1]) if head[0] else 0
        location = next(
            (line.split(":", 1)[1].strip() for line in head if line.lower().startswith("location:")), ""
        )
        if status:
            received += 1
            if on_response is not None:
                on_response(received)
        return status, location

    tasks = [
        asyncio.create_task(send(reader, writer, request))
        for (reader, writer), request in zip(connections, requests, strict=True)
    ]
    await asyncio.sleep(0)  # every task is now waiting at the gate
    gate.set()
    return await asyncio.gather(*tasks)


def answers_in_database(deployment: Deployment, meeting_pk: int) -> list[tuple[int, str, str]]:
    return [
        tuple(row)
        for row in json.loads(
            deployment.manage("shell", "-v0", code=ANSWERS_IN_DATABASE.format(pk=meeting_pk))
        )
    ]


BACKENDS = [
    pytest.param("sqlite", 1, id="sqlite-one-process"),
    pytest.param("sqlite", 2, id="sqlite-two-workers"),
    pytest.param("postgres", 1, id="postgres-one-process"),
    pytest.param("postgres", 2, id="postgres-two-workers"),
]


@pytest.mark.parametrize(("backend", "workers"), BACKENDS)
def test_fifty_people_posting_at_the_same_moment_all_get_their_answer_saved(backend, workers, tmp_path):
    with deployment_on(backend, tmp_path) as deployment:
        meeting_pk, keys, question = meeting_with_guests(deployment, PEOPLE)
        server = Server(AsgiServer(deployment, workers=workers)).start()
        try:
            posters = run_async(ready_posters(server.server, meeting_pk, keys, question))
            texts = [
                f"Answer from reader {number}: Hailsham was a kind of prison." for number in range(PEOPLE)
            ]
            requests = [
                answer_request(poster, text, uuid.uuid4())
                for poster, text in zip(posters, texts, strict=True)
            ]
            responses = run_async(fire_at_once(server.server.port, requests))
        finally:
            log = server.stop()

        assert "database is locked" not in log
        assert "Traceback" not in log, log
        assert responses == [(302, f"/meetings/{meeting_pk}/live/")] * PEOPLE
        saved = answers_in_database(deployment, meeting_pk)
        assert sorted(text for _, text, _ in saved) == sorted(texts)
        assert len({participant for participant, _, _ in saved}) == PEOPLE


@pytest.mark.parametrize(("backend", "workers"), BACKENDS)
def test_twenty_retries_of_one_post_at_the_same_moment_save_one_answer(backend, workers, tmp_path):
    with deployment_on(backend, tmp_path) as deployment:
        meeting_pk, keys, question = meeting_with_guests(deployment, 1)
        server = Server(AsgiServer(deployment, workers=workers)).start()
        token = uuid.uuid4()
        try:
            (poster,) = run_async(ready_posters(server.server, meeting_pk, keys, question))
            request = answer_request(poster, "Kathy was reliable, mostly.", token)
            responses = run_async(fire_at_once(server.server.port, [request] * RETRIES))
        finally:
            log = server.stop()

        assert "Traceback" not in log, log
        assert responses == [(302, f"/meetings/{meeting_pk}/live/")] * RETRIES
        saved = answers_in_database(deployment, meeting_pk)
        assert [(text, client_token) for _, text, client_token in saved] == [
            ("Kathy was reliable, mostly.", str(token))
        ]
