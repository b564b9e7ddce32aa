"""`manage.py import_guide` reads the layouts hosts bring too, into the library or (--club) a club."""

# Fixtures imported from other test modules are parameters of the tests here (pytest's way of sharing
# them without a conftest that every guides test would see); ruff reads those parameters as redefinitions.
# ruff: noqa: F811

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from PIL import Image

from guides.models import Guide
from tests.sessions.conftest import club, host, member  # noqa: F401

LAYOUTS = Path(__file__).resolve().parent / "fixtures" / "layouts"

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str, int]:
    out, err = io.StringIO(), io.StringIO()
    code = 0
    try:
        call_command("import_guide", *[str(a) for a in args], stdout=out, stderr=err)
    except SystemExit as exit:
        code = exit.code
    return out.getvalue(), err.getvalue(), code


def test_a_web_page_guide_is_imported_into_the_library():
    path = LAYOUTS / "orchard-at-worlds-end.html"
    out, err, code = run(path)
    guide = Guide.objects.get()
    assert (code, err) == (0, "")
    assert (
        out
        == f"Imported 'The Orchard at World's End' (published, 10 questions, 1 about-the-book) from {path}\n"
    )
    assert guide.club is None and guide.is_published and guide.has_spoilers
    assert guide.slug == "the-orchard-at-worlds-end"


def test_a_text_file_in_no_layout_keeps_the_guide_page_message():
    # .txt files keep what the guide-page layout says about them when no other layout fits either.
    _, err, code = run(LAYOUTS / "pasted-questions.txt")
    assert code == 1 and "no guide headings found" in err


def test_a_text_file_in_another_layout_falls_back_to_the_general_reader():
    out, _, code = run(LAYOUTS / "salt-road-readers-guide.txt", "--draft")
    assert code == 0 and "Imported 'The Salt Road' (draft, 8 questions" in out
    assert Guide.objects.get().further_reading.count() == 3


def test_a_brochure_goes_into_a_club_as_two_guides(club):
    out, _, code = run(LAYOUTS / "riverside-autumn-brochure.pdf", "--club", club.slug)
    assert code == 0
    assert out.count(f"(club '{club.slug}',") == 2
    assert sorted(Guide.objects.filter(club=club).values_list("title", flat=True)) == [
        "Nine Bridges",
        "The Salt Marsh Wedding",
    ]
    assert not Guide.objects.library().exists()


def test_a_file_without_a_title_is_refused_in_one_line_and_nothing_is_written(tmp_path):
    notes = tmp_path / "questions.md"
    notes.write_bytes((LAYOUTS / "pasted-questions.txt").read_bytes())
    out, err, code = run(notes)
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "title: This field is required." in err
    assert not Guide.objects.exists()


def test_a_scanned_pdf_is_refused(tmp_path):
    scan = tmp_path / "scan.pdf"
    Image.new("RGB", (100, 100), "white").save(scan, "PDF")
    _, err, code = run(scan)
    assert code == 1
    assert err.startswith(f"import_guide: {scan}: This PDF has no text in it: it looks like a scanned image")
    assert not Guide.objects.exists()


def test_a_library_slug_already_taken_is_refused():
    run(LAYOUTS / "orchard-at-worlds-end.html")
    _, err, code = run(LAYOUTS / "orchard-at-worlds-end.html")
    assert code == 1 and "the library already has a guide with the slug 'the-orchard-at-worlds-end'" in err
    assert Guide.objects.count() == 1


def test_an_unknown_club_is_an_error(club):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no club with slug 'nope'"):
        call_command("import_guide", str(LAYOUTS / "lantern-keepers.md"), "--club", "nope")
