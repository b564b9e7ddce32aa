"""Clubs and their meetings.

A club's hosts schedule meetings on a guide; the guide's questions are copied into the meeting so later
edits to the guide never change a meeting that was held. During a live meeting the host steps through the
questions while participants (club members, and guests when allowed) post answers.

Two counters on a meeting keep concurrent screens honest:
- `control_version` guards the host's controls: each control posts the version it saw, and only a
  compare-and-set on that number moves the meeting, so two hosts pressing "Next question" at once move it
  on once.
- `version` counts every change anyone can see (controls, answers, likes, moderation). Each change is
  rendered once and pushed to every open screen with its version (sessions/live_state.py); a screen
  that sees a newer version than it shows knows it missed something.
"""

from __future__ import annotations

import secrets
import unicodedata
import uuid
import zoneinfo
from datetime import timedelta
from typing import TYPE_CHECKING, TypedDict

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Count, F, Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from guides.models import Guide
from guides.models import Question as GuideQuestion
from sessions import names

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User
    from django_stubs_ext import WithAnnotations

# Join codes avoid letters and digits that are easy to confuse when read off a shared screen.
JOIN_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
# 32 ** 10 ≈ 1.1e15 codes: at the join limits, guessing a live one stays impractical (README, "Join codes").
JOIN_CODE_LENGTH = 10
MAX_ANSWER_LENGTH = 2000
MAX_DISPLAY_NAME_LENGTH = 40


def new_invite_token() -> str:
    return secrets.token_urlsafe(18)


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


class ClubQuerySet(models.QuerySet):
    def of_user(self, user: User | AnonymousUser) -> ClubQuerySet:
        if not user.is_authenticated:
            return self.none()
        return self.filter(memberships__user=user)


