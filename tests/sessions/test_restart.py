"""A server killed hard mid-meeting loses nothing it acknowledged.

A real uvicorn process on the SQLite file (WAL) or on PostgreSQL is sent SIGKILL, as a crash or the
OOM killer would do: no shutdown, no flush. Started again on the same database, it must still hold every
answer whose post it had answered with a redirect, and posts cut off by the kill, retried by their
senders with the same client token, must each be saved once.
"""

from __future__ import annotations

import http.client
import uuid

import pytest

from bench.live import Poster
from bench.servers import AsgiServer, run_async
from tests.sessions.test_concurrency import (
    Server,
    answer_request,
    answers_in_database,
    deployment_on,
    fire_at_once,
    meeting_with_guests,
    ready_posters,
)

READERS = 3
ANSWERS_EACH = 10
IN_FLIGHT = 30
KILL_AFTER = 10


def member_page(server: AsgiServer, poster: Poster) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    cookie = "; ".join(f"{name}={value}" for name, value in poster.cookies.items())
    connection.request("GET", f"/meetings/{poster.meeting_pk}/live/", headers={"Cookie": cookie})
    response = connection.getresponse()
    body = response.read().decode()
    connection.close()
    assert response.status == 200
    return body


async def post_one_by_one(posters: list[Poster]) -> dict[Poster, list[str]]:
    """Each reader posts in turn; returns the answers the server acknowledged, per reader."""
    acknowledged: dict[Poster, list[str]] = {poster: [] for poster in posters}
    for number in range(ANSWERS_EACH):
        for index, poster in enumerate(posters):
            text = f"Reader {index} answer {number}: the ending felt quiet."
            status = await poster.post(text)
            assert status == 302
            acknowledged[poster].append(text)
    return acknowledged


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_every_acknowledged_answer_survives_a_hard_kill_of_the_server(backend, tmp_path):
    with deployment_on(backend, tmp_path) as deployment:
        meeting_pk, keys, question = meeting_with_guests(deployment, READERS)
        server = Server(AsgiServer(deployment)).start()
        try:
            posters = run_async(ready_posters(server.server, meeting_pk, keys, question))
            acknowledged = run_async(post_one_by_one(posters))
            server.kill()  # right after the last acknowledgement

            server.start()
            for poster, texts in acknowledged.items():
                page = member_page(server.server, poster)
                assert [text for text in texts if text not in page] == []
        finally:
            server.stop()

        saved = sorted(text for _, text, _ in answers_in_database(deployment, meeting_pk))
        assert saved == sorted(text for texts in acknowledged.values() for text in texts)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_posts_cut_off_by_a_hard_kill_are_saved_once_when_retried_after_the_restart(backend, tmp_path):
    with deployment_on(backend, tmp_path) as deployment:
        meeting_pk, keys, question = meeting_with_guests(deployment, IN_FLIGHT)
        server = Server(AsgiServer(deployment)).start()

        def kill_midway(received: int) -> None:
            if received == KILL_AFTER:
                server.kill()

        try:
            posters = run_async(ready_posters(server.server, meeting_pk, keys, question))
            texts = [f"Reader {number}: Tommy's drawings mattered." for number in range(IN_FLIGHT)]
            requests = [
                answer_request(poster, text, uuid.uuid4())
                for poster, text in zip(posters, texts, strict=True)
            ]
            responses = run_async(fire_at_once(server.server.port, requests, on_response=kill_midway))
            acknowledged = [text for text, (status, _) in zip(texts, responses, strict=True) if status == 302]
            assert len(acknowledged) >= KILL_AFTER
            assert {status for status, _ in responses} <= {302, 0}
            if server.server.process is not None:
                server.kill()  # every post was answered before the kill came

            server.start()
            unanswered = [
                request for request, (status, _) in zip(requests, responses, strict=True) if not status
            ]
            retried = run_async(fire_at_once(server.server.port, unanswered))
        finally:
            server.stop()

        assert retried == [(302, f"/meetings/{meeting_pk}/live/")] * len(unanswered)
        saved = answers_in_database(deployment, meeting_pk)
        assert sorted(text for _, text, _ in saved) == sorted(texts)
        assert len({token for _, _, token in saved}) == IN_FLIGHT
