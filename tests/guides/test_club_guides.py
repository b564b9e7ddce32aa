"""A host's own guides through the real pages, without JavaScript: made by hand, imported from a file or
pasted text with a preview that writes nothing until saved, edited with history and revert."""

# Fixtures imported from other test modules are parameters of the tests here (pytest's way of sharing
# them without a conftest that every guides test would see); ruff reads those parameters as redefinitions.
# ruff: noqa: F811

from __future__ import annotations

import io
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from guides import club_views
from guides.club_forms import GuideContent
from guides.club_guides import copy_to_library, save_guide
from guides.models import Guide, Question, ReadAlike
from tests.sessions.conftest import client_for, club, guide, host, member, outsider, staff  # noqa: F401

LAYOUTS = Path(__file__).resolve().parent / "fixtures" / "layouts"

pytestmark = pytest.mark.django_db


@pytest.fixture
def host_client(host):
    return client_for(host)


def form_data(html: str, form_selector: str = "form.import-preview", **changes) -> dict:
    """What a browser would send for the form as the page shows it (ticked boxes, selected options)."""
    form = BeautifulSoup(html, "html.parser").select_one(form_selector)
    assert form is not None, f"no {form_selector} on the page"
    data: dict[str, list[str]] = {}
    for element in form.find_all(["input", "textarea", "select"]):
        name = element.get("name")
        if not name or element.get("type") == "submit":
            continue
        if element.name == "textarea":
            value = element.text.removeprefix("\n")
        elif element.name == "select":
            chosen = element.find("option", selected=True) or element.find("option")
            value = chosen.get("value", "")
        elif element.get("type") == "checkbox":
            if not element.has_attr("checked"):
                continue
            value = element.get("value", "on")
        else:
            value = element.get("value", "")
        data.setdefault(name, []).append(value)
    for name, value in changes.items():
        data[name] = value if isinstance(value, list) else [value]
    return data


def upload(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (LAYOUTS / name).read_bytes())


def read_file(client, club, name: str):
    url = reverse("club_guides:import", args=[club.slug])
    return client.post(url, {"action": "read", "guide_file": upload(name)})


def png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 12), "navy").save(buffer, "PNG")
    return SimpleUploadedFile("cover.png", buffer.getvalue(), content_type="image/png")


# ---------- By hand ----------


def test_a_host_writes_a_guide_that_belongs_to_the_club(host_client, club, member):
    response = host_client.post(
        reverse("club_guides:new", args=[club.slug]),
        {
            "title": "The Salt Road",
            "author": "Ada Quill",
            "summary": "Mara walks.\n\nShe keeps walking.",
            "questions": "1. Why walk?\na) Why not ride?\nWhat is owed?",
            "further_reading": "Moon Harbour by Ines Calder",
            "has_spoilers": "on",
        },
    )
    guide = Guide.objects.get()
    assert response.status_code == 302 and response.url == guide.get_absolute_url()
    assert guide.club == club and guide.has_spoilers
    assert list(guide.questions.values_list("text", flat=True)) == [
        "Why walk?\n(a) Why not ride?",
        "What is owed?",
    ]
    assert [(b.title, b.author) for b in guide.further_reading.all()] == [("Moon Harbour", "Ines Calder")]
    page = client_for(member).get(guide.get_absolute_url()).content.decode()
    assert "Why walk?<br>(a) Why not ride?" in page
    assert "Spoiler warning" in page
    assert "<p>Mara walks.</p>" in page and "<p>She keeps walking.</p>" in page


