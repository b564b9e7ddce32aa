"""Signal receivers that keep what is cached per meeting version honest (see sessions/version_cache.py).

A meeting's screens show its club's name and its guide's title, which are saved apart from the meeting;
a change to either moves the version of the meetings that are not over, so that no screen is rendered
from the meeting as it was cached before.
"""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver

from guides.models import Guide
from sessions.models import Club, Meeting


@receiver(post_save, sender=Club)
def club_saved(sender, instance: Club, created: bool, **kwargs) -> None:
    if not created:
        Meeting.objects.filter(club=instance).mark_changed()


@receiver(post_save, sender=Guide)
def guide_saved(sender, instance: Guide, created: bool, **kwargs) -> None:
    if not created:
        Meeting.objects.filter(guide=instance).mark_changed()


@receiver(post_save, sender=Meeting)
def meeting_scheduled(sender, instance: Meeting, created: bool, raw: bool = False, **kwargs) -> None:
    """Invite the club's members by email (issue 12), from the worker once the meeting is committed."""
    if created and not raw:
        from sessions import notifications

        notifications.announce("meeting_scheduled", instance.pk)
