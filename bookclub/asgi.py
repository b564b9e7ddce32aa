"""ASGI entry point: `uvicorn bookclub.asgi:application` is a complete server (WhiteNoise serves static
files, Channels serves the meetings' live streams).

The outer function answers the ASGI lifespan protocol, which neither Django nor Channels does: at start
the live publisher learns the server's event loop (sessions/live_state.py renders and sends there), and
on a stop signal the open streams end at once instead of holding the shutdown up; browsers reconnect by
themselves to whichever process is up.
"""

import asyncio
import contextlib
import os
import signal

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bookclub.settings")

django_application = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402  (these need the settings configured above)
from channels.routing import URLRouter  # noqa: E402
from django.urls import path, re_path  # noqa: E402

import bookclub.converters  # noqa: E402, F401  (registers <id:...>)
from sessions import consumers, live_state  # noqa: E402

# Channels' URLRouter takes Django's path() and re_path() with ASGI applications in place of views; the
# Django stubs type them for views only, and the channels stubs want URLRouter's own pattern type.
http_application = URLRouter(
    [
        path("meetings/<id:pk>/events/", AuthMiddlewareStack(consumers.MeetingStream.as_asgi())),  # type: ignore[arg-type, list-item]
        re_path(r"", django_application),  # type: ignore[arg-type, list-item]
    ]
)

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _end_streams_on_stop_signals(loop: asyncio.AbstractEventLoop) -> None:
    """Chain onto the server's own handlers: it stops accepting; we end the streams it would wait for."""
    for number in STOP_SIGNALS:
        previous = signal.getsignal(number)

        def handler(signum, frame, previous=previous):
            loop.call_soon_threadsafe(consumers.end_all_streams)
            if callable(previous):
                previous(signum, frame)

        signal.signal(number, handler)


async def application(scope, receive, send):
    if scope["type"] == "http":
        await http_application(scope, receive, send)
        return
    if scope["type"] != "lifespan":
        await django_application(scope, receive, send)
        return
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            loop = asyncio.get_running_loop()
            live_state.publisher.attach(loop)
            # Off the main thread (a server embedded in tests) there are no signals to chain.
            with contextlib.suppress(ValueError):
                _end_streams_on_stop_signals(loop)
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            consumers.end_all_streams()
            await live_state.publisher.drain()
            live_state.publisher.detach()
            await send({"type": "lifespan.shutdown.complete"})
            return
