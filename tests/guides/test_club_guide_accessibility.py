"""The club-guide pages and the question pool in a real browser: axe-core (WCAG 2.2 A/AA) in light and
dark colour schemes, a host's whole way from pasted questions to a started meeting, and the import
working with JavaScript turned off. Helpers and the `site` come from tests/test_accessibility.py."""

# Fixtures imported from other test modules are parameters of the tests here (pytest's way of sharing
# them without a conftest that every guides test would see); ruff reads those parameters as redefinitions.
# ruff: noqa: F811, RUF001

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from guides.club_forms import GuideContent
from guides.club_guides import save_guide
from guides.models import Guide
from sessions.models import Meeting
from tests.axe import axe_violations
from tests.test_accessibility import (
    expect,
    finish_transitions,
    heading,
    log_in,
    site,  # noqa: F401
    wait_for_htmx,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAYOUTS = Path(__file__).resolve().parent / "fixtures" / "layouts"
PASTED = (LAYOUTS / "pasted-questions.txt").read_text()


def club_guide(site) -> Guide:
    return save_guide(
        GuideContent(
            title="The Salt Road",
            author="Ada Quill",
            summary="Mara walks the salt road.",
            about_author="Ada Quill was a surveyor.",
            questions=["Why walk?\n(a) Why not ride?", "What is owed?"],
            quotes=["A road is a promise."],
            further_reading=[("Moon Harbour", "Ines Calder")],
            has_spoilers=True,
        ),
        by=site.host,
        club=site.club,
    )


def new_guide(page, site):
    log_in(page, site, site.host)
    page.goto(reverse("club_guides:new", args=[site.club.slug]))
    heading(page, "New guide")


def new_guide_with_errors(page, site):
    new_guide(page, site)
    page.get_by_role("button", name="Save guide").click()
    expect(page.locator(".field__error").first).to_be_visible()


def import_page(page, site):
    log_in(page, site, site.host)
    page.goto(reverse("club_guides:import", args=[site.club.slug]))
    heading(page, "Import a guide")


def import_preview_with_lines_not_placed(page, site):
    import_page(page, site)
    page.get_by_label("A guide file").set_input_files(str(LAYOUTS / "winter-ferry-library-kit.html"))
    page.get_by_role("button", name="Read and preview").click()
    heading(page, "Check the import")
    expect(page.get_by_text("Not placed (3)")).to_be_visible()


def import_preview_of_a_brochure(page, site):
    import_page(page, site)
    page.get_by_label("A guide file").set_input_files(str(LAYOUTS / "riverside-autumn-brochure.pdf"))
    page.get_by_role("button", name="Read and preview").click()
    expect(page.get_by_text("This file holds 2 guides")).to_be_visible()


def guide_page(page, site):
    guide = club_guide(site)
    log_in(page, site, site.member)
    page.goto(guide.get_absolute_url())
    heading(page, "The Salt Road")


def edit_guide(page, site):
    guide = club_guide(site)
    log_in(page, site, site.host)
    page.goto(reverse("club_guides:edit", args=[site.club.slug, guide.pk]))
    heading(page, "Edit the guide")


def guide_history(page, site):
    guide = club_guide(site)
    save_guide(
        GuideContent(title="The Salt Road", author="Ada Quill", questions=["Only?"]),
        by=site.host,
        guide=guide,
    )
    log_in(page, site, site.host)
    page.goto(reverse("club_guides:history", args=[site.club.slug, guide.pk]))
    heading(page, "History of the guide")


def new_meeting_with_the_pool(page, site):
    guide = club_guide(site)
    log_in(page, site, site.host)
    page.goto(reverse("sessions:meeting_create", args=[site.club.slug]) + f"?guide={guide.pk}")
    expect(page.get_by_text("Tonight’s questions from The Salt Road")).to_be_visible()
    wait_for_htmx(page)


def new_meeting_just_questions_with_errors(page, site):
    log_in(page, site, site.host)
    page.goto(reverse("sessions:meeting_create", args=[site.club.slug]))
    page.get_by_label("Just questions, written here").check()
    page.get_by_role("button", name="Schedule meeting").click()
    expect(page.get_by_text("Give the meeting a title.")).to_be_visible()


PAGES = [
    new_guide,
    new_guide_with_errors,
    import_page,
    import_preview_with_lines_not_placed,
    import_preview_of_a_brochure,
    guide_page,
    edit_guide,
    guide_history,
    new_meeting_with_the_pool,
    new_meeting_just_questions_with_errors,
]


@pytest.mark.parametrize("visit", PAGES)
def test_every_club_guide_page_passes_axe_in_light_and_dark(page, site, visit):
    page.emulate_media(color_scheme="light")
    visit(page, site)
    light = axe_violations(page)
    page.emulate_media(color_scheme="dark")
    finish_transitions(page)
    dark = axe_violations(page, colours_only=True)
    assert not (light or dark), f"light:\n{light}\n\ndark:\n{dark}"


def test_a_host_pastes_questions_saves_them_and_starts_a_meeting_on_six(page, site):
    import_page(page, site)
    page.get_by_label("Or paste the guide's text").fill(PASTED)
    page.get_by_role("button", name="Read and preview").click()
    expect(page.get_by_text("Found: 9 questions.")).to_be_visible()
    page.get_by_label("Title", exact=True).fill("The Salt Road")
    page.get_by_label("Author", exact=True).fill("Ada Quill")
    page.get_by_role("button", name="Save guide").click()
    heading(page, "The Salt Road")
    guide = Guide.objects.get(club=site.club)
    assert guide.questions.count() == 9

    page.get_by_role("link", name="Schedule a meeting on it").click()
    heading(page, "New meeting")
    boxes = page.locator('input[name="questions"]')
    expect(boxes).to_have_count(9)
    for index in (1, 4, 7):  # leave out questions 2, 5 and 8
        boxes.nth(index).uncheck()
    # The last question first, with its "Up" buttons (question_pool.js renumbers the order boxes).
    wait_for_htmx(page)
    last = page.locator("[data-pool-item]").filter(has_text="Would you read another book")
    for _ in range(8):
        last.get_by_role("button", name="Up").click()
    expect(page.locator("[data-pool-item]").first).to_contain_text("Would you read another book")
    # By keyboard: Alt+ArrowDown in a question's number box moves it down, Alt+ArrowUp back up.
    items = page.locator("[data-pool-item]")
    items.first.locator("[data-pool-order]").focus()
    page.keyboard.press("Alt+ArrowDown")
    expect(items.nth(1)).to_contain_text("Would you read another book")
    expect(items.nth(1).locator("[data-pool-order]")).to_have_value("2")
    page.keyboard.press("Alt+ArrowUp")
    expect(items.first).to_contain_text("Would you read another book")
    when = timezone.localtime(timezone.now() + timedelta(days=3), site.club.tzinfo)
    page.get_by_label("Date and time").fill(when.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Schedule meeting").click()
    expect(page.get_by_text("Meeting scheduled.")).to_be_visible()

    meeting = Meeting.objects.filter(guide=guide).get()
    questions = list(meeting.questions.values_list("text", flat=True))
    assert questions == [
        "Would you read another book by this author?",
        "What did you expect from the title before you started reading?",
        "Was there a scene you wanted to argue with the author about?",
        "How did the setting shape the people in it?",
        "What question would you ask the author if you could?",
        "Did the ending feel earned?",
    ]
    page.get_by_role("button", name="Start meeting").click()
    expect(page.get_by_text("Would you read another book by this author?").first).to_be_visible()
    assert page.url.endswith(reverse("sessions:present", args=[meeting.pk]))


def test_the_import_works_with_javascript_turned_off(browser, site):
    context = browser.new_context(base_url=site.base_url, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        import_page(page, site)
        page.get_by_label("A guide file").set_input_files(str(LAYOUTS / "winter-ferry-library-kit.html"))
        page.get_by_role("button", name="Read and preview").click()
        page.get_by_label("Move to (line 3)").select_option("questions")
        page.get_by_role("button", name="Update the preview").click()
        expect(page.get_by_text("Found: 7 questions")).to_be_visible()
        page.get_by_role("button", name="Save guide").click()
        heading(page, "The Winter Ferry")
        assert Guide.objects.get(club=site.club).questions.count() == 7

        page.goto(reverse("sessions:meeting_create", args=[site.club.slug]))
        page.get_by_label("Guide", exact=True).select_option(label="The Winter Ferry (the club’s own guide)")
        page.get_by_role("button", name="Show its questions").click()
        expect(page.locator('input[name="questions"]')).to_have_count(7)
    finally:
        context.close()
