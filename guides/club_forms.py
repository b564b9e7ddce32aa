"""Forms for the guides a club's hosts make: the guide's content, its cover, and an import to preview.

A guide's lists are edited as text, one item per line, so that what an import found and what a host
types are the same thing: the import preview is this form filled in from the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.text import slugify

from guides.forms import ALT_TEXT_REQUIRED, IllustrationField
from guides.layouts import SECTION_LABELS, DraftGuide, split_title_author
from guides.parsing import _parse_other_book
from guides.readers import ACCEPTED, MAX_GUIDE_FILE_BYTES

# A meeting's copy of a question holds at most this much (sessions.models.MAX_QUESTION_LENGTH).
MAX_QUESTION_LENGTH = 1000
MAX_ITEMS = 200
MAX_PASTE_LENGTH = 200_000
_SUB_QUESTION = re.compile(r"^\(?[a-hA-H][.)]\s+")
_LEADING_MARKER = re.compile(
    r"^(?:\d{1,3}\s*[.)]|(?:Q|Question)\s*\d{1,3}\s*[.):]?|[\u2022\u25cf\u25aa*\-\u2013])\s+", re.IGNORECASE
)

# Where a line the importer could not place can go, for the preview's "Move to" lists.
MOVE_CHOICES = [("", "Leave it out"), *((name, label) for name, label in SECTION_LABELS.items())]


def _textarea(rows: int) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


@dataclass
class GuideContent:
    """What a host's form holds, checked and split into items, ready to write."""

    title: str
    author: str
    summary: str = ""
    about_author: str = ""
    has_spoilers: bool = False
    questions: list[str] = field(default_factory=list)
    quotes: list[str] = field(default_factory=list)
    further_reading: list[tuple[str, str]] = field(default_factory=list)
    other_books: list[tuple[str, int | None]] = field(default_factory=list)


class GuideContentForm(forms.Form):
    title = forms.CharField(max_length=200)
    author = forms.CharField(max_length=200)
    summary = forms.CharField(
        label="About the book",
        required=False,
        widget=_textarea(5),
        help_text="A paragraph or two on what the book is about. Leave a blank line between paragraphs.",
    )
    questions = forms.CharField(
        label="Discussion questions",
        widget=_textarea(12),
        help_text=(
            "One question per line. A line starting with a), b)… is a sub-question of the line above."
        ),
        error_messages={"required": "Write at least one discussion question."},
    )
    about_author = forms.CharField(label="About the author", required=False, widget=_textarea(4))
    quotes = forms.CharField(
        label="Quotes", required=False, widget=_textarea(4), help_text="One quotation per line."
    )
    further_reading = forms.CharField(
        label="Further reading",
        required=False,
        widget=_textarea(4),
        help_text="Books by other authors to read next: one per line, as “Title by Author”.",
    )
    other_books = forms.CharField(
        label="Other books by the author",
        required=False,
        widget=_textarea(3),
        help_text="One per line; a year in brackets at the end is kept, e.g. “Early Tides (2009)”.",
    )
    has_spoilers = forms.BooleanField(
        label="This guide gives away the ending",
        required=False,
        help_text="Members see a spoiler warning before the questions.",
    )

    LIST_FIELDS = ("questions", "quotes", "further_reading", "other_books")

    def clean_title(self) -> str:
        title = self.cleaned_data["title"].strip()
        if not slugify(title):
            raise ValidationError("Give the title at least one letter or digit.")
        return title

    def clean_questions(self) -> list[str]:
        questions = _lines_to_items(self.cleaned_data["questions"], sub_items=True)
        if not questions:
            raise ValidationError("Write at least one discussion question.")
        for number, question in enumerate(questions, start=1):
            if len(question) > MAX_QUESTION_LENGTH:
                raise ValidationError(
                    f"Question {number} is {len(question):,} characters long; a question can be at most "
                    f"{MAX_QUESTION_LENGTH:,}."
                )
        return questions

    def clean_quotes(self) -> list[str]:
        return _lines_to_items(self.cleaned_data["quotes"])

    def clean_further_reading(self) -> list[tuple[str, str]]:
        books = [split_title_author(line) for line in _lines_to_items(self.cleaned_data["further_reading"])]
        for number, (title, author) in enumerate(books, start=1):
            if len(title) > 300 or len(author) > 200:
                raise ValidationError(f"Line {number} is too long for a title and an author.")
        return books

    def clean_other_books(self) -> list[tuple[str, int | None]]:
        books = []
        for number, line in enumerate(_lines_to_items(self.cleaned_data["other_books"]), start=1):
            book = _parse_other_book(line, number)
            if len(book.title) > 200:
                raise ValidationError(f"Line {number} is longer than a title can be (200 characters).")
            books.append((book.title, book.year))
        return books

    def clean(self):
        cleaned = super().clean()
        for name in self.LIST_FIELDS:
            if len(cleaned.get(name) or []) > MAX_ITEMS:
                self.add_error(name, f"A list can hold at most {MAX_ITEMS} items.")
        return cleaned

    def content(self) -> GuideContent:
        data = self.cleaned_data
        return GuideContent(
            title=data["title"],
            author=data["author"].strip(),
            summary=_paragraphs(data["summary"]),
            about_author=_paragraphs(data["about_author"]),
            has_spoilers=data["has_spoilers"],
            questions=data["questions"],
            quotes=data["quotes"],
            further_reading=data["further_reading"],
            other_books=data["other_books"],
        )

    @classmethod
    def initial_from_draft(cls, draft: DraftGuide) -> dict:
        return {
            "title": draft.title,
            "author": draft.author,
            "summary": "\n\n".join(draft.summary),
            "about_author": "\n\n".join(draft.about_author),
            "has_spoilers": draft.has_spoilers,
            "questions": "\n".join(draft.questions),
            "quotes": "\n".join(draft.quotes),
            "further_reading": "\n".join(
                f"{title} by {author}" if author else title for title, author in draft.further_reading
            ),
            "other_books": "\n".join(draft.other_books),
        }


