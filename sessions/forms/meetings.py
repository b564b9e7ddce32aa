"""Forms for scheduling a meeting and changing its details."""

from __future__ import annotations

import zoneinfo
from datetime import datetime

from django import forms
from django.utils import timezone

from guides.models import Guide
from sessions.models import Club, Meeting

PAST_DATE = "Pick a date and time in the future."


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
        starts_at = self.fields["starts_at"]
        starts_at.tz = club.tzinfo
        starts_at.help_text = f"In the club's time zone, {club.time_zone}."
        # Compared at the input's precision (minutes), so saving other details of a meeting that has
        # already started does not trip over its start time being in the past.
        self._saved_start = None
        if self.instance.pk and self.instance.starts_at:
            self._saved_start = self.instance.starts_at.replace(second=0, microsecond=0)

    def clean_starts_at(self) -> datetime:
        starts_at = self.cleaned_data["starts_at"]
        if starts_at != self._saved_start and starts_at <= timezone.now():
            raise forms.ValidationError(PAST_DATE, code="past")
        return starts_at


class MeetingCreateForm(MeetingForm):
    guide = forms.ModelChoiceField(
        label="Guide",
        queryset=Guide.objects.published().order_by("title", "author"),
        empty_label="Choose a guide",
    )

    class Meta(MeetingForm.Meta):
        fields = ["guide", *MeetingForm.Meta.fields]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["guide"].label_from_instance = lambda guide: guide.title
