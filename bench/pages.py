"""`make bench` (pages): how many requests per second the main pages serve, compared with `/healthz`.

It starts the app in production mode (DEBUG=0) under uvicorn on a fresh SQLite database, imports the demo
guide, makes a live meeting with 50 guests and their answers and an ended meeting for the recap, then
loads each endpoint in turn with C keep-alive connections for T seconds:

- `/healthz` (one trivial query: the ceiling every page is compared with),
- the guide page, anonymous,
- the member view of the live meeting, each connection a guest with a session of its own,
- the recap of the ended meeting, each connection a member who took part,
- answer posting: 50 members at once, each with its own session and CSRF token and a fresh client token
  per post (a 302 is a success).

It prints requests/s, the ratio to `/healthz` from the same run, p50 and p95 latency and errors, and each
page's SQL query count (counted in-process with Django's test client on the same database), as it is and
with ten times the answers and guide items: the two must be equal. Results go to bench/results/pages.json.

The load generator is a minimal asyncio HTTP/1.1 client (uvloop when installed), because it shares the
machine's two cores with the server.

Usage: python -m bench.pages [--concurrency 20] [--seconds 8] [--posters 50] [--workers 1] [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import sys
import tempfile
import time
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.servers import AsgiServer, Deployment

DEMO_GUIDE = "demo/never-let-me-go.txt"
GUESTS = 50
# Members who took part in the ended meeting, whose sessions load the recap (bench/pagedata.py).
RECAP_VISITORS = 20
# Ratio of each page's requests/s to /healthz's, measured in the same run.
TARGETS = {"guide page": 0.6, "member view": 0.4}
# The limits stay on (their cost is part of every post) but high enough never to refuse the load.
RATE_LIMITS = "answer=1000000/minute,join=1000000/minute"
_CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


# ---------- A minimal HTTP/1.1 keep-alive client ----------


class HttpError(Exception):
    pass


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


async def read_response(reader: asyncio.StreamReader) -> Response:
    """One response from a keep-alive connection: Content-Length or chunked bodies."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
        raise HttpError(f"not an HTTP response: {lines[0]!r}")
    headers = []
    length, chunked = None, False
    for line in lines[1:]:
        if not line:
            continue
        name, _, value = line.partition(":")
        name, value = name.strip().lower(), value.strip()
        headers.append((name, value))
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
    if chunked:
        body = bytearray()
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")  # no trailers are sent: the final empty line
                break
            body += await reader.readexactly(size + 2)
            del body[-2:]
        return Response(int(parts[1]), headers, bytes(body))
    return Response(int(parts[1]), headers, await reader.readexactly(length or 0))


@dataclass
class Visitor:
    """One browser: a cookie jar, and the form a POST sends."""

    cookies: dict[str, str] = field(default_factory=dict)
    csrf: str = ""
    # Flash messages are shown by the page a browser is redirected to; the load never fetches it, so
    # keeping them would only grow the cookie with every post.
    IGNORED_COOKIES = frozenset({"messages"})

    def remember(self, response: Response) -> None:
        for name, value in response.headers:
            if name == "set-cookie":
                key, _, rest = value.partition("=")
                if key not in self.IGNORED_COOKIES:
                    self.cookies[key] = rest.split(";", 1)[0]

    def request(self, method: str, path: str, body: bytes = b"") -> bytes:
        lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if method == "POST":
            lines += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@dataclass
class Endpoint:
    name: str
    method: str
    path: str
    expected: int
    visitors: list[Visitor]
    body: Callable[[Visitor], bytes] | None = None  # the form each POST sends


@dataclass
class Outcome:
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str | None = None
    seconds: float = 0.0  # time under load, over every round
    server_cpu_seconds: float = 0.0  # CPU time the server processes used meanwhile

    def fail(self, message: str) -> None:
        self.errors += 1
        self.first_error = self.first_error or message


async def _connection(
    port: int, endpoint: Endpoint, visitor: Visitor, until: float, outcome: Outcome
) -> None:
    reader = writer = None
    while time.monotonic() < until:
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            body = endpoint.body(visitor) if endpoint.body else b""
            started = time.perf_counter()
            writer.write(visitor.request(endpoint.method, endpoint.path, body))
            response = await read_response(reader)
            elapsed = (time.perf_counter() - started) * 1000
            visitor.remember(response)
            if response.status != endpoint.expected:
                outcome.fail(f"{endpoint.name}: HTTP {response.status}")
            elif time.monotonic() <= until:
                outcome.latencies_ms.append(elapsed)
            if any(name == "connection" and value.lower() == "close" for name, value in response.headers):
                writer.close()
                writer = None
        except (OSError, asyncio.IncompleteReadError, HttpError, ValueError) as error:
            outcome.fail(f"{endpoint.name}: {error!r}")
            if writer is not None:
                writer.close()
            writer = None
    if writer is not None:
        writer.close()


