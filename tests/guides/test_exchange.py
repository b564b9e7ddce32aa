"""Importing and exporting guides: what gets written, what survives a re-import, and what is refused."""

import base64
import copy
import io
import json
from pathlib import Path

import pytest
import reversion
from PIL import Image
from reversion.models import Version

from guides.exchange import FORMAT, GuideImportError, export_guide, import_guide
from guides.images import check_image
from guides.models import SECTION_MODELS, Adaptation, Guide, OtherBook, Question, ReviewStatus, Theme, Trivia
from tests.guides.test_parsing import (
    SEED_ADAPTATIONS,
    SEED_OTHER_BOOKS,
    SEED_QUESTIONS,
    SEED_QUOTES,
    SEED_TALKING_POINTS,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SOURCE = "https://en.wikipedia.org/wiki/Never_Let_Me_Go_(novel)"


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """A media folder per test, so a file name one test stores cannot make another's get a suffix."""
    settings.MEDIA_ROOT = tmp_path / "media"


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in (Guide, Theme, *SECTION_MODELS.values())}


def _png(colour: tuple[int, int, int] = (180, 40, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def _refused(data: bytes, **options) -> str:
    with pytest.raises(GuideImportError) as error:
        import_guide(data, **options)
    message = str(error.value)
    assert "\n" not in message
    return message


def _ids(model) -> list[int]:
    return list(model.objects.order_by("position").values_list("id", flat=True))


def _edited_seed(demo_guide_bytes: bytes) -> Guide:
    """The seed guide as an editor leaves it: some claims checked with sources, an illustration added."""
    guide = import_guide(demo_guide_bytes).guide
    Trivia.objects.filter(guide=guide).update(review_status=ReviewStatus.VERIFIED, source_url=SOURCE)
    Adaptation.objects.filter(guide=guide, kind="film").update(
        review_status=ReviewStatus.VERIFIED, source_url="https://www.imdb.com/title/tt1334260/"
    )
    OtherBook.objects.filter(guide=guide, title="The Boat").update(year=2021)
    image = check_image(_png())
    guide.illustration.save(image.file_name, image.as_file())
    return guide


def _minimal_export(**changes) -> dict:
    data = {
        "format": FORMAT,
        "version": 1,
        "title": "Book",
        "author": "Ann Author",
        "slug": "book",
        "status": "published",
        "summary": "A summary.",
        "about": "",
        "illustration_alt": "",
        "illustration_caption": "",
        "themes": ["memory"],
        "illustration": None,
        "questions": [{"text": "Why?"}, {"text": "How?"}],
        "talking_points": [],
        "quotes": [{"text": "A line.", "chapter": "1", "page": ""}],
        "adaptations": [
            {
                "kind": "film",
                "title": "Book",
                "year": 2001,
                "notes": "",
                "review_status": "verified",
                "source_url": "https://example.org/film",
            }
        ],
        "other_books": [{"title": "Another", "year": None, "review_status": "unverified", "source_url": ""}],
        "trivia": [{"text": "A fact.", "review_status": "unverified", "source_url": ""}],
    }
    data.update(changes)
    return data


def _json(data: dict) -> bytes:
    return json.dumps(data, indent=2).encode()


# --- importing the guide-page text ---------------------------------------------------------------------


@pytest.mark.django_db
def test_importing_the_seed_stores_every_item_in_its_own_row_in_order(demo_guide_bytes):
    result = import_guide(demo_guide_bytes)
    guide = Guide.objects.get()

    assert result.created
    assert result.guide == guide
    assert (guide.title, guide.author, guide.slug) == ("Never Let Me Go", "Kazuo Ishiguro", "never-let-me-go")
    assert guide.status == Guide.Status.PUBLISHED
    assert guide.illustration_alt.startswith("An illustration of a reader enjoying Never Let Me Go")
    assert guide.illustration_caption == "A reader enjoying Never Let Me Go by Kazuo Ishiguro"
    assert not guide.illustration
    sections = guide.load_sections()
    assert [(q.position, q.text) for q in sections.questions] == list(enumerate(SEED_QUESTIONS, 1))
    assert [p.text for p in sections.talking_points] == SEED_TALKING_POINTS
    assert [q.text for q in sections.quotes] == SEED_QUOTES
    assert [(a.kind, a.title, a.year, a.notes) for a in sections.adaptations] == [
        (a.kind, a.title, a.year, a.notes) for a in SEED_ADAPTATIONS
    ]
    assert [b.title for b in sections.other_books] == SEED_OTHER_BOOKS
    assert [t.text for t in sections.trivia] == [
        "Never Let Me Go was the first book by author Kazuo Ishiguro to be shortlisted for the Man Booker "
        "Prize."
    ]
    assert _counts() == {
        "Guide": 1,
        "Theme": 5,
        "Question": 10,
        "TalkingPoint": 10,
        "Quote": 5,
        "Adaptation": 4,
        "OtherBook": 11,
        "Trivia": 1,
    }


@pytest.mark.django_db
def test_imported_claims_start_unverified_and_the_themes_are_linked(demo_guide_bytes):
    guide = import_guide(demo_guide_bytes).guide

    for model in (Adaptation, OtherBook, Trivia):
        assert set(model.objects.values_list("review_status", "source_url")) == {
            (ReviewStatus.UNVERIFIED, "")
        }
    assert sorted(guide.themes.values_list("name", flat=True)) == [
        "identity",
        "memory",
        "morality",
        "mortality",
        "value of life",
    ]


@pytest.mark.django_db
def test_the_imported_seed_reads_in_the_3_minutes_its_page_states(demo_guide_bytes):
    guide = import_guide(demo_guide_bytes).guide

    guide.update_reading_time()
    guide.refresh_from_db()

    assert guide.reading_minutes == 3


@pytest.mark.django_db
def test_the_result_says_what_was_imported(demo_guide_bytes):
    first = import_guide(demo_guide_bytes)
    second = import_guide(demo_guide_bytes)

    assert first.message == (
        "Imported 'Never Let Me Go' (created, published, 10 questions, 10 talking points, 5 quotes, "
        "4 adaptations, 11 other books, 1 trivia item)"
    )
    assert second.message == (
        "Updated 'Never Let Me Go' (published, 10 questions, 10 talking points, 5 quotes, 4 adaptations, "
        "11 other books, 1 trivia item; 0 items added, 0 removed)"
    )


@pytest.mark.django_db
def test_a_second_book_in_the_same_layout_is_imported():
    result = import_guide((FIXTURES / "the-handmaids-tale.txt").read_bytes())
    guide = result.guide

    assert (guide.title, guide.author, guide.slug) == (
        "The Handmaid\u2019s Tale",
        "Margaret Atwood",
        "the-handmaids-tale",
    )
    assert result.counts == {
        "questions": 6,
        "talking_points": 7,
        "quotes": 4,
        "adaptations": 4,
        "other_books": 8,
        "trivia": 0,
    }
    assert list(guide.quotes.values_list("chapter", flat=True)) == ["9", "5", "", ""]
    assert list(guide.adaptations.values_list("kind", flat=True)) == ["film", "stage", "tv", "other"]
    assert list(guide.other_books.values_list("year", flat=True)) == [
        1969,
        1972,
        1988,
        1996,
        2000,
        2003,
        2019,
        None,
    ]
    assert sorted(guide.themes.values_list("name", flat=True)) == [
        "control of women\u2019s bodies",
        "gender",
        "power",
    ]


@pytest.mark.django_db
def test_a_draft_import_is_not_published(demo_guide_bytes):
    guide = import_guide(demo_guide_bytes, draft=True).guide

    assert guide.status == Guide.Status.DRAFT
    assert not Guide.objects.published().exists()


@pytest.mark.django_db
def test_the_import_is_recorded_in_the_guides_history(demo_guide_bytes):
    if not reversion.is_registered(Guide):
        pytest.skip("guides.admin registers the models with django-reversion")

    guide = import_guide(demo_guide_bytes).guide

    version = Version.objects.get_for_object(guide).get()
    assert version.revision.comment == "Imported from file"
    assert version.field_dict["reading_minutes"] == 3
    assert version.revision.version_set.count() == 1 + 41


# --- re-importing --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_reimporting_the_text_updates_the_guide_in_place_and_keeps_the_review_of_unchanged_claims(
    demo_guide_bytes,
):
    guide = _edited_seed(demo_guide_bytes)
    question_ids = _ids(Question)
    trivia_id = Trivia.objects.get().id
    edited = (
        demo_guide_bytes.replace(
            b"  3. What do you think were the main themes", b"  3. Which themes stood out"
        )
        .replace(b"  10. Do you think Ishiguro was successful", b"  9b. Do you think Ishiguro was successful")
        .replace("\u2022 The Boat\n".encode(), b"")
        .replace(
            "\u2022 The Buried Giant\n".encode(), "\u2022 The Buried Giant\n  \u2022 The Boat\n".encode()
        )
    )

    result = import_guide(edited)

    assert not result.created
    assert result.guide.pk == guide.pk
    assert Guide.objects.count() == 1
    questions = list(Question.objects.order_by("position"))
    assert [q.id for q in questions[:2]] == question_ids[:2]
    assert questions[2].id not in question_ids
    assert questions[2].text.startswith("Which themes stood out")
    # "9b." is no list marker, so the tenth question became the end of the ninth: a changed item.
    assert [q.id for q in questions[3:8]] == question_ids[3:8]
    assert len(questions) == 9
    assert questions[8].id not in question_ids
    assert questions[8].text.endswith(
        "impression on you? 9b. Do you think Ishiguro was successful in conveying "
        "the human cost behind scientific progress?"
    )
    assert (result.added, result.removed) == (2, 3)
    trivia = Trivia.objects.get()
    assert (trivia.id, trivia.review_status, trivia.source_url) == (trivia_id, ReviewStatus.VERIFIED, SOURCE)
    film = Adaptation.objects.get(kind="film")
    assert film.review_status == ReviewStatus.VERIFIED
    boat = OtherBook.objects.get(title="The Boat")
    assert (boat.position, boat.year) == (2, None)
    assert guide.illustration.name == Guide.objects.get().illustration.name


@pytest.mark.django_db
def test_reimporting_the_text_adds_the_themes_it_finds_to_those_an_editor_chose(demo_guide_bytes):
    guide = import_guide(demo_guide_bytes).guide
    guide.themes.add(Theme.objects.create(name="friendship"))

    import_guide(demo_guide_bytes)

    assert "friendship" in guide.themes.values_list("name", flat=True)
    assert guide.themes.count() == 6


@pytest.mark.django_db
def test_reimporting_json_sets_review_status_and_sources_from_the_file(demo_guide_bytes):
    guide = import_guide(demo_guide_bytes).guide
    trivia_id = Trivia.objects.get().id
    data = json.loads(export_guide(guide))
    data["trivia"][0].update(review_status="verified", source_url=SOURCE)
    data["other_books"][0].update(review_status="verified", year=2015)
    data["themes"] = ["memory"]

    import_guide(_json(data))

    trivia = Trivia.objects.get()
    assert (trivia.id, trivia.review_status, trivia.source_url) == (trivia_id, "verified", SOURCE)
    giant = OtherBook.objects.get(title="The Buried Giant")
    assert (giant.review_status, giant.year) == ("verified", 2015)
    assert list(guide.themes.values_list("name", flat=True)) == ["memory"]


# --- export and the round trip -------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_export_holds_every_field_of_the_guide_and_its_items_but_no_database_ids(demo_guide_bytes):
    guide = _edited_seed(demo_guide_bytes)

    text = export_guide(guide)
    data = json.loads(text)

    assert text.endswith("}\n")
    assert list(data) == [
        "format",
        "version",
        "title",
        "author",
        "slug",
        "status",
        "summary",
        "about",
        "illustration_alt",
        "illustration_caption",
        "themes",
        "illustration",
        "questions",
        "talking_points",
        "quotes",
        "adaptations",
        "other_books",
        "trivia",
    ]
    assert (data["format"], data["version"]) == ("bookclub-guide", 1)
    assert data["themes"] == ["identity", "memory", "morality", "mortality", "value of life"]
    assert data["illustration"]["filename"] == check_image(_png()).file_name
    assert base64.b64decode(data["illustration"]["data"]) == _png()
    assert data["adaptations"][0] == {
        "kind": "film",
        "title": "Never Let Me Go",
        "year": 2010,
        "notes": "Directed by Mark Romanek, starring Carey Mulligan, Keira Knightley, and Andrew Garfield.",
        "review_status": "verified",
        "source_url": "https://www.imdb.com/title/tt1334260/",
    }
    assert data["trivia"][0]["source_url"] == SOURCE
    assert data["questions"][0] == {"text": SEED_QUESTIONS[0]}
    assert '"id"' not in text and '"position"' not in text


@pytest.mark.django_db
def test_an_export_imported_into_an_empty_database_exports_identically(demo_guide_bytes):
    exported = export_guide(_edited_seed(demo_guide_bytes))
    Guide.objects.all().delete()
    Theme.objects.all().delete()
    assert sum(_counts().values()) == 0

    result = import_guide(exported.encode())

    assert result.created
    assert result.guide.illustration.name.startswith("illustrations/")
    assert export_guide(Guide.objects.get()) == exported
    # Importing it once more is an update that changes nothing.
    ids = _ids(Question)
    import_guide(exported.encode())
    assert export_guide(Guide.objects.get()) == exported
    assert _ids(Question) == ids


@pytest.mark.django_db
def test_a_second_book_survives_the_round_trip_with_its_curly_quotes():
    exported = export_guide(import_guide((FIXTURES / "the-handmaids-tale.txt").read_bytes()).guide)
    Guide.objects.all().delete()
    Theme.objects.all().delete()

    import_guide(exported.encode())

    assert "\u2019" in exported
    assert export_guide(Guide.objects.get()) == exported


@pytest.mark.django_db
def test_a_json_import_keeps_the_files_status_unless_asked_for_a_draft():
    assert import_guide(_json(_minimal_export(status="draft"))).guide.status == "draft"
    assert import_guide(_json(_minimal_export(status="published"))).guide.status == "published"
    assert import_guide(_json(_minimal_export(status="published")), draft=True).guide.status == "draft"


@pytest.mark.django_db
def test_a_json_import_without_an_illustration_removes_the_guides_illustration(demo_guide_bytes):
    guide = _edited_seed(demo_guide_bytes)
    data = json.loads(export_guide(guide))
    data["illustration"] = None

    import_guide(_json(data))

    assert not Guide.objects.get().illustration


# --- refused input -------------------------------------------------------------------------------------


def _not_an_image() -> dict:
    return {"filename": "cover.png", "data": base64.b64encode(b"GIF89a but not really").decode()}


def _without(key: str) -> dict:
    data = _minimal_export()
    del data[key]
    return data


def _item_without(section: str, index: int, key: str) -> dict:
    data = copy.deepcopy(_minimal_export())
    del data[section][index][key]
    return data


def _item_with(section: str, index: int, **changes) -> dict:
    data = copy.deepcopy(_minimal_export())
    data[section][index].update(changes)
    return data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b"  \n\n\t ", "the file contains only whitespace"),
        (b"Never Let Me Go: Summary\n\x00\x01\x02", "binary data, not a text file"),
        (
            "Never Let Me Go: Summary\n\nCaf\u00e9 cr\u00e8me\n".encode("latin-1"),
            "not UTF-8 text: undecodable byte 0xe9 at line 3",
        ),
        (
            b"Shopping list\n- eggs\n- milk\n",
            "no guide headings found; expected a heading like 'TITLE: Summary'",
        ),
        (b"Never Let Me Go: Summary\n", "guide 'Never Let Me Go' has a title but no content"),
        (
            b'{\n  "format": "bookclub-guide",\n  "version": 1,\n}\n',
            "not valid JSON: Expecting property name enclosed in double quotes at line 4, column 1",
        ),
        (b"[1, 2]", "no guide headings found; expected a heading like 'TITLE: Summary'"),
        (_json({"title": "Book"}), 'JSON: missing key \'format\' (expected "format": "bookclub-guide")'),
        (_json(_minimal_export(format="recipe")), 'JSON: \'format\' is "recipe", expected "bookclub-guide"'),
        (_json(_minimal_export(version=2)), "JSON: unsupported 'version' 2; this app reads version 1"),
        (_json(_without("author")), "JSON: missing key 'author'"),
        (_json(_minimal_export(colour="red")), "JSON: unknown key 'colour'"),
        (_json(_minimal_export(questions="Why?")), "JSON key 'questions': expected a list"),
        (_json(_item_without("questions", 1, "text")), "JSON key 'questions', item 2: missing key 'text'"),
        (
            _json(_item_with("trivia", 0, review_status="checked")),
            "JSON key 'trivia', item 1: review status: Value 'checked' is not a valid choice.",
        ),
        (
            _json(_item_with("other_books", 0, year="1989")),
            "JSON key 'other_books', item 1, key 'year': expected a year such as 2010 or null, got \"1989\"",
        ),
        (
            _json(_item_with("adaptations", 0, source_url="not a link")),
            "JSON key 'adaptations', item 1: source link: Enter a valid URL.",
        ),
        (
            _json(_minimal_export(status="archived")),
            "JSON key 'status': status: Value 'archived' is not a valid choice.",
        ),
        (_json(_minimal_export(title="")), "JSON key 'title': title: This field cannot be blank."),
        (
            _json(_minimal_export(illustration={"filename": "cover.png", "data": "not base64!"})),
            "JSON key 'illustration': 'data' is not valid base64",
        ),
        (
            _json(_minimal_export(illustration=_not_an_image())),
            "JSON key 'illustration': 'cover.png' is not an image file this app can read",
        ),
    ],
)
@pytest.mark.django_db
def test_bad_input_is_refused_with_a_one_line_reason_and_nothing_is_written(data, message):
    assert _refused(data) == message
    assert sum(_counts().values()) == 0


