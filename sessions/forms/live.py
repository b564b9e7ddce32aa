"""Forms of the live meeting: joining by code, joining as a guest, posting and editing answers.

The forms only parse what was typed. The rules (who may answer, name clashes, answer length) live on the
models, whose refusals the views put beside the field.
"""

from __future__ import annotations

from django import forms

from sessions.models import JOIN_CODE_LENGTH, MAX_ANSWER_LENGTH, MAX_DISPLAY_NAME_LENGTH, Meeting


def normalize_join_code(raw: str) -> str:
    """The code as stored: people read it off a screen, so case, spaces and hyphens do not matter; a pasted
    join link works too."""
    text = (raw or "").strip().rstrip("/")
    if "/" in text:
        text = text.rsplit("/", 1)[-1]
    # Hyphens too: a long code may be read out or typed in groups ("ABCDE-FGHJK").
    return "".join(text.replace("-", " ").split()).upper()


class JoinCodeForm(forms.Form):
    code = forms.CharField(
        label="Join code",
        max_length=200,
        strip=True,
        error_messages={"required": "Enter the join code shown on the host's screen."},
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )

    meeting: Meeting | None = None

    def clean_code(self) -> str:
        typed = self.cleaned_data["code"]
        code = normalize_join_code(typed)
        meeting = Meeting.objects.filter(join_code=code).first() if len(code) == JOIN_CODE_LENGTH else None
        if meeting is None:
            raise forms.ValidationError(
                f"No meeting has the code “{typed}”. Check the code on the host's screen and try again.",
                code="unknown",
            )
        self.meeting = meeting
        return code


class GuestJoinForm(forms.Form):
    # Length and uniqueness are the meeting's rules (Meeting.add_guest); this only carries the text.
    display_name = forms.CharField(
        label="Display name",
        required=False,
        strip=False,
        widget=forms.TextInput(attrs={"autocomplete": "nickname", "maxlength": MAX_DISPLAY_NAME_LENGTH}),
    )


class AnswerForm(forms.Form):
    question = forms.IntegerField(widget=forms.HiddenInput)
    # Not stripped and not length-checked here: the model refuses blank or overlong text with the
    # message to show, and the typed text must come back exactly as it was.
    text = forms.CharField(
        label="Your answer",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": MAX_ANSWER_LENGTH}),
    )
    client_token = forms.UUIDField(widget=forms.HiddenInput)
    next = forms.CharField(required=False, widget=forms.HiddenInput)


class AnswerEditForm(forms.Form):
    text = forms.CharField(
        label="Your answer",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": MAX_ANSWER_LENGTH}),
    )
