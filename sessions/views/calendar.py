"""The club calendar: each member's private subscription URL with every meeting of their clubs.

The URL's secret token is the only key (calendar apps fetch it without a login), so it is long, random,
and can be reset; a reset makes the old URL 404 at once.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from bookclub.http import AuthenticatedHttpRequest, absolute_url
from sessions import calendars
from sessions.models import CalendarFeed, Meeting

TEMPLATE = "sessions/calendar/calendar.html"


@login_required
@require_GET
def calendar_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    feed = CalendarFeed.of(request.user)
    https_url = absolute_url(request, reverse("sessions:calendar_feed", args=[feed.token]))
    webcal_url = "webcal://" + https_url.split("://", 1)[1]
    return render(request, TEMPLATE, {"https_url": https_url, "webcal_url": webcal_url})


@login_required
@require_POST
def calendar_reset(request: AuthenticatedHttpRequest) -> HttpResponse:
    CalendarFeed.of(request.user).reset()
    messages.success(
        request, "Calendar link reset. Subscribe again with the new link; the old one no longer works."
    )
    return redirect("sessions:calendar")


@require_GET
@never_cache
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    feed = CalendarFeed.objects.select_related("user").filter(token=token).first()
    if feed is None or not feed.user.is_active:
        raise Http404("No such calendar.")
    meetings = (
        Meeting.objects.filter(club__memberships__user=feed.user)
        .select_related("club", "guide")
        .order_by("starts_at", "pk")
    )
    body = calendars.calendar(request, meetings, name="Bookclub meetings")
    return HttpResponse(body, content_type="text/calendar; charset=utf-8")
