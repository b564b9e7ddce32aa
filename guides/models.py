"""Book guides: the edited material a club's meeting runs from.

A guide mirrors the sections of a guide page (see demo/never-let-me-go.txt): a summary, what the book is
about, and ordered lists of discussion questions, talking points, quotes, adaptations, other books by the
author and trivia. Every list item is a row of its own, ordered by `position`.

Adaptations, other books and trivia are claims of fact, and guide pages get facts wrong, so each of them
carries a review status and an optional source link; imported claims start unverified.
"""

from __future__ import annotations

import math
import re
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from django.db import models
from django.db.models import Exists, OuterRef, Q, Value
from django.db.models.expressions import Combinable
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

# Adult silent-reading speed; it also reproduces the "3 min read" that the seed page states for itself.
WORDS_PER_MINUTE = 250
_WORD = re.compile(r"\w+(?:['\u2019]\w+)*")


def count_words(*texts: str) -> int:
    return sum(len(_WORD.findall(text)) for text in texts if text)


class Theme(models.Model):
    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if not self.slug:
            self.slug = slugify(self.name)[:80]
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("guides:list") + f"?theme={self.slug}"


class GuideQuerySet(models.QuerySet):
    def library(self) -> GuideQuerySet:
        """The public library's guides: those no club owns."""
        return self.filter(club__isnull=True)

    def published(self) -> GuideQuerySet:
        return self.library().filter(status=Guide.Status.PUBLISHED)

    def visible_to(self, user: User | AnonymousUser) -> GuideQuerySet:
        """Editors (staff who may view guides in the admin) preview the library's drafts; everyone else,
        staff without that permission included, sees published guides only. A club's own guides are never
        part of the library, whoever asks."""
        if user.is_active and user.is_staff and user.has_perm("guides.view_guide"):
            return self.library()
        return self.published()

    def of_club(self, club) -> GuideQuerySet:
        return self.filter(club=club)

    def for_meetings_of(self, club) -> GuideQuerySet:
        """What a club can meet on: the published library and the club's own guides."""
        return self.filter(Q(club__isnull=True, status=Guide.Status.PUBLISHED) | Q(club=club))

    def search(self, query: str) -> GuideQuerySet:
        """Every word of the query must match the title, the author or a theme."""
        result = self
        for word in query.split():
            matches_theme = Theme.objects.filter(guides=OuterRef("pk"), name__icontains=word)
            result = result.filter(
                Q(title__icontains=word) | Q(author__icontains=word) | Exists(matches_theme)
            )
        return result

    def with_theme(self, slug: str) -> GuideQuerySet:
        return self.filter(themes__slug=slug)

    def touch(self) -> int:
        """Mark the guides as changed (their pages are cached by `updated_at`, see
        templates/guides/guide_detail.html) after a change that does not save them: their items or themes."""
        return self.update(updated_at=timezone.now())

    def with_unverified_claims(self) -> GuideQuerySet:
        unverified = [
            Exists(model.objects.filter(guide=OuterRef("pk"), review_status=ReviewStatus.UNVERIFIED))
            for model in FACTUAL_ITEM_MODELS
        ]
        return self.filter(Q(*unverified, _connector=Q.OR))


