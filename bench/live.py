"""`make bench-live`: how soon an answer posted in a live meeting is on every screen, and what it costs.

It measures what a person sees. Each screen is a client that loads its page with a session of its own
(the member view as a guest, the presenter as the host, and the audience screen when the presenter links
to one by "Open audience screen"), holds the page's event stream and changes its copy of the page as
htmx and its SSE extension would (bench/screen.py): pushed HTML goes into the regions named by
`sse-swap`, and elements whose `hx-trigger` names an `sse:` event fetch their `hx-get` and swap the
answer in. Nothing here knows our templates; the page says where everything goes.

Answers are then posted at a steady rate by separate posters (guests with sessions and CSRF tokens, as
plain form posts), each with a unique text; an answer counts as delivered to a screen when its text is in
that screen's HTML, and its latency is the time from sending the post to then. Reported per case: p50 /
p95 / max over every (answer, screen) pair, the presenter and the audience screen separately, the
server's CPU time per change (from /proc, over the posting phase), RSS per idle stream (the servers' RSS
before and after the streams are opened, over their number), the requests the screens made per change,
errors, and missed deliveries (pairs not seen within --timeout seconds). Cases: each of --sizes on one
uvicorn process (in-process fan-out), each of --two-process-sizes on two processes sharing the SQLite file
and Redis (half the screens on each, posts to the first; skipped when Redis does not answer).

Usage: python -m bench.live [--sizes 50,200,500] [--two-process-sizes 1000] [--rate 2] [--posts 40]
                            [--timeout 30] [--posters 4] [--json PATH]
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
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import lxml.html

from bench.pages import cpu_seconds
from bench.screen import HtmxPage, SseParser
from bench.servers import AsgiServer, Deployment, redis_answers

# Issue 10's targets on the 2-core development machine.
TARGETS = {
    "p95_ms": {("one", 50): 250, ("one", 500): 1000, ("two", 1000): 1500},
    "presenter_p95_ms": {("one", 50): 250},
    "cpu_per_change_ratio_500_to_50": 3.0,
    "rss_kb_per_idle_stream": 64,
    "missed_deliveries": 0,
    "errors": 0,
}

# The two-process case's own Redis database, flushed before each run: the servers keep their page cache
# there, keyed by meeting and version, and a fresh SQLite file starts those at the same numbers again.
BENCH_REDIS_URL = "redis://127.0.0.1:6379/13"

AUDIENCE_LINK_TEXT = "Open audience screen"

# Makes N guests with sessions of their own; prints what the load needs.
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

# A logged-in session for the meeting's club host (the presenter and the audience screen).
SETUP_HOST = """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from sessions.models import Meeting
host = Meeting.objects.get(pk={pk}).club.memberships.filter(role="host").first().user
store = SessionStore()
store[SESSION_KEY] = str(host.pk)
store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
store[HASH_SESSION_KEY] = host.get_session_auth_hash()
store.create()
print(store.session_key)
"""


def csrf_token_in(page: bytes | str, cookies: dict[str, str]) -> str:
    """The CSRF token a form on the page would send: its hidden input, else an `hx-headers` X-CSRFToken,
    else the csrftoken cookie (which Django accepts as the token too)."""
    root = lxml.html.document_fromstring(page)
    for value in root.xpath("//input[@name='csrfmiddlewaretoken']/@value"):
        return value
    for value in root.xpath("//*[@hx-headers]/@hx-headers"):
        try:
            token = json.loads(value).get("X-CSRFToken")
        except (ValueError, AttributeError):
            continue
        if token:
            return token
    return cookies.get("csrftoken", "")


class Poster:
    """Posts answers as one guest, with the CSRF token and a fresh client token each time, as the plain
    form post would (success is the 302 that follows it)."""

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
        status, headers, page = await self._request("GET", f"/meetings/{self.meeting_pk}/live/")
        if status != 200:
            raise RuntimeError(f"the poster's member view answered {status}")
        if "chunked" in headers.get("transfer-encoding", [""])[0]:
            page = re.sub(rb"\r\n[0-9a-fA-F]+\r\n", b"", b"\r\n" + page)
        self.csrf = csrf_token_in(page, self.cookies)

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


# ---------- The screens ----------


@dataclass
class Post:
    number: int
    text: str
    sent_at: float | None = None
    status: int | None = None

    @property
    def accepted(self) -> bool:
        return self.status in (302, 303)


@dataclass
class Board:
    """The answers posted so far, in the order they were sent."""

    sent: list[Post] = field(default_factory=list)


class Screen:
    """One phone, presenter or TV: its page, its stream, and when each answer showed up on it."""

    def __init__(self, role: str, base_url: str, path: str, cookies: dict[str, str], board: Board) -> None:
        self.role = role
        self.base_url = base_url
        self.url = urllib.parse.urljoin(base_url, path)
        self.cookies = dict(cookies)
        self.board = board
        self.page: HtmxPage | None = None
        self.delivered: dict[int, float] = {}  # post number -> seconds from sending it to its text here
        self.errors: list[str] = []
        self.requests = Counter()  # responses to the page's own requests, by status
        self.opened = asyncio.Event()
        self.drops = 0
        self._tasks: set[asyncio.Task] = set()
        self.session: aiohttp.ClientSession | None = None

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        return {"Cookie": cookie, **(extra or {})}

    def _remember(self, response: aiohttp.ClientResponse) -> None:
        for name, morsel in response.cookies.items():
            self.cookies[name] = morsel.value

    def _local(self, url: str) -> bool:
        if urllib.parse.urlsplit(url).hostname != "127.0.0.1":
            self.errors.append(f"refused to connect anywhere but 127.0.0.1: {url}")
            return False
        return True

    async def load(self, session: aiohttp.ClientSession) -> None:
        self.session = session
        async with session.get(self.url, headers=self._headers()) as response:
            body = await response.text()
            self._remember(response)
            if response.status != 200:
                raise RuntimeError(f"{self.role} page {self.url} answered {response.status}")
            self.url = str(response.url)
        self.page = HtmxPage(body, self.url)
        if self.page.stream_url is None:
            raise RuntimeError(f"{self.role} page {self.url} has no sse-connect")

    def link(self, text: str) -> str | None:
        """The href of the page's link whose text is `text`."""
        for anchor in self.page.root.iter("a"):
            if anchor.text_content().strip() == text and anchor.get("href"):
                return urllib.parse.urljoin(self.url, anchor.get("href"))
        return None

    # The stream.

    async def run(self) -> None:
        """Hold the stream, reconnecting as EventSource does, until the page's sse-close event or until
        cancelled."""
        url, last_id, retry = self.page.stream_url, None, 1.0
        if not self._local(url):
            self.opened.set()
            return
        while True:
            headers = {"Accept": "text/event-stream", "Cache-Control": "no-cache"}
            if last_id is not None:
                headers["Last-Event-ID"] = last_id

            parser = SseParser()
            try:
                async with self.session.get(
                    url, headers=self._headers(headers), timeout=aiohttp.ClientTimeout(total=None, connect=60)
                ) as response:
                    if response.status == 204:
                        self.errors.append("the stream answered 204 (do not reconnect)")
                        self.opened.set()
                        return
                    if response.status != 200:
                        raise RuntimeError(f"stream answered {response.status}")
                    self.opened.set()
                    async for chunk in response.content.iter_any():
                        for event in parser.feed(chunk):
                            if self._event(event):
                                return
            except asyncio.CancelledError:
                raise
            except Exception as error:
                self.errors.append(f"stream: {error!r}")
            else:
                self.errors.append("stream closed by the server")
            self.drops += 1
            last_id = parser.last_event_id or last_id
            retry = (parser.retry_ms / 1000) if parser.retry_ms is not None else retry
            await asyncio.sleep(retry)

    def _event(self, event) -> bool:
        """Apply one event; True when it closes the stream."""
        changed, fetches = self.page.handle_event(event)
        if changed:
            self.look()
        for fetch in fetches:
            self._spawn(fetch)
        return event.name == self.page.close_event

    def _spawn(self, fetch) -> None:
        task = asyncio.create_task(self._fetch(fetch))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _fetch(self, fetch) -> None:
        status, headers, body = None, {}, ""
        if self._local(fetch.url):
            try:
                async with self.session.get(fetch.url, headers=self._headers(fetch.headers)) as response:
                    body = await response.text()
                    status = response.status
                    headers = {name.lower(): value for name, value in response.headers.items()}
                    self._remember(response)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                self.errors.append(f"fetch {fetch.url}: {error!r}")
        self.requests[status] += 1
        applied = self.page.handle_response(fetch, status, headers, body)
        if applied.error and status is not None:
            self.errors.append(applied.error)
        if applied.changed:
            self.look()
        for follow_up in applied.follow_ups:
            self._spawn(follow_up)

    def look(self) -> None:
        """Note every sent answer whose text is now on the screen."""
        text = self.page.take_inserted()
        pending = [post for post in self.board.sent if post.number not in self.delivered]
        if not pending:
            return
        now = time.monotonic()
        for post in pending:
            if post.text in text:
                self.delivered[post.number] = now - post.sent_at

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


