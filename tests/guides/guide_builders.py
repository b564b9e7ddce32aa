"""Small builders for guide test data, made with the models directly (not through the importer)."""

from __future__ import annotations

import io

from django.core.files.base import ContentFile
from PIL import Image

from guides.models import (
    Adaptation,
    Guide,
    OtherBook,
    Question,
    Quote,
    ReviewStatus,
    TalkingPoint,
    Theme,
    Trivia,
)


def make_guide(
    title: str = "Never Let Me Go",
    author: str = "Kazuo Ishiguro",
    *,
    published: bool = True,
    themes: tuple[str, ...] = (),
    **fields,
) -> Guide:
    status = Guide.Status.PUBLISHED if published else Guide.Status.DRAFT
    guide = Guide.objects.create(title=title, author=author, status=status, **fields)
    for name in themes:
        theme = Theme.objects.filter(name=name).first() or Theme.objects.create(name=name)
        guide.themes.add(theme)
    return guide


def png_bytes(width: int = 60, height: int = 40) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 150, 90)).save(buffer, format="PNG")
    return buffer.getvalue()


def add_illustration(guide: Guide, alt: str = "", caption: str = "") -> Guide:
    guide.illustration_alt = alt
    guide.illustration_caption = caption
    guide.illustration.save(f"{guide.slug}.png", ContentFile(png_bytes()), save=False)
    guide.save()
    return guide


def add_items(guide: Guide, per_section: int) -> None:
    """`per_section` items in each of the six lists, numbered so tests can find them."""
    for n in range(1, per_section + 1):
        Question.objects.create(guide=guide, position=n, text=f"Question {n}?")
        TalkingPoint.objects.create(guide=guide, position=n, text=f"Talking point {n}.")
        Quote.objects.create(guide=guide, position=n, text=f"Quote {n}", chapter=str(n), page=str(n * 10))
        Adaptation.objects.create(
            guide=guide, position=n, kind=Adaptation.Kind.FILM, title=f"Film {n}", year=2000 + n % 50
        )
        OtherBook.objects.create(guide=guide, position=n, title=f"Other book {n}", year=1980 + n % 40)
        Trivia.objects.create(
            guide=guide,
            position=n,
            text=f"Trivia {n}.",
            review_status=ReviewStatus.VERIFIED if n % 2 else ReviewStatus.UNVERIFIED,
        )


def make_full_guide(**kwargs) -> Guide:
    """A published guide with every section filled, like the seed page."""
    guide = make_guide(
        summary="A **quiet** novel about *memory* and loss.",
        about="Three friends grow up at Hailsham and learn what they are for.",
        themes=("Memory", "Mortality"),
        **kwargs,
    )
    Question.objects.create(guide=guide, position=1, text="What did you think of the ending?")
    Question.objects.create(guide=guide, position=2, text="Did Kathy's voice convince you?")
    TalkingPoint.objects.create(guide=guide, position=1, text="The narration is deceptively calm.")
    Quote.objects.create(guide=guide, position=1, text="We all complete.", chapter="22", page="277")
    Quote.objects.create(guide=guide, position=2, text="Memories fade surprisingly quickly.")
    Adaptation.objects.create(
        guide=guide,
        position=1,
        kind=Adaptation.Kind.FILM,
        title="Never Let Me Go",
        year=2010,
        notes="Directed by *Mark Romanek*.",
        review_status=ReviewStatus.VERIFIED,
        source_url="https://example.org/film",
    )
    OtherBook.objects.create(guide=guide, position=1, title="The Remains of the Day", year=1989)
    Trivia.objects.create(guide=guide, position=1, text="It was shortlisted for the **Booker Prize**.")
    guide.update_reading_time()
    return guide