class Club(models.Model):
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    slug = models.SlugField(max_length=140, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC", choices=time_zone_choices)
    invite_token = models.CharField(max_length=40, unique=True, default=new_invite_token)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ClubQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("sessions:club", args=[self.slug])

    @classmethod
    @transaction.atomic
    def create(cls, *, name: str, host: User, description: str = "", time_zone: str = "UTC") -> Club:
        """Make a club with its creator as the first host."""
        club = cls(name=name, description=description, time_zone=time_zone, slug=cls._unique_slug(name))
        club.save()
        Membership.objects.create(club=club, user=host, role=Membership.Role.HOST)
        return club

    @classmethod
    def _unique_slug(cls, name: str) -> str:
        # A random tail keeps slugs unique and unguessable, so a club's URL says nothing about other clubs.
        base = slugify(name)[:100] or "club"
        return f"{base}-{secrets.token_hex(3)}"

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def membership_of(self, user: User | AnonymousUser) -> Membership | None:
        if not user.is_authenticated:
            return None
        return self.memberships.filter(user=user).first()

    def join(self, user: User) -> Membership:
        """Add a user as a member; joining twice keeps the first membership and its role."""
        membership, _ = Membership.objects.get_or_create(club=self, user=user)
        return membership

    def reset_invite_token(self) -> None:
        self.invite_token = new_invite_token()
        self.save(update_fields=["invite_token"])


class ClubError(Exception):
    """A club change that would break a rule (e.g. leave a club with no host)."""


class Membership(models.Model):
    class Role(models.TextChoices):
        HOST = "host", "Host"
        MEMBER = "member", "Member"

    club = models.ForeignKey(Club, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(auto_now_add=True)

    # Not a column: set on the member whose control gets the focus after a removal (sessions/views/clubs.py).
    focus: str

    class Meta:
        ordering = ["role", "joined_at"]  # "host" sorts before "member"
        constraints = [models.UniqueConstraint(fields=["club", "user"], name="one_membership_per_user")]

    def __str__(self) -> str:
        return f"{self.user} in {self.club} ({self.role})"

    @property
    def is_host(self) -> bool:
        return self.role == self.Role.HOST

    @transaction.atomic
    def set_role(self, role: str) -> None:
        if role == self.role:
            return
        if role != self.Role.HOST:
            self._ensure_another_host()
        self.role = role
        self.save(update_fields=["role"])

    @transaction.atomic
    def end(self) -> None:
        """Leave the club, or be removed from it."""
        if self.is_host:
            self._ensure_another_host()
        self.delete()

    def _ensure_another_host(self) -> None:
        # Lock the club's host rows so two hosts stepping down at once cannot both succeed.
        hosts = list(
            Membership.objects.select_for_update()
            .filter(club_id=self.club_id, role=self.Role.HOST)
            .exclude(pk=self.pk)
            .values_list("pk", flat=True)
        )
        if not hosts:
            raise ClubError("A club always keeps at least one host. Make another member a co-host first.")


class ReadingUnit(models.TextChoices):
    """How a reading plan, a question's place in the book and a member's progress are counted."""

    PART = "part", "Part"
    CHAPTER = "chapter", "Chapter"
    PAGE = "page", "Page"
    PERCENT = "percent", "Percent"


class MeetingQuerySet(models.QuerySet):
    def of_user(self, user: User | AnonymousUser) -> MeetingQuerySet:
        if not user.is_authenticated:
            return self.none()
        return self.filter(club__memberships__user=user)

    def upcoming(self) -> MeetingQuerySet:
        return self.exclude(state=Meeting.State.ENDED).filter(cancelled_at__isnull=True).order_by("starts_at")

    def past(self) -> MeetingQuerySet:
        return self.filter(state=Meeting.State.ENDED).order_by("-starts_at")

    def live(self) -> MeetingQuerySet:
        return self.filter(state=Meeting.State.LIVE)


class ControlConflict(Exception):
    """Another host changed the meeting since this host's screen last saw it."""


class Meeting(models.Model):
    class State(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        LIVE = "live", "Live"
        ENDED = "ended", "Ended"

    class AnswersVisible(models.TextChoices):
        IMMEDIATELY = "immediately", "Immediately"
        AFTER_REVEAL = "after_reveal", "After the host reveals them"

    club = models.ForeignKey(Club, on_delete=models.CASCADE, related_name="meetings")
    # No guide: a "Just questions" meeting, on questions the host wrote for it under a title of its own.
    # RESTRICT rather than PROTECT: a guide with meetings cannot be deleted, except together with its
    # meetings, as when a club goes with its own guides and meetings.
    guide = models.ForeignKey(
        Guide, on_delete=models.RESTRICT, null=True, blank=True, related_name="meetings"
    )
    own_title = models.CharField(
        "title", max_length=200, blank=True, help_text="What the meeting is about, when it has no guide."
    )
    starts_at = models.DateTimeField("date and time")
    place = models.CharField("place or video link", max_length=300, blank=True)
    allow_guests = models.BooleanField(default=True)
    show_names = models.BooleanField(
        default=True, help_text="Off: answers are anonymous to everyone but the host."
    )
    answers_visible = models.CharField(
        max_length=12, choices=AnswersVisible.choices, default=AnswersVisible.IMMEDIATELY
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.SCHEDULED, db_index=True)
    join_code = models.CharField(max_length=JOIN_CODE_LENGTH, unique=True, default=new_join_code)
    current_question = models.ForeignKey(
        "MeetingQuestion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    answers_locked = models.BooleanField(default=False)
    answers_revealed = models.BooleanField(default=False)
    timer_ends_at = models.DateTimeField(null=True, blank=True)
    close_answers_at_time_up = models.BooleanField(
        "close answers when time is up",
        default=True,
        help_text="When a countdown reaches zero, nobody can post or change answers to the question.",
    )
    spotlight = models.ForeignKey(
        "Answer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The answer the audience screen shows large.",
    )
    sort_by_likes = models.BooleanField(default=False, help_text="List answers by likes, not by time.")
    control_version = models.PositiveIntegerField(default=1)
    version = models.PositiveBigIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # Between meetings (issue 12): what to read by then, and the calendar's revision of this event.
    reading_unit = models.CharField(
        "reading plan in", max_length=10, choices=ReadingUnit.choices, default=ReadingUnit.CHAPTER
    )
    reading_target = models.PositiveIntegerField(
        "read up to", null=True, blank=True, help_text="Empty: no reading target for this meeting."
    )
    calendar_sequence = models.PositiveIntegerField(
        default=0, help_text="RFC 5545 SEQUENCE: moved on with each change of time or place."
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(guide__isnull=False) | ~Q(own_title=""), name="meeting_has_guide_or_title"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.club.name}, {self.starts_at:%Y-%m-%d})"

    def get_absolute_url(self) -> str:
        return reverse("sessions:meeting", args=[self.pk])

    @property
    def title(self) -> str:
        """What screens call the meeting: its guide's title, or its own for a "Just questions" meeting."""
        return self.guide.title if self.guide is not None else self.own_title

    @property
    def guide_url(self) -> str:
        """Where the meeting's guide is read: the library's page, or the club's own (without reading the
        club again: a club's guide belongs to the meeting's club). Empty without a guide."""
        guide = self.guide
        if guide is None:
            return ""
        if guide.club_id:
            return reverse("club_guides:detail", args=[self.club.slug, guide.pk])
        return guide.get_absolute_url()

    @property
    def is_live(self) -> bool:
        return self.state == self.State.LIVE

    @property
    def is_ended(self) -> bool:
        return self.state == self.State.ENDED

    @property
    def answers_shown_to_participants(self) -> bool:
        return self.answers_visible == self.AnswersVisible.IMMEDIATELY or self.answers_revealed

    @property
    def time_is_up(self) -> bool:
        return self.timer_ends_at is not None and timezone.now() >= self.timer_ends_at

    @property
    def answers_closed(self) -> bool:
        """Whether the current question takes no answers now: locked by the host, or its countdown ran out
        and the meeting closes answers then."""
        return self.answers_locked or (self.close_answers_at_time_up and self.time_is_up)

    @classmethod
    @transaction.atomic
    def schedule(
        cls,
        *,
        club: Club,
        guide: Guide | None,
        by: User,
        questions: list[GuideQuestion | str] | None = None,
        **fields,
    ) -> Meeting:
        """Create a meeting with its own copy of its questions: `questions` in that order (guide questions
        or texts of the host's own), or every question of the guide when not given."""
        if questions is None:
            if guide is None:
                raise ValidationError("A meeting without a guide needs its questions.", code="required")
            questions = list(guide.questions.order_by("position", "id"))
        if guide is None and not fields.get("own_title", "").strip():
            raise ValidationError("Give the meeting a title.", code="required")
        for _ in range(10):
            try:
                with transaction.atomic():
                    meeting = cls.objects.create(club=club, guide=guide, created_by=by, **fields)
                break
            except IntegrityError:  # join code taken: draw another
                continue
        else:  # pragma: no cover - 32**6 codes make ten collisions in a row practically impossible
            raise IntegrityError("Could not draw a free join code.")
        MeetingQuestion.objects.bulk_create(
            MeetingQuestion(
                meeting=meeting,
                source=None if isinstance(question, str) else question,
                text=clean_question_text(question) if isinstance(question, str) else question.text,
                position=index,
            )
            for index, question in enumerate(questions, start=1)
        )
        return meeting

    def active_questions(self) -> list[MeetingQuestion]:
        return [q for q in self.questions.all() if not q.skipped]

    def touch(self) -> None:
        """Count a change that screens must show, and push it to the open screens once it is committed."""
        Meeting.objects.filter(pk=self.pk).update(version=F("version") + 1)
        self.refresh_from_db(fields=["version", "state"])
        self._announce()

    def _announce(self) -> None:
        from sessions import live_state  # renders this model's templates: imported when first needed

        live_state.changed(self.pk)

    def _control(self, seen_version: int | None, **changes) -> None:
        """Apply a host control if nobody else moved the meeting since `seen_version`.

        `seen_version=None` applies it unconditionally (used where the outcome is the same either way).
        """
        query = Meeting.objects.filter(pk=self.pk)
        if seen_version is not None:
            query = query.filter(control_version=seen_version)
        updated = query.update(control_version=F("control_version") + 1, version=F("version") + 1, **changes)
        self.refresh_from_db()
        if not updated:
            raise ControlConflict("The meeting changed on another screen; here is where it is now.")
        self._announce()

    def start(self, seen_version: int | None = None) -> None:
        if self.state != self.State.SCHEDULED or self.cancelled_at is not None:
            return
        first = next(iter(self.active_questions()), None)
        self._control(
            seen_version,
            state=self.State.LIVE,
            started_at=timezone.now(),
            current_question=first,
            answers_locked=False,
            answers_revealed=False,
            timer_ends_at=None,
        )

    def go_to(self, question: MeetingQuestion, seen_version: int | None) -> None:
        if question.meeting_id != self.pk or question.skipped:
            raise ValidationError("That question is not part of this meeting.")
        self._control(
            seen_version,
            current_question=question,
            answers_locked=False,
            answers_revealed=False,
            timer_ends_at=None,
            spotlight=None,
        )

    def step(self, offset: int, seen_version: int | None) -> None:
        """Move `offset` questions forward (1) or back (-1); at either end nothing moves."""
        questions = self.active_questions()
        if not questions:
            return
        ids = [q.pk for q in questions]
        index = ids.index(self.current_question_id) if self.current_question_id in ids else -1
        target = index + offset
        if 0 <= target < len(questions):
            self.go_to(questions[target], seen_version)

    def set_locked(self, locked: bool, seen_version: int | None) -> None:
        changes: dict = {"answers_locked": locked}
        if not locked and self.close_answers_at_time_up and self.time_is_up:
            changes["timer_ends_at"] = None  # unlocking after time is up must open answers again
        self._control(seen_version, **changes)

    def set_close_at_time_up(self, close: bool, seen_version: int | None) -> None:
        self._control(seen_version, close_answers_at_time_up=close)

    def set_spotlight(self, answer: Answer | None, seen_version: int | None) -> None:
        if answer is not None and (answer.question_id != self.current_question_id or answer.hidden):
            raise ValidationError("Only a shown answer to the current question can be in the spotlight.")
        self._control(seen_version, spotlight=answer)

    def set_sort_by_likes(self, by_likes: bool, seen_version: int | None) -> None:
        self._control(seen_version, sort_by_likes=by_likes)

    def set_revealed(self, revealed: bool, seen_version: int | None) -> None:
        self._control(seen_version, answers_revealed=revealed)

    def start_timer(self, seconds: int, seen_version: int | None) -> None:
        self._control(seen_version, timer_ends_at=timezone.now() + timedelta(seconds=seconds))

    def stop_timer(self, seen_version: int | None) -> None:
        self._control(seen_version, timer_ends_at=None)

    def end(self, seen_version: int | None = None) -> None:
        if self.state == self.State.ENDED:
            return
        self._control(seen_version, state=self.State.ENDED, ended_at=timezone.now(), timer_ends_at=None)

    def participant_for_user(self, user: User, role: str) -> Participant:
        """The account's participant in this meeting, created on first entry under a free display name
        (one nobody in the meeting could be taken for: see sessions/names.py)."""
        participant = self.participants.filter(user=user).first()
        if participant is not None:
            return participant
        own = (user.get_full_name() or user.get_username())[: MAX_DISPLAY_NAME_LENGTH - 4]
        base = " ".join(unicodedata.normalize("NFKC", own).split()) or user.get_username()
        with transaction.atomic():
            self._lock_names()
            others = list(self.participants.values_list("display_name", flat=True))
            for attempt in range(1, 50):
                name = base if attempt == 1 else f"{base} ({attempt})"
                if names.taken(name, others):
                    continue
                try:
                    with transaction.atomic():
                        participant = Participant.objects.create(
                            meeting=self, user=user, display_name=name, role=role
                        )
                    break
                except IntegrityError:
                    existing = self.participants.filter(user=user).first()
                    if existing is not None:  # a second tab of the same person got there first
                        return existing
            else:  # pragma: no cover
                raise JoinRefused("Could not find a free display name.")
        self.touch()
        return participant

    def _lock_names(self) -> None:
        """Hold this meeting's row until the transaction ends, so two people taking look-alike names
        at once are checked one after the other (a unique constraint cannot compare skeletons)."""
        Meeting.objects.select_for_update().filter(pk=self.pk).values_list("pk").first()

    def _member_names(self) -> list[str]:
        """The names the club's members go by, reserved against guests even before they join."""
        users = self.club.memberships.values_list("user__username", "user__first_name", "user__last_name")
        reserved = []
        for username, first, last in users:
            reserved.append(username)
            if full := f"{first} {last}".strip():
                reserved.append(full)
        return reserved

    def add_guest(self, display_name: str) -> Participant:
        if not self.allow_guests:
            raise JoinRefused("This meeting is for club members only. Log in to join.")
        if self.is_ended:
            raise JoinRefused("This meeting has ended.")
        try:
            name = names.clean_display_name(display_name, MAX_DISPLAY_NAME_LENGTH)
        except names.NameRefused as refusal:
            raise JoinRefused(str(refusal)) from None
        taken_message = f"Someone in this meeting is already called “{name}”. Pick another name."
        try:
            with transaction.atomic():
                self._lock_names()
                if names.taken(name, list(self.participants.values_list("display_name", flat=True))):
                    raise JoinRefused(taken_message)
                if names.taken(name, self._member_names()):
                    raise JoinRefused(f"“{name}” is the name of a member of this club. Pick another name.")
                participant = Participant.objects.create(
                    meeting=self, display_name=name, role=Participant.Role.GUEST
                )
        except IntegrityError:
            raise JoinRefused(taken_message) from None
        self.touch()
        return participant

    def question_number(self, questions: list[MeetingQuestion] | None = None) -> tuple[int, int]:
        """(N, M) for "Question N of M"; N is 0 before the meeting starts. `questions`: the meeting's
        questions when already at hand."""
        active = [q for q in (self.questions.all() if questions is None else questions) if not q.skipped]
        ids = [q.pk for q in active]
        number = ids.index(self.current_question_id) + 1 if self.current_question_id in ids else 0
        return number, len(active)

    # Preparing a meeting: hosts change its details and its copy of the questions before and during the
    # meeting, never after it. Each change counts as a change that screens must show.

    def _lock_for_editing(self) -> Meeting:
        """Lock this meeting's row until the transaction ends and return it fresh; refuse if it ended.

        Holding the lock makes concurrent question edits by two hosts run one after the other, so
        positions stay a clean 1..n and an edit can never slip in after the meeting ended.
        """
        fresh = Meeting.objects.select_for_update().get(pk=self.pk)
        if fresh.is_ended:
            raise ValidationError("This meeting has ended, so it can no longer be changed.", code="ended")
        return fresh

    @transaction.atomic
    def change_details(
        self, *, starts_at, place: str, allow_guests: bool, show_names: bool, answers_visible: str
    ) -> None:
        fresh = self._lock_for_editing()
        self.starts_at = starts_at
        self.place = place
        self.allow_guests = allow_guests
        self.show_names = show_names
        self.answers_visible = answers_visible
        # Only these fields: a full save would write back a stale current question or version.
        fields = ["starts_at", "place", "allow_guests", "show_names", "answers_visible"]
        if (starts_at, place) != (fresh.starts_at, fresh.place):  # calendars must take the new time or place
            self.calendar_sequence = fresh.calendar_sequence + 1
            fields.append("calendar_sequence")
        self.save(update_fields=fields)
        self.touch()

    def set_rsvp(self, user: User, response: str) -> Rsvp:
        if response not in Rsvp.Response.values:
            raise ValidationError("Choose Going, Maybe or Not going.", code="invalid")
        if self.is_ended:
            raise ValidationError("This meeting has ended.", code="ended")
        rsvp, _ = Rsvp.objects.update_or_create(meeting=self, user=user, defaults={"response": response})
        return rsvp

    @transaction.atomic
    def add_question(self, text: str) -> MeetingQuestion:
        """Append a question of the host's own after the guide's."""
        text = clean_question_text(text)
        self._lock_for_editing()
        last = self.questions.aggregate(last=models.Max("position"))["last"] or 0
        question = MeetingQuestion.objects.create(meeting=self, text=text, position=last + 1)
        self.touch()
        return question

    @transaction.atomic
    def move_question(self, question: MeetingQuestion, direction: str) -> None:
        """Swap a question with its neighbour above ("up") or below ("down"); at either end nothing moves.

        The current question stays current: it is a reference to the row, not to a position.
        """
        offsets = {"up": -1, "down": 1}
        if direction not in offsets:
            raise ValueError(f"Unknown direction {direction!r}.")
        self._lock_for_editing()
        questions = list(MeetingQuestion.objects.filter(meeting=self).order_by("position", "id"))
        ids = [q.pk for q in questions]
        if question.pk not in ids:
            raise ValidationError("That question is not part of this meeting.", code="invalid")
        index = ids.index(question.pk)
        target = index + offsets[direction]
        if not 0 <= target < len(questions):
            return
        questions[index], questions[target] = questions[target], questions[index]
        changed = []
        for position, item in enumerate(questions, start=1):
            if item.position != position:
                item.position = position
                changed.append(item)
            if item.pk == question.pk:
                question.position = position
        MeetingQuestion.objects.bulk_update(changed, ["position"])
        self.touch()

    # Between meetings (issue 12): the reading plan.

    @property
    def reading_target_label(self) -> str:
        """What to read by the meeting, in words: "Parts 1-2", "Chapters 1-12", "60% of the book"."""
        return reading_label(self.reading_unit, self.reading_target)

    def reading_target_reached(self) -> tuple[int, int]:
        """(reached, total): how many have read up to the target, among the people in the meeting once
        it is live (participants with an account, not removed), else among the club's members. One
        query; (0, total) when the meeting has no target."""
        people: models.QuerySet[Participant] | models.QuerySet[Membership]
        if self.is_live or self.is_ended:
            people = self.participants.filter(user__isnull=False, removed=False)
        else:
            people = Membership.objects.filter(club_id=self.club_id)
        if self.reading_target is None:
            return 0, people.count()
        far_enough = ReadingProgress.objects.filter(meeting=self, position__gte=self.reading_target)
        counts = people.aggregate(
            total=Count("pk"), reached=Count("pk", filter=Q(user_id__in=far_enough.values("user_id")))
        )
        return counts["reached"], counts["total"]

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    @transaction.atomic
    def cancel(self) -> bool:
        """Call off a meeting that has not started; True if this call did it. Calendars are told (a
        higher SEQUENCE with STATUS:CANCELLED) and members are emailed."""
        fresh = self._lock_for_editing()
        if fresh.state != self.State.SCHEDULED:
            raise ValidationError("Only a meeting that has not started can be cancelled.", code="started")
        if fresh.cancelled_at is not None:
            return False
        self.cancelled_at = timezone.now()
        self.calendar_sequence = fresh.calendar_sequence + 1
        self.save(update_fields=["cancelled_at", "calendar_sequence"])
        self.touch()
        _notify("meeting_cancelled", self)
        return True

    @transaction.atomic
    def set_reading_plan(self, *, unit: str, target: int | None) -> None:
        if unit not in ReadingUnit.values:
            raise ValidationError("Choose parts, chapters, pages or percent.", code="invalid")
        if target is not None and unit == ReadingUnit.PERCENT and not 1 <= target <= 100:
            raise ValidationError("A percentage is between 1 and 100.", code="invalid")
        self._lock_for_editing()
        self.reading_unit, self.reading_target = unit, target
        self.save(update_fields=["reading_unit", "reading_target"])
        self.touch()


class JoinRefused(Exception):
    """Why someone cannot join a meeting, in words to show them."""


class MeetingQuestion(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="questions")
    source = models.ForeignKey(
        "guides.Question", on_delete=models.SET_NULL, null=True, blank=True, related_name="meeting_copies"
    )
    text = models.TextField(max_length=1000)
    position = models.PositiveIntegerField(default=0)
    skipped = models.BooleanField(default=False)
    timer_seconds = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Optional countdown for answering this question."
    )
    reading_part = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Where in the book this question is about, in the meeting's reading unit.",
    )

    # Not columns: set on the questions a meeting page lists (sessions/views/meetings.py), for its template.
    number: int | None
    client_token: uuid.UUID
    focus: str  # the control of this question that gets the focus after a change, or ""
    spoiler: bool  # about a part of the book past where the viewer has read, so folded
    part_label: str  # the part it is about in words ("part 2"), or ""
    # Not columns either: set on the questions of the reading plan form (sessions/views/planning.py).
    part_value: str  # what the part field shows: as posted, else the saved part
    part_error: str

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.text

    @transaction.atomic
    def set_skipped(self, skipped: bool) -> None:
        """Leave a question out of the meeting (or bring it back) without losing it or its answers."""
        fresh = self.meeting._lock_for_editing()
        if skipped and fresh.is_live and fresh.current_question_id == self.pk:
            # Stepping counts from the current question among the active ones; a skipped current
            # question would send "Next question" back to the first.
            raise ValidationError(
                "This question is on screen now. Move to another question before skipping it.",
                code="current",
            )
        self.skipped = skipped
        self.save(update_fields=["skipped"])
        self.meeting.touch()

    @transaction.atomic
    def reword(self, text: str) -> None:
        text = clean_question_text(text)
        self.meeting._lock_for_editing()
        self.text = text
        self.save(update_fields=["text"])
        self.meeting.touch()


MAX_QUESTION_LENGTH = 1000


def clean_question_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError("Write the question before saving it.", code="required")
    if len(text) > MAX_QUESTION_LENGTH:
        raise ValidationError(
            f"Questions can be at most {MAX_QUESTION_LENGTH} characters; this one has {len(text)}.",
            code="max_length",
        )
    return text


class Rsvp(models.Model):
    class Response(models.TextChoices):
        GOING = "going", "Going"
        MAYBE = "maybe", "Maybe"
        NOT_GOING = "not_going", "Not going"

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="rsvps")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rsvps")
    response = models.CharField(max_length=10, choices=Response.choices)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "RSVP"
        constraints = [models.UniqueConstraint(fields=["meeting", "user"], name="one_rsvp_per_user")]

    def __str__(self) -> str:
        return f"{self.user} {self.get_response_display().lower()} to {self.meeting_id}"


