"""Live fan-out: tell every open screen of a meeting, in any server process, that the meeting changed.

An event carries only the meeting's id, its new version and two facts a screen cannot find out by
itself without asking (the meeting ended; a participant was removed). Screens then fetch the parts of
the page they show from the server, so an event is a doorbell: a lost event, a broker that drops
messages or a reconnect can delay a screen, never leave it wrong. Each stream also re-reads the
meeting's version from the database on every heartbeat, which heals a dropped event within one beat
even when no further event comes.

Brokers, chosen by `settings.LIVE_BROKER` ("auto" picks the first that applies):
- "redis": Redis pub/sub on REDIS_URL, for several processes or machines.
- "postgres": PostgreSQL LISTEN/NOTIFY on the app's own database, for several processes without Redis.
- "local": within this process only (one uvicorn worker, or tests).
Whatever the broker, an event is first delivered to this process's own streams directly, so a
broker outage slows nothing down locally.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache

from django.conf import settings
from django.db import connection, transaction

logger = logging.getLogger(__name__)

CHANNEL = "bookclub_meetings"


@dataclass(frozen=True)
class Change:
    meeting_id: int
    version: int
    ended: bool = False
    removed_participant: int | None = None

    def encode(self) -> str:
        return json.dumps(
            {"m": self.meeting_id, "v": self.version, "e": self.ended, "r": self.removed_participant},
            separators=(",", ":"),
        )

    @classmethod
    def decode(cls, payload: str | bytes) -> Change | None:
        try:
            data = json.loads(payload)
            return cls(int(data["m"]), int(data["v"]), bool(data.get("e")), data.get("r"))
        except (ValueError, KeyError, TypeError):
            logger.warning("Ignoring a malformed live event: %r", payload)
            return None


@dataclass(eq=False)
class Listener:
    """One open stream's mailbox: the newest version it was told of, and a flag to wake it.

    Changes coalesce (only the newest version matters, since the screen re-reads server state), so a
    listener holds constant memory however fast the meeting changes.
    """

    meeting_id: int
    loop: asyncio.AbstractEventLoop
    version: int = 0
    ended: bool = False
    removed: set[int] = field(default_factory=set)
    _wake: asyncio.Event = field(default_factory=asyncio.Event)

    def offer(self, change: Change) -> None:
        """Called from any thread (sync views run in worker threads) or from the loop itself."""
        self.loop.call_soon_threadsafe(self._accept, change)

    def _accept(self, change: Change) -> None:
        self.version = max(self.version, change.version)
        self.ended = self.ended or change.ended
        if change.removed_participant is not None:
            self.removed.add(change.removed_participant)
        self._wake.set()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self._wake.set)

    async def wait(self, timeout: float) -> bool:
        """Wait for a change (True) or the timeout (False)."""
        try:
            await asyncio.wait_for(self._wake.wait(), timeout)
        except TimeoutError:
            return False
        self._wake.clear()
        return True


class Hub:
    """This process's open streams, by meeting."""

    def __init__(self) -> None:
        self._listeners: dict[int, set[Listener]] = defaultdict(set)
        self._lock = threading.Lock()
        self.shutting_down = threading.Event()

    def add(self, listener: Listener) -> None:
        with self._lock:
            self._listeners[listener.meeting_id].add(listener)

    def remove(self, listener: Listener) -> None:
        with self._lock:
            listeners = self._listeners.get(listener.meeting_id)
            if listeners is not None:
                listeners.discard(listener)
                if not listeners:
                    del self._listeners[listener.meeting_id]

    def deliver(self, change: Change) -> None:
        with self._lock:
            listeners = list(self._listeners.get(change.meeting_id, ()))
        for listener in listeners:
            listener.offer(change)

    def count(self) -> int:
        with self._lock:
            return sum(len(listeners) for listeners in self._listeners.values())

    def shut_down(self) -> None:
        """Ask every open stream to end now (the server is stopping)."""
        self.shutting_down.set()
        with self._lock:
            listeners = [listener for group in self._listeners.values() for listener in group]
        for listener in listeners:
            listener.stop()


hub = Hub()


class LocalBroker:
    name = "local"

    def publish(self, change: Change) -> None:
        hub.deliver(change)

    async def ensure_listening(self) -> None:
        return None


class _RemoteBroker:
    """Delivers locally at once, then through the broker to the other processes.

    One subscriber task per event loop forwards what the broker brings to this process's hub (our own
    events come back too; listeners coalesce them). If the broker connection fails the task retries
    with a growing pause; meanwhile the heartbeat re-read keeps screens correct.
    """

    name = "remote"

    def __init__(self) -> None:
        self._tasks: dict[asyncio.AbstractEventLoop, asyncio.Task] = {}

    def publish(self, change: Change) -> None:
        hub.deliver(change)
        try:
            self._send(change.encode())
        except Exception:  # a broker outage must never fail the request that changed the meeting
            logger.warning("Could not publish a live event through %s", self.name, exc_info=True)

    def _send(self, payload: str) -> None:
        raise NotImplementedError

    async def ensure_listening(self) -> None:
        loop = asyncio.get_running_loop()
        task = self._tasks.get(loop)
        if task is None or task.done():
            self._tasks[loop] = loop.create_task(self._listen_forever(), name=f"live-{self.name}")

    async def _listen_forever(self) -> None:
        pause = 0.5
        while not hub.shutting_down.is_set():
            try:
                async for payload in self._messages():
                    pause = 0.5
                    change = Change.decode(payload)
                    if change is not None:
                        hub.deliver(change)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning(
                    "Live event subscription through %s failed; retrying", self.name, exc_info=True
                )
            await asyncio.sleep(pause)
            pause = min(pause * 2, 10)

    def _messages(self):
        raise NotImplementedError


class RedisBroker(_RemoteBroker):
    name = "redis"

    def __init__(self, url: str) -> None:
        super().__init__()
        import redis

        self.url = url
        self._client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)

    def _send(self, payload: str) -> None:
        self._client.publish(CHANNEL, payload)

    async def _messages(self):
        import redis.asyncio

        client = redis.asyncio.Redis.from_url(self.url)
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(CHANNEL)
            async for message in pubsub.listen():
                if message.get("type") == "message":
                    yield message["data"]
        finally:
            await pubsub.aclose()
            await client.aclose()


class PostgresBroker(_RemoteBroker):
    name = "postgres"

    def _send(self, payload: str) -> None:
        # Runs in the request's own connection, after its transaction committed.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, %s)", [CHANNEL, payload])

    async def _messages(self):
        import psycopg

        params = {
            key: value
            for key, value in connection.get_connection_params().items()
            if key
            in {"dbname", "user", "password", "host", "port", "sslmode", "sslrootcert", "sslcert", "sslkey"}
        }
        async with await psycopg.AsyncConnection.connect(**params, autocommit=True) as listener:
            await listener.execute(f"LISTEN {CHANNEL}")
            async for notify in listener.notifies():
                yield notify.payload


@cache
def broker() -> LocalBroker | RedisBroker | PostgresBroker:
    choice = getattr(settings, "LIVE_BROKER", "auto")
    if choice == "auto":
        if settings.REDIS_URL:
            choice = "redis"
        elif connection.vendor == "postgresql":
            choice = "postgres"
        else:
            choice = "local"
    if choice == "redis":
        return RedisBroker(settings.REDIS_URL)
    if choice == "postgres":
        return PostgresBroker()
    return LocalBroker()


def announce(change: Change) -> None:
    """Publish a change once the transaction that made it commits (at once outside a transaction)."""
    transaction.on_commit(lambda: broker().publish(change))
