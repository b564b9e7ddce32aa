"""Request and response helpers every app's views share."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


class AuthenticatedHttpRequest(HtmxHttpRequest):
    """The request of a view that only people logged in get past (@login_required, or an access helper in
    sessions/access.py that raises LoginRequired first): its user is a User, never AnonymousUser."""

    user: User


def safe_next(request: HttpRequest, value: str | None = None) -> str:
    """Where to go after a form, when the form (or the URL) says so and the place is on this site.

    `value` defaults to the posted `next`, then the query string's.
    """
    target = value if value is not None else (request.POST.get("next") or request.GET.get("next") or "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def redirect_to(request: HtmxHttpRequest, url: str) -> HttpResponse:
    """A redirect that htmx follows as a whole-page navigation rather than swapping the target in."""
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


def absolute_url(request: HttpRequest, path: str) -> str:
    """`path` as a full URL for another device (a phone reading the QR code): on SITE_URL when it is
    set (LAN=1 sets it to the LAN address), else on the address this request came to."""
    if settings.SITE_URL:
        return settings.SITE_URL + path
    return request.build_absolute_uri(path)
