"""Calendar files (RFC 5545) built with the `icalendar` library: one meeting's .ics and a member's feed.

Each meeting is one event with a UID that never changes, so a calendar app that sees it again updates
it rather than adding a second. Its SEQUENCE (`Meeting.calendar_sequence`) moves on when the time or the
place changes, which is what tells the app the later copy wins.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from icalendar import Alarm, Calendar, Event

from bookclub.http import absolute_url
from sessions.models import Meeting

MEETING_LENGTH = timedelta(hours=2)
ALARM_BEFORE = timedelta(hours=2)


def calendar(request: HttpRequest, meetings: Iterable[Meeting], *, name: str = "") -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Bookclub//Meetings//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    if name:
        cal.add("x-wr-calname", name)
        # Calendar apps that honour it fetch the feed again after an hour.
        cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", "PT1H")
    stamp = timezone.now()
    for meeting in meetings:
        cal.add_component(_event(request, meeting, stamp))
    return cal.to_ical()


def meeting_uid(request: HttpRequest, meeting: Meeting) -> str:
    host = request.get_host().rsplit(":", 1)[0] if request.get_host() else "bookclub"
    return f"meeting-{meeting.pk}@{host}"


def _event(request: HttpRequest, meeting: Meeting, stamp) -> Event:
    guide = meeting.guide
    meeting_url = absolute_url(request, meeting.get_absolute_url())
    if meeting.is_cancelled:
        lines = [f"Cancelled: {meeting.club.name} will not meet on {meeting.title} at this time."]
    elif guide is not None:
        lines = [f"{meeting.club.name} meets to discuss {guide.title} by {guide.author}."]
    else:
        lines = [f"{meeting.club.name} meets to discuss {meeting.title}."]
    if meeting.reading_target_label:
        lines.append(f"Read by then: {meeting.reading_target_label}.")
    url = meeting_url
    if meeting.is_live:
        url = absolute_url(request, reverse("sessions:join_code", args=[meeting.join_code]))
        lines.append(f"The meeting is live. Join: {url} (code {meeting.join_code})")
    lines.append(f"Meeting page: {meeting_url}")
    if guide is not None:
        lines.append(f"Guide: {absolute_url(request, meeting.guide_url)}")

    event = Event()
    event.add("uid", meeting_uid(request, meeting))
    event.add("dtstamp", stamp)
    event.add("sequence", meeting.calendar_sequence)
    event.add("dtstart", meeting.starts_at)
    event.add("dtend", meeting.starts_at + MEETING_LENGTH)
    summary = f"{meeting.title} — {meeting.club.name}"
    event.add("summary", f"Cancelled: {summary}" if meeting.is_cancelled else summary)
    event.add("status", "CANCELLED" if meeting.is_cancelled else "CONFIRMED")
    if meeting.place:
        event.add("location", meeting.place)
    event.add("url", url)
    event.add("description", "\n".join(lines))
    if not meeting.is_ended and not meeting.is_cancelled:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"{meeting.title} with {meeting.club.name}")
        alarm.add("trigger", -ALARM_BEFORE)
        event.add_component(alarm)
    return event
