"""Guides in and out of files: the JSON export format and imports of it or of guide-page text.

An import is validated completely before anything is written, then written in one transaction (and one
django-reversion revision, so the admin history shows it). Importing a guide whose slug exists updates
that guide in place: rows whose identifying text is unchanged are kept, with their ids and review status,
so an editor's verification work survives a re-import. docs/guide-format.md describes both formats.
"""

from __future__ import annotations

import base64
import binascii
import json
import posixpath
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import reversion
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, models, transaction
from django.utils.text import slugify

from guides.images import CheckedImage, ImageRefused, check_image
from guides.models import SECTION_MODELS, Guide, GuideItem, Theme
from guides.parsing import SECTION_LABELS, GuideFormatError, ParsedGuide, decode_text, parse_guide

FORMAT = "bookclub-guide"
VERSION = 1
REVISION_COMMENT = "Imported from file"
ILLUSTRATION_DIRECTORY = "illustrations"

GUIDE_FIELDS = (
    "title",
    "author",
    "slug",
    "status",
    "summary",
    "about",
    "illustration_alt",
    "illustration_caption",
)
# The fields of each list item, in export order. Ids, positions and timestamps are not part of a guide's
# content: positions are the order of the list, ids belong to the database the guide lives in.
ITEM_FIELDS: dict[str, tuple[str, ...]] = {
    "questions": ("text",),
    "talking_points": ("text",),
    "quotes": ("text", "chapter", "page"),
    "adaptations": ("kind", "title", "year", "notes", "review_status", "source_url"),
    "other_books": ("title", "year", "review_status", "source_url"),
    "trivia": ("text", "review_status", "source_url"),
}
# What makes an imported item "the same" as an existing row, so the row (and its review) is kept.
IDENTITY_FIELDS: dict[str, tuple[str, ...]] = {
    "questions": ("text",),
    "talking_points": ("text",),
    "quotes": ("text",),
    "adaptations": ("kind", "title", "notes"),
    "other_books": ("title",),
    "trivia": ("text",),
}
_TOP_LEVEL_KEYS = ("format", "version", *GUIDE_FIELDS, "themes", "illustration", *ITEM_FIELDS)
_COUNT_NAMES = {
    "questions": ("question", "questions"),
    "talking_points": ("talking point", "talking points"),
    "quotes": ("quote", "quotes"),
    "adaptations": ("adaptation", "adaptations"),
    "other_books": ("other book", "other books"),
    "trivia": ("trivia item", "trivia items"),
}


class GuideImportError(Exception):
    """A file that cannot be imported; str() is one line saying why, and nothing was written."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))


class GuideExportError(Exception):
    """A guide that cannot be exported, e.g. because its illustration file is missing from storage."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))


@dataclass
class ImportResult:
    guide: Guide
    created: bool
    counts: dict[str, int]
    added: int = 0
    removed: int = 0

    @property
    def message(self) -> str:
        counts = ", ".join(
            f"{n} {_COUNT_NAMES[name][0] if n == 1 else _COUNT_NAMES[name][1]}"
            for name, n in self.counts.items()
        )
        if self.created:
            return f"Imported '{self.guide.title}' (created, {self.guide.status}, {counts})"
        return (
            f"Updated '{self.guide.title}' ({self.guide.status}, {counts}; "
            f"{self.added} items added, {self.removed} removed)"
        )


# --- export -------------------------------------------------------------------------------------------


def export_guide(guide: Guide) -> str:
    sections = guide.load_sections()
    data: dict[str, Any] = {"format": FORMAT, "version": VERSION}
    for name in GUIDE_FIELDS:
        data[name] = getattr(guide, name)
    data["themes"] = list(guide.themes.order_by("name").values_list("name", flat=True))
    data["illustration"] = _export_illustration(guide)
    for name, fields in ITEM_FIELDS.items():
        data[name] = [{f: getattr(item, f) for f in fields} for item in getattr(sections, name)]
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _export_illustration(guide: Guide) -> dict[str, str] | None:
    name = guide.illustration.name
    if not name:
        return None
    try:
        with guide.illustration.storage.open(name, "rb") as file:
            raw = file.read()
    except OSError as error:
        raise GuideExportError(
            f"the illustration file {name!r} of '{guide.title}' cannot be read: {error.strerror or error}"
        ) from None
    return {"filename": posixpath.basename(name), "data": base64.b64encode(raw).decode()}


# --- import -------------------------------------------------------------------------------------------


class _Unchanged:
    """The source says nothing about the illustration (guide-page text): keep whatever the guide has."""


