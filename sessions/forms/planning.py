"""Forms for the life of a club between meetings: a book vote, nominations, a date poll, the reading plan."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from django import forms
from django.utils import timezone

from guides.models import Guide
from sessions.forms.meetings import PAST_DATE, ClubDateTimeField
from sessions.models import MAX_NOMINATION_REASON, BookVote, Club, ReadingUnit

DATE_POLL_OPTIONS = 6


class BookVoteForm(forms.ModelForm):
    closes_at = ClubDateTimeField(label="Voting closes")

    class Meta:
        model = BookVote
        fields = ["title", "closes_at", "nominations_per_member", "show_tallies_live"]
        labels = {
            "nominations_per_member": "Nominations per member",
            "show_tallies_live": "Show tallies while voting",
        }
        help_texts = {
            "nominations_per_member": "How many books each member may put forward.",
            "show_tallies_live": "Off: nobody sees the count until the vote closes.",
        }
        widgets = {"nominations_per_member": forms.NumberInput(attrs={"min": 1, "max": 10})}

    def __init__(self, *args, club: Club, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        closes_at = cast(ClubDateTimeField, self.fields["closes_at"])
        closes_at.tz = club.tzinfo
        closes_at.help_text = f"In the club's time zone, {club.time_zone}. The vote closes by itself then."
        self.fields["title"].error_messages["required"] = "Give the vote a title."

    def clean_closes_at(self) -> datetime:
        closes_at = self.cleaned_data["closes_at"]
        if closes_at <= timezone.now():
            raise forms.ValidationError(PAST_DATE, code="past")
        return closes_at

    def clean_nominations_per_member(self) -> int:
        value = self.cleaned_data["nominations_per_member"]
        if not 1 <= value <= 10:
            raise forms.ValidationError("Allow between 1 and 10 nominations per member.")
        return value


class NominationGuideField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Guide) -> str:
        return (
            f"{obj.title} ({obj.author}, the club\u2019s own guide)"
            if obj.club_id
            else f"{obj.title} ({obj.author})"
        )


class NominationForm(forms.Form):
    guide = NominationGuideField(
        label="A book with a guide",
        queryset=Guide.objects.none(),
        required=False,
        empty_label="None: I'll type the title",
    )
    title = forms.CharField(label="Title", max_length=200, required=False)
    author = forms.CharField(label="Author", max_length=200, required=False)
    reason = forms.CharField(
        label="Why this book?",
        max_length=MAX_NOMINATION_REASON,
        required=False,
        help_text=f"Optional, one line (at most {MAX_NOMINATION_REASON} characters).",
        error_messages={
            "max_length": "Keep the reason to %(limit_value)d characters; this one has %(show_value)d."
        },
    )

    def __init__(self, *args, club: Club, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        guide_field = cast(NominationGuideField, self.fields["guide"])
        # What the club can meet on: the published library and the club's own guides.
        guide_field.queryset = Guide.objects.for_meetings_of(club).order_by("title", "author", "pk")

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what Form.clean() returns
        if not data.get("guide") and not (data.get("title") or "").strip():
            self.add_error("title", "Give the book's title, or pick a book with a guide.")
        return data


class DatePollForm(forms.Form):
    title = forms.CharField(label="Question", max_length=120, initial="When can we meet?")

    def __init__(self, *args, club: Club, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for number in range(1, DATE_POLL_OPTIONS + 1):
            field = ClubDateTimeField(label=f"Date and time {number}", required=False, tz=club.tzinfo)
            if number == 1:
                field.help_text = (
                    f"In the club's time zone, {club.time_zone}. Offer two or more; leave the rest empty."
                )
            self.fields[f"option_{number}"] = field

    @property
    def option_fields(self) -> list:
        return [self[f"option_{number}"] for number in range(1, DATE_POLL_OPTIONS + 1)]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what Form.clean() returns
        starts = []
        for number in range(1, DATE_POLL_OPTIONS + 1):
            value = data.get(f"option_{number}")
            if value is None:
                continue
            if value <= timezone.now():
                self.add_error(f"option_{number}", PAST_DATE)
            starts.append(value)
        if len(set(starts)) < 2 and not self.errors:
            raise forms.ValidationError("Offer at least two different dates and times.")
        data["starts"] = starts
        return data


class ReadingPlanForm(forms.Form):
    unit = forms.ChoiceField(label="Count the reading in", choices=ReadingUnit.choices)
    target = forms.IntegerField(
        label="Read up to",
        min_value=1,
        required=False,
        help_text="E.g. 2 with parts for “Parts 1-2”, 12 with chapters, 50 with percent. Empty: no target.",
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what Form.clean() returns
        if data.get("unit") == ReadingUnit.PERCENT and (data.get("target") or 0) > 100:
            self.add_error("target", "A percentage is between 1 and 100.")
        return data


class ProgressForm(forms.Form):
    position = forms.IntegerField(
        label="I have read up to",
        min_value=0,
        error_messages={
            "required": "Say how far you have read, as a number.",
            "invalid": "Enter a whole number.",
        },
    )