# ---------- One case ----------


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def summary(latencies_s: list[float]) -> dict:
    ms = [value * 1000 for value in latencies_s]
    if not ms:
        return {"p50_ms": None, "p95_ms": None, "max_ms": None, "pairs": 0}
    return {
        "p50_ms": round(statistics.median(ms), 1),
        "p95_ms": round(percentile(ms, 0.95), 1),
        "max_ms": round(max(ms), 1),
        "pairs": len(ms),
    }


async def _gather_bounded(coroutines, limit: int) -> list:
    semaphore = asyncio.Semaphore(limit)

    async def one(coroutine):
        async with semaphore:
            return await coroutine

    return await asyncio.gather(*(one(c) for c in coroutines), return_exceptions=True)


async def _lag_monitor(samples: list[float], stop: asyncio.Event) -> None:
    """How late the bench's own event loop wakes up: a busy load generator delays what it measures."""
    while not stop.is_set():
        started = time.monotonic()
        await asyncio.sleep(0.05)
        samples.append(time.monotonic() - started - 0.05)


async def measure(servers: list[AsgiServer], meeting_pk: int, size: int, args) -> dict:
    deployment = servers[0].deployment
    setup = json.loads(
        deployment.manage(
            "shell", "-v0", code=SETUP_GUESTS.format(pk=meeting_pk, count=size + args.posters + len(servers))
        )
    )
    keys, question = setup["keys"], setup["question"]
    host_key = deployment.manage("shell", "-v0", code=SETUP_HOST.format(pk=meeting_pk)).strip()
    poster_keys, warm_keys, screen_keys = (
        keys[: args.posters],
        keys[args.posters : args.posters + len(servers)],
        keys[args.posters + len(servers) :],
    )
    board = Board()
    member_path, presenter_path = f"/meetings/{meeting_pk}/live/", f"/meetings/{meeting_pk}/present/"
    connector = aiohttp.TCPConnector(limit=0, limit_per_host=0)
    async with aiohttp.ClientSession(
        connector=connector, cookie_jar=aiohttp.DummyCookieJar(), timeout=aiohttp.ClientTimeout(total=60)
    ) as session:
        posters = [Poster(servers[0].url, meeting_pk, key, question) for key in poster_keys]
        await asyncio.gather(*(poster.prepare() for poster in posters))

        # Warm-up: a screen per process pays the one-time costs (imports, caches, the broker's
        # subscription) before the baseline, so RSS per stream is what each further stream costs.
        warm = [
            Screen("member", server.url, member_path, {"sessionid": key}, Board())
            for server, key in zip(servers, warm_keys, strict=True)
        ]
        for screen in warm:
            await screen.load(session)
        warm_tasks = [asyncio.create_task(screen.run()) for screen in warm]
        await asyncio.wait_for(asyncio.gather(*(screen.opened.wait() for screen in warm)), 30)
        await asyncio.sleep(1)
        for task in warm_tasks:
            task.cancel()
        await asyncio.gather(*warm_tasks, return_exceptions=True)
        for screen in warm:
            await screen.close()

        presenter = Screen("presenter", servers[0].url, presenter_path, {"sessionid": host_key}, board)
        await presenter.load(session)
        screens = [presenter]
        audience_url = presenter.link(AUDIENCE_LINK_TEXT)
        if audience_url:
            path = urllib.parse.urlsplit(audience_url)
            server = servers[-1]
            audience = Screen(
                "audience",
                server.url,
                path.path + (f"?{path.query}" if path.query else ""),
                {"sessionid": host_key},
                board,
            )
            screens.append(audience)
        screens += [
            Screen("member", servers[index % len(servers)].url, member_path, {"sessionid": key}, board)
            for index, key in enumerate(screen_keys)
        ]
        loads = await _gather_bounded([screen.load(session) for screen in screens[1:]], 8)
        failed = [result for result in loads if isinstance(result, Exception)]
        if failed:
            raise RuntimeError(f"{len(failed)} screens could not load their page; first: {failed[0]!r}")

        await asyncio.sleep(1)
        rss_before = sum(server.rss_bytes() for server in servers)
        stream_tasks = [asyncio.create_task(screen.run()) for screen in screens]
        try:
            await asyncio.wait_for(
                asyncio.gather(*(screen.opened.wait() for screen in screens)), 60 + size / 10
            )
            await asyncio.sleep(args.idle)  # every stream open, its first state applied, nothing happening
            rss_idle = sum(server.rss_bytes() for server in servers)
            requests_before = sum(sum(screen.requests.values()) for screen in screens)

            lag: list[float] = []
            lag_stop = asyncio.Event()
            lag_task = asyncio.create_task(_lag_monitor(lag, lag_stop))
            cpu_before = sum(cpu_seconds(server.process.pid) for server in servers)
            client_cpu_before = time.process_time()
            started = time.monotonic()

            async def send(post: Post, poster: Poster) -> None:
                post.sent_at = time.monotonic()
                board.sent.append(post)
                try:
                    post.status = await poster.post(post.text)
                except Exception:
                    post.status = -1

            tag = uuid.uuid4().hex[:6]
            sends = []
            for number in range(args.posts):
                await asyncio.sleep(max(0, started + number / args.rate - time.monotonic()))
                post = Post(number, f"Bench answer {number:03d} {tag} {uuid.uuid4().hex[:8]}")
                sends.append(asyncio.create_task(send(post, posters[number % len(posters)])))
            await asyncio.gather(*sends)
            last_sent = board.sent[-1].sent_at if board.sent else time.monotonic()

            def outstanding() -> int:
                return sum(
                    1
                    for screen in screens
                    for post in board.sent
                    if post.accepted and post.number not in screen.delivered
                )

            while outstanding() and time.monotonic() < last_sent + args.timeout:
                await asyncio.sleep(0.1)
            finished = time.monotonic()
            cpu_used = sum(cpu_seconds(server.process.pid) for server in servers) - cpu_before
            client_cpu = time.process_time() - client_cpu_before
            lag_stop.set()
            await lag_task
            requests_during = sum(sum(screen.requests.values()) for screen in screens) - requests_before
        finally:
            for task in stream_tasks:
                task.cancel()
            await asyncio.gather(*stream_tasks, return_exceptions=True)
            for screen in screens:
                await screen.close()

    accepted = [post for post in board.sent if post.accepted]
    by_role: dict[str, list[float]] = {"all": [], "presenter": [], "audience": [], "member": []}
    missed = Counter()
    for screen in screens:
        for post in accepted:
            if post.number in screen.delivered:
                by_role[screen.role].append(screen.delivered[post.number])
                by_role["all"].append(screen.delivered[post.number])
            else:
                missed[screen.role] += 1
    screen_errors = [error for screen in screens for error in screen.errors]
    unsupported = sorted({item for screen in screens for item in screen.page.unsupported})
    post_errors = len(board.sent) - len(accepted)
    changes = len(accepted)
    streams = len(screens)
    return {
        "screens": size,
        "presenter": True,
        "audience_screen": bool(audience_url),
        "streams": streams,
        "posts": args.posts,
        "rate_per_s": args.rate,
        **summary(by_role["all"]),
        "members": summary(by_role["member"]),
        "presenter_latency": summary(by_role["presenter"]),
        "audience_latency": summary(by_role["audience"]) if audience_url else None,
        "server_cpu_ms_per_change": round(cpu_used * 1000 / changes, 1) if changes else None,
        "server_cpu_s": round(cpu_used, 2),
        "measured_s": round(finished - started, 1),
        "requests_per_change": round(requests_during / changes, 1) if changes else None,
        "requests_by_status": {
            str(k): v
            for k, v in sorted(
                Counter(status for screen in screens for status in screen.requests.elements()).items(),
                key=lambda item: str(item[0]),
            )
        },
        "rss_kb_per_idle_stream": round((rss_idle - rss_before) / 1024 / streams, 1),
        "missed_deliveries": sum(missed.values()),
        "missed_by_role": dict(missed),
        "errors": len(screen_errors) + post_errors,
        "error_detail": {
            "posts": post_errors,
            "screens": len(screen_errors),
            "stream_drops": sum(screen.drops for screen in screens),
            "first": screen_errors[0] if screen_errors else None,
        },
        "unsupported": unsupported,
        "bench_client_cpu_s": round(client_cpu, 2),
        "bench_loop_lag_p95_ms": round(percentile(lag, 0.95) * 1000, 1) if lag else None,
        "bench_loop_lag_max_ms": round(max(lag) * 1000, 1) if lag else None,
    }


