"""Rate limits: how often one client may post answers, try join codes, sign up or ask for a password reset.

A fixed window per limit and client, counted in Django's cache (Redis when REDIS_URL is set, so every
server process shares the counts; otherwise each process counts for itself). The first request of a
window creates its counter with `cache.add`, every request adds one with `cache.incr`, and the counter
expires with its window. Keys hold a hash of who is counting, never an address or a user id in clear.

Who is counting: the user when logged in, else the client's address (`client_ip`). A view may count
something more precise, such as a meeting participant (`hit(request, "answer", who=...)`).

The limits live in settings.RATE_LIMITS ("30/minute"); RATE_LIMITS_ENABLED=0 turns every one off. If the
cache cannot be reached the request goes through: a limit is a brake on abuse, not worth an outage. (The
cache then answers every call as a miss, see `redis_cache` in bookclub/settings.py.)
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

logger = logging.getLogger(__name__)

PERIODS = {"second": 1, "minute": 60, "hour": 60 * 60, "day": 24 * 60 * 60}
MESSAGE = "Too many requests. Please wait a minute and try again."


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> Rate:
        """ "30/minute" -> 30 requests per 60 seconds (settings.py has already refused anything else)."""
        count, _, period = text.partition("/")
        return cls(int(count), PERIODS[period])


def client_ip(request: HttpRequest) -> str | None:
    """The client's address. Behind a proxy (BEHIND_PROXY), the address the proxy saw: the last entry of
    X-Forwarded-For, the one our proxy appended. Entries before it come from the client and can be
    anything, so they are never trusted. django-axes uses this too (AXES_CLIENT_IP_CALLABLE)."""
    if settings.BEHIND_PROXY:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if hops[-1] and _is_ip(hops[-1]):
            return hops[-1]
    address = request.META.get("REMOTE_ADDR", "")
    return address if _is_ip(address) else None


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def client_identity(request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"ip:{client_ip(request) or 'unknown'}"


def _counter(scope: str, who: str) -> tuple[str, Rate, int]:
    """The cache key of this window's counter, the rate, and the seconds until the window ends."""
    rate = Rate.parse(settings.RATE_LIMITS[scope])
    now = time.time()
    window = int(now // rate.seconds)
    digest = hashlib.sha256(f"{scope}\0{who}".encode()).hexdigest()[:40]
    wait = max(1, math.ceil((window + 1) * rate.seconds - now))
    return f"ratelimit:{scope}:{window}:{digest}", rate, wait


def hit(request: HttpRequest, scope: str, who: str | None = None) -> int | None:
    """Counts one request against limit `scope`. Returns the seconds to wait if it is over the limit,
    else None."""
    if not settings.RATE_LIMITS_ENABLED:
        return None
    key, rate, wait = _counter(scope, who or client_identity(request))
    cache.add(key, 0, timeout=rate.seconds)
    try:
        count = cache.incr(key)
    except ValueError:  # the counter expired between add and incr: a new window has begun
        cache.add(key, 1, timeout=rate.seconds)
        count = 1
    if count is None:  # what the cache answers when Redis cannot be reached
        logger.warning("Rate limit %s not checked: the cache is unavailable.", scope)
        return None
    return wait if count > rate.count else None


def exceeded(
    request: HttpRequest, scope: str, who: str | None = None, *, used_up: bool = False
) -> int | None:
    """Like `hit`, without counting: the seconds to wait if this client is already over the limit, or
    with `used_up`, if it has made as many requests as the limit allows (the next one counted would be
    refused)."""
    if not settings.RATE_LIMITS_ENABLED:
        return None
    key, rate, wait = _counter(scope, who or client_identity(request))
    try:
        count = cache.get(key, 0)
    except Exception:
        logger.warning("Rate limit %s not checked: the cache is unavailable.", scope, exc_info=True)
        return None
    return wait if count > rate.count or (used_up and count >= rate.count) else None


def message(wait: int) -> str:
    minutes = math.ceil(wait / 60)
    if minutes <= 1:
        return MESSAGE
    return f"Too many requests. Please wait {minutes} minutes and try again."


def retry_after(response: HttpResponse, wait: int) -> HttpResponse:
    response["Retry-After"] = str(wait)
    return response


def too_many_requests(request: HttpRequest, wait: int) -> HttpResponse:
    """429 with the message: the whole page, or for htmx just the message, swapped where the form asked."""
    template = "429.html"
    if getattr(request, "htmx", False):
        template += "#message"
    response = render(request, template, {"message": message(wait)}, status=429)
    return retry_after(response, wait)


def rate_limit(scope: str, *, methods: tuple[str, ...] = ("POST",)) -> Callable:
    """Counts the view's requests made with `methods` against limit `scope`. Once a client is over the
    limit, every request it makes to the view is refused until the window ends (so that, say, a join
    page cannot tell an over-the-limit guesser which codes exist)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def limited(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            wait = hit(request, scope) if request.method in methods else exceeded(request, scope)
            if wait:
                return too_many_requests(request, wait)
            return view(request, *args, **kwargs)

        return limited

    return decorator