@pytest.mark.django_db
def test_a_problem_found_late_in_the_file_still_writes_nothing(demo_guide_bytes):
    too_long = "Creature " + "x" * 241
    data = demo_guide_bytes.replace("\u2022 Creature".encode(), f"\u2022 {too_long}".encode())

    assert _refused(data) == (
        "line 66 (Other books): title: Ensure this value has at most 200 characters (it has 250)."
    )
    assert sum(_counts().values()) == 0


@pytest.mark.django_db
def test_a_failure_half_way_through_writing_rolls_everything_back(demo_guide_bytes, monkeypatch):
    def fail(self):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Guide, "update_reading_time", fail)

    with pytest.raises(RuntimeError):
        import_guide(demo_guide_bytes)

    assert sum(_counts().values()) == 0


@pytest.mark.django_db
def test_a_failed_reimport_leaves_the_existing_guide_untouched(demo_guide_bytes):
    guide = _edited_seed(demo_guide_bytes)
    before = export_guide(guide)
    ids = {model: _ids(model) for model in SECTION_MODELS.values()}
    changed_but_broken = demo_guide_bytes.replace(
        b"  1. What did you think", b"  1. What did you make"
    ).replace(b'see them fading."', b'see them fading." (Chapter ' + b"9" * 60 + b")")

    message = _refused(changed_but_broken)

    assert message == "line 48 (Quotes): chapter: Ensure this value has at most 50 characters (it has 60)."
    assert export_guide(Guide.objects.get()) == before
    assert {model: _ids(model) for model in SECTION_MODELS.values()} == ids


@pytest.mark.django_db
def test_a_failed_json_reimport_leaves_the_existing_guide_untouched(demo_guide_bytes):
    guide = _edited_seed(demo_guide_bytes)
    before = export_guide(guide)
    data = json.loads(before)
    data["questions"] = [{"text": "Only this one now?"}]
    data["illustration"] = _not_an_image()

    assert "is not an image file" in _refused(_json(data))
    assert export_guide(Guide.objects.get()) == before