class Participant(models.Model):
    """Someone in a meeting: a club member (linked to their account) or a guest known by a display name."""

    class Role(models.TextChoices):
        HOST = "host", "Host"
        MEMBER = "member", "Member"
        GUEST = "guest", "Guest"

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="participations",
    )
    display_name = models.CharField(max_length=MAX_DISPLAY_NAME_LENGTH)
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.GUEST)
    removed = models.BooleanField(default=False)
    joined_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["joined_at", "id"]
        constraints = [
            models.UniqueConstraint(Lower("display_name"), "meeting", name="unique_display_name_per_meeting"),
            models.UniqueConstraint(
                fields=["meeting", "user"], condition=Q(user__isnull=False), name="one_participant_per_user"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def is_guest(self) -> bool:
        return self.role == self.Role.GUEST

    @property
    def is_host(self) -> bool:
        return self.role == self.Role.HOST

    def _check_can_answer(self, question: MeetingQuestion) -> None:
        meeting = self.meeting
        if self.removed:
            raise AnswerRefused("The host removed you from this meeting.")
        if meeting.is_ended:
            raise AnswerRefused("This meeting has ended.")
        if question.meeting_id != meeting.pk:
            raise AnswerRefused("That question is not part of this meeting.")
        if meeting.is_live and question.pk == meeting.current_question_id and meeting.answers_closed:
            if meeting.answers_locked:
                raise AnswerRefused("Answers are locked for this question.")
            raise AnswerRefused("Time is up for this question, so answers are closed.")

    def post_answer(self, question: MeetingQuestion, text: str, client_token: uuid.UUID) -> Answer:
        """Save an answer once per client token: a repeated post returns the answer already saved."""
        existing = Answer.objects.filter(client_token=client_token).first()
        if existing is not None:
            if existing.participant_id != self.pk:
                raise AnswerRefused("This form was already used. Reload the page and try again.")
            return existing
        text = clean_answer_text(text)
        self._check_can_answer(question)
        if question.skipped:
            # Edits and deletes of answers already given stay allowed; only new ones are refused.
            raise AnswerRefused("The host skipped this question, so it takes no more answers.")
        try:
            with transaction.atomic():
                answer = Answer.objects.create(
                    question=question,
                    participant=self,
                    text=text,
                    client_token=client_token,
                    prepared=self.meeting.state == Meeting.State.SCHEDULED,
                )
        except IntegrityError:  # the same token won a race a moment ago
            return Answer.objects.get(client_token=client_token, participant=self)
        self.meeting.touch()
        return answer

    def edit_answer(self, answer: Answer, text: str) -> None:
        self._check_owns(answer)
        text = clean_answer_text(text)
        self._check_can_answer(answer.question)
        answer.text = text
        answer.save(update_fields=["text", "updated_at"])
        self.meeting.touch()

    def delete_answer(self, answer: Answer) -> None:
        self._check_owns(answer)
        self._check_can_answer(answer.question)
        answer.delete()
        self.meeting.touch()

    def toggle_like(self, answer: Answer) -> bool:
        """Like an answer, or take the like back; returns whether it is now liked."""
        if self.removed or answer.question.meeting_id != self.meeting_id:
            raise AnswerRefused("You cannot like that answer.")
        if self.meeting.is_ended:
            # The recap is the record of the meeting; it must not change afterwards.
            raise AnswerRefused("This meeting has ended.")
        deleted, _ = Like.objects.filter(answer=answer, participant=self).delete()
        liked = False
        if not deleted:
            try:
                with transaction.atomic():
                    Like.objects.create(answer=answer, participant=self)
                liked = True
            except IntegrityError:  # a second click raced the first
                liked = True
        self.meeting.touch()
        return liked

    def _check_owns(self, answer: Answer) -> None:
        if answer.participant_id != self.pk:
            raise AnswerRefused("You can only change your own answers.")

    def remove(self) -> None:
        """Take this participant out of the meeting (by the host); their answers stay in the record."""
        self.removed = True
        self.save(update_fields=["removed"])
        self.meeting.touch()

    def let_back_in(self) -> None:
        """Undo a removal."""
        self.removed = False
        self.save(update_fields=["removed"])
        self.meeting.touch()


class AnswerRefused(Exception):
    """An answer that cannot be saved, with the reason to show beside the field."""


def clean_answer_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise AnswerRefused("Write an answer before posting it.")
    if len(text) > MAX_ANSWER_LENGTH:
        raise AnswerRefused(
            f"Answers can be at most {MAX_ANSWER_LENGTH} characters; this one has {len(text)}."
        )
    return text


class AnswerQuerySet(models.QuerySet):
    def shown(self) -> AnswerQuerySet:
        return self.filter(hidden=False)

    def with_like_counts(self) -> AnswerQuerySet:
        return self.annotate(like_count=Count("likes", distinct=True))

    def listed_for(self, participant: Participant) -> AnswerQuerySet:
        """A participant's own answers as their "Your answers" list shows them, oldest first."""
        return (
            self.shown()
            .filter(participant=participant)
            .only("id", "text", "question_id", "participant_id")
            .with_like_counts()
            .order_by("created_at", "id")
        )


class Answer(models.Model):
    question = models.ForeignKey(MeetingQuestion, on_delete=models.CASCADE, related_name="answers")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="answers")
    text = models.TextField(max_length=MAX_ANSWER_LENGTH)
    # Each answer form carries a fresh token; a double click or a retried post reuses it and so
    # finds the answer already saved instead of saving it twice.
    client_token = models.UUIDField(unique=True, default=uuid.uuid4)
    hidden = models.BooleanField(default=False)
    prepared = models.BooleanField(default=False, help_text="Posted before the meeting started.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AnswerQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text[:60]

    def set_hidden(self, hidden: bool) -> None:
        """Hide (moderate) an answer: it leaves every screen but stays in the record, marked hidden."""
        self.hidden = hidden
        self.save(update_fields=["hidden"])
        if hidden:
            # A hidden answer must not stay large on the audience screen.
            Meeting.objects.filter(pk=self.question.meeting_id, spotlight=self).update(spotlight=None)
        self.question.meeting.touch()


class Like(models.Model):
    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="likes")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="likes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["answer", "participant"], name="one_like_per_participant")
        ]

    def __str__(self) -> str:
        return f"{self.participant} likes {self.answer_id}"


