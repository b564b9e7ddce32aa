"""Writing a club's own guides: create, change, and put back an earlier version.

Every save is one transaction and one django-reversion revision of the whole guide (its lists follow it,
as in the admin), so a host's History page can revert to any earlier state, items included. Rows whose
text is unchanged are kept, so a meeting's copy of a question keeps pointing at its source.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

import reversion
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from reversion.models import Version

from guides.club_forms import GuideContent
from guides.models import SECTION_MODELS, Guide, GuideItem, OtherBook, Question, Quote, ReadAlike

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# Registered here as well as in guides.admin (whichever is imported first): the host's pages must not
# depend on the admin having been loaded.
for _model in (*SECTION_MODELS.values(), ReadAlike):
    if not reversion.is_registered(_model):
        reversion.register(_model)
if not reversion.is_registered(Guide):
    reversion.register(Guide, follow=(*SECTION_MODELS, "further_reading"))


def save_guide(
    content: GuideContent,
    *,
    by: User | None,
    club=None,
    guide: Guide | None = None,
    cover: UploadedFile | None = None,
    cover_alt: str | None = None,
    remove_cover: bool = False,
    comment: str = "",
) -> Guide:
    """Create a club's guide (`club`) or change one (`guide`) to hold `content`."""
    with transaction.atomic(), reversion.create_revision():
        reversion.set_user(by)
        if guide is None:
            guide = Guide(club=club, status=Guide.Status.DRAFT)
            reversion.set_comment(comment or "Created")
        else:
            guide = Guide.objects.select_for_update().get(pk=guide.pk)
            reversion.set_comment(comment or "Changed")
        guide.title = content.title
        guide.author = content.author
        guide.summary = content.summary
        guide.about_author = content.about_author
        guide.has_spoilers = content.has_spoilers
        if remove_cover:
            guide.illustration = ""
            guide.illustration_alt = ""
        if cover is not None:
            # The cover form's check renames every upload (guides/images.py), so it always has a name.
            guide.illustration.save(cover.name or "cover", cover, save=False)
        if cover_alt is not None and (cover is not None or guide.illustration):
            guide.illustration_alt = cover_alt.strip()
        guide.save()
        _sync(guide, Question, [{"text": text} for text in content.questions], ("text",))
        _sync(guide, Quote, [{"text": text} for text in content.quotes], ("text",))
        _sync(
            guide,
            ReadAlike,
            [{"title": title, "author": author} for title, author in content.further_reading],
            ("title", "author"),
        )
        _sync(
            guide,
            OtherBook,
            [{"title": title, "year": year} for title, year in content.other_books],
            ("title",),
        )
        guide.update_reading_time()
        record_revision(guide)
    return guide


def _sync(
    guide: Guide, model: type[GuideItem], items: list[dict[str, Any]], identity: tuple[str, ...]
) -> None:
    """Make the guide's list of `model` equal `items`, keeping the rows whose identity is unchanged."""
    unclaimed: dict[tuple, list] = defaultdict(list)
    for row in model.objects.filter(guide=guide).order_by("position", "pk"):
        unclaimed[tuple(getattr(row, name) for name in identity)].append(row)
    kept, new = [], []
    for position, values in enumerate(items, start=1):
        matches = unclaimed.get(tuple(values[name] for name in identity))
        if matches:
            row = matches.pop(0)
            for key, value in values.items():
                setattr(row, key, value)
            row.position = position
            kept.append(row)
        else:
            row = model(position=position, **values)
            row.guide = guide
            new.append(row)
    gone = [row.pk for rows in unclaimed.values() for row in rows]
    if gone:
        model.objects.filter(pk__in=gone).delete()
    if kept:
        model.objects.bulk_update(kept, ["position", *items[0].keys()])
    if new:
        model.objects.bulk_create(new)


def record_revision(guide: Guide) -> None:
    """Put the guide and all its items, as they are now, into the revision (bulk writes send no signals
    that reversion would see)."""
    reversion.add_to_revision(guide)
    for item in guide.load_sections().all_items():
        reversion.add_to_revision(item)
    for item in guide.further_reading.all():
        reversion.add_to_revision(item)


def history(guide: Guide) -> list[Version]:
    """The guide's saved versions, newest first, with who saved them."""
    return list(
        Version.objects.get_for_object(guide).select_related("revision", "revision__user").order_by("-pk")
    )


def revert(guide: Guide, version: Version, *, by: User) -> None:
    """Put the guide and its lists back as they were in `version`, as a new revision of its own."""
    with transaction.atomic(), reversion.create_revision():
        reversion.set_user(by)
        when = version.revision.date_created
        reversion.set_comment(f"Reverted to the version of {when:%Y-%m-%d %H:%M} UTC")
        version.revision.revert(delete=True)
        guide = Guide.objects.get(pk=guide.pk)
        guide.update_reading_time()
        record_revision(guide)


def copy_to_library(guide: Guide) -> Guide:
    """A draft copy of a club's guide in the public library, for staff to check and publish."""
    with transaction.atomic(), reversion.create_revision():
        reversion.set_comment(f"Copied from a club's guide (#{guide.pk})")
        copy = Guide.objects.create(
            title=guide.title,
            author=guide.author,
            slug=Guide.unique_slug(guide.title),
            summary=guide.summary,
            about=guide.about,
            about_author=guide.about_author,
            has_spoilers=guide.has_spoilers,
            illustration=guide.illustration.name if guide.illustration else "",
            illustration_alt=guide.illustration_alt,
            illustration_caption=guide.illustration_caption,
            status=Guide.Status.DRAFT,
        )
        sections = guide.load_sections()
        for name, model in SECTION_MODELS.items():
            rows = []
            for item in getattr(sections, name):
                values = {f.attname: getattr(item, f.attname) for f in model._meta.concrete_fields}
                values.pop("id")
                values["guide_id"] = copy.pk
                rows.append(model(**values))
            model.objects.bulk_create(rows)
        ReadAlike.objects.bulk_create(
            ReadAlike(guide=copy, position=item.position, title=item.title, author=item.author)
            for item in guide.further_reading.all()
        )
        copy.themes.set(guide.themes.all())
        copy.update_reading_time()
        record_revision(copy)
    return copy
