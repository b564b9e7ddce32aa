"""A whole meeting in real browsers: a host and a guest side by side, keyboard use, and axe-core on every
meeting page in light and dark colour schemes."""

import os
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from guides.exchange import import_guide
from guides.models import Guide
from sessions.models import Club, Meeting
from tests.axe import axe_violations
from tests.conftest import DEMO_GUIDE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("SCREENSHOT_DIR", "/tmp/shots"))
PASSWORD = "a-long-Reading-list-42"
POLL_WAIT = 5_000  # ms: without an event stream (the test server has none) the screens poll every 2 s
FIRST_QUESTION = "Question 1 of 10"


def expect(*args, **kwargs):
    # Imported late, like the browser itself: without Playwright installed the module still collects.
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(*args, **kwargs)


@pytest.fixture
def open_context(browser, live_server) -> Iterator[Callable]:
    """Opens pages in fresh browser contexts (separate cookies: separate people), closed afterwards."""
    contexts = []

    def open_page(*, width: int = 1280, height: int = 900, scheme: str = "light"):
        context = browser.new_context(
            base_url=live_server.url,
            viewport={"width": width, "height": height},
            color_scheme=scheme,
            # Colours are checked at rest, not half-way through a hover transition.
            reduced_motion="reduce",
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield open_page
    for context in contexts:
        context.close()


def log_in(page, user: User, base_url: str) -> None:
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base_url}]
    )


def wait_for_htmx(page) -> None:
    """htmx is loaded and has wired up the page (it does so on DOMContentLoaded, before "complete")."""
    page.wait_for_function("() => window.htmx !== undefined && document.readyState === 'complete'")
    page.evaluate("() => { window.sameDocument = true }")


def settled(page) -> None:
    """htmx has finished a swap and wired up the new content (a press before that submits natively)."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
    )


def still_the_same_document(page) -> bool:
    return page.evaluate("() => window.sameDocument === true")


def focused_id(page) -> str:
    return page.evaluate(
        "() => document.activeElement ? (document.activeElement.id || document.activeElement.tagName) : ''"
    )


def tab_to(page, element_id: str, *, limit: int = 60) -> None:
    """Press Tab until the element with this id has the focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused_id(page) == element_id:
            return
    raise AssertionError(f"Tab never reached #{element_id}")


# ---------- Data for the pages that are not about getting there ----------


@dataclass
class Scene:
    host: User
    club: Club
    guide: Guide
    scheduled: Meeting
    live: Meeting
    ended: Meeting


def demo_guide() -> Guide:
    import_guide(DEMO_GUIDE.read_bytes())
    return Guide.objects.get(title="Never Let Me Go")


@pytest.fixture
def scene(db) -> Scene:
    """One club with a scheduled, a live (with answers) and an ended (with answers) meeting."""
    guide = demo_guide()
    host = User.objects.create_user("hana", "hana@example.com", PASSWORD)
    club = Club.create(name="Tuesday Readers", description="We read on Tuesdays, mostly novels.", host=host)
    later = timezone.now() + timedelta(days=7)
    scheduled = Meeting.schedule(
        club=club, guide=guide, by=host, starts_at=later, place="The Crown, upstairs"
    )
    live = Meeting.schedule(club=club, guide=guide, by=host, starts_at=later + timedelta(days=7))
    live.start()
    question = live.current_question
    for name, text in [
        ("Ruth", "Hailsham felt like a real school until the guardians' hints piled up."),
        ("Tommy", "The art gallery idea broke my heart.\nEspecially Madame's reaction."),
    ]:
        live.add_guest(name).post_answer(question, text, uuid.uuid4())
    ended = Meeting.schedule(club=club, guide=guide, by=host, starts_at=later + timedelta(days=14))
    ended.start()
    for name in ("Ruth", "Tommy"):
        ended.add_guest(name).post_answer(ended.current_question, f"{name} remembers Hailsham.", uuid.uuid4())
    ended.end()
    return Scene(
        host, club, guide, scheduled, Meeting.objects.get(pk=live.pk), Meeting.objects.get(pk=ended.pk)
    )


def join_as_guest(page, meeting: Meeting, name: str) -> None:
    page.goto(reverse("sessions:join_code", args=[meeting.join_code]))
    page.get_by_label("Display name").fill(name)
    page.get_by_role("button", name="Join", exact=True).click()
    page.wait_for_url(f"**{reverse('sessions:live', args=[meeting.pk])}")
    wait_for_htmx(page)