@dataclass
class _Illustration:
    image: CheckedImage

    @property
    def storage_name(self) -> str:
        # Our name, never the file's own (guides/images.py): content-addressed, so importing the same
        # image twice reuses one file and export -> import -> export keeps the name.
        return f"{ILLUSTRATION_DIRECTORY}/{self.image.file_name}"

    @property
    def raw(self) -> bytes:
        return self.image.raw


@dataclass
class _Plan:
    """Everything an import will write, already checked."""

    fields: dict[str, str]
    themes: list[str]
    replace_themes: bool
    sections: dict[str, list[dict[str, Any]]]
    # For error messages: where each guide field and item came from ("line 18 (Book Club Questions)").
    field_places: dict[str, str] = field(default_factory=dict)
    item_places: dict[str, list[str]] = field(default_factory=dict)
    illustration: _Illustration | type[_Unchanged] | None = _Unchanged


def import_guide(data: bytes, *, draft: bool = False) -> ImportResult:
    plan = _plan(data)
    if draft:
        plan.fields["status"] = Guide.Status.DRAFT
    _validate(plan)
    try:
        with transaction.atomic(), reversion.create_revision():
            reversion.set_comment(REVISION_COMMENT)
            return _write(plan)
    except IntegrityError:
        raise GuideImportError(
            f"another guide with slug '{plan.fields['slug']}' was saved at the same time; import again"
        ) from None


def _plan(data: bytes) -> _Plan:
    try:
        text = decode_text(data)
    except GuideFormatError as error:
        raise GuideImportError(str(error)) from None
    if text.lstrip().startswith("{"):
        return _plan_from_json(text)
    try:
        parsed = parse_guide(text)
    except GuideFormatError as error:
        raise GuideImportError(str(error)) from None
    return _plan_from_text(parsed)


def _plan_from_text(parsed: ParsedGuide) -> _Plan:
    fields = {name: getattr(parsed, name) for name in GUIDE_FIELDS if hasattr(parsed, name)}
    fields["slug"] = slugify(parsed.title)[:200]
    fields["status"] = Guide.Status.PUBLISHED
    heading = {name: f"line {line} ({SECTION_LABELS[name]})" for name, line in parsed.heading_lines.items()}
    first_heading = min(parsed.heading_lines.values(), default=1)
    field_places = {name: f"line {first_heading}" for name in ("title", "slug", "status")}
    field_places["author"] = heading.get("other_books", heading.get("summary", ""))
    for name in ("summary", "illustration_alt", "illustration_caption"):
        field_places[name] = heading.get("summary", "")
    field_places["about"] = heading.get("about", "")

    sections: dict[str, list[dict[str, Any]]] = {}
    places: dict[str, list[str]] = {}
    for name, fields_of_item in ITEM_FIELDS.items():
        items = getattr(parsed, name)
        # The layout has no review status or source link, so they are left out and stay as they are.
        carried = [f for f in fields_of_item if f not in ("review_status", "source_url")]
        sections[name] = [{f: getattr(item, f) for f in carried} for item in items]
        places[name] = [f"line {item.line} ({SECTION_LABELS[name]})" for item in items]
    return _Plan(
        fields=fields,
        themes=list(parsed.themes),
        replace_themes=False,
        sections=sections,
        field_places=field_places,
        item_places=places,
    )


def _plan_from_json(text: str) -> _Plan:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise GuideImportError(
            f"not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}"
        ) from None
    except RecursionError:  # lists or objects nested thousands deep; no guide looks like that
        raise GuideImportError("not valid JSON: nested too deeply") from None
    if not isinstance(data, dict):
        raise GuideImportError(f'JSON: expected an object with "format": "{FORMAT}"')
    if "format" not in data:
        raise GuideImportError(f'JSON: missing key \'format\' (expected "format": "{FORMAT}")')
    if data["format"] != FORMAT:
        raise GuideImportError(f"JSON: 'format' is {json.dumps(data['format'])}, expected \"{FORMAT}\"")
    if "version" not in data:
        raise GuideImportError("JSON: missing key 'version'")
    if type(data["version"]) is not int or data["version"] != VERSION:
        raise GuideImportError(
            f"JSON: unsupported 'version' {json.dumps(data['version'])}; this app reads version {VERSION}"
        )
    _check_keys(data, _TOP_LEVEL_KEYS, "JSON")

    fields: dict[str, str] = {}
    for name in GUIDE_FIELDS:
        fields[name] = _string(data[name], f"JSON key '{name}'")
    fields["slug"] = fields["slug"] or slugify(fields["title"])[:200]

    themes = data["themes"]
    if not isinstance(themes, list):
        raise GuideImportError("JSON key 'themes': expected a list of theme names")
    themes = [_string(name, f"JSON key 'themes', item {index}") for index, name in enumerate(themes, 1)]

    sections: dict[str, list[dict[str, Any]]] = {}
    places: dict[str, list[str]] = {}
    for name, item_fields in ITEM_FIELDS.items():
        items = data[name]
        if not isinstance(items, list):
            raise GuideImportError(f"JSON key '{name}': expected a list")
        sections[name], places[name] = [], []
        for index, item in enumerate(items, 1):
            where = f"JSON key '{name}', item {index}"
            if not isinstance(item, dict):
                raise GuideImportError(f"{where}: expected an object")
            _check_keys(item, item_fields, where)
            values: dict[str, Any] = {}
            for key in item_fields:
                if key == "year":
                    values[key] = _year(item[key], f"{where}, key 'year'")
                else:
                    values[key] = _string(item[key], f"{where}, key '{key}'")
            sections[name].append(values)
            places[name].append(where)

    return _Plan(
        fields=fields,
        themes=themes,
        replace_themes=True,
        sections=sections,
        field_places={name: f"JSON key '{name}'" for name in GUIDE_FIELDS},
        item_places=places,
        illustration=_json_illustration(data["illustration"]),
    )