def run_case(processes: int, size: int, args) -> dict:
    mode = "one" if processes == 1 else "two"
    with tempfile.TemporaryDirectory(prefix="bookclub-bench-live-") as folder:
        if processes == 1:
            deployment = Deployment.sqlite(Path(folder))
        else:
            import redis

            redis.Redis.from_url(BENCH_REDIS_URL).flushdb()
            deployment = Deployment.sqlite_and_redis(Path(folder), BENCH_REDIS_URL)
        deployment.in_production_mode()
        meeting_pk, _ = deployment.prepare_meeting()
        servers = [AsgiServer(deployment, log_to_file=True).start() for _ in range(processes)]
        limit = 120 + args.posts / args.rate + args.timeout + size / 5
        try:
            result = asyncio.run(asyncio.wait_for(measure(servers, meeting_pk, size, args), limit))
        except Exception as error:  # one case failing must not lose the others' figures
            result = {
                "screens": size,
                "errors": 1,
                "error_detail": {"first": f"case failed: {error!r}"[:500]},
            }
        finally:
            logs = [server.log() for server in servers]
            for server in servers:
                server.stop()
        result["mode"] = mode
        result["processes"] = processes
        # uvicorn's own start-up lines aside, whatever the servers wrote (errors, tracebacks).
        logs = ["\n".join(line for line in log.splitlines() if not line.startswith("INFO:")) for log in logs]
        result["server_log_tail"] = [log[-2000:] for log in logs if log.strip()]
        return result


