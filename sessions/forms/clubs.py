import zoneinfo

from django import forms
from django.conf import settings

from sessions.models import Club, time_zone_choices


def default_time_zone() -> str:
    zone = settings.TIME_ZONE or "UTC"
    return zone if zone in zoneinfo.available_timezones() else "UTC"


class ClubForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=Club._meta.get_field("name").max_length,
        error_messages={
            "required": "Give your club a name.",
            "max_length": "Names can be at most %(limit_value)d characters; this one has %(show_value)d.",
        },
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    description = forms.CharField(
        label="Description",
        required=False,
        help_text="Optional: what you read, when and where you meet.",
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    time_zone = forms.ChoiceField(
        label="Time zone",
        choices=time_zone_choices,
        help_text="Meeting times are set and shown in this time zone.",
        error_messages={"invalid_choice": "Choose a time zone from the list."},
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].initial = default_time_zone()
        if not self.is_bound:
            # static/js/time_zone.js picks the zone the browser reports; a form sent back keeps its choice.
            self.fields["time_zone"].widget.attrs["data-browser-time-zone"] = ""