# ---------- The whole meeting ----------


def test_a_host_and_a_guest_hold_a_whole_meeting_through_the_pages(open_context):
    demo_guide()
    host = open_context()
    guest = open_context(width=390, height=844)

    host.goto("/accounts/signup/")
    host.get_by_label("Username").fill("hana")
    host.get_by_label("Email").fill("hana@example.com")
    host.get_by_label("Password", exact=True).fill(PASSWORD)
    host.get_by_label("Password confirmation").fill(PASSWORD)
    host.get_by_role("button", name="Sign up").click()

    host.get_by_role("link", name="New club").click()
    host.get_by_label("Name", exact=True).fill("Tuesday Readers")
    host.get_by_role("button", name="Create club").click()
    expect(host.get_by_role("heading", level=1)).to_have_text("Tuesday Readers")

    host.get_by_role("link", name="New meeting").click()
    host.get_by_label("Guide").select_option(label="Never Let Me Go")
    tomorrow = timezone.now() + timedelta(days=1)
    host.get_by_label("Date and time").fill(tomorrow.strftime("%Y-%m-%dT%H:%M"))
    host.get_by_role("button", name="Schedule meeting").click()
    host.get_by_role("button", name="Start meeting").click()
    expect(host.locator(".stage__number")).to_have_text(FIRST_QUESTION)
    wait_for_htmx(host)

    join_link = host.get_by_role("complementary", name="Join this meeting").get_by_role(
        "link", name=re.compile("^http")
    )
    guest.goto(join_link.get_attribute("href"))
    guest.get_by_label("Display name").fill("Kathy")
    guest.get_by_role("button", name="Join", exact=True).click()
    expect(guest.locator("#member-question .stage__number")).to_have_text(FIRST_QUESTION)
    wait_for_htmx(guest)

    box = guest.get_by_label("Your answer", exact=True)
    box.fill("Hailsham was a kind of cage.")
    guest.get_by_role("button", name="Post answer").click()
    expect(guest.get_by_text("Your answer is saved.")).to_be_visible()
    expect(host.get_by_text("Hailsham was a kind of cage.")).to_be_visible(timeout=POLL_WAIT)
    expect(host.get_by_role("region", name="People")).to_contain_text("Kathy")
    settled(host)

    box.fill("Half a thought about Tommy")
    host.get_by_role("button", name="Next question").click()
    expect(host.locator(".stage__number")).to_have_text("Question 2 of 10")
    expect(guest.locator("#member-question .stage__number")).to_have_text(
        "Question 2 of 10", timeout=POLL_WAIT
    )
    # The draft stays with the question it was typed for; the new question gets a fresh box.
    expect(guest.get_by_label("Your answer to question 1")).to_have_value("Half a thought about Tommy")
    expect(box).to_have_value("")

    host.get_by_text("End meeting…").click()
    host.get_by_role("button", name="End meeting", exact=True).click()
    host.wait_for_url("**/recap/")
    expect(host.get_by_role("heading", level=1)).to_have_text("Never Let Me Go")
    expect(host.get_by_text("Hailsham was a kind of cage.")).to_be_visible()

    guest.wait_for_url("**/recap/", timeout=POLL_WAIT)
    expect(guest.get_by_text("Hailsham was a kind of cage.")).to_be_visible()
    # Never posted, so not in the recap; but not lost either: kept on the phone, ready to copy.
    expect(guest.get_by_text("Half a thought about Tommy")).to_have_count(0)
    expect(guest.get_by_label(re.compile("^Unsent answer to question 1"))).to_have_value(
        "Half a thought about Tommy"
    )


