"""Read the plain-text guide-page layout (see demo/never-let-me-go.txt and docs/guide-format.md).

The layout is what a guide page looks like when copied as text: a heading per section, each naming the
book ("Never Let Me Go: Book Club Questions"), numbered or bulleted lists, and some boilerplate from the
page ("Want to know more?"). This module turns it into a `ParsedGuide` without touching the database;
guides.exchange validates the result against the models and writes it.

Every problem is a `GuideFormatError` whose message is one line naming the line number and section, so
an editor can find and fix the spot in the file.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = [
    "AdaptationItem",
    "GuideFormatError",
    "OtherBookItem",
    "ParsedGuide",
    "QuoteItem",
    "TextItem",
    "parse_guide",
    "parse_guide_bytes",
]


class GuideFormatError(ValueError):
    """The text is not a guide in the guide-page layout; str() is one line an editor can act on."""

    def __init__(self, problem: str, *, line: int | None = None, section: str | None = None) -> None:
        self.problem = problem
        self.line = line
        self.section = section
        where = ""
        if line is not None:
            where = f"line {line}"
            if section:
                where += f" ({section})"
        elif section:
            where = section
        message = f"{where}: {problem}" if where else problem
        # One line, whatever the user's text contained.
        super().__init__(" ".join(message.split()))


@dataclass
class TextItem:
    """A discussion question, talking point or trivia item."""

    text: str
    line: int | None = None


@dataclass
class QuoteItem:
    text: str
    chapter: str = ""
    page: str = ""
    line: int | None = None


@dataclass
class AdaptationItem:
    kind: str
    title: str = ""
    year: int | None = None
    notes: str = ""
    line: int | None = None


@dataclass
class OtherBookItem:
    title: str
    year: int | None = None
    line: int | None = None


@dataclass
class ParsedGuide:
    title: str
    author: str
    summary: str = ""
    about: str = ""
    illustration_alt: str = ""
    illustration_caption: str = ""
    themes: list[str] = field(default_factory=list)
    questions: list[TextItem] = field(default_factory=list)
    talking_points: list[TextItem] = field(default_factory=list)
    quotes: list[QuoteItem] = field(default_factory=list)
    adaptations: list[AdaptationItem] = field(default_factory=list)
    other_books: list[OtherBookItem] = field(default_factory=list)
    trivia: list[TextItem] = field(default_factory=list)
    # Where each section's heading is, for error messages about its items: section name -> line number.
    heading_lines: dict[str, int] = field(default_factory=dict)


# Section name -> the label used in error messages.
SECTION_LABELS = {
    "summary": "Summary",
    "about": "About",
    "questions": "Book Club Questions",
    "talking_points": "What to say",
    "quotes": "Quotes",
    "adaptations": "Adaptations",
    "other_books": "Other books",
    "trivia": "Did you know?",
}

# A heading is a line of its own; those that name the book capture it as "title", "Other books by"
# captures the author. A line ending in a full stop is prose, never a heading.
_HEADINGS: list[tuple[str, re.Pattern[str]]] = [
    ("summary", re.compile(r"(?P<title>.+?)\s*:\s*Summary", re.IGNORECASE)),
    ("about", re.compile(r"What\s+is\s+(?P<title>.+?)\s+about\s*\?", re.IGNORECASE)),
    ("questions", re.compile(r"(?P<title>.+?)\s*:\s*Book\s+Club\s+Questions", re.IGNORECASE)),
    ("talking_points", re.compile(r"What\s+to\s+say\s+about\s+(?P<title>.+)", re.IGNORECASE)),
    ("quotes", re.compile(r"(?:Top\s+\d+\s+)?Quotes\s+from\s+(?P<title>.+)", re.IGNORECASE)),
    ("adaptations", re.compile(r"Adaptations\s+of\s+(?P<title>.+)", re.IGNORECASE)),
    ("other_books", re.compile(r"Other\s+books\s+by\s+(?P<author>.+)", re.IGNORECASE)),
    ("trivia", re.compile(r"Did\s+you\s+know\s*\?", re.IGNORECASE)),
]
_MAX_HEADING_LENGTH = 300

_READING_TIME = re.compile(r"\d+\s*(?:min|mins|minute|minutes)\s+read", re.IGNORECASE)
_WANT_TO_KNOW_MORE = re.compile(r"Want\s+to\s+know\s+more\s*\??", re.IGNORECASE)
_EVERYTHING = re.compile(
    r"Everything\s+you\s+need\s+to\s+know\s+about\s+(?P<subject>.+?),\s+in\s+(?:1|one)\s+paragraph\.?",
    re.IGNORECASE,
)
_ILLUSTRATION = re.compile(r"An\s+illustration\s+of\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?\u2026][\"'\u201d\u2019)\]]*$")

_NUMBER_MARKER = re.compile(r"(\d{1,3})[.)]\s+")
_BULLET_MARKER = re.compile(r"[\u2022\-*\u2013]\s+")

# Opening quotation mark -> closing marks it pairs with (straight, curly, guillemets).
_QUOTE_PAIRS = {
    '"': '"',
    "\u201c": '\u201d"',
    "\u201d": "\u201d",
    "'": "'",
    "\u2018": "\u2019'",
    "\u00ab": "\u00bb",
}
_PAGE = r"(?:p\.|pp\.|page|pages)\s*(?P<page>\d[\w\-\u2013]*)"
_CHAPTER = r"(?:chapter|ch\.)\s*(?P<chapter>[\w\-\u2013]+(?:\s+[\w\-\u2013]+)?)"
# These are searched for, so each starts with (?<!\s): a match never starts inside a run of spaces (the
# run's first space gives the same match), and a long run costs linear time instead of quadratic.
_QUOTE_LOCATIONS = [
    re.compile(rf"(?<!\s)\s*\(\s*{_CHAPTER}\s*(?:,\s*{_PAGE})?\s*\)\s*$", re.IGNORECASE),
    re.compile(rf"(?<!\s)\s*\(\s*{_PAGE}\s*\)\s*$", re.IGNORECASE),
    re.compile(rf"(?<!\s)\s+[\u2014\u2013-]+\s*{_CHAPTER}\s*(?:,\s*{_PAGE})?\s*$", re.IGNORECASE),
    re.compile(rf"(?<!\s)\s+[\u2014\u2013-]+\s*{_PAGE}\s*$", re.IGNORECASE),
]

_ADAPTATION_KINDS = {
    "film": "film",
    "movie": "film",
    "feature film": "film",
    "radio": "radio",
    "radio play": "radio",
    "radio drama": "radio",
    "radio adaptation": "radio",
    "podcast": "podcast",
    "theatre": "stage",
    "theater": "stage",
    "stage": "stage",
    "play": "stage",
    "stage play": "stage",
    "stage adaptation": "stage",
    "musical": "stage",
    "opera": "stage",
    "tv": "tv",
    "television": "tv",
    "tv series": "tv",
    "television series": "tv",
    "tv film": "tv",
    "tv movie": "tv",
    "miniseries": "tv",
    "mini-series": "tv",
}
_ADAPTATION_LABEL = re.compile(r"(?P<label>[^:]{1,40}?)\s*:\s*(?P<rest>.*)", re.DOTALL)
_TITLE_AND_YEAR = re.compile(r"(?P<title>[^()]{1,200}?)\s*\((?P<year>\d{4})\)(?:\.?\s*$|\.\s+(?P<notes>.+))")
_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?!\d)")
_TRAILING_YEAR = re.compile(r"(?<!\s)\s*\((?P<year>\d{4})\)\.?\s*$")  # (?<!\s): see above
_THEMES = re.compile(
    r"\b(?:explores|examines)\s+(?:the\s+)?themes?\s+of\s+(?P<list>[^.;:!?]+)", re.IGNORECASE
)
_THEME_SPLIT = re.compile(r"\s*,\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+")
_MAX_THEME_LENGTH = 80
_INITIAL = re.compile(r"[A-Z]\.")
_AUTHOR_PARTICLES = {"de", "da", "del", "der", "di", "du", "van", "von", "le", "la", "y", "bin", "ibn"}


_STRAIGHT_QUOTES = str.maketrans("\u2019\u2018\u201c\u201d", "''\"\"")


def normalise_title(text: str) -> str:
    """The form in which two spellings of a title compare equal: straight quotes, one space, any case."""
    text = text.translate(_STRAIGHT_QUOTES)
    return " ".join(text.split()).casefold()


def parse_guide_bytes(data: bytes) -> ParsedGuide:
    return parse_guide(decode_text(data))


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without a byte-order mark) to str, refusing binary and other encodings clearly."""
    if not data:
        raise GuideFormatError("the file is empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise GuideFormatError("not UTF-8 text: the file is UTF-16; save it as UTF-8")
    if b"\x00" in data:
        raise GuideFormatError("binary data, not a text file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise GuideFormatError(
            f"not UTF-8 text: undecodable byte 0x{data[error.start]:02x} at line {line}"
        ) from None
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise GuideFormatError("the file contains only whitespace")
    return text


@dataclass
class _Heading:
    section: str
    line: int  # 1-based
    title: str | None = None
    author: str | None = None


@dataclass
class _Line:
    number: int
    text: str  # stripped


def parse_guide(text: str) -> ParsedGuide:
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise GuideFormatError("the file is empty" if not text else "the file contains only whitespace")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")

    headings: list[_Heading] = []
    for index, raw in enumerate(lines):
        heading = _match_heading(raw.strip(), index + 1)
        if heading:
            headings.append(heading)
    if not headings:
        raise GuideFormatError("no guide headings found; expected a heading like 'TITLE: Summary'")

    for index in range(headings[0].line - 1):
        stripped = lines[index].strip()
        if stripped and not _READING_TIME.fullmatch(stripped):
            raise GuideFormatError(f"text before the first heading: {_excerpt(stripped)}", line=index + 1)

    title_heading = next((h for h in headings if h.title is not None), None)
    if title_heading is None:
        raise GuideFormatError("no heading names the book; expected a heading like 'TITLE: Summary'")
    title = title_heading.title or ""
    seen: dict[str, int] = {}
    for heading in headings:
        label = SECTION_LABELS[heading.section]
        if heading.title is not None and normalise_title(heading.title) != normalise_title(title):
            raise GuideFormatError(
                f"heading names '{heading.title}' but the guide is '{title}'",
                line=heading.line,
                section=label,
            )
        if heading.section in seen:
            raise GuideFormatError(
                f"a second '{label}' heading (the first is at line {seen[heading.section]})",
                line=heading.line,
                section=label,
            )
        seen[heading.section] = heading.line

    guide = ParsedGuide(title=title, author="", heading_lines=dict(seen))
    author_from_boilerplate = ""
    for position, heading in enumerate(headings):
        end = headings[position + 1].line - 1 if position + 1 < len(headings) else len(lines)
        body = [
            _Line(number, lines[number - 1].strip())
            for number in range(heading.line + 1, end + 1)
            if not _WANT_TO_KNOW_MORE.fullmatch(lines[number - 1].strip())
        ]
        label = SECTION_LABELS[heading.section]
        if heading.section == "summary":
            author_from_boilerplate = _parse_summary(guide, body)
        elif heading.section == "about":
            guide.about = "\n\n".join(_paragraphs(body))
        elif heading.section == "questions":
            guide.questions = [TextItem(text, number) for number, text in _list_items(body, label)]
        elif heading.section == "talking_points":
            guide.talking_points = [TextItem(text, number) for number, text in _list_items(body, label)]
        elif heading.section == "quotes":
            guide.quotes = [_parse_quote(text, number) for number, text in _list_items(body, label)]
        elif heading.section == "adaptations":
            guide.adaptations = [_parse_adaptation(text, number) for number, text in _list_items(body, label)]
        elif heading.section == "other_books":
            guide.other_books = [_parse_other_book(text, number) for number, text in _list_items(body, label)]
        elif heading.section == "trivia":
            guide.trivia = [TextItem(text, number) for number, text in _list_items(body, label)]

    if not _has_content(guide):
        raise GuideFormatError(f"guide '{title}' has a title but no content")

    other_books_heading = next((h for h in headings if h.section == "other_books"), None)
    guide.author = (
        (other_books_heading.author if other_books_heading else "")
        or author_from_boilerplate
        or _author_from_illustration(guide)
    )
    if not guide.author:
        raise GuideFormatError(
            f"no author found for '{title}'; add a heading 'Other books by AUTHOR' or the line "
            f"'Everything you need to know about AUTHOR's {title}, in 1 paragraph.'"
        )
    guide.themes = _themes(guide.summary, guide.about)
    return guide


def _match_heading(line: str, number: int) -> _Heading | None:
    if not line or len(line) > _MAX_HEADING_LENGTH or line.endswith("."):
        return None
    if _NUMBER_MARKER.match(line) or _BULLET_MARKER.match(line):
        return None
    for section, pattern in _HEADINGS:
        match = pattern.fullmatch(line)
        if match:
            groups = match.groupdict()
            return _Heading(section, number, title=groups.get("title"), author=groups.get("author"))
    return None


def _excerpt(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def _paragraphs(body: list[_Line]) -> list[str]:
    """Blocks of non-blank lines, each joined into one paragraph."""
    return [" ".join(line.text for line in block) for block in _blocks(body)]


def _blocks(body: Sequence[_Line | None]) -> list[list[_Line]]:
    blocks: list[list[_Line]] = []
    current: list[_Line] = []
    for line in body:
        if line is None or not line.text:
            if current:
                blocks.append(current)
            current = []
        else:
            current.append(line)
    if current:
        blocks.append(current)
    return blocks


def _parse_summary(guide: ParsedGuide, body: list[_Line]) -> str:
    """Fill summary, alt text and caption; return the author named by the page's boilerplate, if any."""
    author = ""
    kept: list[_Line | None] = []
    index = 0
    while index < len(body):
        line = body[index]
        boilerplate = _EVERYTHING.fullmatch(line.text)
        if boilerplate:
            author = author or _author_from_subject(boilerplate["subject"], guide.title)
            kept.append(None)
        elif _ILLUSTRATION.match(line.text) and not guide.illustration_alt:
            guide.illustration_alt = line.text
            kept.append(None)
            following = body[index + 1] if index + 1 < len(body) else None
            if (
                following
                and following.number == line.number + 1
                and following.text
                and not _SENTENCE_END.search(following.text)
                and not _EVERYTHING.fullmatch(following.text)
            ):
                guide.illustration_caption = following.text
                index += 1
        else:
            kept.append(line)
        index += 1
    guide.summary = "\n\n".join(" ".join(line.text for line in block) for block in _blocks(kept))
    return author


def _author_from_subject(subject: str, title: str) -> str:
    """ "Kazuo Ishiguro's Never Let Me Go" -> "Kazuo Ishiguro"."""
    subject = " ".join(subject.split())
    wanted = normalise_title(title)
    if not normalise_title(subject).endswith(wanted):
        return ""
    owner = subject[: len(subject) - len(wanted)].rstrip()
    for suffix in ("'s", "\u2019s", "'", "\u2019"):
        if owner.endswith(suffix):
            return owner[: -len(suffix)].strip()
    return ""


def _author_from_illustration(guide: ParsedGuide) -> str:
    """The capitalised name after "TITLE by" in the caption or alt text, e.g. "… Never Let Me Go by X"."""
    wanted = normalise_title(guide.title)
    for text in (guide.illustration_caption, guide.illustration_alt):
        normal = " ".join(text.split())
        position = normalise_title(normal).find(wanted + " by ")
        if position < 0:
            continue
        words = normal[position + len(wanted) + len(" by ") :].split()
        name: list[str] = []
        for word in words:
            if _INITIAL.fullmatch(word):
                name.append(word)
                continue
            bare = word.rstrip(",;:.!?)")
            if bare[:1].isupper() or (name and bare in _AUTHOR_PARTICLES):
                name.append(bare)
                if bare != word:
                    break
            else:
                break
        while name and name[-1] in _AUTHOR_PARTICLES:
            name.pop()
        if name:
            return " ".join(name)
    return ""


def _list_items(body: list[_Line], label: str) -> list[tuple[int, str]]:
    """(line number, text) per item: numbered or bulleted, or each paragraph when there are no markers."""
    if not any(_NUMBER_MARKER.match(line.text) or _BULLET_MARKER.match(line.text) for line in body):
        return [(block[0].number, " ".join(line.text for line in block)) for block in _blocks(body)]

    items: list[list] = []  # [line number, text]
    for line in body:
        if not line.text:
            continue
        number = _NUMBER_MARKER.match(line.text)
        bullet = _BULLET_MARKER.match(line.text)
        if number:
            for text in _split_numbered(line.text, int(number.group(1))):
                items.append([line.number, text])
        elif bullet:
            items.append([line.number, line.text[bullet.end() :].strip()])
        elif items:
            items[-1][1] = f"{items[-1][1]} {line.text}"
        else:
            raise GuideFormatError(
                f"text before the first item of the list: {_excerpt(line.text)}",
                line=line.number,
                section=label,
            )
    for number, text in items:
        if not text.strip():
            raise GuideFormatError("an empty list item", line=number, section=label)
    return [(number, text.strip()) for number, text in items]


def _split_numbered(text: str, start: int) -> list[str]:
    """ "1. A 2. B" -> ["A", "B"]: splits only where the next number in sequence follows a space."""
    first = _NUMBER_MARKER.match(text)
    assert first is not None
    parts: list[str] = []
    begin = first.end()
    expected = start + 1
    while True:
        following = re.compile(rf"(?<=\s){expected}[.)]\s+").search(text, begin)
        if not following:
            parts.append(text[begin:].strip())
            return parts
        parts.append(text[begin : following.start()].strip())
        begin = following.end()
        expected += 1


def _strip_quotation_marks(text: str) -> str:
    """Remove one pair of surrounding quotation marks; a lone apostrophe at either end stays."""
    text = text.strip()
    if len(text) >= 2 and text[-1] in _QUOTE_PAIRS.get(text[0], ""):
        return text[1:-1].strip()
    return text


def _parse_quote(text: str, line: int) -> QuoteItem:
    chapter = page = ""
    for pattern in _QUOTE_LOCATIONS:
        match = pattern.search(text)
        if match:
            groups = match.groupdict()
            chapter = (groups.get("chapter") or "").strip()
            page = (groups.get("page") or "").strip()
            text = text[: match.start()]
            break
    return QuoteItem(_strip_quotation_marks(text), chapter=chapter, page=page, line=line)


def _parse_adaptation(text: str, line: int) -> AdaptationItem:
    labelled = _ADAPTATION_LABEL.fullmatch(text)
    label, rest = (labelled["label"].strip(), labelled["rest"].strip()) if labelled else ("", text)
    kind = _ADAPTATION_KINDS.get(" ".join(label.lower().split()), "other")
    if kind == "other" and not labelled:
        label = ""

    title, year, notes = "", None, rest
    titled = _TITLE_AND_YEAR.fullmatch(rest)
    if titled:
        title, year, notes = titled["title"].strip(), int(titled["year"]), (titled["notes"] or "").strip()
    else:
        found = _YEAR.search(rest)
        year = int(found.group(1)) if found else None
    if kind == "other" and label:
        notes = f"{label}: {notes}" if notes else label
    return AdaptationItem(kind=kind, title=title, year=year, notes=notes, line=line)


def _parse_other_book(text: str, line: int) -> OtherBookItem:
    match = _TRAILING_YEAR.search(text)
    if match:
        return OtherBookItem(text[: match.start()].strip(), int(match["year"]), line=line)
    return OtherBookItem(text.strip(), None, line=line)


def _themes(*texts: str) -> list[str]:
    themes: list[str] = []
    for text in texts:
        for match in _THEMES.finditer(text):
            # One space between words first: splitting a long run of spaces would take quadratic time.
            for part in _THEME_SPLIT.split(" ".join(match["list"].split())):
                theme = part.strip().lower()
                theme = theme.removeprefix("and ").removeprefix("the ").strip()
                if theme and len(theme) <= _MAX_THEME_LENGTH and theme not in themes:
                    themes.append(theme)
    return themes


def _has_content(guide: ParsedGuide) -> bool:
    return bool(
        guide.summary
        or guide.about
        or guide.illustration_alt
        or guide.questions
        or guide.talking_points
        or guide.quotes
        or guide.adaptations
        or guide.other_books
        or guide.trivia
    )
