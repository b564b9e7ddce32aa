"""ASGI entry point: `uvicorn bookclub.asgi:application` is a complete server (WhiteNoise serves static
files).

The wrapper serves the meetings' event streams itself (sessions/views/stream.py) and answers the ASGI
lifespan protocol, which Django does not, so that a server shutdown can end the open streams at once
instead of waiting for them: browsers reconnect by themselves to whichever process is up.
"""

import contextlib
import os
import signal

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bookclub.settings")

django_application = get_asgi_application()

from sessions import events  # noqa: E402  (needs the settings configured above)
from sessions.views.stream import EVENTS_PATH, serve_events  # noqa: E402

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _end_streams_on_stop_signals() -> None:
    """Chain onto the server's own handlers: it stops accepting; we end the streams it would wait for."""
    for number in STOP_SIGNALS:
        previous = signal.getsignal(number)

        def handler(signum, frame, previous=previous):
            events.hub.shut_down()
            if callable(previous):
                previous(signum, frame)

        signal.signal(number, handler)


async def application(scope, receive, send):
    if scope["type"] == "http" and (match := EVENTS_PATH.match(scope["path"])):
        # Meetings' event streams bypass Django's handler (see sessions/views/stream.py for why).
        await serve_events(scope, receive, send, int(match["pk"]))
        return
    if scope["type"] != "lifespan":
        await django_application(scope, receive, send)
        return
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            # Off the main thread (a server embedded in tests) there are no signals to chain.
            with contextlib.suppress(ValueError):
                _end_streams_on_stop_signals()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            events.hub.shut_down()
            await send({"type": "lifespan.shutdown.complete"})
            return