async def load(
    port: int, endpoint: Endpoint, connections: int, seconds: float, outcome: Outcome | None = None
) -> Outcome:
    """`connections` connections request `endpoint` for `seconds`; adds to `outcome` when given."""
    outcome = outcome or Outcome()
    until = time.monotonic() + seconds
    visitors = [endpoint.visitors[n % len(endpoint.visitors)] for n in range(connections)]
    await asyncio.gather(*(_connection(port, endpoint, v, until, outcome) for v in visitors))
    outcome.seconds += seconds
    return outcome


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its children (uvicorn's workers), from /proc (Linux)."""
    total = 0.0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(child) for child in children.read_text().split()]
    for each in pids:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


async def fetch(port: int, visitor: Visitor, path: str) -> Response:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(visitor.request("GET", path))
        response = await read_response(reader)
    finally:
        writer.close()
    visitor.remember(response)
    return response


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def summarize(name: str, outcome: Outcome, connections: int) -> dict:
    latencies = outcome.latencies_ms
    return {
        "endpoint": name,
        "connections": connections,
        "seconds": outcome.seconds,
        "requests": len(latencies),
        "requests_per_second": round(len(latencies) / outcome.seconds, 1),
        "server_cpu_ms_per_request": (
            round(outcome.server_cpu_seconds * 1000 / len(latencies), 2) if latencies else None
        ),
        "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p95_ms": round(percentile(latencies, 0.95), 1) if latencies else None,
        "errors": outcome.errors,
        "first_error": outcome.first_error,
    }


# ---------- The run ----------


def _answer_form(question: int) -> Callable[[Visitor], bytes]:
    def body(visitor: Visitor) -> bytes:
        return urllib.parse.urlencode(
            {
                "csrfmiddlewaretoken": visitor.csrf,
                "question": question,
                "text": "Kathy's calm is the saddest thing in the book.",
                "client_token": str(uuid.uuid4()),
            }
        ).encode()

    return body


async def measure(
    server: AsgiServer, spec: dict, connections: int, seconds: float, posters: int
) -> list[dict]:
    """Each page under load in turn. The GET pages take turns in rounds of about 2 s, so that whatever
    else the machine is doing weighs on each of them alike; answer posting comes last, since the answers
    it adds would change the member view."""
    port, live, ended = server.port, spec["live"], spec["ended"]
    guests = [Visitor({"sessionid": key}) for key in spec["guest_sessions"]]
    members = [Visitor({"sessionid": key}) for key in spec["member_sessions"]]
    for member in members[:posters]:
        page = await fetch(port, member, f"/meetings/{live}/live/")
        found = _CSRF_FIELD.search(page.body)
        if page.status != 200 or not found:
            raise RuntimeError(f"a member's live page answered {page.status} without an answer form")
        member.csrf = found.group(1).decode()

    pages = [
        Endpoint("/healthz", "GET", "/healthz", 200, [Visitor()]),
        Endpoint("guide page", "GET", spec["guide"], 200, [Visitor() for _ in range(connections)]),
        Endpoint("member view", "GET", f"/meetings/{live}/live/", 200, guests),
        Endpoint("recap", "GET", f"/meetings/{ended}/recap/", 200, members[:RECAP_VISITORS]),
    ]
    posting = Endpoint(
        "answer post",
        "POST",
        f"/meetings/{live}/answers/",
        302,
        members[:posters],
        _answer_form(spec["question"]),
    )
    for endpoint in pages:  # warm up: templates compiled, caches filled, connections made
        await load(port, endpoint, connections, min(1.0, seconds))
    rounds = max(1, round(seconds / 2))
    outcomes = {endpoint.name: Outcome() for endpoint in [*pages, posting]}
    for _ in range(rounds):
        for endpoint in pages:
            await _measured(server, endpoint, connections, seconds / rounds, outcomes[endpoint.name])
    await load(port, posting, posters, min(1.0, seconds))
    await _measured(server, posting, posters, seconds, outcomes[posting.name])
    return [
        summarize(name, outcome, posters if name == posting.name else connections)
        for name, outcome in outcomes.items()
    ]


