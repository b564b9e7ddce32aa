"""Fuzzing the guide importer: whatever it is given, an import saves a whole, consistent guide or is
refused with the importer's own one-line error, and a refused import writes nothing.

Hypothesis feeds `import_guide` random text and bytes, lines shaped like a guide page, the guide files
mutated (lines deleted, duplicated, swapped; the file truncated; NULs, carriage returns, byte-order and
right-to-left marks and very long lines inserted; headings retitled; list numbers and bullets changed)
and JSON exports with keys removed, values of the wrong type and huge values. Every example runs in a
transaction of its own that is rolled back afterwards, over the seed guides imported once per test, so
every import meets the same database and many inputs are re-imports of a guide that exists.
"""

from __future__ import annotations

import base64
import io
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from hypothesis import event, given, settings
from hypothesis import strategies as st
from PIL import Image

from guides.exchange import GuideImportError, ImportResult, export_guide, import_guide
from guides.models import SECTION_MODELS, Guide, Theme
from guides.parsing import GuideFormatError, parse_guide

PROJECT = Path(__file__).resolve().parents[2]
SEED_FILES = [
    PROJECT / "demo" / "never-let-me-go.txt",
    *sorted((PROJECT / "tests/guides/fixtures").glob("*.txt")),
]
SEED_TEXTS = [path.read_text(encoding="utf-8") for path in SEED_FILES]
SEED_TITLES = [parse_guide(text).title for text in SEED_TEXTS]


def fuzz(examples: int) -> settings:
    """`examples` per 100 of the profile's (tests/conftest.py): 25% of them in the fast default
    profile, double in CI's deep one. No example database: runs stay independent of each other and
    leave nothing in the work tree."""
    scaled = max(10, examples * settings.default.max_examples // 100)
    return settings(max_examples=scaled, deadline=None, database=None)


pytestmark = pytest.mark.django_db


# --- the property ------------------------------------------------------------------------------------------


_seeded: dict[str, Any] = {}


@contextmanager
def each_example() -> Iterator[dict[str, Any]]:
    """The seed guides (imported once, in the test's own transaction), and whatever the example writes
    rolled back when it ends, so that every example meets the same database; yields its state."""
    if not Guide.objects.exists():
        for text in SEED_TEXTS:
            import_guide(text.encode())
        _seeded["state"] = database_state()
    with transaction.atomic():
        yield _seeded["state"]
        transaction.set_rollback(True)


def database_state() -> dict[str, Any]:
    """Everything an import can change, without database ids: the row counts and each guide's export."""
    counts = {
        model.__name__: model.objects.count()
        for model in (Guide, Theme, Guide.themes.through, *SECTION_MODELS.values())
    }
    return {"counts": counts, "guides": {guide.slug: export_guide(guide) for guide in Guide.objects.all()}}


def imports_whole_or_not_at_all(data: bytes, before: dict[str, Any]) -> ImportResult | None:
    try:
        result = import_guide(data)
    except (GuideImportError, GuideFormatError) as refusal:
        # pytest --hypothesis-show-statistics tells how often each outcome came.
        event("refused: " + re.sub(r"\d+", "N", str(refusal))[:50])
        assert "\n" not in str(refusal)
        assert database_state() == before
        return None
    event("imported, updating a guide" if not result.created else "imported as a new guide")
    assert_consistent(result)
    return result


def assert_consistent(result: ImportResult) -> None:
    guide = Guide.objects.get(pk=result.guide.pk)
    for name, model in SECTION_MODELS.items():
        positions = (
            model.objects.filter(guide=guide).order_by("position", "pk").values_list("position", flat=True)
        )
        assert list(positions) == list(range(1, result.counts[name] + 1)), name
    # What was saved is a guide the app can hand out again: it exports, and the export imports back
    # onto the same guide without changing it.
    exported = export_guide(guide)
    again = import_guide(exported.encode())
    assert (again.guide.pk, again.created, again.added, again.removed) == (guide.pk, False, 0, 0)
    assert export_guide(again.guide) == exported


def one_in(n: int) -> st.SearchStrategy[bool]:
    """True about once in n draws (Hypothesis favours small integers, so `integers(0, n) == 0` would
    come far more often)."""
    return st.sampled_from([False] * (n - 1) + [True])


# --- random input ------------------------------------------------------------------------------------------


@fuzz(100)
@given(text=st.text())
def test_random_text_is_imported_whole_or_refused_without_a_trace(text):
    with each_example() as before:
        imports_whole_or_not_at_all(text.encode(), before)


@fuzz(100)
@given(data=st.binary(max_size=4000))
def test_random_bytes_are_imported_whole_or_refused_without_a_trace(data):
    with each_example() as before:
        imports_whole_or_not_at_all(data, before)


# --- text shaped like a guide page ------------------------------------------------------------------------

# NUL, carriage return, byte-order mark, right-to-left mark and override, zero-width space, line and
# paragraph separators, vertical tab, next line, tab.
ODD_CHARACTERS = [
    "\x00",
    "\r",
    "\ufeff",
    "\u200f",
    "\u202e",
    "\u200b",
    "\u2028",
    "\u2029",
    "\x0b",
    "\x85",
    "\t",
]
odd_text = st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from(ODD_CHARACTERS), max_size=40)
# What a page's lines hold: mostly text that could be in a guide (no NUL, which refuses the whole file).
page_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\x00") | st.sampled_from(ODD_CHARACTERS[1:]),
    max_size=40,
)
titles = st.sampled_from([*SEED_TITLES, "Book", "It"]) | odd_text
authors = st.sampled_from(["Kazuo Ishiguro", "Margaret Atwood", "Ann Author"]) | odd_text
markers = st.one_of(
    st.integers(0, 1200).map(lambda n: f"{n}. "),
    st.integers(0, 1200).map(lambda n: f"{n}) "),
    st.sampled_from(["\u2022 ", "- ", "* ", "\u2013 ", "\u00b7 ", "", "  ", "1.", "\u2022"]),
)