def test_a_rejected_guide_comes_back_with_what_was_typed_and_writes_nothing(host_client, club):
    response = host_client.post(
        reverse("club_guides:new", args=[club.slug]),
        {"title": "The Salt Road", "author": "", "questions": "", "summary": "Kept text"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Write at least one discussion question." in page
    assert 'value="The Salt Road"' in page and "Kept text" in page
    assert not Guide.objects.exists()


def test_a_question_longer_than_a_meeting_holds_is_refused_by_number(host_client, club):
    response = host_client.post(
        reverse("club_guides:new", args=[club.slug]),
        {"title": "T", "author": "A", "questions": "Short?\n" + "x" * 1001},
    )
    assert (
        "Question 2 is 1,001 characters long; a question can be at most 1,000." in response.content.decode()
    )
    assert not Guide.objects.exists()


def test_the_cover_follows_the_illustration_rules(host_client, club):
    url = reverse("club_guides:new", args=[club.slug])
    fields = {"title": "T", "author": "A", "questions": "Q?"}
    not_image = SimpleUploadedFile("cover.png", b"not an image at all", content_type="image/png")
    assert (
        "This file is not an image we can read"
        in host_client.post(url, {**fields, "cover": not_image}).content.decode()
    )
    assert "Describe the illustration" in host_client.post(url, {**fields, "cover": png()}).content.decode()
    assert not Guide.objects.exists()

    host_client.post(url, {**fields, "cover": png(), "cover_alt": "A navy cover"})
    guide = Guide.objects.get()
    assert guide.illustration.name.startswith("illustrations/") and guide.illustration_alt == "A navy cover"


# ---------- Import and preview ----------


def test_reading_a_file_shows_a_preview_and_writes_nothing(host_client, club):
    response = read_file(host_client, club, "salt-road-readers-guide.txt")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Found: 8 questions, 1 about-the-book, 1 about-the-author, 3 further-reading titles." in page
    assert "Nothing is saved yet" in page
    assert not Guide.objects.exists()


def test_saving_the_preview_writes_the_guide_as_shown(host_client, club):
    preview = read_file(host_client, club, "salt-road-readers-guide.txt").content.decode()
    response = host_client.post(
        reverse("club_guides:import", args=[club.slug]), form_data(preview, action="save")
    )
    guide = Guide.objects.get()
    assert response.status_code == 302 and response.url == guide.get_absolute_url()
    assert (guide.title, guide.author, guide.club) == ("The Salt Road", "Ada Quill", club)
    assert guide.questions.count() == 8
    assert guide.questions.first().text.startswith("The novel opens with Mara counting her steps.")
    assert guide.further_reading.count() == 3
    assert guide.about_author.startswith("Ada Quill grew up")


def test_pasted_questions_need_a_title_and_author_before_saving(host_client, club):
    url = reverse("club_guides:import", args=[club.slug])
    preview = host_client.post(
        url, {"action": "read", "pasted": (LAYOUTS / "pasted-questions.txt").read_text()}
    )
    assert "Found: 9 questions." in preview.content.decode()
    refused = host_client.post(url, form_data(preview.content.decode(), action="save"))
    assert "This field is required." in refused.content.decode()
    assert "What did you expect from the title" in refused.content.decode()
    assert not Guide.objects.exists()

    saved = host_client.post(
        url,
        form_data(
            refused.content.decode(), action="save", **{"book-0-title": "Any", "book-0-author": "Body"}
        ),
    )
    assert saved.status_code == 302
    assert Guide.objects.get().questions.count() == 9


def test_lines_not_placed_can_be_moved_into_a_section_or_left_out(host_client, club):
    url = reverse("club_guides:import", args=[club.slug])
    preview = read_file(host_client, club, "winter-ferry-library-kit.html").content.decode()
    assert "Not placed (3)" in preview
    moved = form_data(preview, action="update", **{"book-0-unplaced-to": ["", "", "questions"]})
    updated = host_client.post(url, moved).content.decode()
    assert "Found: 7 questions, 1 about-the-book, 1 about-the-author, 4 further-reading titles." in updated
    assert "Not placed (2)" in updated
    assert not Guide.objects.exists()

    host_client.post(url, form_data(updated, action="save"))
    guide = Guide.objects.get()
    questions = list(guide.questions.values_list("text", flat=True))
    assert questions[-1] == "Please return all ten copies in the kit bag to the circulation desk."
    assert "Kit code" not in (guide.summary + guide.about_author + " ".join(questions))


def test_a_brochure_is_split_into_guides_each_confirmed(host_client, club):
    preview = read_file(host_client, club, "riverside-autumn-brochure.pdf").content.decode()
    assert "This file holds 2 guides" in preview
    assert "Guide 1: The Salt Marsh Wedding" in preview and "Guide 2: Nine Bridges" in preview
    data = form_data(preview, action="save")
    del data["book-1-include"]  # the host unticks the second book
    response = host_client.post(reverse("club_guides:import", args=[club.slug]), data)
    assert response.status_code == 302
    assert list(Guide.objects.values_list("title", flat=True)) == ["The Salt Marsh Wedding"]


def test_both_books_of_a_brochure_are_saved_together(host_client, club):
    preview = read_file(host_client, club, "riverside-autumn-brochure.pdf").content.decode()
    response = host_client.post(
        reverse("club_guides:import", args=[club.slug]), form_data(preview, action="save")
    )
    assert response.status_code == 302 and response.url == club.get_absolute_url()
    assert sorted(Guide.objects.values_list("title", flat=True)) == ["Nine Bridges", "The Salt Marsh Wedding"]
    assert ReadAlike.objects.filter(guide__title="Nine Bridges").count() == 2


def test_a_spoiler_warning_in_the_file_is_kept_as_the_guides_flag(host_client, club):
    preview = read_file(host_client, club, "orchard-at-worlds-end.html").content.decode()
    host_client.post(reverse("club_guides:import", args=[club.slug]), form_data(preview, action="save"))
    assert Guide.objects.get().has_spoilers


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.txt", b"", "The file is empty."),
        ("noise.txt", bytes(range(256)), "This is not a text file: it holds binary data."),
        ("scripts.html", b"<script>alert(1)</script><style>p{}</style>", "The file has no text in it."),
        ("old.doc", b"\xd0\xcf\x11\xe0", "Word 97-2003 (.doc) files cannot be read."),
    ],
)
def test_a_file_that_cannot_be_read_gets_one_line_and_nothing_is_written(
    host_client, club, name, data, message
):
    response = host_client.post(
        reverse("club_guides:import", args=[club.slug]),
        {"action": "read", "guide_file": SimpleUploadedFile(name, data)},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert "Traceback" not in response.content.decode()
    assert not Guide.objects.exists()


def test_a_scanned_pdf_is_explained(host_client, club):
    scan = io.BytesIO()
    Image.new("RGB", (200, 300), "white").save(scan, "PDF")
    response = host_client.post(
        reverse("club_guides:import", args=[club.slug]),
        {"action": "read", "guide_file": SimpleUploadedFile("scan.pdf", scan.getvalue())},
    )
    assert "it looks like a scanned image, which cannot be read" in response.content.decode()
    assert not Guide.objects.exists()


def test_a_50_mb_upload_is_refused_by_its_size(host_client, club):
    big = SimpleUploadedFile("huge.pdf", b"%PDF" + b"0" * (50 * 1024 * 1024))
    response = host_client.post(
        reverse("club_guides:import", args=[club.slug]), {"action": "read", "guide_file": big}
    )
    page = response.content.decode().replace("\xa0", " ")  # sizes are written with no-break spaces
    assert "huge.pdf is 50.0 MB; a guide file can be at most 5.0 MB." in page
    assert not Guide.objects.exists()


def test_an_unexpected_failure_while_reading_is_a_message_not_a_traceback(
    host_client, club, monkeypatch, caplog
):
    def broken(*args, **kwargs):
        raise RuntimeError("library bug")

    monkeypatch.setattr(club_views, "read_guides", broken)
    response = read_file(host_client, club, "salt-road-readers-guide.txt")
    assert response.status_code == 200
    assert (
        "could not be read because of an unexpected problem; nothing was saved" in response.content.decode()
    )
    assert "library bug" not in response.content.decode()
    assert not Guide.objects.exists()


def test_choosing_neither_file_nor_text_says_so(host_client, club):
    response = host_client.post(
        reverse("club_guides:import", args=[club.slug]), {"action": "read", "pasted": " "}
    )
    assert "Choose a file, or paste the guide&#x27;s text." in response.content.decode()


# ---------- Editing, history and revert ----------


def make_guide(club, host, questions=("Why walk?", "What is owed?")) -> Guide:
    return save_guide(
        GuideContent(title="The Salt Road", author="Ada Quill", questions=list(questions)), by=host, club=club
    )


def edit(client, guide, **fields):
    data = {"title": guide.title, "author": guide.author, "questions": "Why walk?\nWhat is owed?", **fields}
    return client.post(reverse("club_guides:edit", args=[guide.club.slug, guide.pk]), data)


def test_editing_keeps_the_rows_of_unchanged_questions(host_client, club, host):
    guide = make_guide(club, host)
    kept = Question.objects.get(guide=guide, text="What is owed?").pk
    response = edit(host_client, guide, questions="What is owed?\nA new one?")
    assert response.status_code == 302
    assert list(guide.questions.values_list("pk", "text")) == [
        (kept, "What is owed?"),
        (Question.objects.get(text="A new one?").pk, "A new one?"),
    ]


def test_the_history_lists_each_save_and_a_revert_puts_the_questions_back(host_client, club, host):
    guide = make_guide(club, host)
    edit(host_client, guide, questions="Only this?")
    history = host_client.get(reverse("club_guides:history", args=[club.slug, guide.pk])).content.decode()
    assert history.count('class="guide-history__item"') == 2
    assert "Changed by hana" in history and "Created by hana" in history

    form = BeautifulSoup(history, "html.parser").select("li.guide-history__item form")[0]
    response = host_client.post(form["action"])
    assert response.status_code == 302
    assert list(guide.questions.values_list("text", flat=True)) == ["Why walk?", "What is owed?"]
    later = host_client.get(reverse("club_guides:history", args=[club.slug, guide.pk])).content.decode()
    assert later.count('class="guide-history__item"') == 3
    assert "Reverted to the version of" in later


def test_a_cover_can_be_removed(host_client, club, host):
    guide = make_guide(club, host)
    edit(host_client, guide, cover=png(), cover_alt="Navy")
    guide.refresh_from_db()
    assert guide.illustration
    edit(host_client, guide, remove_cover="on", cover_alt="Navy")
    guide.refresh_from_db()
    assert not guide.illustration and guide.illustration_alt == ""


def test_staff_publish_a_copy_in_the_library_as_a_draft(club, host, staff):
    guide = make_guide(club, host)
    copy = copy_to_library(guide)
    assert copy.club is None and copy.status == Guide.Status.DRAFT and copy.slug != guide.slug
    assert list(copy.questions.values_list("text", flat=True)) == ["Why walk?", "What is owed?"]
    assert Guide.objects.get(pk=guide.pk).club == club  # the club keeps its own

    response = client_for(staff).post(
        reverse("admin:guides_guide_changelist"),
        {"action": "copy_to_library", "_selected_action": [guide.pk]},
    )
    assert response.status_code == 302
    assert Guide.objects.library().filter(title="The Salt Road").count() == 2


# ---------- Pages ----------


def test_the_club_page_lists_the_clubs_guides_and_offers_hosts_the_ways_in(host_client, club, host, member):
    make_guide(club, host)
    host_page = host_client.get(club.get_absolute_url()).content.decode()
    assert "The Salt Road" in host_page
    assert reverse("club_guides:new", args=[club.slug]) in host_page
    assert reverse("club_guides:import", args=[club.slug]) in host_page
    member_page = client_for(member).get(club.get_absolute_url()).content.decode()
    assert "The Salt Road" in member_page
    assert reverse("club_guides:import", args=[club.slug]) not in member_page


def test_the_guide_page_runs_the_same_queries_for_few_or_many_items(
    host_client, club, host, django_assert_num_queries
):
    guide = make_guide(club, host)
    url = guide.get_absolute_url()
    with django_assert_num_queries(6):
        small = host_client.get(url)
    save_guide(
        GuideContent(
            title="The Salt Road",
            author="Ada Quill",
            questions=[f"Question {n}?" for n in range(60)],
            quotes=[f"Quote {n}" for n in range(20)],
            further_reading=[(f"Book {n}", "Someone") for n in range(20)],
            other_books=[(f"Other {n}", 2000 + n) for n in range(20)],
        ),
        by=host,
        guide=guide,
    )
    with django_assert_num_queries(6):
        large = host_client.get(url)
    assert small.content.decode().count("<li>") < large.content.decode().count("<li>")


def test_the_history_page_runs_the_same_queries_for_few_or_many_versions(
    host_client, club, host, django_assert_num_queries
):
    guide = make_guide(club, host)
    url = reverse("club_guides:history", args=[club.slug, guide.pk])
    with django_assert_num_queries(5):
        host_client.get(url)
    for number in range(12):
        edit(host_client, guide, questions=f"Version {number}?")
    with django_assert_num_queries(5):
        page = host_client.get(url)
    assert page.content.decode().count('class="guide-history__item"') == 13


def test_the_import_preview_runs_the_same_queries_for_a_short_or_long_file(
    host_client, club, django_assert_num_queries
):
    url = reverse("club_guides:import", args=[club.slug])
    with django_assert_num_queries(3):
        host_client.post(url, {"action": "read", "pasted": "1. One?\n2. Two?"})
    many = "\n".join(f"{n}. Question {n}?" for n in range(1, 150))
    with django_assert_num_queries(3):
        response = host_client.post(url, {"action": "read", "pasted": many})
    assert "Found: 149 questions." in response.content.decode()


def test_the_form_pages_run_the_same_queries_for_few_or_many_items(
    host_client, club, host, django_assert_num_queries
):
    guide = make_guide(club, host)
    pages = [
        reverse("club_guides:new", args=[club.slug]),
        reverse("club_guides:import", args=[club.slug]),
        reverse("club_guides:edit", args=[club.slug, guide.pk]),
    ]
    for url in pages:
        with django_assert_num_queries(6 if "edit" in url else 3):
            host_client.get(url)
    save_guide(
        GuideContent(
            title="The Salt Road",
            author="Ada Quill",
            questions=[f"Question {n}?" for n in range(80)],
            further_reading=[(f"Book {n}", "Someone") for n in range(30)],
        ),
        by=host,
        guide=guide,
    )
    with django_assert_num_queries(6):
        page = host_client.get(pages[2]).content.decode()
    assert "Question 79?" in page
