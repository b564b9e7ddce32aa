"""The guide pages in a real browser: navigation, live search, keyboard use and accessibility (axe-core)."""

import io
import os
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from PIL import Image, ImageDraw

from guides.models import Adaptation, OtherBook, Question, Quote, ReviewStatus, TalkingPoint, Trivia
from tests.axe import axe_violations
from tests.guides.guide_builders import make_guide

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("SCREENSHOT_DIR", "/tmp/shots"))


def illustration_png() -> bytes:
    """A soft landscape-ish picture, so screenshots show how a real illustration sits on the page."""
    image = Image.new("RGB", (1200, 800), (231, 214, 190))
    draw = ImageDraw.Draw(image)
    for y in range(800):
        shade = int(40 * y / 800)
        draw.line([(0, y), (1200, y)], fill=(236 - shade, 214 - shade, 186 - shade))
    draw.rectangle([780, 180, 1000, 560], fill=(120, 84, 60))
    draw.ellipse([300, 260, 520, 480], fill=(70, 110, 112))
    draw.rectangle([240, 460, 620, 720], fill=(150, 70, 60))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def guide():
    guide = make_guide(
        summary=(
            "*Never Let Me Go* follows Kathy, a young woman growing up in an alternative version of late "
            "20th century England. She and her friends were created to donate their organs when they reach "
            "adulthood. The novel explores **mortality**, morality and the value of life."
        ),
        about=(
            "Kathy, Tommy and Ruth grow up at Hailsham, an isolated boarding school, and slowly learn what "
            "they are for. At its core the novel is about loss and hope."
        ),
        themes=("Memory", "Mortality", "Friendship"),
        illustration_alt="A reader enjoying Never Let Me Go in a cosy interior",
        illustration_caption="A reader enjoying Never Let Me Go by Kazuo Ishiguro",
    )
    guide.illustration.save("never-let-me-go.png", ContentFile(illustration_png()), save=True)
    questions = [
        "What did you think of the way the novel portrayed the theme of mortality?",
        "How did the characters' relationships develop throughout the novel?",
        "Did you find Kathy's narrative voice convincing and engaging?",
    ]
    for n, text in enumerate(questions):
        Question.objects.create(guide=guide, position=n, text=text)
    TalkingPoint.objects.create(guide=guide, text="The story's exploration of identity is poignant.")
    TalkingPoint.objects.create(guide=guide, position=1, text="The calm narration makes the horror quieter.")
    Quote.objects.create(guide=guide, text="We all complete.", chapter="22", page="277")
    Quote.objects.create(
        guide=guide,
        position=1,
        text="Memories, even your most precious ones, fade surprisingly quickly.",
    )
    Adaptation.objects.create(
        guide=guide,
        kind=Adaptation.Kind.FILM,
        title="Never Let Me Go",
        year=2010,
        notes="Directed by Mark Romanek, starring *Carey Mulligan*.",
        review_status=ReviewStatus.VERIFIED,
        source_url="https://example.org/film",
    )
    Adaptation.objects.create(guide=guide, position=1, kind=Adaptation.Kind.STAGE, notes="A 2019 stage play.")
    OtherBook.objects.create(guide=guide, title="The Remains of the Day", year=1989)
    OtherBook.objects.create(guide=guide, position=1, title="Klara and the Sun", year=2021)
    Trivia.objects.create(guide=guide, text="It was shortlisted for the Man Booker Prize.")
    guide.update_reading_time()
    make_guide("Middlemarch", "George Eliot", themes=("Marriage",))
    make_guide("Beloved", "Toni Morrison", themes=("Memory",))
    return guide


def assert_no_axe_violations(page, *, colours_only: bool = False) -> None:
    violations = axe_violations(page, colours_only=colours_only)
    assert not violations, violations


def wait_for_htmx(page) -> None:
    page.wait_for_function("() => window.htmx !== undefined")