# ---------- Accessibility ----------


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_meeting_page_passes_axe(open_context, live_server, scene, scheme):
    """Every rule in the light scheme; in the dark one, the rules a colour scheme can change."""
    reports = []

    def axe_report(page) -> str:
        return axe_violations(page, colours_only=scheme == "dark")

    guest = open_context(scheme=scheme)
    assert guest.evaluate("() => matchMedia('(prefers-color-scheme: dark)').matches") == (scheme == "dark")
    for path in ("/accounts/signup/", "/accounts/login/", reverse("sessions:join")):
        guest.goto(path)
        reports.append(axe_report(guest))
    guest.goto(reverse("sessions:join_code", args=[scene.live.join_code]))
    expect(guest.get_by_label("Display name")).to_be_visible()
    reports.append(axe_report(guest))
    guest.get_by_label("Display name").fill("Kathy")
    guest.get_by_role("button", name="Join", exact=True).click()
    expect(guest.get_by_label("Your answer", exact=True)).to_be_visible()
    wait_for_htmx(guest)
    reports.append(axe_report(guest))

    host = open_context(scheme=scheme)
    log_in(host, scene.host, live_server.url)
    for path in (
        reverse("sessions:club", args=[scene.club.slug]),
        reverse("sessions:meeting_create", args=[scene.club.slug]),
        reverse("sessions:meeting", args=[scene.scheduled.pk]),
        reverse("sessions:present", args=[scene.live.pk]),
        reverse("sessions:live", args=[scene.live.pk]),
        reverse("sessions:recap", args=[scene.ended.pk]),
    ):
        host.goto(path)
        assert host.url.endswith(path), f"{path} led to {host.url}"
        reports.append(axe_report(host))

    # The presenter at its busiest: locked, an answer hidden, a countdown running, "End meeting…" open.
    host.goto(reverse("sessions:present", args=[scene.live.pk]))
    wait_for_htmx(host)
    host.get_by_role("button", name="Lock answers").click()
    expect(host.get_by_role("button", name="Unlock answers")).to_be_visible()
    settled(host)
    host.get_by_role("button", name="Hide answer 1").click()
    expect(host.get_by_role("button", name="Show again hidden answer 1")).to_be_visible()
    settled(host)
    host.get_by_role("button", name="30 s").click()
    expect(host.get_by_text("Time left")).to_be_visible()
    settled(host)
    host.get_by_text("End meeting…").click()
    expect(host.get_by_role("button", name="End meeting", exact=True)).to_be_visible()
    reports.append(axe_report(host))

    # The guest's view of that state (brought by a poll), then with an answer refused beside the field.
    expect(guest.locator("[data-answer-form] [data-lock-note]")).to_have_text(
        re.compile("Answers are locked"), timeout=POLL_WAIT
    )
    guest.get_by_label("Your answer", exact=True).fill("Too late")
    guest.get_by_role("button", name="Post answer").click()
    expect(guest.locator("[data-answer-form] .field__error")).to_have_text(
        "Answers are locked for this question."
    )
    reports.append(axe_report(guest))

    # The recap as a guest sees it, once the host ends the meeting.
    host.get_by_role("button", name="End meeting", exact=True).click()
    guest.wait_for_url("**/recap/", timeout=POLL_WAIT)
    reports.append(axe_report(guest))

    violations = "\n\n".join(report for report in reports if report)
    assert not violations, violations


@pytest.mark.parametrize("width", [390, 1280])
def test_no_meeting_page_scrolls_sideways(open_context, live_server, scene, width):
    host = open_context(width=width)
    log_in(host, scene.host, live_server.url)
    too_wide = []
    for path in (
        reverse("sessions:club", args=[scene.club.slug]),
        reverse("sessions:meeting_create", args=[scene.club.slug]),
        reverse("sessions:meeting", args=[scene.scheduled.pk]),
        reverse("sessions:present", args=[scene.live.pk]),
        reverse("sessions:live", args=[scene.live.pk]),
        reverse("sessions:recap", args=[scene.ended.pk]),
    ):
        host.goto(path)
        scroll_width = host.evaluate("() => document.documentElement.scrollWidth")
        if scroll_width > width:
            too_wide.append(f"{path}: {scroll_width}px")
    assert not too_wide, too_wide


# ---------- Keyboard ----------


def test_the_host_runs_the_meeting_by_keyboard_alone(open_context, live_server, scene):
    host = open_context()
    log_in(host, scene.host, live_server.url)
    host.goto(reverse("sessions:present", args=[scene.live.pk]))
    wait_for_htmx(host)
    number = host.locator(".stage__number")

    tab_to(host, "control-next")
    host.keyboard.press("Enter")
    expect(number).to_have_text("Question 2 of 10")
    settled(host)
    # The button was swapped for a fresh one; the focus follows it instead of falling back to <body>.
    assert focused_id(host) == "control-next"
    host.keyboard.press("Enter")
    expect(number).to_have_text("Question 3 of 10")
    settled(host)
    assert focused_id(host) == "control-next"

    # A "Go" goes away once its question is showing, and "Next question" is disabled at the last one:
    # the focus then moves to the question now showing.
    tab_to(host, host.get_by_role("button", name="Go to question 9").get_attribute("id"))
    host.keyboard.press("Enter")
    expect(number).to_have_text("Question 9 of 10")
    settled(host)
    assert focused_id(host) == "current-question"
    tab_to(host, "control-next")
    host.keyboard.press("Enter")
    expect(number).to_have_text("Question 10 of 10")
    settled(host)
    expect(host.get_by_role("button", name="Next question")).to_be_disabled()
    assert focused_id(host) == "current-question"
    assert still_the_same_document(host)

    tab_to(host, "end-meeting-toggle")
    host.keyboard.press("Enter")
    host.keyboard.press("Tab")
    assert focused_id(host) == "control-end"
    host.keyboard.press("Enter")
    host.wait_for_url("**/recap/")


