"""Recognise a reading guide in the layouts real guides come in, whatever file they came from.

Publishers' reader's guides, library book-club kits, web pages and a club's own notes share a vocabulary:
headings such as "About the Book" or "Questions for Discussion", numbered or bulleted questions, and the
noise of the page they were on (page numbers, running headers, ISBN and price lines, navigation). This
module takes `SourceLine`s (guides.readers) and returns one `DraftGuide` per book: a brochure holding
several guides gives several. Nothing here touches the database; a draft is shown to the host, who
corrects it and saves it (guides.club_forms).

Whatever cannot be placed in a section is kept in `not_placed`, never dropped, so the host can move it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from guides.parsing import GuideFormatError, ParsedGuide, _strip_quotation_marks, parse_guide
from guides.readers import GuideReadError, SourceLine, lines_of

# Section name -> how the preview counts it (singular, plural).
SECTION_COUNT_NAMES = {
    "questions": ("question", "questions"),
    "summary": ("about-the-book", "about-the-book"),
    "about_author": ("about-the-author", "about-the-author"),
    "quotes": ("quote", "quotes"),
    "further_reading": ("further-reading title", "further-reading titles"),
    "other_books": ("other book by the author", "other books by the author"),
}
SECTION_LABELS = {
    "questions": "Discussion questions",
    "summary": "About the book",
    "about_author": "About the author",
    "quotes": "Quotes",
    "further_reading": "Further reading",
    "other_books": "Other books by the author",
}

_ARTICLE = r"(?:the\s+|this\s+|our\s+)?"
_SECTION_HEADINGS: list[tuple[str, re.Pattern[str]]] = [
    (
        "questions",
        re.compile(
            r"(?:(?:suggested|some|a\s+few)\s+)?(?:"
            r"questions?\s+(?:and|&)\s+topics?\s+for\s+discussion|topics?\s+(?:and|&)\s+questions?\s+for\s+"
            r"discussion|(?:discussion|reading\s+group|book\s+club|group|study)\s+questions|questions?\s+for\s+"
            r"(?:discussion|readers|reflection|your\s+(?:book\s+club|group|discussion))|topics?\s+for\s+"
            r"discussion|discussion\s+(?:points|topics|prompts)|questions|for\s+discussion|discussion)"
            r"(?:\s+(?:for|on|about)\s+[^:?]{1,120})?",
            re.IGNORECASE,
        ),
    ),
    (
        "summary",
        re.compile(
            rf"(?:about\s+{_ARTICLE}(?:book|novel|story)|introduction|(?:plot\s+|book\s+)?summary|synopsis|"
            rf"overview|in\s+brief)(?:\s+(?:to|of)\s+[^:?]{{1,120}})?",
            re.IGNORECASE,
        ),
    ),
    (
        "about_author",
        re.compile(
            r"(?i:(?:about|meet)\s+the\s+(?:author|writer)s?|(?:the\s+)?author(?:'s|\u2019s)?\s+"
            r"(?:biography|bio|note)|biography)"
            r"|(?i:about|meet)\s+(?!(?i:this|the|our|your|us)\b)[A-Z][\w.'\u2019-]+(?:\s+[A-Z][\w.'\u2019-]+){0,3}",
        ),
    ),
    (
        "quotes",
        re.compile(
            r"(?:(?:top\s+\d+|notable|favou?rite|memorable|key|selected)\s+)?(?:quotes|quotations|passages)"
            r"(?:\s+(?:from|to\s+discuss)\s+[^:?]{1,120})?",
            re.IGNORECASE,
        ),
    ),
    (
        "further_reading",
        re.compile(
            r"further\s+reading|read[\s-]?alikes|suggested\s+(?:further\s+)?reading|recommended\s+reading|"
            r"(?:if\s+you\s+(?:liked|enjoyed)|you\s+might\s+also\s+(?:like|enjoy)|what\s+to\s+read\s+next"
            r"|books?\s+like\s+this).{0,120}",
            re.IGNORECASE,
        ),
    ),
    (
        "other_books",
        re.compile(
            r"(?:other\s+(?:books|works|titles)|also|more)\s+by\s+[^:?]{1,120}|(?:other|more)\s+books\s+from\s+.+",
            re.IGNORECASE,
        ),
    ),
]
_SPOILER = re.compile(
    r"(?:\W*(?:spoiler\s+(?:warning|alert)|warning\W+(?:this\s+guide\s+)?(?:contains|has|reveals)\s+"
    r"(?:plot\s+)?spoilers)|.{0,80}\bcontains?\s+(?:major\s+|plot\s+)?spoilers\b).{0,200}",
    re.IGNORECASE,
)

_MAX_HEADING = 140
_WORD_NUMBERS = [
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
]
_ITEM_MARKER = re.compile(
    r"^(?:"
    r"(?P<number>\d{1,3})\s*[.):]\s+"
    r"|(?:Q|Question)\s*\.?\s*(?P<q>\d{1,3})\s*[.):\-\u2013\u2014]?\s+"
    r"|(?P<word>" + "|".join(_WORD_NUMBERS) + r")\s*[.):\u2014\u2013-]\s+"
    r"|[\u2022\u25cf\u25aa\u25a0\u25e6\u2023\u2043\u00b7*\-\u2013\u2014>]\s+"
    r")",
    re.IGNORECASE,
)
_SUB_MARKER = re.compile(r"^\(?(?P<letter>[a-hA-H])[.)]\s+")
_INLINE_NUMBER = r"(?<=[?.!\u201d\"')])\s+{n}[.)]\s+"

_PAGE_NUMBER = re.compile(
    r"(?:page\s+)?\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?|[-\u2013\u2014]\s*\d{1,4}\s*[-\u2013\u2014]|[ivxlc]{1,6}",
    re.IGNORECASE,
)
_ISBN = re.compile(r"\bISBN(?:-?1[03])?\b|\b97[89][-\s]?\d[-\s\d]{9,15}\d\b", re.IGNORECASE)
_PRICE = re.compile(
    r"(?:\b(?:US|CAN|CA|AU|NZ)\s?)?[$\u00a3\u20ac]\s?\d{1,4}[.,]\d{2}\b|\b\d{1,4}[.,]\d{2}\s?(?:USD|EUR|GBP)\b"
    r"|\bprice\s*:",
    re.IGNORECASE,
)
_NAVIGATION = {
    "home",
    "menu",
    "search",
    "skip to content",
    "skip to main content",
    "skip navigation",
    "share",
    "share this",
    "share this page",
    "print",
    "print this page",
    "email",
    "back to top",
    "top",
    "next",
    "previous",
    "next page",
    "previous page",
    "continue reading",
    "read more",
    "subscribe",
    "sign in",
    "log in",
    "login",
    "sign up",
    "register",
    "cart",
    "my account",
    "facebook",
    "twitter",
    "instagram",
    "pinterest",
    "tweet",
    "advertisement",
    "related posts",
    "related articles",
    "leave a comment",
    "comments",
    "accept cookies",
    "buy now",
    "add to cart",
    "contents",
    "table of contents",
}
_BREADCRUMB = re.compile(r".{1,40}(?:\s[>\u203a\u00bb/|]\s.{1,40}){1,6}")
_WEB_ADDRESS = re.compile(r"(?:https?://|www\.)\S+|\S+\.(?:com|org|net|co\.uk|example)(?:/\S*)?\b")
_RULE = re.compile(r"[=\-_*~.\u2014\u2013\u2500 ]{3,}")
_DECORATION = "\u00bb\u00ab\u203a\u2039\u2192\u2190|:\u2022 "

_BY_AUTHOR = re.compile(
    r"(?i:by|written\s+by)\s+(?P<author>[A-Z][\w.'\u2019-]*(?:[\s,]+[A-Z&][\w.'\u2019-]*){0,4})"
)
_TITLE_BY_AUTHOR = re.compile(
    r"(?P<title>[^?!]{1,160}?)\s*[,:\u2014\u2013-]?\s+"
    r"(?i:by|written\s+by)\s+(?P<author>[A-Z][\w.'\u2019-]*(?:[\s,]+(?:[A-Z&][\w.'\u2019-]*|de|van|von|le|la))"
    r"{0,5})"
)
_GUIDE_TITLE_PREFIX = re.compile(
    r"^(?:an?\s+|the\s+)?(?:(?:reader(?:'s|s|\u2019s)|reading\s+group|book\s*club|discussion|teacher(?:'s|\u2019s)"
    r"|study|big\s+read|library)\s+)+(?:guide|kit|companion|notes|questions)\s*(?:to|for|on|:|\u2014|-)?\s*",
    re.IGNORECASE,
)
_LABELLED = re.compile(r"(?P<label>title|book|author|written\s+by)\s*:\s*(?P<value>.+)", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?\u2026:][\"'\u201d\u2019)\]]*$")


@dataclass
class DraftGuide:
    """One book's guide as read from a file, for the host to check before anything is saved."""

    title: str = ""
    author: str = ""
    summary: list[str] = field(default_factory=list)  # paragraphs
    about_author: list[str] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    quotes: list[str] = field(default_factory=list)
    further_reading: list[tuple[str, str]] = field(default_factory=list)  # (title, author)
    other_books: list[str] = field(default_factory=list)
    not_placed: list[str] = field(default_factory=list)
    has_spoilers: bool = False

    def counts(self) -> dict[str, int]:
        return {name: len(getattr(self, name)) for name in SECTION_COUNT_NAMES if getattr(self, name)}

    def counts_text(self) -> str:
        parts = []
        for name, count in self.counts().items():
            singular, plural = SECTION_COUNT_NAMES[name]
            if name in ("summary", "about_author"):
                parts.append(f"1 {singular}")
            else:
                parts.append(f"{count} {singular if count == 1 else plural}")
        return ", ".join(parts) or "nothing recognised yet"

    @property
    def is_empty(self) -> bool:
        return not (self.counts() or self.not_placed)


