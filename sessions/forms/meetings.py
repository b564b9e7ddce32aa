"""Forms for scheduling a meeting and changing its details."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta
from typing import Any, cast

from django import forms
from django.urls import reverse
from django.utils import timezone
from django.utils.datastructures import MultiValueDict

from guides.models import Guide, GuideQuerySet
from guides.models import Question as GuideQuestion
from sessions.models import MAX_QUESTION_LENGTH, Club, Meeting

PAST_DATE = "Pick a date and time in the future."
# A meeting scheduled for "Now" starts in the minute the form was filled in, which may be a few minutes
# ago by the time it is sent.
START_GRACE = timedelta(minutes=5)


class ClubDateTimeField(forms.DateTimeField):
    """A `datetime-local` input read and shown in the club's time zone, whoever's browser sends it.

    Browsers send the wall-clock time without a zone; the club's zone, not the server's or the host's
    current one, says which moment that is.
    """

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]

    def __init__(self, *, tz: zoneinfo.ZoneInfo | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.tz = tz or zoneinfo.ZoneInfo("UTC")

    def prepare_value(self, value):
        if isinstance(value, datetime) and timezone.is_aware(value):
            return value.astimezone(self.tz)
        return value

    def to_python(self, value):
        with timezone.override(self.tz):
            return super().to_python(value)


class MeetingForm(forms.ModelForm):
    """A meeting's details, as a host edits them after scheduling."""

    starts_at = ClubDateTimeField(label="Date and time")

    class Meta:
        model = Meeting
        fields = ["starts_at", "place", "allow_guests", "show_names", "answers_visible"]
        labels = {
            "place": "Place or video link",
            "allow_guests": "Allow guests",
            "show_names": "Show names",
            "answers_visible": "Answers visible",
        }
        help_texts = {
            "place": "An address, a room, or a video call link.",
            "allow_guests": "People without an account can join with the meeting's code.",
        }
        widgets = {"answers_visible": forms.RadioSelect}

    def __init__(self, *args, club: Club, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.club = club
        starts_at = cast(ClubDateTimeField, self.fields["starts_at"])
        starts_at.tz = club.tzinfo
        starts_at.help_text = f"In the club's time zone, {club.time_zone}."
        # Compared at the input's precision (minutes), so saving other details of a meeting that has
        # already started does not trip over its start time being in the past.
        self._saved_start = None
        if self.instance.pk and self.instance.starts_at:
            self._saved_start = self.instance.starts_at.replace(second=0, microsecond=0)

    def clean_starts_at(self) -> datetime:
        starts_at = self.cleaned_data["starts_at"]
        if starts_at != self._saved_start and starts_at < timezone.now() - START_GRACE:
            raise forms.ValidationError(PAST_DATE, code="past")
        return starts_at


# Tonight's questions start ticked: all of a short guide's, the first few of a long one (hosts rarely get
# through more than eight in an evening).
TICK_ALL_UP_TO = 10
TICK_FIRST = 8


def default_selection(questions: list[GuideQuestion]) -> list[GuideQuestion]:
    return list(questions) if len(questions) <= TICK_ALL_UP_TO else list(questions[:TICK_FIRST])


class GuideChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Guide) -> str:
        return f"{obj.title} (the club\u2019s own guide)" if obj.club_id else obj.title