# ======================================================================================================
# Between meetings (issue 12): choosing the next book, the date poll, reading progress, email and the
# calendar feed. Kept together here, after the meeting models, so that the section merges on its own.
# ======================================================================================================

MAX_NOMINATION_REASON = 200


def reading_label(unit: str, target: int | None) -> str:
    if target is None:
        return ""
    if unit == ReadingUnit.PERCENT:
        return f"{target}% of the book"
    plurals: dict[str, str] = {
        ReadingUnit.PART: "Parts",
        ReadingUnit.CHAPTER: "Chapters",
        ReadingUnit.PAGE: "Pages",
    }
    plural = plurals[unit]
    singular = ReadingUnit(unit).label
    return f"{singular} 1" if target == 1 else f"{plural} 1-{target}"


def reading_position_label(unit: str, position: int | None) -> str:
    """A single place in the book: "part 2", "page 130", "40%"."""
    if position is None:
        return ""
    if unit == ReadingUnit.PERCENT:
        return f"{position}%"
    return f"{ReadingUnit(unit).label.lower()} {position}"


class ReadingProgress(models.Model):
    """How far a member has read for a meeting, counted in the meeting's reading unit."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="reading_progress")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "reading progress"
        constraints = [models.UniqueConstraint(fields=["meeting", "user"], name="one_progress_per_member")]

    def __str__(self) -> str:
        return f"{self.user} at {self.position} for {self.meeting_id}"

    @classmethod
    def record(cls, meeting: Meeting, user: User, position: int) -> ReadingProgress:
        if meeting.reading_unit == ReadingUnit.PERCENT and position > 100:
            raise ValidationError("A percentage is between 0 and 100.", code="invalid")
        progress, _ = cls.objects.update_or_create(
            meeting=meeting, user=user, defaults={"position": position}
        )
        if meeting.is_live and meeting.reading_target is not None:
            meeting.touch()  # the live screens show how many have reached the target
        return progress


def is_beyond(question: MeetingQuestion, position: int | None) -> bool:
    """A question about a part of the book past where the reader is: folded as a spoiler. Someone who
    has not said how far they are sees every tagged question folded."""
    if question.reading_part is None:
        return False
    return position is None or question.reading_part > position


# ---------- Choosing the next book ----------


def _notify(event: str, subject: models.Model) -> None:
    """Queue the emails an event sends (sessions/notifications.py), once the change is committed."""
    from sessions import notifications

    notifications.announce(event, subject.pk)


class VoteError(ValidationError):
    """A nomination or ballot refused, with the reason to show beside the form."""


class BookVoteQuerySet(models.QuerySet):
    def current(self) -> BookVoteQuerySet:
        return self.exclude(state=BookVote.State.CLOSED)

    def due_to_close(self) -> BookVoteQuerySet:
        return self.current().filter(closes_at__lte=timezone.now())


class BookVote(models.Model):
    """A round of "Choose our next book": nominations, then a ranked vote counted by instant runoff."""

    class State(models.TextChoices):
        NOMINATING = "nominating", "Taking nominations"
        VOTING = "voting", "Voting"
        CLOSED = "closed", "Closed"

    club = models.ForeignKey(Club, on_delete=models.CASCADE, related_name="book_votes")
    title = models.CharField(max_length=120, default="Choose our next book")
    closes_at = models.DateTimeField("voting closes")
    nominations_per_member = models.PositiveSmallIntegerField(default=2)
    show_tallies_live = models.BooleanField(
        "show tallies while voting", default=False, help_text="Off: the count is shown when the vote closes."
    )
    state = models.CharField(max_length=12, choices=State.choices, default=State.NOMINATING)
    # The count as of the close (rounds, winner, rule) so the result never changes after it.
    result = models.JSONField(null=True, blank=True)
    winner = models.ForeignKey(
        "Nomination", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    voting_opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = BookVoteQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.title} ({self.club})"

    def get_absolute_url(self) -> str:
        return reverse("sessions:vote", args=[self.pk])

    @property
    def is_closed(self) -> bool:
        return self.state == self.State.CLOSED

    @property
    def is_voting(self) -> bool:
        return self.state == self.State.VOTING

    @property
    def is_nominating(self) -> bool:
        return self.state == self.State.NOMINATING

    @classmethod
    def open(cls, *, club: Club, by: User, **fields) -> BookVote:
        return cls.objects.create(club=club, created_by=by, **fields)

    def close_if_due(self) -> bool:
        """Close a vote whose close date has passed (pages and the worker call this); True if it closed."""
        if not self.is_closed and self.closes_at <= timezone.now():
            return self.close()
        return False

    def nominate(
        self,
        *,
        by: User,
        title: str,
        author: str = "",
        reason: str = "",
        guide: Guide | None = None,
    ) -> Nomination:
        if guide is not None:
            title, author = guide.title, guide.author
        title, author, reason = " ".join(title.split()), " ".join(author.split()), reason.strip()
        if not self.is_nominating:
            raise VoteError("Nominations are closed for this vote.", code="closed")
        if not title:
            raise VoteError("Give the book's title, or pick a guide.", code="required")
        if len(reason) > MAX_NOMINATION_REASON:
            raise VoteError(
                f"Keep the reason to {MAX_NOMINATION_REASON} characters; this one has {len(reason)}.",
                code="max_length",
            )
        met = (
            self.club.meetings.filter(
                Q(state=Meeting.State.ENDED) | Q(starts_at__lte=timezone.now()), guide__title__iexact=title
            )
            .order_by("-starts_at")
            .first()
        )
        if met is not None and met.guide is not None:  # it has one: it was found by its guide's title
            when = timezone.localtime(met.starts_at, self.club.tzinfo)
            raise VoteError(
                f"The club already met on “{met.guide.title}”, on {when:%-d %B %Y}.", code="already_read"
            )
        with transaction.atomic():
            # Lock the vote so two quick nominations cannot both slip under the limit.
            BookVote.objects.select_for_update().filter(pk=self.pk).first()
            if self.nominations.filter(title__iexact=title).exists():
                raise VoteError(f"“{title}” is already nominated.", code="duplicate")
            mine = self.nominations.filter(nominated_by=by).count()
            if mine >= self.nominations_per_member:
                raise VoteError(
                    f"You have used your {self.nominations_per_member} nomination"
                    f"{'s' if self.nominations_per_member != 1 else ''} for this vote.",
                    code="limit",
                )
            try:
                with transaction.atomic():
                    return Nomination.objects.create(
                        vote=self, nominated_by=by, guide=guide, title=title, author=author, reason=reason
                    )
            except IntegrityError:  # the same title won a race a moment ago
                raise VoteError(f"“{title}” is already nominated.", code="duplicate") from None

    def start_voting(self) -> bool:
        """Move from nominations to voting; True if this call did it (a double click does it once)."""
        if not self.nominations.exists():
            raise VoteError("Nominate at least one book before voting starts.", code="empty")
        moved = BookVote.objects.filter(pk=self.pk, state=self.State.NOMINATING).update(
            state=self.State.VOTING, voting_opened_at=timezone.now()
        )
        self.refresh_from_db()
        if moved:
            _notify("vote_opened", self)
        return bool(moved)

    def cast(self, user: User, ranking: list[int]) -> Ballot:
        """Save a member's ranking (nomination ids, best first). An empty ranking withdraws the ballot."""
        if not self.is_voting:
            raise VoteError("This vote is not taking ballots.", code="closed")
        known = set(self.nominations.values_list("pk", flat=True))
        cleaned: list[int] = []
        for pk in ranking:
            if pk not in known:
                raise VoteError("That book is not nominated in this vote.", code="invalid")
            if pk not in cleaned:
                cleaned.append(pk)
        ballot, _ = Ballot.objects.update_or_create(vote=self, user=user, defaults={"ranking": cleaned})
        return ballot

    def count(self):
        from sessions.ranked import instant_runoff

        candidates = list(self.nominations.order_by("created_at", "pk").values_list("pk", flat=True))
        ballots = [ballot for ballot in self.ballots.values_list("ranking", flat=True) if ballot]
        return instant_runoff(ballots, candidates)

    @transaction.atomic
    def close(self) -> bool:
        """Count the ballots and freeze the result; True if this call closed the vote."""
        locked = BookVote.objects.select_for_update().get(pk=self.pk)
        if locked.is_closed:
            self.refresh_from_db()
            return False
        count = self.count()
        self.result = {
            "winner": count.winner,
            "rule": count.deciding_rule,
            "first_preferences": {str(k): v for k, v in count.first_preferences.items()},
            "rounds": [
                {
                    "number": r.number,
                    "tallies": {str(k): v for k, v in r.tallies.items()},
                    "exhausted": r.exhausted,
                    "eliminated": r.eliminated,
                    "rule": r.rule,
                    "tied": r.tied,
                }
                for r in count.rounds
            ],
        }
        self.winner_id = count.winner
        self.state = self.State.CLOSED
        self.closed_at = timezone.now()
        self.save(update_fields=["result", "winner", "state", "closed_at"])
        _notify("vote_result", self)
        return True