@st.composite
def guide_lines(draw) -> str:
    title = draw(titles if draw(one_in(4)) else st.sampled_from(SEED_TITLES))
    author = draw(authors)
    headings = [
        f"{title}: Summary",
        f"What is {title} about?",
        f"{title}: Book Club Questions",
        f"What to say about {title}",
        f"Top {draw(st.integers(0, 99))} Quotes from {title}",
        f"Adaptations of {title}",
        f"Other books by {author}",
        "Did you know?",
    ]
    fragments = [
        f"Everything you need to know about {author}'s {title}, in 1 paragraph.",
        f"An illustration of a reader enjoying {title} by {author}",
        f"The novel explores themes of {draw(page_text)}, {draw(page_text)} and {draw(page_text)}.",
        "Want to know more?",
        f"{draw(st.integers(0, 99))} min read",
        f'"{draw(page_text)}" (Chapter {draw(page_text)}, p. {draw(st.integers(0, 10**6))})',
        f"{draw(st.sampled_from(['Film', 'Radio Play', 'TV', 'Opera', 'Podcast', '']))}: "
        f"{draw(page_text)} ({draw(st.integers(0, 99999))}). {draw(page_text)}",
        f"{draw(page_text)} ({draw(st.integers(0, 99999))})",
    ]
    item = st.tuples(markers, st.sampled_from(fragments) | page_text).map("".join)
    body_line = st.one_of(item, item, st.sampled_from(fragments), page_text, st.just(""))
    # Sections in the page's order, now and then out of it or repeated; a stray heading or line now
    # and then; the summary's heading first on most pages, since a page is read from its first heading.
    order = draw(st.lists(st.integers(0, len(headings) - 1), min_size=1, max_size=10))
    if not draw(one_in(4)):
        order.append(6)  # "Other books by AUTHOR": where most pages name the author
    if not draw(one_in(4)):
        order = sorted(set(order))
    if not draw(one_in(8)):
        order = [0, *order] if order[0] != 0 else order
    lines = []
    for index in order:
        lines += [headings[index], *draw(st.lists(body_line, max_size=6))]
    return draw(st.sampled_from(["\n", "\r\n", "\r"])).join(lines)


@fuzz(150)
@given(text=guide_lines())
def test_text_shaped_like_a_guide_page_is_imported_whole_or_refused_without_a_trace(text):
    with each_example() as before:
        imports_whole_or_not_at_all(text.encode(), before)


# --- the guide files, mutated -------------------------------------------------------------------------------


def _index(draw, lines: list[str]) -> int:
    return draw(st.integers(0, max(0, len(lines) - 1)))


def _delete(draw, lines):
    if lines:
        del lines[_index(draw, lines)]


def _duplicate(draw, lines):
    if lines:
        lines.insert(_index(draw, lines), lines[_index(draw, lines)])


