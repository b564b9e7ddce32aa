"""`make bench-live`: how fast pushed updates reach many open meeting screens, and what they cost.

For each N in 50, 200 and 500 it opens N event streams on one live meeting (each a guest with a seat of
its own, as phones in a room would be), lets them sit idle to measure the server's memory per
connection, then posts answers at a steady rate and records, for every post and every stream, the time
from sending the post to the stream receiving the meeting version that post produced.

It runs once with one uvicorn process (in-process fan-out) and once with two processes that share the
SQLite file and fan out through Redis (half the streams on each process, posts to the first), and prints
p50 / p95 / max latency, RSS per idle connection and errors. The client is a minimal asyncio HTTP
reader, so the load generator takes as little of the machine's two cores as possible.

Usage: python -m bench.live [--sizes 50,200,500] [--posts 40] [--rate 4] [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import sys
import tempfile
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from bench.servers import AsgiServer, Deployment, redis_answers

TARGETS = {"p95_ms": {50: 300, 500: 1000}, "rss_kb_per_connection": 100}

# Makes N guests with sessions of their own and one poster (a guest too); prints what the load needs.
SETUP_GUESTS = """
import json
from django.contrib.sessions.backends.db import SessionStore
from sessions.access import SESSION_KEY
from sessions.models import Meeting, Participant
meeting = Meeting.objects.get(pk={pk})
keys = []
participants = Participant.objects.bulk_create(
    Participant(meeting=meeting, display_name=f"Reader {{n}}") for n in range({count})
)
for participant in participants:
    store = SessionStore()
    store[SESSION_KEY] = {{str(meeting.pk): participant.pk}}
    store.create()
    keys.append(store.session_key)