def read_guides(lines: list[SourceLine]) -> list[DraftGuide]:
    """Every book's guide in the lines, in the order they come."""
    seed = _seed_layout(lines)
    if seed is not None:
        return [seed]
    cleaned = clean(lines)
    if not any(line.text for line in cleaned):
        raise GuideReadError("The file has no guide text in it, only page furniture.")
    drafts = [_read_book(chunk) for chunk in _split_books(cleaned)]
    drafts = [draft for draft in drafts if not draft.is_empty]
    if not drafts:
        raise GuideReadError("No guide text was found in the file.")
    return drafts


def read_pasted(text: str) -> list[DraftGuide]:
    if not text.strip():
        raise GuideReadError("Paste the guide's text, or its questions, first.")
    return read_guides(lines_of(text))


# ---------- The seed layout ----------


def _seed_layout(lines: list[SourceLine]) -> DraftGuide | None:
    """The guide-page layout of demo/never-let-me-go.txt keeps its own reader (guides.parsing)."""
    try:
        parsed = parse_guide("\n".join(line.text for line in lines))
    except GuideFormatError:
        return None
    return _from_parsed(parsed)


def _from_parsed(parsed: ParsedGuide) -> DraftGuide:
    draft = DraftGuide(title=parsed.title, author=parsed.author)
    draft.summary = [p for p in (parsed.summary.split("\n\n") if parsed.summary else [])]
    draft.questions = [item.text for item in parsed.questions]
    draft.quotes = [item.text for item in parsed.quotes]
    draft.other_books = [f"{b.title} ({b.year})" if b.year else b.title for b in parsed.other_books]
    if parsed.about:
        draft.not_placed.extend(parsed.about.split("\n\n"))
    draft.not_placed.extend(item.text for item in parsed.talking_points)
    draft.not_placed.extend(item.text for item in parsed.trivia)
    return draft