class MeetingCreateForm(MeetingForm):
    """Scheduling: what the meeting is on (a guide and which of its questions, or questions of the
    host's own alone), then the meeting's details.

    The pool of a guide's questions posts `pool_guide` (the guide it was drawn for), a `questions` box
    per question and an `order-<id>` number per question. A post without a pool (a form sent before the
    pool was shown) takes the default selection.
    """

    kind = forms.ChoiceField(
        label="What will you discuss?",
        choices=[("guide", "Questions from a book\u2019s list"), ("own", "Just questions, written here")],
        widget=forms.RadioSelect,
        required=False,
        initial="guide",
    )
    guide = GuideChoiceField(
        label="Guide",
        queryset=Guide.objects.none(),
        empty_label="Choose a guide",
        required=False,
    )
    own_title = forms.CharField(
        label="Title",
        max_length=200,
        required=False,
        help_text="What the meeting is about, e.g. “Summer short stories”.",
    )
    own_questions = forms.CharField(
        label="Your own questions",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="One per line. With a guide they come after its questions.",
    )

    class Meta(MeetingForm.Meta):
        fields = ["guide", *MeetingForm.Meta.fields]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        guide_field = cast(GuideChoiceField, self.fields["guide"])
        guide_field.queryset = self.guides()
        # With htmx, choosing a guide brings its questions at once; without, "Show its questions" does.
        guide_field.widget.attrs.update(
            {
                "hx-get": reverse("sessions:meeting_create", args=[self.club.slug]),
                "hx-trigger": "change",
                "hx-target": "#question-pool",
                "hx-swap": "outerHTML",
            }
        )
        self.pool_guide: Guide | None = None
        self.pool_moved = False
        self._pool: tuple[int, list[GuideQuestion]] | None = None

    def guides(self) -> GuideQuerySet:
        """The guides the club can meet on, as the choice offers them."""
        return Guide.objects.for_meetings_of(self.club).order_by("title", "author", "pk")

    def clean_own_questions(self) -> list[str]:
        lines = [" ".join(line.split()) for line in self.cleaned_data["own_questions"].splitlines()]
        questions = [line for line in lines if line]
        for number, text in enumerate(questions, start=1):
            if len(text) > MAX_QUESTION_LENGTH:
                raise forms.ValidationError(
                    f"Question {number} is {len(text):,} characters long; a question can be at most "
                    f"{MAX_QUESTION_LENGTH:,}."
                )
        return questions

    def clean(self):
        cleaned = super().clean()
        own = cleaned.get("own_questions") or []
        if cleaned.get("kind") == "own":
            cleaned["guide"] = None
            if not cleaned.get("own_title", "").strip():
                self.add_error("own_title", "Give the meeting a title.")
            if not own:
                self.add_error("own_questions", "Write at least one question for the meeting.")
            cleaned["questions"] = own
            return cleaned
        guide = cleaned.get("guide")
        if guide is None:
            if "guide" not in self.errors:
                self.add_error("guide", "Choose a guide, or “Just questions”.")
            return cleaned
        self.pool_guide = guide
        posted_pool = self.data.get("pool_guide")
        if posted_pool and posted_pool != str(guide.pk):
            # The host chose another guide without seeing its questions (no JavaScript): show them first.
            self.pool_moved = True
            self.add_error(
                "guide", f"Here are the questions of {guide.title}: tick tonight\u2019s, then schedule."
            )
            return cleaned
        chosen = self.chosen_questions(guide) if posted_pool else default_selection(self.pool(guide))
        if not chosen and not own:
            self.add_error("guide", "Tick at least one of the guide\u2019s questions, or write your own.")
        cleaned["questions"] = [*chosen, *own]
        return cleaned

    def pool(self, guide: Guide) -> list[GuideQuestion]:
        if self._pool is None or self._pool[0] != guide.pk:
            self._pool = (guide.pk, list(guide.questions.order_by("position", "id")))
        return self._pool[1]

    def _order(self, question: GuideQuestion, data=None) -> int:
        try:
            return int((self.data if data is None else data).get(f"order-{question.pk}", ""))
        except ValueError:
            return question.position

    def _ticked(self) -> set[str]:
        # The form is bound to request.POST (a QueryDict), or unbound with Django's empty MultiValueDict.
        return set(cast(MultiValueDict, self.data).getlist("questions"))

    def chosen_questions(self, guide: Guide) -> list[GuideQuestion]:
        ticked = self._ticked()
        chosen = [q for q in self.pool(guide) if str(q.pk) in ticked]
        return sorted(chosen, key=lambda q: (self._order(q), q.position, q.pk))

    def pool_rows(self, guide: Guide | None, sent=None) -> list[dict]:
        """Each of the guide's questions with its box and place, as the host last left them (in this
        form, or in `sent`, a form sent back without being checked: "Now" without JavaScript)."""
        if guide is None:
            return []
        questions = self.pool(guide)
        # Bound to request.POST (a QueryDict), or `sent`, which is one too.
        data = cast(MultiValueDict, self.data) if self.is_bound else sent
        if data is not None and data.get("pool_guide") == str(guide.pk):
            ticked = set(data.getlist("questions"))
            rows: list[dict[str, Any]] = [
                {"question": q, "ticked": str(q.pk) in ticked, "order": self._order(q, data)}
                for q in questions
            ]
            rows.sort(key=lambda row: (row["order"], row["question"].position, row["question"].pk))
        else:
            chosen = {q.pk for q in default_selection(questions)}
            rows = [{"question": q, "ticked": q.pk in chosen, "order": q.position} for q in questions]
        for number, row in enumerate(rows, start=1):
            row["order"] = number
        return rows

    def schedule_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "guide": data["guide"],
            "questions": data["questions"],
            "own_title": data["own_title"].strip() if data["guide"] is None else "",
            **{name: data[name] for name in MeetingForm.Meta.fields},
        }
