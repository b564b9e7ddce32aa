"""Forms for the staff admin: the guide's own form (illustration checks), list items and guide import."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.text import slugify

from guides.models import Guide

# The formats every browser shows; Pillow opens many more (BMP, TIFF, PSD...) that a page cannot.
# MPO is how Pillow names the JPEGs that phone cameras write with a depth map attached.
ILLUSTRATION_FORMATS = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "WEBP": "WebP", "GIF": "GIF"}
ALT_TEXT_REQUIRED = "Describe the illustration for people who cannot see it."

# Guide files are a few kilobytes of text; anything this large is not one, and reading it would only
# tie up the worker.
MAX_IMPORT_BYTES = 5 * 1024 * 1024

# A new list item whose position is left blank goes to the end of its list; the admin renumbers every
# list right after saving, so the number never lasts.
END_OF_LIST = 2**31 - 1


class IllustrationField(forms.ImageField):
    """An image upload that is small enough and in a format browsers can show."""

    def to_python(self, data):
        # Check the size before Pillow reads the file, so an oversized upload is never decoded.
        if data is not None and getattr(data, "size", 0) > settings.MAX_ILLUSTRATION_BYTES:
            raise ValidationError(
                "The illustration is %(size)s; it can be at most %(limit)s. Save it smaller and try again.",
                code="file_too_large",
                params={
                    "size": filesizeformat(data.size),
                    "limit": filesizeformat(settings.MAX_ILLUSTRATION_BYTES),
                },
            )
        try:
            image_file = super().to_python(data)
        except ValidationError as error:
            if error.code != "invalid_image":
                raise
            raise ValidationError(
                "This file is not an image we can read. Upload a JPEG, PNG, WebP or GIF image.",
                code="invalid_image",
            ) from None
        image = getattr(image_file, "image", None)
        if image is not None and image.format not in ILLUSTRATION_FORMATS:
            raise ValidationError(
                "%(format)s images cannot be shown on every device. "
                "Upload a JPEG, PNG, WebP or GIF image instead.",
                code="unsupported_format",
                params={"format": image.format or "This kind of"},
            )
        return image_file


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
