"""Emails to members: meeting invitations and reminders, a vote opening and its result.

Every email is first recorded as an `OutgoingEmail` row, unique per (member, what it is about), and only
then sent by the background worker (django-tasks' database backend; `manage.py run_worker`). Sending
claims the row with a compare-and-set, so two workers never send the same row, and a row claimed by a
worker that died mid-send is sent again once its lease runs out. The imperfection we accept: a worker
killed in the instant between the SMTP server accepting a message and the row being marked sent leaves a
row that will be sent a second time.

Invitations and vote emails are queued when their event happens; reminders are made by the periodic
sweep (`sweep_outbox`) when they fall due, for the meeting's time as it is then, so a moved meeting is
reminded at its new time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from sessions.models import (
    BookVote,
    EmailPreferences,
    Meeting,
    OutgoingEmail,
)

logger = logging.getLogger(__name__)
User = get_user_model()
UNSUBSCRIBE_SALT = "bookclub.unsubscribe"
# Which preference turns each kind of email off; looked up by the kind as stored (a str).
PREFERENCE_OF_KIND: dict[str, str] = {
    OutgoingEmail.Kind.INVITATION: "invitations",
    OutgoingEmail.Kind.CANCELLATION: "invitations",
    OutgoingEmail.Kind.REMINDER: "reminders",
    OutgoingEmail.Kind.VOTE_OPENED: "votes",
    OutgoingEmail.Kind.VOTE_RESULT: "votes",
}


# Emails are made by the worker, with no request to take an address from: unset SITE_URL means `make run`
# on this machine.
LOCAL_SITE_URL = "http://127.0.0.1:8000"


def site_url() -> str:
    return settings.SITE_URL or LOCAL_SITE_URL


def absolute(path: str) -> str:
    return site_url() + path


# ---------- Unsubscribe links ----------


def unsubscribe_token(user, kind: str) -> str:
    """Signed (user, address, kind): it works without logging in, and only while the account still has
    the address the email went to."""
    return signing.dumps(
        {"u": user.pk, "e": user.email.lower(), "k": PREFERENCE_OF_KIND[kind]}, salt=UNSUBSCRIBE_SALT
    )


def read_unsubscribe_token(token: str):
    """(user, preference name) for a valid token, else None."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("k") not in PREFERENCE_OF_KIND.values():
        return None
    user_id = data.get("u")
    if not isinstance(user_id, int):  # every token this site signs has the account's pk
        return None
    user = User.objects.filter(pk=user_id).first()
    if user is None or (user.email or "").lower() != data.get("e"):
        return None
    return user, data["k"]


# ---------- Recording emails ----------


def _recipients(club_id: int, kind: str):
    """The club's members with an address who have not turned this kind of email off."""
    field = PREFERENCE_OF_KIND[kind]
    members = (
        User.objects.filter(memberships__club_id=club_id, is_active=True)
        .exclude(email="")
        .exclude(**{f"email_preferences__{field}": False})
    )
    return list(members.order_by("pk"))


def record(
    user, kind: str, key: str, subject: str, template: str, context: dict, send_after=None
) -> OutgoingEmail | None:
    """Record one email; None if it was recorded before (so it is never queued twice)."""
    body = render_to_string(
        template,
        {**context, "user": user, "preferences_url": absolute(reverse("sessions:email_preferences"))},
    )
    try:
        with transaction.atomic():
            return OutgoingEmail.objects.create(
                user=user,
                kind=kind,
                key=key,
                to_address=user.email,
                subject=subject,
                body=body,
                send_after=send_after or timezone.now(),
            )
    except IntegrityError:
        return None


def _queue(emails: list[OutgoingEmail | None]) -> int:
    """Send what was just recorded (the sweep sends it too, should this worker stop first)."""
    return sum(deliver(email) for email in emails if email is not None)


def meeting_scheduled(meeting: Meeting) -> int:
    kind = OutgoingEmail.Kind.INVITATION
    context = _meeting_context(meeting)
    subject = f"{meeting.club.name}: {meeting.title} on {context['when']}"
    return _queue(
        [
            record(
                user,
                kind,
                f"invitation:meeting-{meeting.pk}",
                subject,
                "sessions/email/invitation.txt",
                context,
            )
            for user in _recipients(meeting.club_id, kind)
        ]
    )


