"""The guide-page text parser, on the seed guide, a second book and every malformed input we can think of."""

from pathlib import Path

import pytest

from guides.parsing import (
    AdaptationItem,
    GuideFormatError,
    OtherBookItem,
    QuoteItem,
    parse_guide,
    parse_guide_bytes,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures"

SEED_QUESTIONS = [
    "What did you think of the way the novel portrayed the theme of mortality?",
    "How did the characters' relationships develop throughout the novel?",
    "What do you think were the main themes explored in Never Let Me Go?",
    "What message was Kazuo Ishiguro trying to convey through his writing?",
    "Did you find Kathy's narrative voice convincing and engaging?",
    "How did you feel about the ending of the novel?",
    "Did you sympathize with any of the characters in particular?",
    "How would you describe the tone of Never Let Me Go?",
    "Were there any moments that left a lasting impression on you?",
    "Do you think Ishiguro was successful in conveying the human cost behind scientific progress?",
]
SEED_TALKING_POINTS = [
    "Never Let Me Go is an incredibly thought-provoking novel, delving into complex ethical and moral "
    "questions.",
    "The story's exploration of human identity and mortality is poignant and moving.",
    "The writing style of Never Let Me Go is captivating, inviting the reader to become deeply invested in "
    "the characters' lives.",
    "The book's themes of friendship and loyalty make it a timeless classic.",
    "The book's unique setting provides a fascinating backdrop for the narrative to unfold.",
    "Never Let Me Go is a powerful depiction of how human relationships can withstand the most difficult "
    "of circumstances.",
    "Through its exploration of life's fragility, Never Let Me Go encourages us to appreciate every moment "
    "we have.",
    "The book serves as an important reminder that life is unpredictable and full of surprises.",
    "The way in which Kazuo Ishiguro blends science fiction elements with a realistic narrative is truly "
    "masterful.",
    "Never Let Me Go raises important questions about the meaning of life and our place in the world.",
]
SEED_QUOTES = [
    "No one ever told us why we were here, or what we were meant to do.",
    "But I was wrong, things don't have to stay the same.",
    "We all complete. Maybe everyone completes in different ways, but we all complete.",
    "It's like we were designed that way, for a purpose, but no one will tell us what it is.",
    "Memories, even your most precious ones, fade surprisingly quickly. But I don't go along with that. "
    "The memories I value most, I don't ever see them fading.",
]
SEED_ADAPTATIONS = [
    AdaptationItem(
        kind="film",
        title="Never Let Me Go",
        year=2010,
        notes="Directed by Mark Romanek, starring Carey Mulligan, Keira Knightley, and Andrew Garfield.",
    ),
    AdaptationItem(
        kind="radio",
        title="",
        year=2012,
        notes="A radio adaptation of the novel was produced by BBC Radio 4 in 2012, starring Carey Mulligan "
        "and Ruth Wilson.",
    ),
    AdaptationItem(
        kind="podcast",
        title="",
        year=2020,
        notes="The novel was adapted into a podcast in 2020, with an all-star cast including Emily Blunt, "
        "Aaron Paul, and Andrew Garfield.",
    ),
    AdaptationItem(
        kind="stage",
        title="",
        year=2019,
        notes="Never Let Me Go was adapted into a stage play in 2019, produced by Headlong Theatre Company "
        "at the Chichester Festival Theatre in England.",
    ),
]
SEED_OTHER_BOOKS = [
    "The Buried Giant",
    "An Artist of the Floating World",
    "When We Were Orphans",
    "The Remains of the Day",
    "Nocturnes: Five Stories of Music and Nightfall",
    "A Pale View of Hills",
    "The Unconsoled",
    "A Man and His Mountain",
    "The Sign at the Shore",
    "The Boat",
    "Creature",
]


def _without_lines(items: list) -> list:
    """Items as values to compare, ignoring the line numbers the parser records for error messages."""
    for item in items:
        item.line = None
    return items


def _error(text: str) -> str:
    with pytest.raises(GuideFormatError) as error:
        parse_guide(text)
    return str(error.value)


def _guide(*sections: str) -> str:
    return "\n\n".join(sections) + "\n"


SUMMARY = "Book: Summary\n\nEverything you need to know about Ann Author's Book, in 1 paragraph.\nA summary."


def test_every_item_of_the_seed_guide_is_parsed_into_its_own_entry(demo_guide_bytes):
    guide = parse_guide_bytes(demo_guide_bytes)

    assert guide.title == "Never Let Me Go"
    assert guide.author == "Kazuo Ishiguro"
    assert [item.text for item in guide.questions] == SEED_QUESTIONS
    assert [item.text for item in guide.talking_points] == SEED_TALKING_POINTS
    assert [item.text for item in guide.quotes] == SEED_QUOTES
    assert all(item.chapter == "" and item.page == "" for item in guide.quotes)
    assert _without_lines(guide.adaptations) == SEED_ADAPTATIONS
    assert [item.title for item in guide.other_books] == SEED_OTHER_BOOKS
    assert all(item.year is None for item in guide.other_books)
    assert [item.text for item in guide.trivia] == [
        "Never Let Me Go was the first book by author Kazuo Ishiguro to be shortlisted for the Man Booker "
        "Prize."
    ]


def test_the_seed_summary_keeps_the_illustration_text_apart_and_drops_the_page_boilerplate(demo_guide_bytes):
    guide = parse_guide_bytes(demo_guide_bytes)

    assert guide.illustration_alt == (
        "An illustration of a reader enjoying Never Let Me Go by Kazuo Ishiguro in a cosy interior"
    )
    assert guide.illustration_caption == "A reader enjoying Never Let Me Go by Kazuo Ishiguro"
    assert guide.summary.startswith(
        "Never Let Me Go is a science fiction novel that follows the life of Kathy"
    )
    assert guide.summary.endswith("The novel explores themes of mortality, morality, and the value of life.")
    assert guide.about.startswith("Never Let Me Go is a science fiction novel by Kazuo Ishiguro")
    assert guide.about.endswith("while seeking redemption through human connection.")
    for text in (guide.summary, guide.about):
        assert "Everything you need to know" not in text
        assert "Want to know more" not in text
        assert "illustration" not in text
        assert "min read" not in text


def test_themes_come_from_the_explores_themes_of_phrases_in_order_without_duplicates(demo_guide_bytes):
    guide = parse_guide_bytes(demo_guide_bytes)

    assert guide.themes == ["mortality", "morality", "value of life", "identity", "memory"]


def test_the_adaptations_line_with_four_numbered_items_becomes_four_items(demo_guide_bytes):
    guide = parse_guide_bytes(demo_guide_bytes)

    assert [item.line for item in guide.adaptations] == [52, 52, 52, 52]


def test_a_second_book_with_curly_quotes_other_counts_and_no_trivia_section_is_parsed():
    guide = parse_guide_bytes((FIXTURES / "the-handmaids-tale.txt").read_bytes())

    assert guide.title == "The Handmaid\u2019s Tale"
    assert guide.author == "Margaret Atwood"
    assert guide.summary == (
        "The Handmaid\u2019s Tale is a dystopian novel set in the Republic of Gilead, a theocracy that has "
        "overthrown the United States government. Offred, a Handmaid, is assigned to a Commander and his "
        "wife to bear them a child. The novel explores themes of power, gender, and the control of "
        "women\u2019s bodies."
    )
    assert guide.about.count("\n\n") == 1
    assert guide.illustration_caption == "A reader enjoying The Handmaid\u2019s Tale by Margaret Atwood"
    assert guide.themes == ["power", "gender", "control of women\u2019s bodies"]
    assert len(guide.questions) == 6
    assert guide.questions[2].text == (
        "What role do the Aunts play in keeping the regime in power, and why would women take part in it?"
    )
    assert len(guide.talking_points) == 7
    assert _without_lines(guide.quotes) == [
        QuoteItem("Nolite te bastardes carborundorum.", chapter="9"),
        QuoteItem(
            "There is more than one kind of freedom, said Aunt Lydia. Freedom to and freedom from.",
            chapter="5",
        ),
        QuoteItem(
            "We were the people who were not in the papers. We lived in the blank white spaces at the edges "
            "of print. It gave us more freedom."
        ),
        QuoteItem("Ignoring isn\u2019t the same as ignorance, you have to work at it."),
    ]
    assert [(item.kind, item.title, item.year) for item in guide.adaptations] == [
        ("film", "The Handmaid\u2019s Tale", 1990),
        ("stage", "The Handmaid\u2019s Tale", 2000),
        ("tv", "The Handmaid\u2019s Tale", 2017),
        ("other", "", 2019),
    ]
    assert guide.adaptations[3].notes == (
        "Graphic novel: Ren\u00e9e Nault\u2019s adaptation of the novel was published in 2019."
    )
    assert _without_lines(guide.other_books)[:3] == [
        OtherBookItem("The Edible Woman", 1969),
        OtherBookItem("Surfacing", 1972),
        OtherBookItem("Cat\u2019s Eye", 1988),
    ]
    assert guide.other_books[-1] == OtherBookItem("Hag-Seed", None)
    assert guide.trivia == []


def test_headings_may_spell_the_title_with_straight_or_curly_apostrophes():
    text = _guide(
        "The Handmaid\u2019s Tale: Summary",
        "A summary by Margaret Atwood.",
        "What is The Handmaid's Tale about?",
        "Gilead.",
        "Other books by Margaret Atwood",
        "\u2022 Surfacing",
    )

    guide = parse_guide(text)

    assert guide.title == "The Handmaid\u2019s Tale"
    assert guide.about == "Gilead."


def test_a_heading_that_names_another_book_is_refused_with_its_line_and_section():
    text = _guide(SUMMARY, "Other Book: Book Club Questions", "1. Why?")

    assert _error(text) == "line 6 (Book Club Questions): heading names 'Other Book' but the guide is 'Book'"


def test_a_section_may_not_appear_twice():
    text = _guide(SUMMARY, "Book: Book Club Questions", "1. Why?", "Book: Book Club Questions", "1. How?")

    assert _error(text) == (
        "line 10 (Book Club Questions): a second 'Book Club Questions' heading (the first is at line 6)"
    )


def test_sections_may_come_in_another_order():
    text = _guide("Did you know?", "A fact.", "Book: Book Club Questions", "1. Why?", SUMMARY)

    guide = parse_guide(text)

    assert (guide.title, guide.author, guide.summary) == ("Book", "Ann Author", "A summary.")
    assert [item.text for item in guide.trivia] == ["A fact."]
    assert [item.text for item in guide.questions] == ["Why?"]


def test_numbered_items_on_one_line_split_only_on_the_next_number_in_sequence():
    text = _guide(
        SUMMARY,
        "Adaptations of Book",
        "1. Film: Book (1999). Shot in 3. acts over 2 years. 2. Radio: Aired 2001, in 12 parts. 3. TV: Made.",
    )

    guide = parse_guide(text)

    assert [item.notes for item in guide.adaptations] == [
        "Shot in 3. acts over 2 years.",
        "Aired 2001, in 12 parts.",
        "Made.",
    ]


def test_a_line_without_a_marker_continues_the_previous_item():
    text = _guide(SUMMARY, "What to say about Book", "- First point,\n  carried on.\n\n* Second point.")

    guide = parse_guide(text)

    assert [item.text for item in guide.talking_points] == ["First point, carried on.", "Second point."]


def test_text_before_the_first_item_of_a_list_is_refused():
    text = _guide(SUMMARY, "Book: Book Club Questions", "Some questions:\n1. Why?")

    assert (
        _error(text)
        == "line 8 (Book Club Questions): text before the first item of the list: 'Some questions:'"
    )


def test_an_unmarked_list_takes_each_paragraph_as_an_item():
    text = _guide(SUMMARY, "Did you know?", "One fact\nover two lines.", "Another fact.")

    guide = parse_guide(text)

    assert [item.text for item in guide.trivia] == ["One fact over two lines.", "Another fact."]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('"Plain."', QuoteItem("Plain.")),
        ("\u201cCurly, with an apostrophe\u2019s.\u201d", QuoteItem("Curly, with an apostrophe\u2019s.")),
        ('"Located." (Chapter 3)', QuoteItem("Located.", chapter="3")),
        ('"Located." (Chapter 3, p. 45)', QuoteItem("Located.", chapter="3", page="45")),
        ('"Paged." (p. 45)', QuoteItem("Paged.", page="45")),
        ('"Paged." (page 45)', QuoteItem("Paged.", page="45")),
        ('"Dashed." \u2014 Chapter 7', QuoteItem("Dashed.", chapter="7")),
        ("'Single.'", QuoteItem("Single.")),
        ("'Tis not stripped", QuoteItem("'Tis not stripped")),
    ],
)
def test_quotes_lose_their_quotation_marks_and_keep_their_location(line, expected):
    guide = parse_guide(_guide(SUMMARY, "Top 1 Quotes from Book", f"1. {line}"))

    assert _without_lines(guide.quotes) == [expected]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Movie: Book (1999). Notes.", AdaptationItem("film", "Book", 1999, "Notes.")),
        ("Radio drama: Broadcast in 1987.", AdaptationItem("radio", "", 1987, "Broadcast in 1987.")),
        ("Podcast: Book (2021).", AdaptationItem("podcast", "Book", 2021, "")),
        ("Musical: Book (2005). Songs.", AdaptationItem("stage", "Book", 2005, "Songs.")),
        (
            "Stage play: Toured in 1450 and 2003.",
            AdaptationItem("stage", "", 2003, "Toured in 1450 and 2003."),
        ),
        ("Television: A BBC series.", AdaptationItem("tv", "", None, "A BBC series.")),
        ("Miniseries: Book (2014).", AdaptationItem("tv", "Book", 2014, "")),
        ("Video game: Released in 2015.", AdaptationItem("other", "", 2015, "Video game: Released in 2015.")),
        ("Ballet: Book (2013). Danced.", AdaptationItem("other", "Book", 2013, "Ballet: Danced.")),
        ("An opera by someone, 2000.", AdaptationItem("other", "", 2000, "An opera by someone, 2000.")),
    ],
)
def test_adaptations_are_sorted_by_kind_and_split_into_title_year_and_notes(line, expected):
    guide = parse_guide(_guide(SUMMARY, "Adaptations of Book", f"- {line}"))

    assert _without_lines(guide.adaptations) == [expected]


