"""Emails: what is recorded for each event, the one-click unsubscribe link, and sending exactly once
through a real SMTP server (aiosmtpd) with real worker processes, killed mid-run or two at a time."""

from __future__ import annotations

import email
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from guides.models import Guide
from sessions import notifications
from sessions.models import BookVote, Club, EmailPreferences, Meeting, OutgoingEmail

ROOT = Path(__file__).resolve().parents[2]


def url(name, *args):
    return reverse(f"sessions:{name}", args=args)


# ---------- What each event records ----------


def test_scheduling_a_meeting_invites_every_member_once(meeting, host, member):
    notifications.announce_event.call("meeting_scheduled", meeting.pk)
    notifications.announce_event.call("meeting_scheduled", meeting.pk)  # a retried task
    invitations = OutgoingEmail.objects.filter(kind="invitation")
    assert sorted(invitations.values_list("to_address", flat=True)) == [
        "hana@example.com",
        "milo@example.com",
    ]
    assert len(mail.outbox) == 2
    assert "Never Let Me Go" in mail.outbox[0].subject
    assert "The Crown" in mail.outbox[0].body


def test_a_meeting_is_announced_to_the_worker_when_its_scheduling_commits(
    club, guide, host, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=True):
        meeting = Meeting.schedule(
            club=club, guide=guide, by=host, starts_at=timezone.now() + timedelta(days=2)
        )
    task = DBTaskResult.objects.get(task_path="sessions.notifications.announce_event")
    assert task.args_kwargs["args"] == ["meeting_scheduled", meeting.pk]
    assert not OutgoingEmail.objects.exists()  # the request only queued the work


def test_a_cancelled_meeting_emails_the_members_and_gets_no_reminder(meeting, settings):
    meeting.cancel()
    notifications.announce_event.call("meeting_cancelled", meeting.pk)
    assert sorted(OutgoingEmail.objects.values_list("kind", flat=True)) == ["cancellation", "cancellation"]
    assert mail.outbox[0].subject.startswith("Cancelled: Tuesday Readers, Never Let Me Go")
    settings.MEETING_REMINDERS = [2 * 3600]
    assert notifications.record_due_reminders(now=meeting.starts_at - timedelta(hours=1)) == 0


def test_members_who_turned_invitations_off_are_not_invited(meeting, member):
    EmailPreferences.objects.create(user=member, invitations=False)
    notifications.meeting_scheduled(meeting)
    assert list(OutgoingEmail.objects.values_list("to_address", flat=True)) == ["hana@example.com"]


def test_a_reminder_is_made_when_it_falls_due_and_only_once(meeting, settings):
    settings.MEETING_REMINDERS = [2 * 86400, 2 * 3600]
    early = meeting.starts_at - timedelta(days=3)
    assert notifications.record_due_reminders(now=early) == 0
    two_days = meeting.starts_at - timedelta(days=1, hours=23)
    assert notifications.record_due_reminders(now=two_days) == 2
    assert notifications.record_due_reminders(now=two_days) == 0
    two_hours = meeting.starts_at - timedelta(hours=1)
    assert notifications.record_due_reminders(now=two_hours) == 2
    keys = sorted(set(OutgoingEmail.objects.values_list("key", flat=True)))
    assert [key.split(":")[2] for key in keys] == ["172800s", "7200s"]


def test_a_meeting_set_up_an_hour_ahead_gets_only_the_two_hour_reminder(club, guide, host, settings):
    settings.MEETING_REMINDERS = [2 * 86400, 2 * 3600]
    Meeting.schedule(club=club, guide=guide, by=host, starts_at=timezone.now() + timedelta(hours=1))
    notifications.record_due_reminders()
    assert {key.split(":")[2] for key in OutgoingEmail.objects.values_list("key", flat=True)} == {"7200s"}