print(json.dumps({{"keys": keys, "question": meeting.current_question_id}}))
"""


@dataclass
class Stream:
    """One subscriber: the arrival time of each meeting version it was sent."""

    arrivals: dict[int, float] = field(default_factory=dict)
    error: str | None = None
    opened: asyncio.Event = field(default_factory=asyncio.Event)


async def subscribe(port: int, path: str, session_key: str, stream: Stream, stop: asyncio.Event) -> None:
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
            f"Cookie: sessionid={session_key}\r\n\r\n".encode()
        )
        await writer.drain()
        status = await reader.readline()
        if b" 200 " not in status:
            stream.error = status.decode().strip()
            stream.opened.set()
            return
        while (await reader.readline()) not in (b"\r\n", b""):
            pass  # headers
        stream.opened.set()
        event = None
        while not stop.is_set():
            line = await reader.readline()
            if not line:
                if not stop.is_set():
                    stream.error = "stream closed by the server"
                return
            # Chunked transfer encoding: size lines and blank separators carry no SSE fields.
            text = line.decode().strip()
            if text.startswith("event:"):
                event = text.split(":", 1)[1].strip()
            elif text.startswith("data:") and event == "meeting":
                version = int(text.split(":", 1)[1])
                stream.arrivals.setdefault(version, time.monotonic())
        writer.close()
    except Exception as error:
        stream.error = repr(error)
        stream.opened.set()


class Poster:
    """Posts answers as one guest, with the CSRF token and a fresh client token each time."""

    def __init__(self, base_url: str, meeting_pk: int, session_key: str, question: int) -> None:
        self.base_url = base_url
        self.meeting_pk = meeting_pk
        self.cookies = {"sessionid": session_key}
        self.question = question
        self.csrf = ""

    async def _request(self, method: str, path: str, body: bytes = b"") -> tuple[int, dict, bytes]:
        parts = urllib.parse.urlsplit(self.base_url)
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        headers = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\nConnection: close\r\n"
        if body:
            headers += (
                "Content-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {len(body)}\r\nReferer: {self.base_url}{path}\r\n"
            )
        writer.write(headers.encode() + b"\r\n" + body)
        await writer.drain()
        raw = await reader.read()
        writer.close()
        head, _, payload = raw.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        status = int(lines[0].split()[1])
        response_headers: dict[str, list[str]] = {}
        for line in lines[1:]:
            key, _, value = line.partition(":")
            response_headers.setdefault(key.strip().lower(), []).append(value.strip())
        for cookie_line in response_headers.get("set-cookie", []):
            name, _, rest = cookie_line.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return status, response_headers, payload

    async def prepare(self) -> None:
        status, _, page = await self._request("GET", f"/meetings/{self.meeting_pk}/live/")
        if status != 200:
            raise RuntimeError(f"the poster's member view answered {status}")
        self.csrf = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()

    async def post(self, text: str) -> int:
        body = urllib.parse.urlencode(
            {
                "csrfmiddlewaretoken": self.csrf,
                "question": self.question,
                "text": text,
                "client_token": str(uuid.uuid4()),
            }
        ).encode()
        status, _, _ = await self._request("POST", f"/meetings/{self.meeting_pk}/answers/", body)
        return status


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def measure(servers: list[AsgiServer], meeting_pk: int, size: int, posts: int, rate: float) -> dict:
    deployment = servers[0].deployment
    setup = json.loads(
        deployment.manage(
            "shell", "-v0", code=SETUP_GUESTS.format(pk=meeting_pk, count=size + 1 + len(servers))
        )
    )
    keys, question = setup["keys"], setup["question"]
    poster = Poster(servers[0].url, meeting_pk, keys.pop(), question)
    await poster.prepare()

    path = f"/meetings/{meeting_pk}/events/"
    # Warm up: one stream per process pays the one-time costs (imports, the broker subscription) before
    # the baseline is taken, so that the figure per connection is what each further connection costs.
    warm_stop, warm_keys = asyncio.Event(), [keys.pop() for _ in servers]
    warm = [Stream() for _ in servers]
    warm_tasks = [
        asyncio.create_task(subscribe(server.port, path, key, stream, warm_stop))
        for server, key, stream in zip(servers, warm_keys, warm, strict=True)
    ]
    await asyncio.gather(*(stream.opened.wait() for stream in warm))
    await asyncio.sleep(1)
    warm_stop.set()
    for task in warm_tasks:
        task.cancel()
    await asyncio.sleep(1)
    rss_before = sum(server.rss_bytes() for server in servers)
    stop = asyncio.Event()
    streams = [Stream() for _ in keys]
    tasks = [
        asyncio.create_task(subscribe(servers[index % len(servers)].port, path, key, stream, stop))
        for index, (key, stream) in enumerate(zip(keys, streams, strict=True))
    ]
    await asyncio.wait_for(asyncio.gather(*(stream.opened.wait() for stream in streams)), 120)
    await asyncio.sleep(2)  # idle: every stream open, nothing happening
    rss_idle = sum(server.rss_bytes() for server in servers)

    start_version = max((max(s.arrivals) for s in streams if s.arrivals), default=0)
    sent: list[float] = []
    post_errors = 0
    for number in range(posts):
        due = time.monotonic() + 1 / rate
        sent.append(time.monotonic())
        if await poster.post(f"Answer {number} of the benchmark") != 302:
            post_errors += 1
        await asyncio.sleep(max(0, due - time.monotonic()))
    await asyncio.sleep(2)  # let the last deliveries land
    stop.set()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)

    latencies, missing = [], 0
    for index, sent_at in enumerate(sent):
        version = start_version + index + 1
        for stream in streams:
            arrived = min((at for v, at in stream.arrivals.items() if v >= version), default=None)
            if arrived is None:
                missing += 1
            else:
                latencies.append((arrived - sent_at) * 1000)
    stream_errors = sum(1 for stream in streams if stream.error)
    return {
        "subscribers": size,
        "posts": posts,
        "deliveries": len(latencies),
        "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p95_ms": round(percentile(latencies, 0.95), 1) if latencies else None,
        "max_ms": round(max(latencies), 1) if latencies else None,
        "rss_kb_per_idle_connection": round((rss_idle - rss_before) / 1024 / size, 1),
        "errors": stream_errors + post_errors + missing,
        "error_detail": {
            "streams": stream_errors,
            "posts": post_errors,
            "missed_deliveries": missing,
            "first": next((s.error for s in streams if s.error), None),
        },
    }


def run(mode: str, sizes: list[int], posts: int, rate: float) -> list[dict]:
    results = []
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="bookclub-bench-live-") as folder:
            if mode == "one process":
                deployment = Deployment.sqlite(Path(folder))
            else:
                deployment = Deployment.sqlite_and_redis(Path(folder))
            deployment.env["LIVE_POLL_SECONDS"] = "0"
            deployment.in_production_mode()
            meeting_pk, _ = deployment.prepare_meeting()
            count = 1 if mode == "one process" else 2
            servers = [AsgiServer(deployment).start() for _ in range(count)]
            try:
                result = asyncio.run(measure(servers, meeting_pk, size, posts, rate))
            finally:
                for server in servers:
                    server.stop()
            result["mode"] = mode
            results.append(result)
            print(format_row(result), flush=True)
    return results


def format_row(result: dict) -> str:
    return (
        f"{result['mode']:<22} N={result['subscribers']:<4} p50 {result['p50_ms']:>7} ms  "
        f"p95 {result['p95_ms']:>7} ms  max {result['max_ms']:>7} ms  "
        f"RSS/idle conn {result['rss_kb_per_idle_connection']:>6} KB  errors {result['errors']}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="50,200,500")
    parser.add_argument("--posts", type=int, default=40)
    parser.add_argument("--rate", type=float, default=4.0, help="answers posted per second")
    parser.add_argument("--json", default="bench/results/live.json")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]

    print(f"Live updates: {args.posts} answers at {args.rate}/s to N open streams on one meeting")
    results = run("one process", sizes, args.posts, args.rate)
    if redis_answers():
        results += run("two processes + Redis", sizes, args.posts, args.rate)
    else:
        print("two processes + Redis: skipped, no Redis on 127.0.0.1:6379")
    output = Path(args.json)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps({"targets": TARGETS, "results": results}, indent=2) + "\n")
    print(f"Written to {output}")
    return 1 if any(result["errors"] for result in results) else 0


if __name__ == "__main__":
    sys.exit(main())