def test_the_author_comes_from_the_boilerplate_when_there_is_no_other_books_heading():
    guide = parse_guide(
        "Book: Summary\n"
        "Everything you need to know about Jane O\u2019Hara\u2019s Book, in 1 paragraph.\n"
        "Text."
    )

    assert guide.author == "Jane O\u2019Hara"


def test_the_author_comes_from_the_illustration_when_nothing_else_names_them():
    guide = parse_guide(
        "Book: Summary\n"
        "An illustration of a reader enjoying Book by Gabriel Garc\u00eda M\u00e1rquez in a garden\n"
        "Some caption here\nText."
    )

    assert guide.author == "Gabriel Garc\u00eda M\u00e1rquez"
    assert guide.illustration_caption == "Some caption here"
    assert guide.summary == "Text."


def test_initials_in_the_authors_name_are_kept():
    guide = parse_guide(
        "The Hobbit: Summary\n"
        "An illustration of a reader enjoying The Hobbit by J. R. R. Tolkien in a hobbit hole\n"
        "Text."
    )

    assert guide.author == "J. R. R. Tolkien"


def test_a_guide_that_names_no_author_is_refused():
    assert _error("Book: Summary\nJust a summary.") == (
        "no author found for 'Book'; add a heading 'Other books by AUTHOR' or the line "
        "'Everything you need to know about AUTHOR's Book, in 1 paragraph.'"
    )