def test_a_moved_meeting_is_reminded_again_at_its_new_time(meeting, settings):
    settings.MEETING_REMINDERS = [2 * 3600]
    notifications.record_due_reminders(now=meeting.starts_at - timedelta(hours=1))
    meeting.change_details(
        starts_at=meeting.starts_at + timedelta(days=1),
        place=meeting.place,
        allow_guests=True,
        show_names=True,
        answers_visible="immediately",
    )
    notifications.record_due_reminders(now=meeting.starts_at - timedelta(hours=1))
    assert OutgoingEmail.objects.filter(kind="reminder").count() == 4


def test_a_vote_opening_and_its_result_are_emailed(club, host, member):
    vote = BookVote.open(club=club, by=host, closes_at=timezone.now() + timedelta(days=2))
    vote.nominate(by=member, title="Klara and the Sun")
    vote.start_voting()
    notifications.announce_event.call("vote_opened", vote.pk)
    vote.cast(member, [vote.nominations.get().pk])
    vote.close()
    notifications.announce_event.call("vote_result", vote.pk)
    kinds = Counter(OutgoingEmail.objects.values_list("kind", flat=True))
    assert kinds == {"vote_opened": 2, "vote_result": 2}
    result = next(m for m in mail.outbox if "chose" in m.subject)
    assert "Klara and the Sun" in result.body


def test_every_email_has_a_one_click_unsubscribe_link(meeting, member):
    notifications.meeting_scheduled(meeting)
    message = next(m for m in mail.outbox if m.to == ["milo@example.com"])
    link = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link in message.body
    assert link.startswith("http://127.0.0.1:8000/unsubscribe/")


# ---------- Unsubscribing ----------


def unsubscribe_path(user, kind="reminder") -> str:
    return url("unsubscribe", notifications.unsubscribe_token(user, kind))


def test_the_unsubscribe_link_asks_first_then_works_without_logging_in(member):
    client = Client()
    page = client.get(unsubscribe_path(member)).content.decode()
    assert "Stop sending meeting reminders to milo@example.com?" in page
    assert EmailPreferences.of(member).reminders is True
    response = client.post(unsubscribe_path(member))
    assert "milo@example.com gets no more meeting reminders." in response.content.decode()
    preferences = EmailPreferences.of(member)
    assert (preferences.reminders, preferences.invitations, preferences.votes) == (False, True, True)


