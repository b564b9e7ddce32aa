"""The helpers of `make bench`'s page benchmark (bench/pages.py, bench/pagedata.py)."""

from __future__ import annotations

import asyncio
import json
import os
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.management import call_command

from bench import pagedata
from bench.pages import Endpoint, Visitor, cpu_seconds, load, percentile, read_response
from tests.conftest import DEMO_GUIDE


def run(coroutine):
    """asyncio.run in a thread of its own: the browser tests leave an event loop running in this one."""
    with ThreadPoolExecutor(1) as executor:
        return executor.submit(asyncio.run, coroutine).result()


def parse(raw: bytes):
    async def go():
        reader = asyncio.StreamReader()
        reader.feed_data(raw)
        reader.feed_eof()
        return [await read_response(reader), await read_response(reader)]

    return run(go())


def test_responses_on_one_connection_are_read_one_after_the_other():
    first, second = parse(
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nSet-Cookie: csrftoken=abc; Path=/\r\n\r\nhello"
        b"HTTP/1.1 302 Found\r\nLocation: /next/\r\nContent-Length: 0\r\n\r\n"
    )
    assert (first.status, first.body) == (200, b"hello")
    assert ("set-cookie", "csrftoken=abc; Path=/") in first.headers
    assert (second.status, second.body) == (302, b"")


def test_a_chunked_body_is_joined():
    response, after = parse(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n6\r\npedia \r\n0\r\n\r\n"
        b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"
    )
    assert response.body == b"Wikipedia "
    assert after.status == 204


def test_a_visitor_keeps_its_cookies_but_not_flash_messages():
    visitor = Visitor({"sessionid": "s1"})
    (response, _) = parse(
        b"HTTP/1.1 302 Found\r\nSet-Cookie: csrftoken=t1; Path=/\r\nSet-Cookie: messages=m; Path=/\r\n"
        b"Content-Length: 0\r\n\r\nHTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"
    )
    visitor.remember(response)

    assert visitor.cookies == {"sessionid": "s1", "csrftoken": "t1"}
    request = visitor.request("POST", "/answers/", b"a=1")
    assert request.startswith(
        b"POST /answers/ HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: sessionid=s1; csrftoken=t1\r\n"
    )
    assert request.endswith(b"Content-Length: 3\r\n\r\na=1")


def test_the_load_counts_answers_and_errors_over_keep_alive_connections():
    async def go():
        connections = 0

        async def serve(reader, writer):
            nonlocal connections
            connections += 1
            count = 0
            while await reader.readuntil(b"\r\n\r\n"):
                count += 1
                status = b"200 OK" if count % 5 else b"500 Internal Server Error"
                writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()

        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        outcome = await load(port, Endpoint("ok", "GET", "/", 200, [Visitor()]), connections=3, seconds=0.3)
        server.close()
        return outcome, connections

    outcome, connections = run(go())

    assert connections == 3  # kept alive: one connection each, whatever the number of requests
    assert len(outcome.latencies_ms) > 20
    assert outcome.errors >= len(outcome.latencies_ms) // 5
    assert outcome.first_error == "ok: HTTP 500"
    assert outcome.seconds == 0.3


def test_percentiles_pick_from_the_sorted_values():
    values = [float(n) for n in range(100, 0, -1)]
    assert percentile(values, 0.0) == 1.0
    assert percentile(values, 0.95) == 95.0
    assert percentile(values, 1.0) == 100.0
    assert percentile([7.0], 0.95) == 7.0


def test_cpu_time_is_read_for_a_running_process():
    before = cpu_seconds(os.getpid())
    deadline = time.process_time() + 0.05
    while time.process_time() < deadline:
        pass
    assert cpu_seconds(os.getpid()) > before


@pytest.mark.django_db
def test_the_query_counts_are_the_same_with_ten_times_the_data(capsys):
    call_command("import_guide", str(DEMO_GUIDE))
    capsys.readouterr()
    pagedata.setup(guests=4, posters=3, answers_per_guest=2)
    spec = json.loads(capsys.readouterr().out)

    pagedata.count_queries(json.dumps(spec))
    counts = json.loads(capsys.readouterr().out)

    assert counts["1x"] == counts["10x"]
    assert counts["1x"]["guide page"] == 1
    assert counts["1x"]["guide page, first visit"] == 3
    assert counts["1x"]["healthz"] == 1
    # The page is loaded once per phone; every change after that is pushed (sessions/live_state.py).
    assert counts["1x"]["member view"] == 7
    assert counts["1x"]["member view, after a change"] == 7
