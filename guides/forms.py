"""Forms for the staff admin: the guide's own form (illustration checks), list items and guide import."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.text import slugify

from guides import images
from guides.models import Guide

ALT_TEXT_REQUIRED = "Describe the illustration for people who cannot see it."

# Guide files are a few kilobytes of text; anything this large is not one, and reading it would only
# tie up the worker.
MAX_IMPORT_BYTES = 5 * 1024 * 1024

# A new list item whose position is left blank goes to the end of its list; the admin renumbers every
# list right after saving, so the number never lasts.
END_OF_LIST = 2**31 - 1


class IllustrationField(forms.ImageField):
    """An image upload checked by guides/images.py (format, bytes, pixels), stored under a name we make."""

    default_validators: list = []  # Django's extension check accepts .pdf and .eps; check_upload_name doesn't

    def to_python(self, data):
        # FileField's checks only (empty, name length): forms.ImageField would let Pillow open the file
        # before the size and pixel caps are applied.
        upload = forms.FileField.to_python(self, data)
        if upload is None:
            return None
        try:
            checked = images.check_image(upload)
            images.check_upload_name(upload.name)
        except images.ImageRefused as refusal:
            raise ValidationError(str(refusal), code=refusal.code) from None
        stored = checked.as_file()
        stored.content_type = checked.content_type
        stored.image = checked  # what forms.ImageField leaves here, for code that asks
        return stored


class GuideAdminForm(forms.ModelForm):
    class Meta:
        model = Guide
        fields = [
            "title",
            "author",
            "slug",
            "status",
            "club",
            "summary",
            "about",
            "about_author",
            "has_spoilers",
            "themes",
            "illustration",
            "illustration_alt",
            "illustration_caption",
        ]
        field_classes = {"illustration": IllustrationField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "slug" in self.fields:
            self.fields["slug"].required = False

    def clean(self):
        cleaned = super().clean()
        # Filled in here rather than by Guide.save() so that a clash with another guide's slug is a
        # form error instead of a failed INSERT.
        if not cleaned.get("slug") and cleaned.get("title"):
            cleaned["slug"] = slugify(cleaned["title"])[:200]
            if not cleaned["slug"]:
                self.add_error("slug", "Enter a slug: the title has no letters or digits to make one from.")
        # The field holds the new upload, the unchanged current file, or False when "Clear" is ticked.
        illustration = cleaned.get("illustration")
        if illustration and not cleaned.get("illustration_alt", "").strip():
            self.add_error("illustration_alt", ALT_TEXT_REQUIRED)
        return cleaned


class GuideItemInlineForm(forms.ModelForm):
    """A row of one of a guide's lists, where a blank position means "at the end"."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        position = self.fields.get("position")
        if position is not None:
            position.required = False
            position.help_text = "Order in the list; leave blank to add at the end."
            if self.instance._state.adding:
                # Without this a new row starts at 0 and jumps to the top of the list.
                position.initial = None

    def clean_position(self):
        position = self.cleaned_data.get("position")
        return END_OF_LIST if position is None else position


class GuideImportForm(forms.Form):
    guide_file = forms.FileField(
        label="Guide file",
        help_text="A guide page saved as text, or a guide exported from this admin. At most 5 MB.",
    )
    draft = forms.BooleanField(
        label="Import as draft",
        required=False,
        # Same default as `manage.py import_guide`: imported guides are published unless asked otherwise.
        initial=False,
        help_text="Members do not see a draft until an editor publishes it.",
    )

    def clean_guide_file(self):
        upload = self.cleaned_data["guide_file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise ValidationError(
                "%(name)s: the file is larger than %(limit)s, the most a guide file can be.",
                code="file_too_large",
                params={"name": upload.name, "limit": filesizeformat(MAX_IMPORT_BYTES)},
            )
        return upload