def test_a_control_pressed_the_moment_a_push_replaces_it_is_sent_in_place(open_context, live_server, scene):
    host = open_context()
    log_in(host, scene.host, live_server.url)
    host.goto(reverse("sessions:present", args=[scene.live.pk]))
    wait_for_htmx(host)
    host.locator("#control-next").focus()

    # A push swaps the controls in as the SSE extension does (the region's swap: innerHTML, settling
    # 20 ms later), and the host presses Next in that same instant.
    host.evaluate(
        """() => {
            const region = document.getElementById('presenter-live');
            htmx.swap(region, region.innerHTML, {swapStyle: 'innerHTML', swapDelay: 0, settleDelay: 20});
            document.getElementById('control-next').click();
        }"""
    )

    expect(host.locator(".stage__number")).to_have_text("Question 2 of 10")
    settled(host)
    assert still_the_same_document(host), "the press reloaded the page instead of going through htmx"
    assert focused_id(host) == "control-next"


def in_view(page, element_id: str) -> bool:
    return page.evaluate(
        """id => { const box = document.getElementById(id).getBoundingClientRect();
                   return box.top >= -1 && box.bottom <= window.innerHeight + 1; }""",
        element_id,
    )


def test_when_the_presenters_focused_control_goes_away_the_focus_goes_to_the_control_that_follows(
    open_context, live_server, scene
):
    host = open_context(height=720)
    log_in(host, scene.host, live_server.url)
    host.goto(reverse("sessions:present", args=[scene.live.pk]))
    wait_for_htmx(host)

    # Start timer -> Stop timer, and back.
    tab_to(host, "control-timer-1-min")
    host.keyboard.press("Enter")
    expect(host.get_by_role("button", name="Stop timer")).to_be_visible()
    settled(host)
    assert focused_id(host) == "control-timer-stop"
    host.keyboard.press("Enter")
    expect(host.get_by_role("button", name="1 min")).to_be_visible()
    settled(host)
    assert focused_id(host) in ("control-timer-question", "control-timer-1-min")

    # Hide -> the same answer's "Show again", brought into view.
    answer = scene.live.current_question.answers.order_by("created_at").first()
    tab_to(host, f"hide-{answer.pk}")
    host.keyboard.press("Enter")
    expect(host.get_by_role("button", name="Show again hidden answer 1")).to_be_visible()
    settled(host)
    assert focused_id(host) == f"hide-{answer.pk}" and in_view(host, f"hide-{answer.pk}")

    # Remove -> that person's "Let back in", to undo it.
    person = scene.live.participants.get(display_name="Ruth")
    tab_to(host, f"remove-{person.pk}")
    host.keyboard.press("Enter")
    host.keyboard.press("Tab")
    assert focused_id(host) == f"remove-yes-{person.pk}"
    host.keyboard.press("Enter")
    expect(host.get_by_role("button", name="Let back in Ruth")).to_be_visible()
    settled(host)
    assert focused_id(host) == f"readmit-{person.pk}" and in_view(host, f"readmit-{person.pk}")


def test_the_end_meeting_disclosure_stays_open_while_the_presenter_refreshes(
    open_context, live_server, scene
):
    host = open_context()
    log_in(host, scene.host, live_server.url)
    host.goto(reverse("sessions:present", args=[scene.live.pk]))
    wait_for_htmx(host)
    host.get_by_role("button", name="30 s").click()
    left = host.locator(".timer__value")
    expect(left).to_be_visible()
    settled(host)
    shown = left.inner_text()

    host.get_by_text("End meeting…").click()
    host.get_by_role("button", name="End meeting", exact=True).focus()
    # A running countdown refreshes the region at every poll.
    expect(left).not_to_have_text(shown, timeout=POLL_WAIT)
    settled(host)

    expect(host.get_by_role("button", name="End meeting", exact=True)).to_be_visible()
    assert focused_id(host) == "control-end"


