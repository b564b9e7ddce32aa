"""Signal receivers that keep live screens honest about what is saved apart from the meeting.

A live meeting's screens show its club's name and its guide's title; a change to either is pushed to
the screens of the meetings under way, like any other change.
"""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver

from guides.models import Guide
from sessions.models import Club, Meeting


def _push(meetings) -> None:
    for meeting in meetings.live():
        meeting.touch()


@receiver(post_save, sender=Club)
def club_saved(sender, instance: Club, created: bool, **kwargs) -> None:
    if not created:
        _push(Meeting.objects.filter(club=instance))


@receiver(post_save, sender=Guide)
def guide_saved(sender, instance: Guide, created: bool, **kwargs) -> None:
    if not created:
        _push(Meeting.objects.filter(guide=instance))


@receiver(post_save, sender=Meeting)
def meeting_scheduled(sender, instance: Meeting, created: bool, raw: bool = False, **kwargs) -> None:
    """Invite the club's members by email (issue 12), from the worker once the meeting is committed."""
    if created and not raw:
        from sessions import notifications

        notifications.announce("meeting_scheduled", instance.pk)