def test_a_mail_apps_one_click_post_needs_no_csrf_token(member):
    client = Client(enforce_csrf_checks=True)
    response = client.post(unsubscribe_path(member, "vote_opened"), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert EmailPreferences.of(member).votes is False


def test_an_unsubscribe_link_works_only_for_the_address_it_was_sent_to(member):
    path = unsubscribe_path(member)
    member.email = "milo@new.example.com"
    member.save()
    response = Client().post(path)
    assert response.status_code == 404
    assert EmailPreferences.of(member).reminders is True


def test_a_tampered_unsubscribe_link_does_nothing(member, host):
    token = notifications.unsubscribe_token(member, "reminder")
    response = Client().post(url("unsubscribe", token[:-2] + "xx"))
    assert response.status_code == 404
    assert EmailPreferences.of(member).reminders is True
    assert EmailPreferences.of(host).reminders is True


def test_a_member_chooses_their_emails(member_client, member):
    response = member_client.post(url("email_preferences"), {"invitations": "on", "votes": "on"})
    assert response.status_code == 302
    preferences = EmailPreferences.of(member)
    assert (preferences.invitations, preferences.reminders, preferences.votes) == (True, False, True)


def test_sending_marks_the_email_sent_and_a_second_claim_loses(meeting):
    notifications.record(
        meeting.created_by,
        "reminder",
        "reminder:test",
        "Subject",
        "sessions/email/reminder.txt",
        notifications._meeting_context(meeting),
    )
    outgoing = OutgoingEmail.objects.get()
    assert notifications.deliver(outgoing) is True
    assert notifications.deliver(outgoing) is False
    outgoing.refresh_from_db()
    assert outgoing.status == "sent"
    assert len(mail.outbox) == 1


def test_a_refused_send_is_tried_again_later(meeting, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens there
    notifications.meeting_scheduled(meeting)
    assert set(OutgoingEmail.objects.values_list("status", flat=True)) == {"pending"}
    assert all(e.send_after > timezone.now() for e in OutgoingEmail.objects.all())


# ---------- Exactly once, with real workers and a real SMTP server ----------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps every accepted message. Each recipient check waits a little, so a
    worker spends its time inside SMTP conversations and a kill lands in the middle of one."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.messages: list[email.message.Message] = []
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        import asyncio

        await asyncio.sleep(self.delay)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def count(self) -> int:
        with self.lock:
            return len(self.messages)

    def per_recipient_and_subject(self) -> Counter:
        with self.lock:
            return Counter((m["To"], m["Subject"]) for m in self.messages)


@pytest.fixture
def smtp():
    from aiosmtpd.controller import Controller

    inbox = Inbox(delay=0.15)
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def start_worker(port: int, name: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url(),
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
        "OUTBOX_SWEEP_SECONDS": "1",
        "EMAIL_CLAIM_LEASE_SECONDS": "3",
        "MEETING_REMINDERS": "2h",
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "run_worker",
            "--interval",
            "0.2",
            "--no-startup-delay",
            "--worker-id",
            name,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def a_club_with_a_meeting_soon(members: int) -> tuple[Meeting, list[User]]:
    """A club of `members` + 1 people with a meeting in an hour: each gets an invitation (from the
    scheduling) and a 2-hour reminder (from the sweep)."""
    host = User.objects.create_user("hana", "hana@example.com")
    club = Club.create(name="Tuesday Readers", host=host)
    people = [host]
    for number in range(members):
        user = User.objects.create_user(f"reader{number}", f"reader{number}@example.com")
        club.join(user)
        people.append(user)
    guide = Guide.objects.create(
        title="Never Let Me Go", author="Kazuo Ishiguro", status=Guide.Status.PUBLISHED
    )
    meeting = Meeting.schedule(club=club, guide=guide, by=host, starts_at=timezone.now() + timedelta(hours=1))
    return meeting, people


def all_sent(expected: int) -> bool:
    return OutgoingEmail.objects.filter(status="sent").count() == expected


def assert_each_arrived_once(inbox: Inbox, people: list[User]) -> None:
    seen = inbox.per_recipient_and_subject()
    assert len(seen) == 2 * len(people), seen
    assert set(seen.values()) == {1}, [key for key, n in seen.items() if n > 1]
    for person in people:
        subjects = [subject for (to, subject) in seen if to == person.email]
        assert len(subjects) == 2
        assert sum(subject.startswith("Reminder:") for subject in subjects) == 1


@pytest.mark.django_db(transaction=True)
def test_each_email_arrives_once_when_the_worker_is_killed_and_restarted_mid_run(smtp):
    inbox, port = smtp
    meeting, people = a_club_with_a_meeting_soon(members=11)
    expected = 2 * len(people)
    first = start_worker(port, "first")
    try:
        wait_for(lambda: inbox.count() >= 5, 60, "the first emails")
        first.kill()  # SIGKILL: no chance to finish the email it is sending or mark anything
        first.wait()
        assert inbox.count() < expected, "the worker finished before it could be killed"
        second = start_worker(port, "second")
        try:
            wait_for(lambda: all_sent(expected), 90, "every email to be sent")
            time.sleep(2)  # a sweep or two more: nothing is sent again
        finally:
            stop(second)
    finally:
        stop(first)
    assert_each_arrived_once(inbox, people)
    assert meeting.pk


@pytest.mark.django_db(transaction=True)
def test_each_email_arrives_once_with_two_workers_at_once(smtp):
    inbox, port = smtp
    _, people = a_club_with_a_meeting_soon(members=11)
    expected = 2 * len(people)
    workers = [start_worker(port, "left"), start_worker(port, "right")]
    try:
        wait_for(lambda: all_sent(expected), 90, "every email to be sent")
        time.sleep(2)
    finally:
        for worker in workers:
            stop(worker)
    assert_each_arrived_once(inbox, people)
    senders = set(OutgoingEmail.objects.values_list("attempts", flat=True))
    assert senders == {1}  # no email was claimed twice