class Guide(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    title = models.CharField(max_length=200)
    author = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True, help_text="Made from the title when left empty.")
    summary = models.TextField("one-paragraph summary", blank=True, help_text="Markdown.")
    about = models.TextField("what it's about", blank=True, help_text="Markdown.")
    themes = models.ManyToManyField(Theme, blank=True, related_name="guides")
    illustration = models.ImageField(upload_to="illustrations/", blank=True)
    illustration_alt = models.CharField(
        "illustration alt text",
        max_length=300,
        blank=True,
        help_text="What the illustration shows, for people who cannot see it.",
    )
    illustration_caption = models.CharField(max_length=300, blank=True)
    reading_minutes = models.PositiveSmallIntegerField(
        default=1, editable=False, help_text="Computed from the guide's words when it is saved."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    # A guide a club's host made belongs to that club: only its members see it (sessions.access), and it
    # stays out of the library until staff publish a copy (`copy_to_library`).
    club = models.ForeignKey(
        "club_sessions.Club", on_delete=models.CASCADE, null=True, blank=True, related_name="guides"
    )
    about_author = models.TextField("about the author", blank=True)
    has_spoilers = models.BooleanField(
        "contains spoilers", default=False, help_text="The guide discusses the ending; readers are warned."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = GuideQuerySet.as_manager()

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return f"{self.title} by {self.author}"

    def save(self, *args, **kwargs) -> None:
        if not self.slug:
            self.slug = self.unique_slug(self.title) if self.club_id else self.library_slug(self.title)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        if self.club is not None:
            return reverse("club_guides:detail", args=[self.club.slug, self.pk])
        return reverse("guides:detail", args=[self.slug])

    @staticmethod
    def library_slug(title: str) -> str:
        return slugify(title)[:200]

    @staticmethod
    def unique_slug(title: str) -> str:
        # Club guides share the slug column with the library; a random tail keeps them from ever taking
        # (or being overwritten by an import of) a library guide's slug, and says nothing about the club.
        return f"{slugify(title)[:180] or 'guide'}-{secrets.token_hex(3)}"

    @property
    def in_library(self) -> bool:
        return self.club_id is None

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    def load_sections(self) -> GuideSections:
        """All of the guide's lists in one query (see GuideSections.load)."""
        return GuideSections.load(self)

    def update_reading_time(self) -> None:
        """Recount the words of the guide and every item; call after the items change."""
        sections = self.load_sections()
        words = count_words(self.title, self.author, self.summary, self.about, self.illustration_caption)
        words += sum(count_words(*item.words()) for item in sections.all_items())
        minutes = max(1, math.floor(words / WORDS_PER_MINUTE + 0.5))
        if minutes != self.reading_minutes:
            self.reading_minutes = minutes
            self.updated_at = timezone.now()  # the page shows it (see touch)
            Guide.objects.filter(pk=self.pk).update(reading_minutes=minutes, updated_at=self.updated_at)


class ReviewStatus(models.TextChoices):
    UNVERIFIED = "unverified", "Unverified"
    VERIFIED = "verified", "Verified"


class GuideItem(models.Model):
    """An entry in one of a guide's ordered lists."""

    position = models.PositiveIntegerField(default=0, help_text="Order in the list; lowest first.")

    # For the type checker only: each kind of item declares its own `guide` (with its related_name), and
    # Django gives each its own `objects`; code that handles any kind of item uses both. The manager is
    # Any: the plugin checks lookups against this abstract model's fields, which have no `guide`.
    guide: Guide
    guide_id: int
    objects: ClassVar[models.Manager[Any]]

    class Meta:
        abstract = True
        ordering = ["guide", "position", "id"]

    def words(self) -> list[str]:
        return [self.text]  # type: ignore[attr-defined]


class FactualItem(GuideItem):
    """An item that states a fact, which an editor checks against a source."""

    review_status = models.CharField(
        max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.UNVERIFIED, db_index=True
    )
    source_url = models.URLField("source link", max_length=500, blank=True)

    class Meta(GuideItem.Meta):
        abstract = True

    @property
    def is_verified(self) -> bool:
        return self.review_status == ReviewStatus.VERIFIED


class Question(GuideItem):
    guide = models.ForeignKey(Guide, on_delete=models.CASCADE, related_name="questions")
    text = models.TextField()

    class Meta(GuideItem.Meta):
        verbose_name = "discussion question"

    def __str__(self) -> str:
        return self.text


class TalkingPoint(GuideItem):
    guide = models.ForeignKey(Guide, on_delete=models.CASCADE, related_name="talking_points")
    text = models.TextField()

    class Meta(GuideItem.Meta):
        verbose_name = "talking point"

    def __str__(self) -> str:
        return self.text


class Quote(GuideItem):
    guide = models.ForeignKey(Guide, on_delete=models.CASCADE, related_name="quotes")
    text = models.TextField(help_text="The quotation itself, without quotation marks.")
    chapter = models.CharField(max_length=50, blank=True)
    page = models.CharField(max_length=20, blank=True)

    def __str__(self) -> str:
        return self.text

    @property
    def location(self) -> str:
        parts = []
        if self.chapter:
            parts.append(f"Chapter {self.chapter}")
        if self.page:
            parts.append(f"p. {self.page}")
        return ", ".join(parts)


class Adaptation(FactualItem):
    class Kind(models.TextChoices):
        FILM = "film", "Film"
        RADIO = "radio", "Radio"
        PODCAST = "podcast", "Podcast"
        STAGE = "stage", "Stage"
        TV = "tv", "TV"
        OTHER = "other", "Other"

    guide = models.ForeignKey(Guide, on_delete=models.CASCADE, related_name="adaptations")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.OTHER)
    title = models.CharField(max_length=200, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    notes = models.TextField("credits and notes", blank=True, help_text="Markdown.")

    def __str__(self) -> str:
        label = self.title or self.notes[:60]
        return f"{self.get_kind_display()}: {label}" + (f" ({self.year})" if self.year else "")

    def words(self) -> list[str]:
        return [self.title, self.notes]


class OtherBook(FactualItem):
    guide = models.ForeignKey(Guide, on_delete=models.CASCADE, related_name="other_books")
    title = models.CharField(max_length=200)
    year = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta(FactualItem.Meta):
        verbose_name = "other book by the author"
        verbose_name_plural = "other books by the author"

    def __str__(self) -> str:
        return self.title + (f" ({self.year})" if self.year else "")

    def words(self) -> list[str]:
        return [self.title]


class Trivia(FactualItem):
    guide = models.ForeignKey(Guide, on_delete=models.CASCADE, related_name="trivia")
    text = models.TextField(help_text="Markdown.")

    class Meta(FactualItem.Meta):
        verbose_name = "trivia item"
        verbose_name_plural = "trivia"

    def __str__(self) -> str:
        return self.text


class ReadAlike(GuideItem):
    """A book to read next (Further Reading, Read-Alikes): by other authors, unlike `OtherBook`.

    Kept out of SECTION_MODELS and the JSON exchange, whose format is fixed; club guides carry it.
    """

    guide = models.ForeignKey(Guide, on_delete=models.CASCADE, related_name="further_reading")
    title = models.CharField(max_length=300)
    author = models.CharField(max_length=200, blank=True)

    class Meta(GuideItem.Meta):
        verbose_name = "further reading title"
        verbose_name_plural = "further reading"

    def __str__(self) -> str:
        return f"{self.title} by {self.author}" if self.author else self.title

    def words(self) -> list[str]:
        return [self.title, self.author]


FACTUAL_ITEM_MODELS: tuple[type[FactualItem], ...] = (Adaptation, OtherBook, Trivia)

# Section name (the related_name on Guide) -> item model, in the order the guide page shows them.
SECTION_MODELS: dict[str, type[GuideItem]] = {
    "questions": Question,
    "talking_points": TalkingPoint,
    "quotes": Quote,
    "adaptations": Adaptation,
    "other_books": OtherBook,
    "trivia": Trivia,
}


@dataclass
class GuideSections:
    """A guide's six ordered lists, fetched together.

    Prefetching each list separately costs a query per list; the guide page must stay within a small,
    constant query budget, so the lists are read with one UNION ALL over the six tables and turned back
    into model instances here.
    """

    questions: list[Question] = field(default_factory=list)
    talking_points: list[TalkingPoint] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    adaptations: list[Adaptation] = field(default_factory=list)
    other_books: list[OtherBook] = field(default_factory=list)
    trivia: list[Trivia] = field(default_factory=list)

    # Every column any item model has; each branch of the union fills the ones its model lacks with NULL.
    _COLUMNS = (
        "id",
        "position",
        "text",
        "title",
        "chapter",
        "page",
        "kind",
        "year",
        "notes",
        "review_status",
        "source_url",
    )

    @classmethod
    def load(cls, guide: Guide) -> GuideSections:
        branches = []
        for index, model in enumerate(SECTION_MODELS.values()):
            own = {f.name for f in model._meta.concrete_fields}
            expressions: dict[str, Combinable] = {"section": Value(index, output_field=models.IntegerField())}
            for column in cls._COLUMNS:
                if column in own:
                    expressions[f"c_{column}"] = models.F(column)
                else:
                    output = models.IntegerField() if column == "year" else models.TextField()
                    # A typed NULL: PostgreSQL cannot match an untyped parameter across the union.
                    expressions[f"c_{column}"] = Cast(Value(None), output_field=output)
            branches.append(
                model.objects.filter(guide=guide)
                .order_by()
                .annotate(**expressions)
                .values_list("section", *[f"c_{column}" for column in cls._COLUMNS])
            )
        union = branches[0].union(*branches[1:], all=True)
        sections = cls()
        lists = [getattr(sections, name) for name in SECTION_MODELS]
        models_in_order = list(SECTION_MODELS.values())
        for row in union:
            index = row[0]
            model = models_in_order[index]
            values = dict(zip(cls._COLUMNS, row[1:], strict=True))
            attnames = [f.attname for f in model._meta.concrete_fields]
            values["guide_id"] = guide.pk
            instance = model.from_db(guide._state.db, attnames, [values[name] for name in attnames])
            instance.guide = guide
            lists[index].append(instance)
        for items in lists:
            items.sort(key=lambda item: (item.position, item.pk))
        return sections

    def all_items(self) -> list[GuideItem]:
        return [item for name in SECTION_MODELS for item in getattr(self, name)]

    def __len__(self) -> int:
        return len(self.all_items())