def meeting_cancelled(meeting: Meeting) -> int:
    kind = OutgoingEmail.Kind.CANCELLATION
    context = _meeting_context(meeting)
    subject = f"Cancelled: {meeting.club.name}, {meeting.title} on {context['when']}"
    return _queue(
        [
            record(
                user,
                kind,
                f"cancelled:meeting-{meeting.pk}",
                subject,
                "sessions/email/cancelled.txt",
                context,
            )
            for user in _recipients(meeting.club_id, kind)
        ]
    )


def vote_opened(vote: BookVote) -> int:
    kind = OutgoingEmail.Kind.VOTE_OPENED
    context = {
        "vote": vote,
        "club": vote.club,
        "vote_url": absolute(vote.get_absolute_url()),
        "closes": _local(vote.closes_at, vote.club),
    }
    subject = f"{vote.club.name}: voting is open, {vote.title.lower()}"
    return _queue(
        [
            record(
                user, kind, f"vote-opened:vote-{vote.pk}", subject, "sessions/email/vote_opened.txt", context
            )
            for user in _recipients(vote.club_id, kind)
        ]
    )


def vote_result(vote: BookVote) -> int:
    kind = OutgoingEmail.Kind.VOTE_RESULT
    winner = vote.winner
    context = {
        "vote": vote,
        "club": vote.club,
        "winner": winner,
        "vote_url": absolute(vote.get_absolute_url()),
    }
    subject = (
        f"{vote.club.name}: the vote chose {winner.title}" if winner else f"{vote.club.name}: the vote closed"
    )
    return _queue(
        [
            record(
                user, kind, f"vote-result:vote-{vote.pk}", subject, "sessions/email/vote_result.txt", context
            )
            for user in _recipients(vote.club_id, kind)
        ]
    )


def record_due_reminders(now=None) -> int:
    """Make the reminders that have fallen due (MEETING_REMINDERS, default 2 days and 2 hours before).

    For each scheduled meeting only the latest reminder point already passed counts: a meeting set up
    an hour ahead gets the 2-hour reminder alone, not the 2-day one as well. A reminder whose moment
    passed while no worker ran is still sent, as long as the meeting has not started.
    """
    offsets = settings.MEETING_REMINDERS
    if not offsets:
        return 0
    now = now or timezone.now()
    made = 0
    meetings = Meeting.objects.filter(
        state=Meeting.State.SCHEDULED,
        cancelled_at__isnull=True,
        starts_at__gt=now,
        starts_at__lte=now + timedelta(seconds=max(offsets)),
    ).select_related("club", "guide")
    for meeting in meetings:
        offset = min(o for o in offsets if meeting.starts_at - timedelta(seconds=o) <= now)
        context = _meeting_context(meeting)
        # The start time is part of the key: a meeting moved after its reminder is reminded again.
        key = f"reminder:meeting-{meeting.pk}:{offset}s:{meeting.starts_at:%Y%m%dT%H%M}"
        subject = f"Reminder: {meeting.title} with {meeting.club.name}, {context['when']}"
        kind = OutgoingEmail.Kind.REMINDER
        for user in _recipients(meeting.club_id, kind):
            if record(user, kind, key, subject, "sessions/email/reminder.txt", context) is not None:
                made += 1
    return made


def _local(moment, club) -> str:
    return f"{timezone.localtime(moment, club.tzinfo):%A %-d %B %Y, %H:%M} ({club.time_zone})"


def _meeting_context(meeting: Meeting) -> dict:
    return {
        "meeting": meeting,
        "club": meeting.club,
        "when": _local(meeting.starts_at, meeting.club),
        "meeting_url": absolute(meeting.get_absolute_url()),
        "ics_url": absolute(reverse("sessions:meeting_ics", args=[meeting.pk])),
        "reading": meeting.reading_target_label,
    }


# ---------- Sending ----------


