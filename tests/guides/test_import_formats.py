"""Guides in the layouts hosts bring (tests/guides/fixtures/layouts, built by build_fixtures.py): each
file reads to exactly its book, sections, counts and questions in order, with no page noise in any item.
Bad files get one clear line and nothing else."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PIL import Image

from guides.layouts import DraftGuide, read_guides, read_pasted
from guides.readers import MAX_GUIDE_FILE_BYTES, GuideReadError, read_file
from tests.conftest import DEMO_GUIDE

LAYOUTS = Path(__file__).resolve().parent / "fixtures" / "layouts"


@dataclass
class Expected:
    title: str
    author: str
    questions: list[str]
    counts: str
    not_placed: list[str] = field(default_factory=list)
    has_spoilers: bool = False
    further_reading: list[tuple[str, str]] = field(default_factory=list)
    quotes: list[str] = field(default_factory=list)
    other_books: list[str] = field(default_factory=list)


SALT_ROAD = Expected(
    title="The Salt Road",
    author="Ada Quill",
    questions=[
        "The novel opens with Mara counting her steps. Why do you think Quill begins with a number rather "
        "than a name?",
        "How does the ledger change hands over the course of the book, and what does each keeper learn from "
        "it?\n(a) Which entry in the ledger surprised you most?"
        "\n(b) Would you have read it, in Mara's place?",
        "Discuss the toll-keeper's confession in chapter nine. Did it change your view of him?",
        "The marsh villages are never named. What is the effect of leaving them nameless?",
        'Mara says, "A road is a promise that somebody kept." Do you agree?',
        "Which of the novices' songs stayed with you, and why?",
        "How does Quill use weather to mark the stages of the journey?",
        "Is the ending a homecoming or a departure?",
    ],
    counts="8 questions, 1 about-the-book, 1 about-the-author, 3 further-reading titles",
    further_reading=[
        ("Moon Harbour", "Ines Calder"),
        ("The Toll House", "Peter Amsel"),
        ("A Ledger of Small Things", "Ruth Okafor"),
    ],
)
LANTERN_KEEPERS = Expected(
    title="The Lantern Keepers",
    author="Tomas Reyne",
    questions=[
        "Which of the three families did you feel closest to, and why?",
        "The island has no name in the novel. What does Reyne gain by that?",
        "How do the children's logbooks differ from the adults'?",
        "Discuss the night of the great storm. Who is the real keeper that night?",
        "What did you make of the engineer who comes to automate the light?",
        "Is the final chapter a defeat or a release?",
        "Would you want to live on the island after the light goes out?",
    ],
    counts="7 questions, 1 about-the-book, 3 quotes, 2 further-reading titles",
    has_spoilers=True,
    quotes=[
        "A light is only a promise if somebody is awake to keep it.",
        "We counted ships the way our mothers counted money.",
        "The sea does not forgive; it forgets, which is kinder.",
    ],
    further_reading=[("The Shipping Forecast Children", "Maren Holt"), ("Salt Lines", "Jonah Pryce")],
)
ORCHARD = Expected(
    title="The Orchard at World's End",
    author="Helena Marsh",
    questions=[
        "Which sister's view of the orchard did you share at the start, and did it change?",
        "The grandparents' quarrel is never fully explained. Did you want it to be?",
        "How does Marsh use the seasons to structure the novel?"
        "\n(a) Which season's chapters did you find the most vivid?"
        "\n(b) Why do you think winter is so short?",
        "Discuss the scene at the cider press. Who is telling the truth?",
        "What does the orchard mean to the people in the village?",
        "Is Ada right to sell her share?",
        "How did you feel about the stranger who buys the far field?",
        "The novel ends at the cliff edge. What do you think happens next?",
        "Which of the old apple varieties' names stayed with you?",
        "Would this make a good film? Who would you cast?",
    ],
    counts="10 questions, 1 about-the-book",
    has_spoilers=True,
)
WINTER_FERRY = Expected(
    title="The Winter Ferry",
    author="Jonas Alder",
    questions=[
        "Why does Elin agree to take the passenger across?",
        "How does the ice work as a character in the story?",
        "Which of the islanders' stories moved you most?",
        "Alder writes the crossing in real time. How did that affect your reading?",
        "What do you think the passenger was running from?",
        "Did Elin make the right choice at the harbour?",
    ],
    counts="6 questions, 1 about-the-book, 1 about-the-author, 4 further-reading titles",
    # What the importer cannot know about is shown to the host, not guessed at or dropped.
    not_placed=[
        "Kit code BCK-212 · 10 copies · Large print available",
        "Returning your kit",
        "Please return all ten copies in the kit bag to the circulation desk.",
    ],
    further_reading=[
        ("The Ice Road", "Marta Lind"),
        ("Harbour Lights", "Sam Okoro"),
        ("North of the Sound", "Kaisa Berg"),
        ("The Last Crossing", "Pieter de Vries"),
    ],
)
GLASS_HARBOUR = Expected(
    title="Glass Harbour",
    author="Ruth Okafor",
    questions=[
        "What does the furnace mean to each generation of the family?",
        'Okafor describes glass as "breath made to stay". How does that idea run through the book?',
        "Which of the town's trades did you know least about before reading, and what surprised you?",
        "Discuss the strike chapter. Whose side were you on?",
        "How does the harbour change over the forty years of the story?",
        "What do you make of the final piece Nia blows?",
    ],
    counts="6 questions, 1 about-the-book, 1 about-the-author",
)
RIVER_OF_CLOCKS = Expected(
    title="The River of Clocks",
    author="Ines Calder",
    questions=[
        "Which clock's story did you find the most moving?",
        "Why do you think the town never asks for the clocks to be wound?",
        "How does Calder move between the present and the stopped hours?",
        "Discuss the flood chapter. What did the river take, and what did it give back?",
        "Is Mira right to start the last clock?",
    ],
    counts="5 questions, 1 about-the-book, 1 about-the-author, 2 quotes",
    quotes=[
        "A stopped clock is right twice a day, and honest the rest of the time.",
        "The river keeps its own time.",
    ],
)
CLUB_NOTES = Expected(
    title="The Beekeeper's Almanac",
    author="Oona Fairweather",
    questions=[
        "What did you learn about bees that you did not know?",
        "Which month of the almanac would you want to live in?\n(a) Which would you skip?",
        "How does the narrator's grief change over the year?",
        "Was the swarm in June a turning point?",
    ],
    counts="4 questions",
    has_spoilers=True,
    not_placed=[
        "Thursday Club notes",
        "Bring something with honey in it!",
        "Maya is baking; everyone else brings drinks.",
    ],
)
SALT_AND_SAFFRON = Expected(
    title="Salt and Saffron",
    author="Priya Lane",
    questions=[
        "Why does Leela choose this town of all towns?",
        "Which of the cafe's regulars did you warm to first?",
        "How does food stand in for the things people cannot say?",
        "What does the market's closing mean for the people who worked there?",
        "Did the last recipe surprise you?",
    ],
    counts="5 questions, 1 about-the-book, 2 other books by the author",
    other_books=["The Monsoon Ledger (2014)", "Small Fires (2019)"],
)
PASTED = Expected(
    title="",
    author="",
    questions=[
        "What did you expect from the title before you started reading?",
        "Which character changed the most, and what changed them?",
        "Was there a scene you wanted to argue with the author about?",
        "How did the setting shape the people in it?",
        "Which line would you underline for a friend?",
        "What question would you ask the author if you could?",
        "Did the ending feel earned?",
        "Who would you give this book to, and why?",
        "Would you read another book by this author?",
    ],
    counts="9 questions",
)
SALT_MARSH = Expected(
    title="The Salt Marsh Wedding",
    author="Clara Dune",
    questions=[
        "Which of the three postponements changed the most for the bride?",
        "How does Dune make the tide feel like a character?",
        "Whose reason for stopping the wedding did you find most convincing?",
        "Did the wedding have to happen for the book to end well?",
    ],
    counts="4 questions, 1 about-the-book",
)
NINE_BRIDGES = Expected(
    title="Nine Bridges",
    author="Omar Velde",
    questions=[
        "Why does the surveyor walk at night?",
        "Which bridge's story stayed with you?",
        "How does Velde connect maps and memory?",
    ],
    counts="3 questions, 1 about-the-book, 2 further-reading titles",
    further_reading=[("The Map Room", "Lena Ostrova"), ("City of Spans", "Hugo Marchetti")],
)

FIXTURES = {
    "salt-road-readers-guide.txt": [SALT_ROAD],
    "salt-and-saffron-inline.txt": [SALT_AND_SAFFRON],
    "pasted-questions.txt": [PASTED],
    "lantern-keepers.md": [LANTERN_KEEPERS],
    "orchard-at-worlds-end.html": [ORCHARD],
    "winter-ferry-library-kit.html": [WINTER_FERRY],
    "glass-harbour-readers-guide.pdf": [GLASS_HARBOUR],
    "river-of-clocks.docx": [RIVER_OF_CLOCKS],
    "club-notes.docx": [CLUB_NOTES],
    "riverside-autumn-brochure.pdf": [SALT_MARSH, NINE_BRIDGES],
}

# Lines of page furniture in the fixtures: none of them may end up in any item of any guide.
NOISE = [
    "ISBN",
    "$17.99",
    "£9.99",
    "harrowfinch",
    "Reader's Guide",
    "Riverside Reads",
    "page 1",
    "Page 1 of 1",
    "Sign in",
    "Home >",
    "Share",
    "Print",
    "Back to top",
    "Load more",
    "Related guides",
    "All rights reserved",
    "Subscribe",
    "alert(",
    "steal(",
    "dataLayer",
    "tracker",
    "Enable JavaScript",
    "Millbrook Public Library",
    "sur-",
]


def read(name: str) -> list[DraftGuide]:
    return read_guides(read_file(name, (LAYOUTS / name).read_bytes()))


def every_text(draft: DraftGuide) -> list[str]:
    return [
        draft.title,
        draft.author,
        *draft.summary,
        *draft.about_author,
        *draft.questions,
        *draft.quotes,
        *(f"{title} {author}" for title, author in draft.further_reading),
        *draft.other_books,
    ]


def test_there_are_fixtures_in_every_format_and_a_brochure():
    suffixes = sorted(Path(name).suffix for name in FIXTURES)
    assert len(FIXTURES) >= 8
    assert {".txt", ".md", ".html", ".pdf", ".docx"} <= set(suffixes)
    assert any(len(books) == 2 for books in FIXTURES.values())
    assert sorted(
        path.name for path in LAYOUTS.iterdir() if path.is_file() and path.suffix != ".py"
    ) == sorted(FIXTURES)


@pytest.mark.parametrize("name", list(FIXTURES))
def test_each_fixture_reads_to_its_books_sections_and_questions_in_order(name):
    drafts = read(name)

    assert [(d.title, d.author) for d in drafts] == [(e.title, e.author) for e in FIXTURES[name]]
    for draft, expected in zip(drafts, FIXTURES[name], strict=True):
        assert draft.questions == expected.questions
        assert draft.counts_text() == expected.counts
        assert draft.not_placed == expected.not_placed
        assert draft.has_spoilers is expected.has_spoilers
        assert draft.further_reading == expected.further_reading
        assert draft.quotes == expected.quotes
        assert draft.other_books == expected.other_books


@pytest.mark.parametrize("name", list(FIXTURES))
def test_no_noise_line_reaches_any_item(name):
    for draft in read(name):
        for text in every_text(draft):
            for noise in NOISE:
                assert noise not in text, (noise, text)


def test_the_about_the_book_and_about_the_author_paragraphs_are_kept_whole():
    (salt_road,) = read("salt-road-readers-guide.txt")
    assert salt_road.summary == [
        "Mara Vell walks the old salt road from the marsh villages to the cathedral city, carrying her "
        "grandmother's ledger and a debt nobody will name. Along the way she meets a disgraced "
        "toll-keeper, a choir of runaway novices and the man who burned her family's saltpans.",
        "The Salt Road is a novel about inheritance, about what we owe the dead, and about walking as a "
        "way of thinking.",
    ]
    assert salt_road.about_author == [
        "Ada Quill grew up on the Essex marshes and worked for twenty years as a surveyor. "
        "The Salt Road is her second novel."
    ]


def test_further_reading_is_not_taken_for_other_books_by_the_author():
    (ferry,) = read("winter-ferry-library-kit.html")
    (saffron,) = read("salt-and-saffron-inline.txt")
    assert ferry.other_books == [] and len(ferry.further_reading) == 4
    assert saffron.further_reading == [] and len(saffron.other_books) == 2


def test_the_seed_layout_still_reads_through_its_own_parser():
    (draft,) = read_guides(read_file("never-let-me-go.txt", DEMO_GUIDE.read_bytes()))
    assert (draft.title, draft.author) == ("Never Let Me Go", "Kazuo Ishiguro")
    assert len(draft.questions) == 10
    assert draft.questions[0] == "What did you think of the way the novel portrayed the theme of mortality?"
    assert len(draft.other_books) == 11


@pytest.mark.parametrize(
    ("text", "questions"),
    [
        ("One: Why the sea?\nTwo: Why the sky?\n", ["Why the sea?", "Why the sky?"]),
        ("• Who speaks?\n• Who listens?", ["Who speaks?", "Who listens?"]),
        ("Discussion Questions: 1. Who speaks? 2. Who listens?", ["Who speaks?", "Who listens?"]),
        ("1. Compare chapters 1 and 2. What changes?", ["Compare chapters 1 and 2. What changes?"]),
    ],
)
def test_numbering_styles_and_questions_run_inline(text, questions):
    (draft,) = read_pasted(text)
    assert draft.questions == questions


def test_a_word_broken_at_a_line_end_is_mended_and_page_numbers_dropped():
    (draft,) = read_pasted("Questions\n1. How does the discus-\nsion end?\n\n12\n\n2. Why?\n")
    assert draft.questions == ["How does the discussion end?", "Why?"]


# ---------- Bad input ----------


def refusal(name: str, data: bytes) -> str:
    with pytest.raises(GuideReadError) as caught:
        read_guides(read_file(name, data))
    message = str(caught.value)
    assert "\n" not in message and "Traceback" not in message
    return message


def test_an_empty_file_is_refused():
    assert refusal("guide.txt", b"") == "The file is empty."
    assert refusal("guide.docx", b"  \n ") == "The file is empty."


def test_binary_data_is_refused_whatever_its_name():
    noise = bytes(range(256)) * 20
    assert refusal("guide.txt", noise) == "This is not a text file: it holds binary data."
    assert refusal("guide.pdf", noise) == "This is not a PDF file, though its name ends in .pdf."
    assert refusal("guide.docx", noise) == "This is not a Word document (.docx), though its name says so."
    assert refusal("guide.html", noise) == "This is not a web page: it holds binary data."


def test_a_scanned_pdf_with_no_text_layer_is_explained():
    scan = io.BytesIO()
    Image.new("RGB", (400, 600), "white").save(scan, "PDF")
    message = refusal("scan.pdf", scan.getvalue())
    assert message.startswith(
        "This PDF has no text in it: it looks like a scanned image, which cannot be read."
    )


def test_a_damaged_pdf_is_refused():
    data = (LAYOUTS / "glass-harbour-readers-guide.pdf").read_bytes()
    assert refusal("broken.pdf", data[:400]) == "This PDF is damaged and cannot be read."


def test_a_50_mb_file_is_refused_before_it_is_read():
    message = refusal("huge.pdf", b"%PDF" + b"0" * (50 * 1024 * 1024))
    assert message == "The file is 50.0 MB; a guide file can be at most 5.0 MB."
    assert MAX_GUIDE_FILE_BYTES == 5 * 1024 * 1024


def test_a_word_file_that_would_unpack_to_gigabytes_is_refused():
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bomb:
        bomb.writestr("word/document.xml", b"\0" * (60 * 1024 * 1024))
    assert refusal("bomb.docx", archive.getvalue()) == (
        "This Word document unpacks to 60.0 MB; a guide can be at most 50.0 MB."
    )


def test_a_page_of_nothing_but_scripts_is_refused_and_no_script_text_is_read():
    page = (
        b"<html><head><script>alert('x')</script></head>"
        b"<body><script>steal()</script><nav>Home</nav></body></html>"
    )
    assert refusal("page.html", page) == "The file has no text in it."


def test_an_old_word_file_and_unknown_kinds_say_what_to_do():
    assert refusal("guide.doc", b"\xd0\xcf\x11\xe0") == (
        "Word 97-2003 (.doc) files cannot be read. Save it as a .docx document and try again."
    )
    assert (
        refusal("guide.epub", b"PK")
        == "This kind of file cannot be read. Upload one of: .docx, .htm, .html, .md, .pdf, .txt."
    )


def test_pasting_nothing_is_refused():
    with pytest.raises(GuideReadError, match="Paste the guide's text"):
        read_pasted("  \n\t")