async def _measured(
    server: AsgiServer, endpoint: Endpoint, connections: int, seconds: float, outcome: Outcome
):
    before = cpu_seconds(server.process.pid)
    await load(server.port, endpoint, connections, seconds, outcome)
    outcome.server_cpu_seconds += cpu_seconds(server.process.pid) - before


def run(connections: int, seconds: float, posters: int, workers: int, answers_per_guest: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="bookclub-bench-pages-") as folder:
        deployment = Deployment.sqlite(Path(folder))
        deployment.env["RATE_LIMITS"] = RATE_LIMITS
        deployment.in_production_mode()
        deployment.manage("import_guide", DEMO_GUIDE)
        spec = json.loads(
            deployment.manage(
                "shell",
                "-v0",
                code=f"from bench import pagedata; pagedata.setup({GUESTS}, {posters}, {answers_per_guest})",
            )
        )
        server = AsgiServer(deployment, workers=workers).start()
        try:
            results = asyncio_run(measure(server, spec, connections, seconds, posters))
        finally:
            server.stop()
        code = f"from bench import pagedata; pagedata.count_queries({json.dumps(json.dumps(spec))})"
        queries = json.loads(deployment.manage("shell", "-v0", code=code))
    ceiling = results[0]["requests_per_second"] or 1
    for result in results:
        name = result["endpoint"]
        result["ratio_to_healthz"] = round(result["requests_per_second"] / ceiling, 2)
        # The same comparison by the server's CPU time per request: steadier when the machine is busy.
        if result["server_cpu_ms_per_request"] and results[0]["server_cpu_ms_per_request"]:
            result["cpu_ratio_to_healthz"] = round(
                results[0]["server_cpu_ms_per_request"] / result["server_cpu_ms_per_request"], 2
            )
        key = {"/healthz": "healthz"}.get(name, name)
        result["queries"] = queries["1x"].get(key)
        result["queries_10x"] = queries["10x"].get(key)
        if name in TARGETS:
            result["target_ratio"] = TARGETS[name]
    return {
        "workers": workers,
        "answers_per_guest": answers_per_guest,
        "results": results,
        "queries": queries,
    }


def asyncio_run(coroutine):
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def format_row(result: dict) -> str:
    row = (
        f"{result['endpoint']:<12} C={result['connections']:<3} {result['requests_per_second']:>7} req/s  "
        f"{result['ratio_to_healthz']:<4} of /healthz  p50 {result['p50_ms']:>6} ms  "
        f"p95 {result['p95_ms']:>6} ms  server CPU {result['server_cpu_ms_per_request']:>5} ms/req "
        f"({result.get('cpu_ratio_to_healthz')})  errors {result['errors']}  "
        f"queries {result['queries']} (10x data: {result['queries_10x']})"
    )
    target = result.get("target_ratio")
    if target is not None:
        row += f"  target {target}: {'met' if result['ratio_to_healthz'] >= target else 'MISSED'}"
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--concurrency", type=int, default=20, help="connections per GET endpoint")
    parser.add_argument("--seconds", type=float, default=8.0, help="load per endpoint")
    parser.add_argument("--posters", type=int, default=50, help="members posting answers at once")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument(
        "--answers-per-guest", type=int, default=1, help="answers each guest has posted on the live question"
    )
    parser.add_argument("--json", default="bench/results/pages.json")
    args = parser.parse_args(argv)

    print(
        f"Pages: {args.concurrency} keep-alive connections for {args.seconds:g} s per page "
        f"({args.posters} for answer posting), {args.workers} uvicorn process(es), SQLite, DEBUG=0; "
        f"live meeting: {GUESTS} guests, {args.answers_per_guest} answer(s) each on the current question"
    )
    report = run(args.concurrency, args.seconds, args.posters, args.workers, args.answers_per_guest)
    for result in report["results"]:
        print(format_row(result), flush=True)
    for page, first_label, first_name in [
        ("guide page", "on a first visit", "guide page, first visit"),
        ("member view", "after a change", "member view, after a change"),
    ]:
        counts = report["queries"]
        print(
            f"{page} queries: {counts['1x'][first_name]} {first_label}, {counts['1x'][page]} from the cache "
            f"(10x data: {counts['10x'][first_name]} and {counts['10x'][page]})"
        )
    report["targets"] = TARGETS
    output = Path(args.json)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"Written to {output}")
    grew = [
        name for name, count in report["queries"]["1x"].items() if report["queries"]["10x"][name] != count
    ]
    if grew:
        print(f"Query counts changed with 10x data: {', '.join(grew)}")
    return 1 if grew or any(result["errors"] for result in report["results"]) else 0


if __name__ == "__main__":
    sys.exit(main())