def deliver(email: OutgoingEmail) -> bool:
    """Send one recorded email if this worker wins its claim; True if it went out now."""
    if not email.claim():
        return False
    email.refresh_from_db()
    unsubscribe_url = absolute(
        reverse("sessions:unsubscribe", args=[unsubscribe_token(email.user, email.kind)])
    )
    message = EmailMessage(
        subject=email.subject,
        body=email.body + f"\n\nStop these emails: {unsubscribe_url}\n",
        to=[email.to_address],
        headers={
            # RFC 8058 one-click unsubscribe: mail apps POST to the link without opening it.
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Message-ID": f"<outgoing-{email.pk}@{urlsplit(site_url()).hostname}>",
            "Auto-Submitted": "auto-generated",
        },
    )
    try:
        message.send()
    except Exception as error:  # the SMTP server refused or could not be reached: try again later
        logger.warning("Email %s not sent: %s", email.pk, error)
        OutgoingEmail.objects.filter(pk=email.pk).update(
            status=OutgoingEmail.Status.FAILED if email.attempts >= 5 else OutgoingEmail.Status.PENDING,
            last_error=str(error)[:1000],
            send_after=timezone.now() + timedelta(minutes=email.attempts * 5),
        )
        return False
    OutgoingEmail.objects.filter(pk=email.pk).update(status=OutgoingEmail.Status.SENT, sent_at=timezone.now())
    return True


def deliver_due(limit: int | None = None) -> int:
    """Send every email that is due, one claim at a time."""
    sent = 0
    for email in OutgoingEmail.objects.due().select_related("user").order_by("send_after", "pk")[:limit]:
        sent += deliver(email)
    return sent


def release_abandoned() -> int:
    lease = timedelta(seconds=settings.EMAIL_CLAIM_LEASE_SECONDS)
    return OutgoingEmail.objects.abandoned(lease).update(status=OutgoingEmail.Status.PENDING)


def close_due_votes() -> int:
    return sum(vote.close() for vote in BookVote.objects.due_to_close())


def unsubscribe(user, preference: str) -> None:
    preferences = EmailPreferences.of(user)
    setattr(preferences, preference, False)
    preferences.save(update_fields=[preference])


# ---------- Tasks run by the worker ----------


# Each event's model, and what emails about one of its rows. The function takes Any: a dict's type cannot
# say that each one goes with the model beside it.
EVENTS: dict[str, tuple[type[Meeting] | type[BookVote], Callable[[Any], int]]] = {
    "meeting_scheduled": (Meeting, meeting_scheduled),
    "meeting_cancelled": (Meeting, meeting_cancelled),
    "vote_opened": (BookVote, vote_opened),
    "vote_result": (BookVote, vote_result),
}


def announce(event: str, pk: int) -> None:
    """Queue the emails of an event for the worker, once the change that caused it is committed: the
    request only writes one task row."""
    transaction.on_commit(lambda: announce_event.enqueue(event, pk))


@task()
def announce_event(event: str, pk: int) -> int:
    model, send = EVENTS[event]
    subject = model.objects.filter(pk=pk).first()
    return 0 if subject is None else send(subject)


SWEEP_TASK = "sessions.notifications.sweep_outbox"


@task()
def sweep_outbox() -> int:
    """Every OUTBOX_SWEEP_SECONDS: close votes past their date, make the reminders that fell due, send
    what is waiting (including what a dead worker left). The next sweep is queued first, so a worker
    killed mid-sweep still leaves one queued."""
    queue_sweep(after=timedelta(seconds=settings.OUTBOX_SWEEP_SECONDS))
    close_due_votes()
    release_abandoned()
    record_due_reminders()
    return deliver_due()


def queue_sweep(after: timedelta = timedelta(0)) -> bool:
    """Queue a sweep unless one is already queued: several workers then share one chain of sweeps
    (a second chain, started at once by two workers, merges into the first at its next sweep)."""
    from django_tasks_db.models import DBTaskResult

    if DBTaskResult.objects.filter(status="READY", task_path=SWEEP_TASK).exists():
        return False
    sweep_outbox.using(run_after=timezone.now() + after).enqueue()
    return True