class Nomination(models.Model):
    vote = models.ForeignKey(BookVote, on_delete=models.CASCADE, related_name="nominations")
    nominated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    guide = models.ForeignKey(Guide, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    title = models.CharField(max_length=200)
    author = models.CharField(max_length=200, blank=True)
    reason = models.CharField("why", max_length=MAX_NOMINATION_REASON, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(Lower("title"), "vote", name="one_nomination_per_title"),
        ]

    def __str__(self) -> str:
        return f"{self.title} by {self.author}" if self.author else self.title

    def withdraw(self, by: User) -> None:
        if not self.vote.is_nominating:
            raise VoteError("Nominations can only be withdrawn before voting starts.", code="closed")
        if self.nominated_by_id != by.pk:
            raise VoteError("You can only withdraw your own nominations.", code="not_yours")
        self.delete()


class Ballot(models.Model):
    """One member's ranking in a vote: nomination ids, best first (a partial ranking is fine)."""

    vote = models.ForeignKey(BookVote, on_delete=models.CASCADE, related_name="ballots")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    ranking = models.JSONField(default=list)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["vote", "user"], name="one_ballot_per_member")]

    def __str__(self) -> str:
        return f"{self.user} in vote {self.vote_id}"


# ---------- When can we meet? ----------


class DatePoll(models.Model):
    club = models.ForeignKey(Club, on_delete=models.CASCADE, related_name="date_polls")
    title = models.CharField(max_length=120, default="When can we meet?")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("sessions:date_poll", args=[self.pk])

    @classmethod
    @transaction.atomic
    def offer(cls, *, club: Club, by: User, starts: list, title: str = "") -> DatePoll:
        starts = sorted(set(starts))
        if len(starts) < 2:
            raise ValidationError("Offer at least two dates and times.", code="too_few")
        poll = cls.objects.create(club=club, created_by=by, title=title or "When can we meet?")
        DateOption.objects.bulk_create(DateOption(poll=poll, starts_at=start) for start in starts)
        return poll

    def answer(self, user: User, answers: dict[int, str]) -> None:
        if self.closed:
            raise ValidationError("This poll is closed.", code="closed")
        options = {option.pk: option for option in self.options.all()}
        for option_id, value in answers.items():
            if option_id not in options or value not in DateAnswer.Choice.values:
                raise ValidationError("Answer yes, if need be or no for each date.", code="invalid")
        with transaction.atomic():
            for option_id, value in answers.items():
                DateAnswer.objects.update_or_create(
                    option_id=option_id, user=user, defaults={"answer": value}
                )

    def ranked_options(self) -> list[CountedOption]:
        """Options with their counts, best first: most yes, then most yes-or-if-need-be, then earliest."""
        options = list(
            self.options.annotate(
                yes=Count("answers", filter=Q(answers__answer=DateAnswer.Choice.YES)),
                maybe=Count("answers", filter=Q(answers__answer=DateAnswer.Choice.IF_NEED_BE)),
                no=Count("answers", filter=Q(answers__answer=DateAnswer.Choice.NO)),
            )
        )
        return sorted(options, key=lambda o: (-o.yes, -(o.yes + o.maybe), o.starts_at))


