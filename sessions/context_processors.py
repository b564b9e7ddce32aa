from django.conf import settings
from django.http import HttpRequest


def live(request: HttpRequest) -> dict:
    """How often a meeting screen without a live stream polls (0: never)."""
    return {"live_poll_seconds": settings.LIVE_POLL_SECONDS}