def test_a_reader_goes_from_home_to_the_guide_and_sees_every_section(page, guide):
    page.goto("/")
    page.get_by_role("link", name="Never Let Me Go").click()

    page.wait_for_url(f"**{guide.get_absolute_url()}")
    assert page.get_by_role("heading", level=1).inner_text() == "Never Let Me Go"
    for heading in (
        "Summary",
        "What is it about?",
        "Discussion questions",
        "What to say about it",
        "Top quotes",
        "Adaptations",
        "Other books by Kazuo Ishiguro",
        "Did you know?",
    ):
        assert page.get_by_role("heading", level=2, name=heading).is_visible(), heading
    figure = page.locator("figure.guide__figure img")
    assert figure.get_attribute("alt") == "A reader enjoying Never Let Me Go in a cosy interior"
    assert figure.evaluate("img => img.naturalWidth") == 1200
    assert page.get_by_text("We all complete.").is_visible()
    assert page.get_by_text("Unverified").first.is_visible()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", ["/", "/guides/", "/guides/never-let-me-go/"], ids=["home", "list", "guide"])
def test_pages_have_no_wcag_violations(page, guide, scheme, path):
    page.emulate_media(color_scheme=scheme)
    page.goto(path)

    assert page.evaluate("() => matchMedia('(prefers-color-scheme: dark)').matches") == (scheme == "dark")
    # Every rule in the light scheme; in the dark one, the rules a colour scheme can change.
    assert_no_axe_violations(page, colours_only=scheme == "dark")


def test_live_search_updates_the_results_without_loading_a_new_page(page, guide):
    page.goto("/guides/")
    wait_for_htmx(page)
    page.evaluate("() => { window.sameDocument = true }")
    assert page.locator("#guide-results .card").count() == 3

    page.get_by_label("Search guides").press_sequentially("eliot", delay=20)

    page.wait_for_function("() => document.querySelectorAll('#guide-results .card').length === 1")
    assert page.locator("#guide-results .card").inner_text().startswith("Middlemarch")
    assert page.locator("#guide-count").inner_text() == "1 guide"
    assert page.url.endswith("/guides/?q=eliot")
    assert page.evaluate("() => window.sameDocument") is True

    page.get_by_label("Search guides").fill("zzz")
    page.wait_for_function("() => document.querySelectorAll('#guide-results .card').length === 0")
    assert page.locator("#guide-count").inner_text() == "No guides match “zzz”."
    assert page.evaluate("() => window.sameDocument") is True


def test_search_works_as_a_plain_form_without_javascript(browser, live_server, guide):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/guides/")
        page.get_by_label("Search guides").fill("morrison")
        page.get_by_role("button", name="Search").click()
        page.wait_for_url("**/guides/?q=morrison")
        assert page.locator("#guide-results .card").count() == 1
        assert page.get_by_role("link", name="Beloved").is_visible()
    finally:
        context.close()


def test_the_skip_link_comes_first_and_moves_focus_to_main(page, guide):
    page.goto(guide.get_absolute_url())

    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.textContent.trim()")
    assert focused == "Skip to content"
    assert page.get_by_role("link", name="Skip to content").is_visible()

    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screenshots_of_the_guide_page(page, guide, width, scheme):
    """Not an assertion about looks: pictures for a person to judge the design (see SCREENSHOT_DIR)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": width, "height": 900})
    page.emulate_media(color_scheme=scheme)
    page.goto(guide.get_absolute_url())
    page.locator("figure.guide__figure img").evaluate("img => img.decode()")

    page.screenshot(path=SHOTS / f"guide-{width}-{scheme}.png", full_page=True)
    for path, name in (("/", "home"), ("/guides/", "list")):
        page.goto(path)
        page.screenshot(path=SHOTS / f"{name}-{width}-{scheme}.png", full_page=True)
    page.goto(guide.get_absolute_url())
    page.emulate_media(media="print")
    page.screenshot(path=SHOTS / f"guide-{width}-{scheme}-print.png", full_page=True)

    # Nothing may stick out sideways on a phone: horizontal scrolling breaks reading.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("path", ["/", "/guides/", "/guides/never-let-me-go/"], ids=["home", "list", "guide"])
def test_text_zoomed_to_200_percent_still_fits_the_screen(page, guide, width, path):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(path)
    # Text-only zoom, as the browser setting does it: the root font size doubles, the viewport stays.
    page.evaluate("() => { document.documentElement.style.fontSize = '200%' }")

    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    assert page.get_by_role("heading", level=1).is_visible()