class DateOption(models.Model):
    poll = models.ForeignKey(DatePoll, on_delete=models.CASCADE, related_name="options")
    starts_at = models.DateTimeField()

    # Not a column: the viewer's answer (or ""), set by the poll page (sessions/views/planning.py) for its
    # template. The counts its options carry are annotations: see CountedOption.
    mine: str

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [models.UniqueConstraint(fields=["poll", "starts_at"], name="one_option_per_time")]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M}"


if TYPE_CHECKING:

    class _AnswerCounts(TypedDict):
        yes: int
        maybe: int
        no: int

    # An option from DatePoll.ranked_options(), with how many answered yes, if need be and no.
    CountedOption = WithAnnotations[DateOption, _AnswerCounts]


class DateAnswer(models.Model):
    class Choice(models.TextChoices):
        YES = "yes", "Yes"
        IF_NEED_BE = "if_need_be", "If need be"
        NO = "no", "No"

    option = models.ForeignKey(DateOption, on_delete=models.CASCADE, related_name="answers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    answer = models.CharField(max_length=12, choices=Choice.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["option", "user"], name="one_answer_per_date")]

    def __str__(self) -> str:
        return f"{self.user}: {self.answer}"


# ---------- Email: what each member wants, and every email sent ----------


class EmailPreferences(models.Model):
    """Which emails a member gets. Everyone starts with all of them; each email's unsubscribe link turns
    its kind off."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_preferences"
    )
    invitations = models.BooleanField("meeting invitations", default=True)
    reminders = models.BooleanField("meeting reminders", default=True)
    votes = models.BooleanField("votes opening and their results", default=True)

    def __str__(self) -> str:
        return f"Email preferences of {self.user}"

    @classmethod
    def of(cls, user: User) -> EmailPreferences:
        preferences, _ = cls.objects.get_or_create(user=user)
        return preferences


class OutgoingEmailQuerySet(models.QuerySet):
    def due(self) -> OutgoingEmailQuerySet:
        return self.filter(status=OutgoingEmail.Status.PENDING, send_after__lte=timezone.now())

    def abandoned(self, lease: timedelta) -> OutgoingEmailQuerySet:
        """Claimed by a worker that stopped before it could say the email went out."""
        return self.filter(status=OutgoingEmail.Status.SENDING, claimed_at__lt=timezone.now() - lease)


class OutgoingEmail(models.Model):
    """One email to one member, recorded before it is sent. `key` names what it is about (say
    "reminder:meeting-7:48h:2026-12-03T18:00"); the unique (user, key) makes a second request for the
    same email find the first instead of sending again."""

    class Kind(models.TextChoices):
        INVITATION = "invitation", "Meeting invitation"
        CANCELLATION = "cancellation", "Meeting cancelled"
        REMINDER = "reminder", "Meeting reminder"
        VOTE_OPENED = "vote_opened", "Vote opened"
        VOTE_RESULT = "vote_result", "Vote result"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    key = models.CharField(max_length=200)
    to_address = models.EmailField()
    subject = models.CharField(max_length=250)
    body = models.TextField()
    send_after = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OutgoingEmailQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="one_email_per_user_and_key")]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to_address} ({self.status})"

    def claim(self) -> bool:
        """Compare-and-set: of all the workers that try, one moves the email to "sending"."""
        claimed = OutgoingEmail.objects.filter(pk=self.pk, status=self.Status.PENDING).update(
            status=self.Status.SENDING, claimed_at=timezone.now(), attempts=F("attempts") + 1
        )
        return bool(claimed)


# ---------- The club calendar ----------


def new_calendar_token() -> str:
    return secrets.token_urlsafe(24)


class CalendarFeed(models.Model):
    """A member's private calendar subscription: every meeting of their clubs, at a secret URL."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True, default=new_calendar_token)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Calendar of {self.user}"

    @classmethod
    def of(cls, user: User) -> CalendarFeed:
        feed, _ = cls.objects.get_or_create(user=user)
        return feed

    def reset(self) -> None:
        """A new secret: the old URL stops working at once."""
        self.token = new_calendar_token()
        self.save(update_fields=["token"])