def verdicts(result: dict, all_results: list[dict]) -> dict[str, str]:
    """Each target that applies to this case: 'figure <= target: pass|FAIL'."""
    key = (result["mode"], result["screens"])
    out = {}

    def check(name, value, target):
        if value is None:
            out[name] = f"none <= {target}: FAIL"
        else:
            out[name] = f"{value} <= {target}: {'pass' if value <= target else 'FAIL'}"

    if key in TARGETS["p95_ms"]:
        check("p95_ms", result.get("p95_ms"), TARGETS["p95_ms"][key])
    if key in TARGETS["presenter_p95_ms"]:
        check(
            "presenter_p95_ms",
            (result.get("presenter_latency") or {}).get("p95_ms"),
            TARGETS["presenter_p95_ms"][key],
        )
    if "rss_kb_per_idle_stream" in result:
        check("rss_kb_per_idle_stream", result["rss_kb_per_idle_stream"], TARGETS["rss_kb_per_idle_stream"])
    check("missed_deliveries", result.get("missed_deliveries"), 0)
    check("errors", result.get("errors"), 0)
    if key == ("one", 500):
        base = next((r for r in all_results if (r.get("mode"), r.get("screens")) == ("one", 50)), None)
        if base and base.get("server_cpu_ms_per_change") and result.get("server_cpu_ms_per_change"):
            ratio = round(result["server_cpu_ms_per_change"] / base["server_cpu_ms_per_change"], 2)
            result["cpu_per_change_ratio_to_50"] = ratio
            check("cpu_per_change_ratio_500_to_50", ratio, TARGETS["cpu_per_change_ratio_500_to_50"])
    return out


