"""How long things took, for the club and meeting pages."""

from __future__ import annotations

from datetime import timedelta

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from sessions.models import Meeting

register = template.Library()


@register.filter
def hours_minutes(span: timedelta | None) -> str:
    """A length of time to the nearest minute: "1 h 29 min", "2 h", "45 min"."""
    if span is None:
        return ""
    minutes = round(span.total_seconds() / 60)
    if minutes < 1:
        return "under a minute"
    hours, minutes = divmod(minutes, 60)
    return " ".join(
        part for part in (f"{hours} h" if hours else "", f"{minutes} min" if minutes else "") if part
    )


@register.simple_tag
def ran(meeting: Meeting) -> SafeString | str:
    """When an ended meeting actually ran, in its club's time zone ("Ran 19:02\u201320:31, 1 h 29 min"),
    with the day when that is not the day it was scheduled for; "" when it never ran."""
    if meeting.started_at is None or meeting.ended_at is None:
        return ""
    zone = meeting.club.tzinfo
    started, ended = (timezone.localtime(moment, zone) for moment in (meeting.started_at, meeting.ended_at))
    day = ""
    if started.date() != timezone.localtime(meeting.starts_at, zone).date():
        day = f"{started:%A} {started.day} {started:%B}, "
    return format_html(
        'Ran {}<time datetime="{}">{}</time>\u2013<time datetime="{}">{}</time>, {}',
        day,
        meeting.started_at.isoformat(),
        f"{started:%H:%M}",
        meeting.ended_at.isoformat(),
        f"{ended:%H:%M}",
        hours_minutes(meeting.ended_at - meeting.started_at),
    )