def test_a_guest_posts_an_answer_by_keyboard_alone(open_context, scene):
    guest = open_context(width=390, height=844)
    join_as_guest(guest, scene.live, "Kathy")

    question = scene.live.current_question_id
    tab_to(guest, f"answer-text-{question}")
    guest.keyboard.type("Typed without a mouse.")
    guest.keyboard.press("Tab")
    assert focused_id(guest) == f"answer-submit-{question}"
    guest.keyboard.press("Enter")

    expect(guest.get_by_text("Your answer is saved.")).to_be_visible()
    expect(guest.get_by_role("region", name="Your answers")).to_contain_text("Typed without a mouse.")
    assert guest.get_by_label("Your answer", exact=True).input_value() == ""


def test_deleting_an_answer_leaves_the_focus_on_the_next_one_and_after_the_last_on_the_answer_box(
    open_context, scene
):
    guest = open_context(width=390, height=844)
    join_as_guest(guest, scene.live, "Kathy")
    question = scene.live.current_question_id
    for text in ("My first thought.", "My second thought."):
        guest.get_by_label("Your answer", exact=True).fill(text)
        guest.get_by_role("button", name="Post answer", exact=True).click()
        expect(guest.get_by_role("region", name="Your answers")).to_contain_text(text)
        settled(guest)
    first, second = scene.live.participants.get(display_name="Kathy").answers.order_by("created_at")

    guest.locator(f"#delete-{first.pk}").focus()
    guest.keyboard.press("Enter")
    expect(guest.get_by_role("region", name="Your answers")).not_to_contain_text("My first thought.")
    settled(guest)
    assert focused_id(guest) in (f"edit-{second.pk}", f"delete-{second.pk}")

    guest.locator(f"#delete-{second.pk}").focus()
    guest.keyboard.press("Enter")
    expect(guest.get_by_role("region", name="Your answers")).not_to_contain_text("My second thought.")
    settled(guest)
    assert focused_id(guest) == f"answer-text-{question}"


# ---------- A refused answer ----------


def test_a_blank_answer_is_refused_beside_the_field_and_the_typed_text_stays(open_context, scene):
    guest = open_context(width=390, height=844)
    join_as_guest(guest, scene.live, "Kathy")

    box = guest.get_by_label("Your answer", exact=True)
    box.fill("   \n  ")
    guest.get_by_role("button", name="Post answer").click()

    error = guest.locator("[data-answer-form] .field__error")
    expect(error).to_have_text("Write an answer before posting it.")
    expect(box).to_have_value("   \n  ")
    expect(box).to_have_attribute("aria-invalid", "true")
    assert f"answer-error-{scene.live.current_question_id}" in box.get_attribute("aria-describedby").split()
    assert still_the_same_document(guest)  # swapped by htmx, not a page load
    expect(guest.get_by_text("Your answer is saved.")).to_have_count(0)


# ---------- Screenshots ----------


def test_screenshots_of_the_meeting_pages(open_context, live_server, scene):
    """Pictures to look at, in both colour schemes: /tmp/shots/meeting-*.png (SCREENSHOT_DIR moves them)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    host = open_context(width=1280, height=900)
    log_in(host, scene.host, live_server.url)
    guest = open_context(width=390, height=844)
    join_as_guest(guest, scene.live, "Kathy")
    guest.get_by_label("Your answer", exact=True).fill("I kept thinking about the tapes.")
    guest.get_by_role("button", name="Post answer").click()
    expect(guest.get_by_text("Your answer is saved.")).to_be_visible()

    shots = [
        (host, reverse("sessions:present", args=[scene.live.pk]), "presenter"),
        (guest, None, "member"),
        (host, reverse("sessions:recap", args=[scene.ended.pk]), "recap"),
        (host, reverse("sessions:club", args=[scene.club.slug]), "club"),
    ]
    for page, path, name in shots:
        if path:
            page.goto(path)
        for scheme, suffix in (("light", ""), ("dark", "-dark")):
            page.emulate_media(color_scheme=scheme)
            page.screenshot(path=SHOTS / f"meeting-{name}{suffix}.png", full_page=True)
            assert (SHOTS / f"meeting-{name}{suffix}.png").stat().st_size > 10_000