def _swap(draw, lines):
    if lines:
        first, second = _index(draw, lines), _index(draw, lines)
        lines[first], lines[second] = lines[second], lines[first]


def _insert_characters(draw, lines):
    if lines:
        index = _index(draw, lines)
        line = lines[index]
        at = draw(st.integers(0, len(line)))
        inserted = draw(st.sampled_from([*ODD_CHARACTERS, "\r\n"]) | odd_text)
        lines[index] = line[:at] + inserted + line[at:]


def _long_line(draw, lines):
    index = _index(draw, lines)
    line = lines[index] if lines else ""
    at = draw(st.integers(0, len(line)))
    run = draw(st.sampled_from([" ", "a", "é", "(", "-", ". ", "1. ", "\u202e", "x "])) * draw(
        st.sampled_from([300, 5_000, 100_000])
    )
    lines[index : index + 1] = [line[:at] + run + line[at:]]


def _retitle(draw, lines):
    """Change the book's title where it appears in one line (a heading, mostly)."""
    candidates = [i for i, line in enumerate(lines) if any(title in line for title in SEED_TITLES)]
    if candidates:
        index = draw(st.sampled_from(candidates))
        for title in SEED_TITLES:
            lines[index] = lines[index].replace(title, draw(titles))


def _renumber(draw, lines):
    """Change one list item's number or bullet."""
    candidates = [i for i, line in enumerate(lines) if line.strip()[:1] in "0123456789\u2022-*\u2013"]
    if candidates:
        index = draw(st.sampled_from(candidates))
        stripped = lines[index].strip()
        rest = stripped.split(" ", 1)[1] if " " in stripped else ""
        lines[index] = "  " + draw(markers) + rest


def _line_endings(draw, lines):
    """Join some lines with other line endings (or none)."""
    if len(lines) > 1:
        index = _index(draw, lines[:-1])
        lines[index : index + 2] = [
            lines[index] + draw(st.sampled_from(["\r", "\r\n", "", " "])) + lines[index + 1]
        ]


MUTATIONS = [_delete, _duplicate, _swap, _insert_characters, _long_line, _retitle, _renumber, _line_endings]


@st.composite
def mutated_guide_files(draw) -> bytes:
    lines = draw(st.sampled_from(SEED_TEXTS)).split("\n")
    for mutation in draw(st.lists(st.sampled_from(MUTATIONS), min_size=1, max_size=6)):
        mutation(draw, lines)
    data = "\n".join(lines).encode()
    if draw(one_in(4)):  # cut off, possibly in the middle of a character
        data = data[: draw(st.integers(0, len(data)))]
    if draw(one_in(6)):
        data = b"\xef\xbb\xbf" + data
    return data


@fuzz(150)
@given(data=mutated_guide_files())
def test_mutated_guide_files_are_imported_whole_or_refused_without_a_trace(data):
    with each_example() as before:
        imports_whole_or_not_at_all(data, before)


# --- the JSON export, mutated -------------------------------------------------------------------------------

DEEP = "\x00deeply nested\x00"  # stands for a value nested deeper than the JSON parser's recursion limit


def _png() -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (3, 2), (20, 120, 40)).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


long_strings = st.sampled_from([21, 51, 71, 201, 301, 501, 100_000]).map(lambda length: "x" * length)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([0, -1, 1, 9999, 10_000, 2**15, 2**63, -(2**63), 10**30, 2010.0, 1e308, float("inf")]),
    st.floats(allow_nan=False),
    odd_text,
    st.sampled_from(["", " ", "é" * 300, "published", "draft", "film", "verified", DEEP]),
    long_strings,
    st.sampled_from(["\ud800", "a\udfffb", "\x00", "\u2028", "\ufeff"]),  # escapes in the JSON text
    st.sampled_from(["https://example.org/source", "http://[::1", "javascript:alert(1)", "ftp://x"]),
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=12), children, max_size=3)
    ),
    max_leaves=6,
)
illustrations = st.one_of(
    # Built afresh for each draw: st.just would hand every example the same dict, and a later mutation
    # of one example (removing its "filename") would change what the next example draws (Hypothesis
    # then stops with FlakyStrategyDefinition).
    st.builds(dict, filename=st.just("cover.png"), data=st.just(_png())),
    st.fixed_dictionaries({"filename": odd_text, "data": st.sampled_from([_png(), "", "!!!", "aGVsbG8="])}),
    json_values,
)