# ---------- Noise ----------


def clean(lines: list[SourceLine]) -> list[SourceLine]:
    """Drop page numbers, running headers, ISBN and price lines and navigation; mend line-end hyphens."""
    running = _running_headers(lines)
    kept: list[SourceLine] = []
    for line in lines:
        text = " ".join(line.text.replace("\u00ad", "").replace("\ufeff", "").split())
        heading = line.heading
        markdown = re.match(r"#{1,6}\s+", text)
        if markdown:
            text, heading = text[markdown.end() :].strip(" #"), True
        if not text:
            kept.append(SourceLine("", page=line.page))
            continue
        if _is_noise(text) or (line.page is not None and _page_key(text) in running):
            continue
        kept.append(SourceLine(text, heading=heading, page=line.page, list_item=line.list_item))
    return _mend_hyphens(kept)


def _is_noise(text: str) -> bool:
    if _PAGE_NUMBER.fullmatch(text) or _RULE.fullmatch(text):
        return True
    if _ISBN.search(text) and len(text) < 120:
        return True
    if _PRICE.search(text) and len(text) < 120 and not text.endswith("?"):
        return True
    if _WEB_ADDRESS.search(text) and len(text) < 100 and not looks_like_question(text):
        return True
    bare = text.strip(_DECORATION).casefold()
    if bare in _NAVIGATION:
        return True
    words = [word.strip(_DECORATION) for word in bare.split()]
    if 1 < len(words) <= 5 and all(word in _NAVIGATION for word in words if word):
        return True  # a row of links: "Share Print Email"
    return bool(_BREADCRUMB.fullmatch(text) and not _SENTENCE_END.search(text) and len(text) < 100)


