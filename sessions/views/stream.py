"""The events URL as Django serves it: only where no ASGI server holds streams (WSGI, the test client).

Under bookclub.asgi the URL is a Channels consumer (sessions/consumers.py) that stays open. Here the
response is the current state once, as the stream would send it first, with a `retry` of the poll
interval: the browser's EventSource reconnects after it, so a screen under WSGI polls by itself and
applies the same events. 204 (the meeting ended, the viewer was removed, or polling is off) tells the
browser not to come back.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from sessions import access, live_state


@require_GET
@never_cache
def meeting_events(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        audience, participant_id = access.stream_seat(
            request.user, request.session, pk, request.GET.get("audience", "members")
        )
    except access.LoginRequired:
        return access.login_redirect(request)
    state = live_state.current_state(pk)
    if state.ended or participant_id in state.removed or settings.LIVE_POLL_SECONDS <= 0:
        return HttpResponse(status=204)
    retry = int(settings.LIVE_POLL_SECONDS * 1000)
    response = HttpResponse(
        f"retry: {retry}\n\n".encode() + state.events[audience], content_type="text/event-stream"
    )
    response["X-Accel-Buffering"] = "no"
    return response