def _ms(value) -> str:
    return "—" if value is None else f"{value:.0f} ms"


def format_table(results: list[dict]) -> str:
    header = (
        "| processes | screens | p50 | p95 | max | presenter p95 | audience p95 | server CPU per change "
        "| requests per change | RSS per idle stream | missed | errors |"
    )
    lines = [header, "| " + " | ".join(["---"] * 12) + " |"]
    for r in results:
        if "p95_ms" not in r:
            lines.append(f"| {r['mode']} | {r['screens']} | {r['error_detail']['first']} |")
            continue
        audience = (
            "no audience screen" if r["audience_latency"] is None else _ms(r["audience_latency"]["p95_ms"])
        )
        lines.append(
            f"| {r['mode']} | {r['screens']} + presenter{' + audience' if r['audience_screen'] else ''} "
            f"| {_ms(r['p50_ms'])} | {_ms(r['p95_ms'])} | {_ms(r['max_ms'])} "
            f"| {_ms(r['presenter_latency']['p95_ms'])} | {audience} | {r['server_cpu_ms_per_change']} ms "
            f"| {r['requests_per_change']} | {r['rss_kb_per_idle_stream']} KB | {r['missed_deliveries']} "
            f"| {r['errors']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="50,200,500", help="member screens, one process (comma-separated)")
    parser.add_argument(
        "--two-process-sizes", default="1000", help="member screens over two processes + Redis"
    )
    parser.add_argument("--posts", type=int, default=40, help="answers posted per case")
    parser.add_argument("--rate", type=float, default=2.0, help="answers posted per second")
    parser.add_argument("--posters", type=int, default=4, help="guests who post, in turn")
    parser.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        help="seconds after the last post before a delivery still missing counts as missed",
    )
    parser.add_argument(
        "--idle", type=float, default=3.0, help="seconds the open streams sit idle before RSS is read"
    )
    parser.add_argument("--json", default="bench/results/live.json")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",") if size.strip()]
    two_sizes = [int(size) for size in args.two_process_sizes.split(",") if size.strip()]

    print(
        f"Live updates as screens see them: {args.posts} answers at {args.rate}/s by {args.posters} posters; "
        f"N member screens + the presenter (+ the audience screen); uvicorn, SQLite, DEBUG=0",
        flush=True,
    )
    cases = [(1, size) for size in sizes]
    if two_sizes:
        if redis_answers():
            cases += [(2, size) for size in two_sizes]
        else:
            print("two processes + Redis: skipped, no Redis answering on 127.0.0.1:6379", flush=True)
    results = []
    for processes, size in cases:
        print(f"... {processes} process(es), {size} screens", flush=True)
        result = run_case(processes, size, args)
        results.append(result)
        print(
            "   ",
            json.dumps(
                {k: result.get(k) for k in ("p50_ms", "p95_ms", "max_ms", "missed_deliveries", "errors")}
            ),
            flush=True,
        )
    for result in results:
        result["targets"] = verdicts(result, results)
    print()
    print(format_table(results))
    print()
    print("Targets (issue 10):")
    for result in results:
        for name, verdict in result["targets"].items():
            print(f"  {result['mode']} process(es), {result['screens']} screens: {name} {verdict}")
        for item in result.get("unsupported", []):
            print(f"  {result['mode']}, {result['screens']}: not modelled, used by the page: {item}")
        if result.get("error_detail", {}).get("first"):
            print(f"  {result['mode']}, {result['screens']}: first error: {result['error_detail']['first']}")
        lag = result.get("bench_loop_lag_p95_ms")
        if lag is not None and lag > 50:
            print(
                f"  {result['mode']}, {result['screens']}: the bench's own loop lagged (p95 {lag} ms): "
                "latencies include the load generator's delay"
            )
    output = Path(args.json)
    output.parent.mkdir(parents=True, exist_ok=True)
    stored_targets = {
        k: ({f"{m} {n}": t for (m, n), t in v.items()} if isinstance(v, dict) else v)
        for k, v in TARGETS.items()
    }
    output.write_text(
        json.dumps({"targets": stored_targets, "args": vars(args), "results": results}, indent=2) + "\n"
    )
    print(f"Written to {output}")
    failed = any("FAIL" in verdict for result in results for verdict in result["targets"].values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