def _locations(node: Any, path: tuple = ()) -> Iterator[tuple]:
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _locations(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _locations(value, (*path, index))


def _parent(document: Any, path: tuple) -> Any:
    for step in path[:-1]:
        document = document[step]
    return document


def mutate_json(data: st.DataObject, document: dict, slugs: list[str]) -> str:
    for _ in range(data.draw(st.integers(1, 4), label="mutations")):
        paths = [path for path in _locations(document) if path]
        path = data.draw(st.sampled_from(paths), label="where")
        parent, last = _parent(document, path), path[-1]
        action = data.draw(
            st.sampled_from(
                ["remove", "replace", "add key", "duplicate", "slug", "illustration", "text", "text"]
            ),
            label="what",
        )
        if action == "text" and isinstance(parent[last], str):  # the right type, any content
            parent[last] = data.draw(odd_text | long_strings, label="text")
        elif action == "remove":
            del parent[last]
        elif action == "replace":
            parent[last] = data.draw(json_values, label="value")
        elif action == "add key" and isinstance(parent, dict):
            parent[data.draw(st.text(max_size=12), label="key")] = data.draw(json_values, label="value")
        elif action == "duplicate" and isinstance(parent, list):
            parent.append(json.loads(json.dumps(parent[last])))
        elif action == "slug":
            document["slug"] = data.draw(
                st.sampled_from([*slugs, "a-new-guide", "", "Not a slug!", "x" * 201]), label="slug"
            )
        elif action == "illustration":
            document["illustration"] = data.draw(illustrations, label="illustration")
    text = json.dumps(document, ensure_ascii=data.draw(st.booleans(), label="ascii"))
    return text.replace(json.dumps(DEEP), "[" * 100_000 + "]" * 100_000)


@fuzz(150)
@given(data=st.data())
def test_mutated_json_exports_are_imported_whole_or_refused_without_a_trace(data):
    with each_example() as before:
        guides = list(Guide.objects.order_by("slug"))
        guide = data.draw(st.sampled_from(guides), label="guide")
        document = json.loads(export_guide(guide))
        text = mutate_json(data, document, [g.slug for g in guides])
        if data.draw(one_in(8), label="cut"):
            text = text[: data.draw(st.integers(0, len(text)), label="cut at")]
        # Unescaped, half a surrogate pair is no UTF-8: those bytes must be refused as not UTF-8.
        imports_whole_or_not_at_all(text.encode(errors="surrogatepass"), before)


# --- what the fuzzing found ---------------------------------------------------------------------------------


def _refusal(data: bytes) -> str:
    before = database_state()
    with pytest.raises(GuideImportError) as refusal:
        import_guide(data)
    assert database_state() == before
    return str(refusal.value)


def _export_with(**changes: Any) -> bytes:
    document = json.loads(export_guide(Guide.objects.get(slug="never-let-me-go")))
    return json.dumps(document | changes).encode()


def test_json_nested_deeper_than_the_parser_goes_is_refused():
    with each_example():
        data = _export_with(summary="DEEP").replace(b'"DEEP"', b"[" * 100_000 + b"]" * 100_000)
        assert _refusal(data) == "not valid JSON: nested too deeply"


@pytest.mark.parametrize(
    ("escape", "message"),
    [
        ("\\u0000", "JSON key 'summary': contains a NUL character (\\u0000)"),
        ("\\ud83d", "JSON key 'summary': contains \\ud83d, half of a surrogate pair, not a character"),
    ],
)
def test_json_strings_that_no_text_column_can_hold_are_refused(escape, message):
    with each_example():
        data = _export_with(summary="a ESCAPE b").replace(b"ESCAPE", escape.encode())
        assert _refusal(data) == message


def test_long_runs_of_spaces_take_the_parser_linear_time():
    """A quote, another book and a list of themes, each with 200,000 spaces inside. The patterns that
    read them took quadratic time (over ten minutes for this page); now it is milliseconds, and the
    minute allowed is only there so that a regression fails instead of hanging."""
    spaces = " " * 200_000
    page = (
        f"Book: Summary\n\nThe novel explores themes of love{spaces}x, and loss.\n\n"
        f'Top 1 Quotes from Book\n\n1. "A line"{spaces}x (Chapter 1, p. 2)\n\n'
        f"Other books by Ann Author\n\n- Another{spaces}x (2001)\n"
    )
    code = "import sys; from guides.parsing import parse_guide; parse_guide(sys.stdin.read())"
    subprocess.run([sys.executable, "-c", code], input=page, text=True, cwd=PROJECT, check=True, timeout=60)