def _check_keys(data: dict[str, Any], expected: tuple[str, ...], where: str) -> None:
    missing = [key for key in expected if key not in data]
    if missing:
        raise GuideImportError(f"{where}: missing key '{missing[0]}'")
    unknown = [key for key in data if key not in expected]
    if unknown:
        raise GuideImportError(f"{where}: unknown key '{unknown[0]}'")


def _string(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise GuideImportError(f"{where}: expected a string, got {json.dumps(value)[:40]}")
    # JSON escapes can spell what no text column holds: NUL (PostgreSQL refuses it) and half of a
    # UTF-16 surrogate pair (not a character; it cannot be encoded for the database).
    if "\x00" in value:
        raise GuideImportError(f"{where}: contains a NUL character (\\u0000)")
    try:
        value.encode()
    except UnicodeEncodeError as error:
        raise GuideImportError(
            f"{where}: contains \\u{ord(value[error.start]):04x}, half of a surrogate pair, not a character"
        ) from None
    return value


def _year(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if type(value) is not int or not 1 <= value <= 9999:
        raise GuideImportError(f"{where}: expected a year such as 2010 or null, got {json.dumps(value)[:40]}")
    return value


def _json_illustration(value: Any) -> _Illustration | None:
    where = "JSON key 'illustration'"
    if value is None:
        return None
    if not isinstance(value, dict):
        raise GuideImportError(f'{where}: expected null or {{"filename": ..., "data": ...}}')
    _check_keys(value, ("filename", "data"), where)
    filename = _string(value["filename"], f"{where}, key 'filename'")
    encoded = _string(value["data"], f"{where}, key 'data'")
    # The file name is kept in the format for people reading an export; it never names a stored file.
    shown = repr(posixpath.basename(filename.replace("\\", "/"))[:80])
    if len(encoded) > settings.MAX_ILLUSTRATION_BYTES * 4 // 3 + 4:
        raise GuideImportError(
            f"{where}: the image is larger than {settings.MAX_ILLUSTRATION_BYTES} bytes, the limit"
        )
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise GuideImportError(f"{where}: 'data' is not valid base64") from None
    try:
        checked = check_image(raw)
    except ImageRefused as refusal:
        if refusal.code == "invalid_image":
            raise GuideImportError(f"{where}: {shown} is not an image file this app can read") from None
        raise GuideImportError(f"{where}: {shown}: {refusal}") from None
    return _Illustration(checked)


def _validate(plan: _Plan) -> None:
    """Check every value against the models, so that writing cannot fail half-way on bad data."""
    if not plan.fields["slug"]:
        place = plan.field_places.get("title", "")
        problem = f"the title {plan.fields['title']!r} has no letters or digits to make a slug from"
        raise GuideImportError(f"{place}: {problem}" if place else problem)
    guide = Guide(**plan.fields)
    _clean(guide, exclude=["illustration"], where_for=plan.field_places)
    for name, items in plan.sections.items():
        model = SECTION_MODELS[name]
        for values, where in zip(items, plan.item_places[name], strict=True):
            if "year" in values and values["year"] is not None and not 1 <= values["year"] <= 9999:
                raise GuideImportError(f"{where}: year {values['year']} is not a year")
            _clean(model(**values), exclude=["guide"], where=where)
    for name in plan.themes:
        if not name.strip() or not slugify(name):
            raise GuideImportError(f"theme {name!r} has no letters or digits")
        _clean(Theme(name=name, slug=slugify(name)[:80]), exclude=["slug"], where=f"theme {name!r}")


def _clean(
    instance: models.Model, *, exclude: list[str], where: str = "", where_for: dict[str, str] | None = None
) -> None:
    try:
        instance.clean_fields(exclude=exclude)
    except ValidationError as error:
        name, messages = next(iter(error.message_dict.items()))
        place = where or (where_for or {}).get(name, "")
        field = instance._meta.get_field(name)
        label = field.verbose_name if isinstance(field, models.Field) else name
        message = f"{label}: {messages[0]}"
        raise GuideImportError(f"{place}: {message}" if place else message) from None


def _write(plan: _Plan) -> ImportResult:
    guide = Guide.objects.select_for_update().filter(slug=plan.fields["slug"]).first()
    created = guide is None
    if guide is None:
        guide = Guide()
    for name, value in plan.fields.items():
        setattr(guide, name, value)
    if plan.illustration is None:
        guide.illustration = ""
    elif isinstance(plan.illustration, _Illustration):
        guide.illustration.name = plan.illustration.storage_name
    guide.save()

    existing = guide.load_sections() if not created else None
    added = removed = 0
    for name, items in plan.sections.items():
        rows = getattr(existing, name) if existing else []
        item_added, item_removed = _sync_section(guide, name, items, rows)
        added += item_added
        removed += item_removed

    guide.update_reading_time()
    themes = [_theme(name) for name in plan.themes]
    if plan.replace_themes:
        guide.themes.set(themes)
    else:
        guide.themes.add(*themes)

    if isinstance(plan.illustration, _Illustration):
        _store_illustration(guide, plan.illustration)
    _record_revision(guide)
    return ImportResult(
        guide=guide,
        created=created,
        counts={name: len(items) for name, items in plan.sections.items()},
        added=added,
        removed=removed,
    )


def _sync_section(
    guide: Guide, name: str, items: list[dict[str, Any]], rows: list[GuideItem]
) -> tuple[int, int]:
    """Make the guide's list `name` equal `items`, keeping the rows whose identifying text is unchanged."""
    model = SECTION_MODELS[name]
    identity = IDENTITY_FIELDS[name]
    unclaimed: dict[tuple, list[GuideItem]] = defaultdict(list)
    for row in rows:
        unclaimed[tuple(getattr(row, f) for f in identity)].append(row)

    kept: list[GuideItem] = []
    new: list[GuideItem] = []
    for position, values in enumerate(items, 1):
        matches = unclaimed.get(tuple(values[f] for f in identity))
        if matches:
            row = matches.pop(0)
            for key, value in values.items():
                setattr(row, key, value)
            row.position = position
            kept.append(row)
        else:
            # Fields the source does not carry (review status, source link) take the model's defaults:
            # a new claim starts unverified.
            row = model(position=position, **values)
            row.guide = guide
            new.append(row)

    gone = [row.pk for group in unclaimed.values() for row in group]
    if gone:
        model.objects.filter(pk__in=gone).delete()
    if kept:
        model.objects.bulk_update(kept, ["position", *sorted({key for values in items for key in values})])
    if new:
        model.objects.bulk_create(new)
    return len(new), len(gone)


def _record_revision(guide: Guide) -> None:
    """Put the guide and its items, as they are now, into the revision.

    Reversion serialises an object when it is saved; the items are written in bulk and the reading time
    with an UPDATE, so without this the revision would hold the guide as it was before the import.
    """
    if not (reversion.is_active() and reversion.is_registered(Guide)):
        return
    reversion.add_to_revision(guide)
    for item in guide.load_sections().all_items():
        if reversion.is_registered(type(item)):
            reversion.add_to_revision(item)


def _theme(name: str) -> Theme:
    name = " ".join(name.split())
    theme = Theme.objects.filter(name__iexact=name).first()
    if theme is None:
        # Two names can share a slug ("value of life", "value-of-life"); the slug is unique, so reuse.
        theme = Theme.objects.filter(slug=slugify(name)[:80]).first()
    if theme is None:
        theme = Theme.objects.create(name=name)
    return theme


def _store_illustration(guide: Guide, illustration: _Illustration) -> None:
    storage = guide.illustration.storage
    name = illustration.storage_name
    try:
        if storage.exists(name):
            return
        saved = storage.save(name, ContentFile(illustration.raw))
    except OSError as error:
        raise GuideImportError(f"the illustration could not be stored: {error.strerror or error}") from None
    if saved != name:
        # Another import stored the same name a moment ago under a variant; point at what was saved.
        Guide.objects.filter(pk=guide.pk).update(illustration=saved)
        guide.illustration.name = saved


__all__ = [
    "FORMAT",
    "VERSION",
    "GuideExportError",
    "GuideImportError",
    "ImportResult",
    "export_guide",
    "import_guide",
]