class GuideForm(GuideContentForm):
    """A host's guide with its cover image, on the New guide and Edit guide pages."""

    cover = IllustrationField(
        label="Cover image",
        required=False,
        help_text="Optional. A JPEG, PNG, WebP or GIF image of at most 5 MB.",
    )
    cover_alt = forms.CharField(
        label="Describe the cover",
        max_length=300,
        required=False,
        help_text="What the cover shows, for people who cannot see it.",
    )
    remove_cover = forms.BooleanField(label="Remove the cover image", required=False)

    def __init__(self, *args, has_cover: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.has_cover = has_cover
        if not has_cover:
            del self.fields["remove_cover"]

    def clean(self):
        cleaned = super().clean()
        keeps_cover = self.has_cover and not cleaned.get("remove_cover")
        if (cleaned.get("cover") or keeps_cover) and not cleaned.get("cover_alt", "").strip():
            self.add_error("cover_alt", ALT_TEXT_REQUIRED)
        return cleaned


class PreviewBookForm(GuideContentForm):
    """One book of an import preview; a brochure's books can each be left out."""

    include = forms.BooleanField(label="Save this guide", required=False, initial=True)

    def __init__(self, *args, unplaced: list[tuple[str, str]] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # (text, section it is to move to) of each line the importer could not place.
        self.unplaced = unplaced or []

    @property
    def included(self) -> bool:
        return self.is_bound and bool(self.data.get(self.add_prefix("include")))

    def counts_text(self) -> str:
        """ "12 questions, 1 about-the-book, 3 further-reading titles", from what the form holds now."""

        def value(name: str) -> str:
            return self[name].value() or ""

        draft = DraftGuide(
            summary=[value("summary")] if value("summary").strip() else [],
            about_author=[value("about_author")] if value("about_author").strip() else [],
            questions=_lines_to_items(value("questions"), sub_items=True),
            quotes=_lines_to_items(value("quotes")),
            further_reading=[("", "")] * len(_lines_to_items(value("further_reading"))),
            other_books=_lines_to_items(value("other_books")),
        )
        return draft.counts_text()


class ImportForm(forms.Form):
    guide_file = forms.FileField(
        label="A guide file",
        required=False,
        help_text=f"{ACCEPTED}; at most {filesizeformat(MAX_GUIDE_FILE_BYTES)}.",
        error_messages={"empty": "The file is empty.", "invalid": "No file was sent; choose the file again."},
    )
    pasted = forms.CharField(
        label="Or paste the guide's text",
        required=False,
        max_length=MAX_PASTE_LENGTH,
        widget=_textarea(12),
        help_text="A whole guide, or just a list of questions.",
    )

    def clean_guide_file(self):
        upload = self.cleaned_data.get("guide_file")
        if upload and upload.size > MAX_GUIDE_FILE_BYTES:
            raise ValidationError(
                f"{upload.name} is {filesizeformat(upload.size)}; a guide file can be at most "
                f"{filesizeformat(MAX_GUIDE_FILE_BYTES)}."
            )
        return upload

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not cleaned.get("guide_file") and not cleaned.get("pasted", "").strip():
            raise ValidationError("Choose a file, or paste the guide's text.")
        return cleaned


def _lines_to_items(text: str, *, sub_items: bool = False) -> list[str]:
    """One item per line; with `sub_items`, a line starting a), b)… joins the item above."""
    items: list[str] = []
    for raw in (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = " ".join(raw.split())
        if not line:
            continue
        if sub_items and items and _SUB_QUESTION.match(line):
            letter = line.lstrip("(")[0].lower()
            items[-1] += f"\n({letter}) {_SUB_QUESTION.sub('', line, count=1)}"
            continue
        items.append(_LEADING_MARKER.sub("", line, count=1) or line)
    return items


def _paragraphs(text: str) -> str:
    blocks = re.split(r"\n\s*\n", (text or "").replace("\r\n", "\n").strip())
    return "\n\n".join(" ".join(block.split()) for block in blocks if block.strip())


def apply_moves(data: dict[str, str], moves: list[tuple[str, str]]) -> dict[str, str]:
    """Put each (text, section) line the host chose to move at the end of that section's text."""
    data = dict(data)
    for text, section in moves:
        if section not in SECTION_LABELS:
            continue
        if section in ("summary", "about_author"):
            data[section] = "\n\n".join(part for part in (data.get(section, "").strip(), text) if part)
        else:
            data[section] = "\n".join(part for part in (data.get(section, "").rstrip(), text) if part)
    return data