def _page_key(text: str) -> str:
    return re.sub(r"\d+", "#", text.casefold())


def _running_headers(lines: list[SourceLine]) -> set[str]:
    """Lines (numbers ignored) found at the top or bottom of most pages of a PDF."""
    pages: dict[int, list[str]] = {}
    for line in lines:
        if line.page is not None and line.text.strip():
            pages.setdefault(line.page, []).append(_page_key(" ".join(line.text.split())))
    if len(pages) < 2:
        return set()
    seen: Counter[str] = Counter()
    for texts in pages.values():
        seen.update(set(texts[:2] + texts[-2:]))
    return {text for text, count in seen.items() if count >= max(2, (len(pages) + 1) // 2)}


def _mend_hyphens(lines: list[SourceLine]) -> list[SourceLine]:
    """ "discus-" + "sion" -> "discussion": a word broken at a line end by a PDF or a narrow page."""
    mended: list[SourceLine] = []
    for line in lines:
        previous = mended[-1] if mended else None
        if (
            previous is not None
            and re.search(r"[a-z]-$", previous.text)
            and re.match(r"[a-z]", line.text)
            and not line.heading
        ):
            first, _, rest = line.text.partition(" ")
            previous.text = previous.text[:-1] + first
            if rest:
                mended.append(SourceLine(rest, page=line.page))
            continue
        mended.append(line)
    return mended


# ---------- Headings and books ----------


def section_of(text: str) -> tuple[str, str] | None:
    """(section, text after the heading) when the line is a section heading, e.g. "Questions: 1. ..."."""
    head, colon, rest = text.partition(":")
    for candidate, after in ((text, ""), (head, rest)) if colon else ((text, ""),):
        bare = candidate.strip().strip("*#=_ ").rstrip(".")
        if not bare or len(bare) > _MAX_HEADING or bare.endswith("?"):
            continue
        bare = re.sub(r"^(?:part\s+\w+|section\s+\w+|\d{1,2}[.)]?)\s*[:.\u2014-]?\s*", "", bare, flags=re.I)
        for section, pattern in _SECTION_HEADINGS:
            if pattern.fullmatch(bare):
                return section, after.strip()
    return None


def _title_line(text: str) -> tuple[str, str] | None:
    """(title, author) when the line names a book as a title would: "The Salt Road by Ada Quill"."""
    text = text.strip("*_# ")
    if len(text) > 200 or text.endswith("?"):
        return None
    if text.endswith(".") and not re.search(r"\b[A-Z]\.$", text):  # "by A. N. Other." is still a name
        return None
    text = _GUIDE_TITLE_PREFIX.sub("", text).strip()
    match = _TITLE_BY_AUTHOR.fullmatch(text.rstrip("."))
    if match:
        title = match["title"].strip(" ,:\u2014\u2013-\"'\u201c\u201d")
        if title and not section_of(title):
            return title, match["author"].strip(" ,")
    return None


def _split_books(lines: list[SourceLine]) -> list[list[SourceLine]]:
    """One run of lines per book: a brochure starts each book with its title, then sections again.

    A title-like line ("Moon Harbour by Ines Calder") followed by a heading starts a new book only when
    that heading's section was already in the current book: the last title of a Further Reading list
    is often followed by the next section of the same guide.
    """
    starts = [0]
    seen: set[str] = set()
    for index, line in enumerate(lines):
        if not line.text:
            continue
        heading = section_of(line.text)
        if heading:
            seen.add(heading[0])
            continue
        if not seen or index == 0:
            continue
        following = _starts_book(lines, index)
        if following is not None and following in seen:
            starts.append(index)
            seen = set()
    return [lines[start:end] for start, end in zip(starts, [*starts[1:], len(lines)], strict=True)]


def _starts_book(lines: list[SourceLine], index: int) -> str | None:
    """The section that follows when the line is a book's title ("TITLE by AUTHOR", or a heading the
    file marks and a "by AUTHOR" line), else None."""
    line = lines[index]
    following = [other for other in lines[index + 1 : index + 6] if other.text]
    if not following:
        return None
    if _title_line(line.text):
        after = following[0]
    elif (
        len(following) > 1
        and _wrapped(line, following[0])
        and _title_line(f"{line.text} {following[0].text}")
    ):
        after = following[1]
    elif line.heading and not line.list_item and _BY_AUTHOR.fullmatch(following[0].text):
        if len(following) < 2:
            return None
        after = following[1]
    else:
        return None
    heading = section_of(after.text)
    return heading[0] if heading else None


def _read_book(lines: list[SourceLine]) -> DraftGuide:
    draft = DraftGuide()
    runs: list[tuple[str | None, list[SourceLine]]] = [(None, [])]
    for line in lines:
        if not line.text:
            runs[-1][1].append(line)
            continue
        spoiler = _SPOILER.fullmatch(line.text)
        if spoiler and len(line.text) < 200:
            draft.has_spoilers = True
            if section_of(line.text) is None:
                continue
        heading = section_of(line.text)
        if heading and not (line.list_item and runs[-1][0] is not None):
            name, rest = heading
            runs.append((name, []))
            if rest:
                runs[-1][1].extend(_inline_items(rest))
            continue
        if line.heading and runs[-1][0] is not None and not _title_line(line.text):
            runs.append(("", [line]))  # a heading we do not know: its text is the host's to place
            continue
        runs[-1][1].append(line)

    preamble = runs[0][1]
    _take_title(draft, preamble)
    for section, body in runs:
        if section is None:
            _place_preamble(draft, body, any(s for s, _ in runs[1:]))
        elif section == "":
            draft.not_placed.extend(_paragraphs(body))
        elif section in ("summary", "about_author"):
            getattr(draft, section).extend(_paragraphs(body))
        else:
            items, before = _items(body, every_line=section in ("further_reading", "other_books"))
            draft.not_placed.extend(before)
            if section == "questions":
                draft.questions.extend(items)
            elif section == "quotes":
                draft.quotes.extend(_strip_quotation_marks(item) for item in items)
            elif section == "further_reading":
                draft.further_reading.extend(split_title_author(item) for item in items)
            elif section == "other_books":
                draft.other_books.extend(items)
    return draft


def _inline_items(text: str) -> list[SourceLine]:
    """ "Questions: 1. Why? 2. How?" -> the items as lines of their own."""
    parts = _split_inline(text)
    return [SourceLine(part) for part in parts]


def _split_inline(text: str) -> list[str]:
    first = _ITEM_MARKER.match(text)
    if not first or not first.group("number"):
        return [text]
    expected = int(first["number"]) + 1
    parts: list[str] = []
    begin = 0
    while True:
        following = re.compile(_INLINE_NUMBER.format(n=expected)).search(text, begin + 1)
        if not following:
            parts.append(text[begin:].strip())
            return parts
        parts.append(text[begin : following.start()].strip())
        begin = following.start()
        expected += 1


def _take_title(draft: DraftGuide, preamble: list[SourceLine]) -> None:
    """Title and author from the lines before the first section: "TITLE by AUTHOR", "Title:"/"Author:"
    labels, or a line followed by a "by AUTHOR" line; the lines used are taken out of the preamble."""
    texts = [line for line in preamble if line.text]
    used: list[SourceLine] = [
        line for line in texts if not _GUIDE_TITLE_PREFIX.sub("", line.text).strip(" :")
    ]
    for line in texts:
        labelled = _LABELLED.fullmatch(line.text)
        if labelled:
            is_title = labelled["label"].lower() in ("title", "book")
            if is_title and not draft.title:
                draft.title = labelled["value"].strip()
                used.append(line)
            elif not is_title and not draft.author:
                draft.author = labelled["value"].strip()
                used.append(line)
    if not draft.title:
        candidates = [line for line in texts if line not in used][:6]
        for position in range(len(candidates)):
            found = _title_at(candidates, position)
            if found:
                draft.title, author, lines_used = found
                draft.author = draft.author or author
                used.extend(lines_used)
                break
    if not draft.title:
        for line in texts[:3]:
            if line.heading and line not in used:
                draft.title = _GUIDE_TITLE_PREFIX.sub("", line.text).strip(" :")
                used.append(line)
                break
    for line in used:
        line.text = ""


def _title_at(lines: list[SourceLine], position: int) -> tuple[str, str, list[SourceLine]] | None:
    """(title, author, lines used) for a title starting at `position`: "TITLE by AUTHOR", or a title
    line followed by "by AUTHOR". A title a PDF wrapped onto a second short line is joined first."""
    for span in (2, 1):
        group = lines[position : position + span]
        if len(group) < span:
            continue
        if span == 2 and not _wrapped(group[0], group[1]):
            continue
        text = " ".join(line.text for line in group)
        named = _title_line(text)
        if named:
            return named[0], named[1], group
        following = lines[position + span] if position + span < len(lines) else None
        if following is None:
            continue
        byline = _BY_AUTHOR.fullmatch(following.text.rstrip("."))
        if byline and len(text) <= 160 and not text.endswith("?"):
            return (
                _GUIDE_TITLE_PREFIX.sub("", text).strip(" :*#"),
                byline["author"].strip(),
                [*group, following],
            )
    return None


def _wrapped(first: SourceLine, second: SourceLine) -> bool:
    """Whether `second` looks like the end of `first`, wrapped: a few words, nothing ending first."""
    return (
        len(second.text.split()) <= 4
        and not _SENTENCE_END.search(first.text)
        and not _BY_AUTHOR.fullmatch(second.text)
        and section_of(second.text) is None
        and not _ITEM_MARKER.match(second.text)
    )


def _place_preamble(draft: DraftGuide, body: list[SourceLine], has_sections: bool) -> None:
    """Lines before any heading: with no headings at all (pasted questions), the list items and
    questions are the questions; otherwise they wait in "not placed"."""
    if has_sections:
        draft.not_placed.extend(_paragraphs(body))
        return
    items, before = _items(body)
    listed = _looks_listed(body)
    draft.not_placed.extend(before)
    for item in items:
        (draft.questions if listed or looks_like_question(item) else draft.not_placed).append(item)


def _looks_listed(body: list[SourceLine]) -> bool:
    return any(_ITEM_MARKER.match(line.text) or line.list_item for line in body if line.text)


def _paragraphs(body: list[SourceLine]) -> list[str]:
    paragraphs: list[str] = []
    current: list[str] = []
    for line in body:
        if not line.text:
            if current:
                paragraphs.append(" ".join(current))
            current = []
        else:
            current.append(line.text)
    if current:
        paragraphs.append(" ".join(current))
    return paragraphs


def _items(body: list[SourceLine], *, every_line: bool = False) -> tuple[list[str], list[str]]:
    """(items, text before the first item) of a list section.

    Numbered, word-numbered and bulleted lines, and the file's own list items, each start an item;
    sub-questions (a, b, c) stay with their question; other lines continue the item above (a PDF wraps
    long lines). Without any marker, a line that ends a sentence ends an item, and so does a blank line;
    in lists of titles (`every_line`), every line is an item.
    """
    marked = any(_ITEM_MARKER.match(line.text) or line.list_item for line in body if line.text)
    items: list[str] = []
    numbers: list[int | None] = []  # each item's number, where it had one
    before: list[str] = []
    expected_letter = "a"
    open_item = False
    for line in body:
        text = line.text
        if not text:
            open_item = open_item and marked
            continue
        sub = _SUB_MARKER.match(text)
        if items and sub and sub["letter"].lower() == expected_letter:
            items[-1] += f"\n({expected_letter}) {text[sub.end() :].strip()}"
            expected_letter = chr(ord(expected_letter) + 1)
            continue
        marker = _ITEM_MARKER.match(text)
        starts = marker is not None or (marked and line.list_item) or (not marked and not open_item)
        if starts:
            if marker and marker.group("number"):
                parts = [_ITEM_MARKER.sub("", part, count=1).strip() for part in _split_inline(text)]
                first = int(marker["number"])
                part_numbers: list[int | None] = list(range(first, first + len(parts)))
            else:
                parts = [text[marker.end() :].strip() if marker else text]
                part_numbers = [None]
            for part, number in zip(parts, part_numbers, strict=True):
                if part:
                    items.append(part)
                    numbers.append(number)
            expected_letter = "a"
            open_item = marked or not (every_line or _SENTENCE_END.search(text))
        elif marked and not items:
            before.append(text)
        else:
            items[-1] = f"{items[-1]} {text}"
            open_item = marked or not _SENTENCE_END.search(text)
    return _split_run_on(items, numbers), before


def _split_run_on(items: list[str], numbers: list[int | None]) -> list[str]:
    """Numbered questions run together over wrapped lines ("… first? 3. How …") split apart again."""
    split: list[str] = []
    for item, number in zip(items, numbers, strict=True):
        while number is not None:
            following = re.search(_INLINE_NUMBER.format(n=number + 1), item)
            if not following:
                break
            split.append(item[: following.start()].strip())
            item = item[following.end() :]
            number += 1
        split.append(item.strip())
    return [item for item in split if item]


def looks_like_question(text: str) -> bool:
    return "?" in text[-3:] or text.rstrip("\"'\u201d\u2019)]").endswith("?")


def split_title_author(text: str) -> tuple[str, str]:
    """ "Moon Harbour by Ines Calder" -> ("Moon Harbour", "Ines Calder"); "Title \u2014 Author" too."""
    text = text.strip().strip("*").strip()
    match = re.fullmatch(r"(?P<title>.+?)\s*,?\s+by\s+(?P<author>[^,;()]+?)(?:\s*[(,;].*)?\.?", text)
    if match:
        return _unquote(match["title"]), match["author"].strip()
    for dash in (" \u2014 ", " \u2013 ", " - "):
        if dash in text:
            title, _, author = text.partition(dash)
            return _unquote(title), author.strip().rstrip(".")
    return _unquote(text.rstrip(".")), ""


def _unquote(text: str) -> str:
    return _strip_quotation_marks(text.strip()).strip("*_ ")