def test_a_guide_with_only_a_summary_is_fine():
    guide = parse_guide(SUMMARY)

    assert (guide.summary, guide.questions, guide.trivia) == ("A summary.", [], [])


def test_a_reading_time_before_the_first_heading_is_ignored_but_other_text_is_refused():
    assert parse_guide("12 min read\n\n" + SUMMARY).summary == "A summary."
    assert (
        _error("12 min read\nHello there\n" + SUMMARY)
        == "line 2: text before the first heading: 'Hello there'"
    )


def test_a_byte_order_mark_and_windows_line_endings_are_accepted(demo_guide_bytes):
    data = b"\xef\xbb\xbf" + demo_guide_bytes.replace(b"\n", b"\r\n")

    guide = parse_guide_bytes(data)

    assert guide.title == "Never Let Me Go"
    assert len(guide.questions) == 10


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b" \n\t\r\n  ", "the file contains only whitespace"),
        (b"\xef\xbb\xbf\n", "the file contains only whitespace"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary data, not a text file"),
        (b"Book: Summary\n\nCaf\xe9 society\n", "not UTF-8 text: undecodable byte 0xe9 at line 3"),
        ("Book: Summary\n".encode("utf-16"), "not UTF-8 text: the file is UTF-16; save it as UTF-8"),
        (
            b"Dear diary,\nnothing happened today.\n",
            "no guide headings found; expected a heading like 'TITLE: Summary'",
        ),
        (
            b"Did you know?\nA fact.\n",
            "no heading names the book; expected a heading like 'TITLE: Summary'",
        ),
        (b"Book: Summary\n\nWant to know more?\n", "guide 'Book' has a title but no content"),
        (b"\nBook: Summary\n", "guide 'Book' has a title but no content"),
    ],
)
def test_input_that_is_not_a_guide_is_refused_with_a_one_line_reason(data, message):
    with pytest.raises(GuideFormatError) as error:
        parse_guide_bytes(data)

    assert str(error.value) == message
    assert "\n" not in str(error.value)
