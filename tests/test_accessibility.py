"""Accessibility of every page, in one place: axe-core (WCAG 2.2 A/AA) in light and dark colour schemes,
text zoomed to 200%, a whole meeting run with the keyboard alone, a focus ring on every tab stop, the focus
kept through in-page updates, what screen readers are told when answers arrive, and reduced motion.

Every page is reached as a person reaches it (logged in, joined, a form sent back with its errors) by one
row of PAGES; the same table drives the axe run and the zoom check, and picks pages for the others.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from guides.exchange import import_guide
from guides.models import Guide
from sessions.models import Club, Meeting, Participant
from tests.axe import axe_violations
from tests.conftest import DEMO_GUIDE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-Reading-list-42"
POLL_WAIT = 5_000  # ms: the test server holds no event stream, so the screens poll (every 2 s by default)


def expect(*args, **kwargs):
    # Imported late, like the browser itself: without Playwright installed the module still collects.
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(*args, **kwargs)


# ---------- One club, its people and a meeting in every state ----------


@dataclass
class Site:
    base_url: str
    guide: Guide
    host: User
    member: User
    club: Club
    scheduled: Meeting
    live: Meeting
    ended: Meeting


@pytest.fixture
def site(live_server) -> Site:
    """Built through the app's own model methods; every test gets a fresh copy (the live server needs a
    transactional database, which is emptied after each test)."""
    import_guide(DEMO_GUIDE.read_bytes())
    guide = Guide.objects.get(title="Never Let Me Go")
    host = User.objects.create_user("hana", "hana@example.com", PASSWORD)
    member = User.objects.create_user("milo", "milo@example.com", PASSWORD)
    club = Club.create(name="Tuesday Readers", description="We read on Tuesdays, mostly novels.", host=host)
    club.join(member)
    later = timezone.now() + timedelta(days=7)
    scheduled = Meeting.schedule(club=club, guide=guide, by=host, starts_at=later, place="The Crown")

    live = Meeting.schedule(club=club, guide=guide, by=host, starts_at=later + timedelta(days=7))
    live.start()
    ruth = live.add_guest("Ruth")
    tommy = live.add_guest("Tommy")
    first = ruth.post_answer(
        live.current_question, "Hailsham felt like a real school at first.", uuid.uuid4()
    )
    tommy.post_answer(live.current_question, "The gallery idea broke my heart.\nAnd Madame.", uuid.uuid4())
    tommy.toggle_like(first)

    ended = Meeting.schedule(club=club, guide=guide, by=host, starts_at=later + timedelta(days=14))
    ended.start()
    ended.add_guest("Ruth").post_answer(ended.current_question, "Ruth remembers Hailsham.", uuid.uuid4())
    milo = ended.participant_for_user(member, Participant.Role.MEMBER)
    milo.post_answer(ended.current_question, "Milo remembers the tapes.", uuid.uuid4())
    ended.end()
    return Site(
        live_server.url,
        guide,
        host,
        member,
        club,
        *(Meeting.objects.get(pk=meeting.pk) for meeting in (scheduled, live, ended)),
    )


def hand_session(page, site: Site, client: Client) -> None:
    """The test client's session becomes the browser's: the same person, in the browser."""
    name = django_settings.SESSION_COOKIE_NAME
    page.context.add_cookies([{"name": name, "value": client.cookies[name].value, "url": site.base_url}])


def log_in(page, site: Site, user: User) -> None:
    client = Client()
    client.force_login(user)
    hand_session(page, site, client)


def join_as_guest(page, site: Site, meeting: Meeting, name: str) -> Participant:
    """Joins through the join page (by the test client, to be quick) and hands its session to the page."""
    client = Client()
    response = client.post(reverse("sessions:join_code", args=[meeting.join_code]), {"display_name": name})
    assert response.status_code == 302, response
    hand_session(page, site, client)
    return Participant.objects.get(meeting=meeting, display_name=name)


def wait_for_htmx(page) -> None:
    page.wait_for_function("() => window.htmx !== undefined && document.readyState === 'complete'")


def settled(page) -> None:
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
    )


def heading(page, text: str | re.Pattern) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(text)


# ---------- How to reach each page ----------


def home_anonymous(page, site):
    page.goto("/")
    heading(page, "Run your book club from a good guide")


def home_with_clubs(page, site):
    log_in(page, site, site.host)
    page.goto("/")
    expect(page.get_by_role("link", name="Tuesday Readers")).to_be_visible()


def guide_list_searched(page, site):
    page.goto("/guides/?q=never")
    expect(page.get_by_role("link", name="Never Let Me Go")).to_be_visible()


def guide_page(page, site):
    page.goto(site.guide.get_absolute_url())
    heading(page, "Never Let Me Go")


def sign_up(page, site):
    page.goto(reverse("signup"))
    heading(page, "Sign up")


def sign_up_with_errors(page, site):
    page.goto(reverse("signup"))
    page.get_by_label("Username").fill("hana")
    page.get_by_label("Email").fill("not an address")
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_label("Password confirmation").fill("different")
    page.get_by_role("button", name="Sign up").click()
    expect(page.locator(".field__error").first).to_be_visible()


def log_in_with_an_error(page, site):
    page.goto(reverse("login"))
    page.get_by_label("Username").fill("hana")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_be_visible()


def locked_out(page, site):
    """django-axes' page after too many wrong passwords for one account."""
    page.goto(reverse("login"))
    for _ in range(django_settings.AXES_FAILURE_LIMIT):
        page.get_by_label("Username").fill("hana")
        page.get_by_label("Password").fill("not-the-password")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state()
    heading(page, "Too many failed attempts")


def password_reset_form(page, site):
    page.goto(reverse("password_reset"))
    heading(page, "Reset your password")


def password_reset_done(page, site):
    page.goto(reverse("password_reset"))
    page.get_by_label("Email").fill("hana@example.com")
    page.get_by_role("button", name="Send reset link").click()
    heading(page, "Check your email")


def password_reset_confirm(page, site):
    uid = urlsafe_base64_encode(force_bytes(site.host.pk))
    page.goto(reverse("password_reset_confirm", args=[uid, default_token_generator.make_token(site.host)]))
    heading(page, "Choose a new password")


def password_reset_complete(page, site):
    password_reset_confirm(page, site)
    page.get_by_label("New password", exact=True).fill("another-Long-password-7")
    page.get_by_label("New password confirmation").fill("another-Long-password-7")
    page.get_by_role("button", name="Set new password").click()
    heading(page, "Your new password is set")


def password_change(page, site):
    log_in(page, site, site.host)
    page.goto(reverse("password_change"))
    heading(page, "Change password")


def password_change_with_errors(page, site):
    password_change(page, site)
    page.get_by_role("button", name="Change password").click()
    expect(page.locator(".field__error").first).to_be_visible()


def club_as_host(page, site):
    log_in(page, site, site.host)
    page.goto(site.club.get_absolute_url())
    expect(page.get_by_role("link", name="New meeting")).to_be_visible()


def club_as_member(page, site):
    log_in(page, site, site.member)
    page.goto(site.club.get_absolute_url())
    expect(page.get_by_text("You are a member")).to_be_visible()


def new_club(page, site):
    log_in(page, site, site.host)
    page.goto(reverse("sessions:club_create"))
    heading(page, "New club")


def new_meeting_with_errors(page, site):
    log_in(page, site, site.host)
    page.goto(reverse("sessions:meeting_create", args=[site.club.slug]))
    page.get_by_role("button", name="Schedule meeting").click()
    expect(page.locator(".field__error").first).to_be_visible()


def meeting(page, site, who: str, state: str):
    log_in(page, site, site.host if who == "host" else site.member)
    page.goto(getattr(site, state).get_absolute_url())
    heading(page, "Never Let Me Go")


def edit_meeting(page, site):
    log_in(page, site, site.host)
    page.goto(reverse("sessions:meeting_edit", args=[site.scheduled.pk]))
    heading(page, "Edit meeting")


def presenter(page, site):
    log_in(page, site, site.host)
    page.goto(reverse("sessions:present", args=[site.live.pk]))
    expect(page.get_by_text("Hailsham felt like a real school at first.")).to_be_visible()
    wait_for_htmx(page)


def audience_screen(page, site):
    log_in(page, site, site.host)
    page.goto(reverse("sessions:screen", args=[site.live.pk]))
    expect(page.get_by_text("Hailsham felt like a real school at first.")).to_be_visible()
    wait_for_htmx(page)


def presenter_with_a_countdown_and_the_shortcuts(page, site):
    site.live.start_timer(60, None)
    presenter(page, site)
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()


def member_with_a_draft_for_an_earlier_question(page, site):
    member_live(page, site)
    page.get_by_label("Your answer", exact=True).fill("A thought for the first question")
    site.live.step(1, None)
    expect(page.get_by_label("Your answer to question 1")).to_be_visible(timeout=POLL_WAIT)


def join(page, site):
    page.goto(reverse("sessions:join"))
    heading(page, "Join a meeting")


def join_with_an_unknown_code(page, site):
    page.goto(reverse("sessions:join"))
    page.get_by_label("Join code").fill("ZZZ999")
    page.get_by_role("button", name="Join", exact=True).click()
    # Refused on the form itself, or on the code's own page: either way the page says so.
    expect(page.get_by_text(re.compile("No meeting has (the|that) code")).first).to_be_visible()


def join_code(page, site):
    page.goto(reverse("sessions:join_code", args=[site.live.join_code]))
    expect(page.get_by_label("Display name")).to_be_visible()


def join_code_name_taken(page, site):
    join_code(page, site)
    page.get_by_label("Display name").fill("Ruth")
    page.get_by_role("button", name="Join", exact=True).click()
    expect(page.get_by_text("already called")).to_be_visible()


def member_before_start(page, site):
    log_in(page, site, site.member)
    page.goto(reverse("sessions:live", args=[site.scheduled.pk]))
    expect(page.get_by_role("heading", name="The meeting hasn't started yet")).to_be_visible()
    wait_for_htmx(page)


def member_live(page, site, *, locked: bool = False):
    kathy = join_as_guest(page, site, site.live, "Kathy")
    kathy.post_answer(site.live.current_question, "Kathy thinks about the tapes.", uuid.uuid4())
    if locked:
        site.live.set_locked(True, None)
    page.goto(reverse("sessions:live", args=[site.live.pk]))
    expect(page.get_by_role("button", name=re.compile("^Like the answer")).first).to_be_visible()
    wait_for_htmx(page)


def member_locked(page, site):
    member_live(page, site, locked=True)
    expect(page.locator("[data-answer-form] [data-lock-note]")).to_have_text(re.compile("Answers are locked"))


def member_removed(page, site):
    join_as_guest(page, site, site.live, "Kathy").remove()
    page.goto(reverse("sessions:live", args=[site.live.pk]))
    expect(page.get_by_text("The host removed you from this meeting")).to_be_visible()


def answer_edit(page, site):
    kathy = join_as_guest(page, site, site.live, "Kathy")
    answer = kathy.post_answer(site.live.current_question, "Kathy thinks about the tapes.", uuid.uuid4())
    page.goto(reverse("sessions:answer_edit", args=[site.live.pk, answer.pk]))
    heading(page, "Edit your answer")


def recap(page, site, who: str):
    log_in(page, site, site.host if who == "host" else site.member)
    page.goto(reverse("sessions:recap", args=[site.ended.pk]))
    expect(page.get_by_text("Milo remembers the tapes.")).to_be_visible()


def not_found(page, site):
    response = page.goto("/no-such-page/")
    assert response.status == 404


def invite_invalid(page, site):
    response = page.goto(reverse("sessions:invite", args=["not-a-real-token"]))
    assert response.status == 404
    heading(page, "This invite link does not work")


@dataclass(frozen=True)
class Visit:
    name: str
    how: Callable

    def __call__(self, page, site: Site) -> None:
        self.how(page, site)


def _visit(name: str, how: Callable, *args) -> pytest.param:
    return pytest.param(Visit(name, lambda page, site: how(page, site, *args)), id=name)


PAGES = [
    _visit("home", home_anonymous),
    _visit("home-with-clubs", home_with_clubs),
    _visit("guide-list-searched", guide_list_searched),
    _visit("guide", guide_page),
    _visit("sign-up", sign_up),
    _visit("sign-up-with-errors", sign_up_with_errors),
    _visit("log-in-with-an-error", log_in_with_an_error),
    _visit("locked-out", locked_out),
    _visit("password-reset", password_reset_form),
    _visit("password-reset-done", password_reset_done),
    _visit("password-reset-confirm", password_reset_confirm),
    _visit("password-reset-complete", password_reset_complete),
    _visit("password-change", password_change),
    _visit("password-change-with-errors", password_change_with_errors),
    _visit("club-as-host", club_as_host),
    _visit("club-as-member", club_as_member),
    _visit("new-club", new_club),
    _visit("new-meeting-with-errors", new_meeting_with_errors),
    _visit("meeting-scheduled-host", meeting, "host", "scheduled"),
    _visit("meeting-scheduled-member", meeting, "member", "scheduled"),
    _visit("meeting-live-host", meeting, "host", "live"),
    _visit("meeting-live-member", meeting, "member", "live"),
    _visit("meeting-ended-host", meeting, "host", "ended"),
    _visit("meeting-ended-member", meeting, "member", "ended"),
    _visit("edit-meeting", edit_meeting),
    _visit("presenter", presenter),
    _visit("presenter-countdown-shortcuts", presenter_with_a_countdown_and_the_shortcuts),
    _visit("audience-screen", audience_screen),
    _visit("join", join),
    _visit("join-with-an-unknown-code", join_with_an_unknown_code),
    _visit("join-code", join_code),
    _visit("join-code-name-taken", join_code_name_taken),
    _visit("member-view-before-start", member_before_start),
    _visit("member-view-live", member_live),
    _visit("member-view-locked", member_locked),
    _visit("member-view-draft", member_with_a_draft_for_an_earlier_question),
    _visit("member-view-removed", member_removed),
    _visit("answer-edit", answer_edit),
    _visit("recap-host", recap, "host"),
    _visit("recap-member", recap, "member"),
    _visit("not-found", not_found),
    _visit("invite-invalid", invite_invalid),
]


# ---------- axe-core on every page, light and dark ----------


def finish_transitions(page) -> None:
    """Colours are judged at rest: a scheme switched under a loaded page fades for 0.15 s. (A live region
    swapped meanwhile cancels its own fades, which reject: those are at rest too.)"""
    page.evaluate(
        "() => Promise.all(document.getAnimations().map(animation => animation.finished.catch(() => null)))"
    )


def relative_luminance(page, selector: str, prop: str) -> float:
    return page.evaluate(
        """([selector, prop]) => {
            const [r, g, b] = getComputedStyle(document.querySelector(selector))[prop]
                .match(/[\\d.]+/g).slice(0, 3).map(Number).map(v => v / 255)
                .map(c => c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
            return 0.2126 * r + 0.7152 * g + 0.0722 * b;
        }""",
        [selector, prop],
    )


@pytest.mark.parametrize("visit", PAGES)
def test_every_page_passes_axe_in_light_and_dark_colour_schemes(page, site, visit):
    page.emulate_media(color_scheme="light")
    visit(page, site)
    light = axe_violations(page)

    page.emulate_media(color_scheme="dark")
    finish_transitions(page)
    assert page.evaluate("() => matchMedia('(prefers-color-scheme: dark)').matches")
    dark = axe_violations(page, colours_only=True)

    assert not (light or dark), f"light:\n{light}\n\ndark:\n{dark}"


# ---------- Text zoomed to 200% ----------

# Every control in <main> that shows at normal size must still show at double text size, whole: inside
# the viewport sideways, with a size, and not cut off by a box around it that hides its overflow.
ZOOM_CHECK = """() => {
    const controls = 'a[href], button, input:not([type=hidden]), select, textarea, summary';
    const shown = [...document.querySelectorAll('main ' + controls.split(', ').join(', main '))]
        .filter(el => el.checkVisibility({visibilityProperty: true, opacityProperty: true}))
        .filter(el => !el.closest('.visually-hidden'));
    document.documentElement.style.fontSize = '200%';
    const root = document.documentElement;
    const width = root.clientWidth;
    const problems = [];
    if (root.scrollWidth > width + 1) {
        problems.push(`the page scrolls sideways: ${root.scrollWidth}px wide in ${width}px`);
    }
    const describe = el => `<${el.tagName.toLowerCase()}> "${(el.textContent || el.name || el.id).trim()
        .replace(/\\s+/g, ' ').slice(0, 40)}"`;
    for (const el of shown) {
        const box = el.getBoundingClientRect();
        if (!el.checkVisibility({visibilityProperty: true}) || box.width < 1 || box.height < 1) {
            problems.push(`${describe(el)} disappeared`);
            continue;
        }
        if (box.left < -1 || box.right > width + 1) {
            problems.push(`${describe(el)} sticks out: ${Math.round(box.left)}..${Math.round(box.right)}px`);
            continue;
        }
        for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
            const style = getComputedStyle(up);
            if ([style.overflowX, style.overflowY].every(value => value === 'visible')) continue;
            const frame = up.getBoundingClientRect();
            if (box.left < frame.left - 1 || box.right > frame.right + 1 ||
                box.top < frame.top - 1 || box.bottom > frame.bottom + 1) {
                problems.push(`${describe(el)} is cut off by ${describe(up)} (overflow ${style.overflow})`);
                break;
            }
        }
    }
    return problems;
}"""


@pytest.mark.parametrize("visit", PAGES)
def test_every_page_still_fits_with_text_zoomed_to_200_percent(page, site, visit):
    page.set_viewport_size({"width": 1280, "height": 800})
    visit(page, site)

    problems = page.evaluate(ZOOM_CHECK)

    assert page.evaluate("() => getComputedStyle(document.documentElement).fontSize") == "32px"
    assert not problems, "\n".join(problems)


# ---------- The keyboard alone ----------


def tab_to(page, target, *, backwards: bool = False, limit: int = 40) -> None:
    """Press Tab (or Shift+Tab) until `target` has the focus, as a keyboard user would; fails if it takes
    more than `limit` presses, so everything must be reachable, and in a sensible order."""
    expect(target).to_have_count(1)
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(limit):
        page.keyboard.press(key)
        if target.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"{limit} presses of {key} never reached {target}")


FOCUS_RING = """() => {
    const el = document.activeElement;
    const rings = style => (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2)
        || style.boxShadow !== 'none';
    const box = el.getBoundingClientRect();
    return {
        element: el.outerHTML.slice(0, 100),
        onBody: el === document.body,
        first: el.dataset.firstStop !== undefined,
        // On the element or, for a card's link that rings the whole card, on its ::after.
        ring: rings(getComputedStyle(el)) || rings(getComputedStyle(el, '::after')),
        shown: el.checkVisibility({visibilityProperty: true}) && box.width >= 1 && box.height >= 1,
        inView: box.bottom > 0 && box.top < innerHeight && box.right > 0 && box.left < innerWidth,
    };
}"""


def assert_focus_is_visible(page) -> None:
    """The focused element is drawn with a ring: an outline of 2px or more, or a box shadow."""
    focus = page.evaluate(FOCUS_RING)
    assert focus["ring"], f"{focus['element']} has the focus but shows no ring"


def test_a_host_and_a_guest_run_a_whole_meeting_with_the_keyboard_alone(browser, live_server, site):
    contexts = [browser.new_context(base_url=live_server.url, locale="en-US") for _ in range(2)]
    host, guest = (context.new_page() for context in contexts)
    for page in (host, guest):
        page.set_default_timeout(10_000)
    try:
        _host_schedules_and_starts_a_meeting(host)
        code = host.locator(".join-code").inner_text()
        _guest_joins_answers_and_likes(guest, site, code)
        _host_steps_locks_and_ends(host, guest)
    finally:
        for context in contexts:
            context.close()


def _host_schedules_and_starts_a_meeting(host) -> None:
    host.goto(reverse("login"))
    tab_to(host, host.get_by_label("Username"))
    assert_focus_is_visible(host)
    host.keyboard.type("hana")
    tab_to(host, host.get_by_label("Password"))
    host.keyboard.type(PASSWORD)
    host.keyboard.press("Enter")
    host.wait_for_url(f"**{reverse('home')}")

    club_link = host.get_by_role("link", name="Tuesday Readers")
    tab_to(host, club_link)
    assert_focus_is_visible(host)
    host.keyboard.press("Enter")
    heading(host, "Tuesday Readers")

    tab_to(host, host.get_by_role("link", name="New meeting"))
    assert_focus_is_visible(host)
    host.keyboard.press("Enter")
    heading(host, "New meeting")

    guide = host.get_by_label("Guide")
    tab_to(host, guide)
    assert_focus_is_visible(host)
    host.keyboard.type("Never")
    expect(guide.locator("option:checked")).to_have_text("Never Let Me Go")
    when = host.get_by_label("Date and time")
    tab_to(host, when)
    assert_focus_is_visible(host)
    # A datetime-local field takes its parts typed in order (en-US: month, day, year, hour, minute, AM/PM);
    # the year takes up to six digits, so Tab moves on to the hour, as it moves between all the parts.
    year = timezone.now().year + 1
    host.keyboard.type(f"0611{year}")
    host.keyboard.press("Tab")
    host.keyboard.type("0730P")
    expect(when).to_have_value(f"{year}-06-11T19:30")
    tab_to(host, host.get_by_label("Place or video link"))
    host.keyboard.type("The Crown, upstairs")
    tab_to(host, host.get_by_role("button", name="Schedule meeting"))
    host.keyboard.press("Enter")
    expect(host.get_by_text("The Crown, upstairs")).to_be_visible()

    tab_to(host, host.get_by_role("button", name="Start meeting"))
    assert_focus_is_visible(host)
    host.keyboard.press("Enter")
    expect(host.locator(".stage__number")).to_have_text("Question 1 of 10")
    wait_for_htmx(host)


def _guest_joins_answers_and_likes(guest, site: Site, code: str) -> None:
    guest.goto(reverse("sessions:join"))
    tab_to(guest, guest.get_by_label("Join code"))
    guest.keyboard.type(code.lower())
    guest.keyboard.press("Enter")
    display_name = guest.get_by_label("Display name")
    tab_to(guest, display_name)
    guest.keyboard.type("Kathy")
    guest.keyboard.press("Enter")
    expect(guest.locator("#member-question .stage__number")).to_have_text("Question 1 of 10")
    wait_for_htmx(guest)

    meeting = Meeting.objects.get(join_code=code)
    meeting.add_guest("Ruth").post_answer(meeting.current_question, "Ruth's answer to like.", uuid.uuid4())
    like = guest.get_by_role("button", name=re.compile("^Like the answer"))
    expect(like).to_be_visible(timeout=POLL_WAIT)
    settled(guest)

    tab_to(guest, guest.get_by_label("Your answer", exact=True))
    guest.keyboard.type("Typed without a mouse.")
    guest.keyboard.press("Tab")
    submit = guest.get_by_role("button", name="Post answer")
    assert submit.evaluate("el => el === document.activeElement")
    assert_focus_is_visible(guest)
    guest.keyboard.press("Enter")
    expect(guest.get_by_text("Your answer is saved.")).to_be_visible()
    expect(guest.get_by_role("region", name="Your answers")).to_contain_text("Typed without a mouse.")
    settled(guest)

    tab_to(guest, like)
    assert_focus_is_visible(guest)
    guest.keyboard.press("Space")
    expect(like).to_have_attribute("aria-pressed", "true")
    expect(guest.get_by_role("region", name="Everyone's answers")).to_contain_text("1 like")


def _host_steps_locks_and_ends(host, guest) -> None:
    number = host.locator(".stage__number")
    expect(host.get_by_text("Typed without a mouse.")).to_be_visible(timeout=POLL_WAIT)
    settled(host)

    tab_to(host, host.get_by_role("button", name="Next question"))
    assert_focus_is_visible(host)
    host.keyboard.press("Enter")
    expect(number).to_have_text("Question 2 of 10")
    settled(host)

    tab_to(host, host.get_by_role("button", name="Lock answers"))
    host.keyboard.press("Space")
    unlock = host.get_by_role("button", name="Unlock answers")
    expect(unlock).to_be_visible()
    settled(host)
    expect(guest.locator("[data-answer-form] [data-lock-note]")).to_have_text(
        re.compile("Answers are locked"), timeout=POLL_WAIT
    )
    # The swapped-in button takes the focus back, so the same key undoes it.
    assert unlock.evaluate("el => el === document.activeElement")
    host.keyboard.press("Enter")
    expect(host.get_by_role("button", name="Lock answers")).to_be_visible()
    settled(host)
    expect(guest.locator("[data-answer-form] [data-lock-note]")).to_have_text("", timeout=POLL_WAIT)

    # Back to "Next question", which comes before "Lock answers".
    tab_to(host, host.get_by_role("button", name="Next question"), backwards=True, limit=5)
    host.keyboard.press("Enter")
    expect(number).to_have_text("Question 3 of 10")
    settled(host)

    toggle = host.get_by_text("End meeting…")
    tab_to(host, toggle)
    assert_focus_is_visible(host)
    host.keyboard.press("Enter")
    host.keyboard.press("Tab")
    end = host.get_by_role("button", name="End meeting", exact=True)
    assert end.evaluate("el => el === document.activeElement")
    assert_focus_is_visible(host)
    host.keyboard.press("Enter")
    host.wait_for_url("**/recap/")
    guest.wait_for_url("**/recap/", timeout=POLL_WAIT)
    expect(guest.get_by_text("Typed without a mouse.")).to_be_visible()


WALK_PAGES = [
    visit
    for visit in PAGES
    if visit.id
    in {
        "home-with-clubs",
        "guide-list-searched",
        "guide",
        "sign-up-with-errors",
        "club-as-host",
        "new-meeting-with-errors",
        "meeting-scheduled-host",
        "meeting-scheduled-member",
        "presenter",
        "member-view-live",
        "answer-edit",
        "recap-host",
    }
]


@pytest.mark.parametrize("visit", WALK_PAGES)
def test_every_tab_stop_is_shown_with_a_focus_ring(page, site, visit):
    # Scrolling to the focused element is instant then, so "in view" holds right after each press.
    page.emulate_media(reduced_motion="reduce")
    visit(page, site)
    problems, stops = [], []
    for _ in range(150):
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS_RING)
        if focus["onBody"]:
            continue  # past the last stop: the next press starts again at the top
        if focus["first"]:
            break  # all the way round
        if not stops:
            page.evaluate("() => { document.activeElement.dataset.firstStop = '' }")
        stops.append(focus["element"])
        missing = [quality for quality in ("ring", "shown", "inView") if not focus[quality]]
        if missing:
            problems.append(f"{focus['element']}: no {', no '.join(missing)}")
    else:
        raise AssertionError("Tab never came round to the first stop again")

    assert len(stops) > 5, stops
    assert not problems, "\n".join(problems)


def member_on_scheduled_meeting(page, site):
    meeting(page, site, "member", "scheduled")


def host_on_scheduled_meeting(page, site):
    meeting(page, site, "host", "scheduled")


# An action done in place (htmx swaps the region around its button), the button's name before and after,
# and what the page then says about it.
IN_PAGE_ACTIONS = [
    pytest.param(member_on_scheduled_meeting, "Going", "Going", "Saved.", id="rsvp"),
    pytest.param(host_on_scheduled_meeting, "Move down", "Move down", "Question moved down.", id="move"),
    pytest.param(host_on_scheduled_meeting, "Skip", "Unskip", "Question skipped.", id="skip"),
    pytest.param(club_as_host, "Make co-host", "Make member", "", id="co-host"),
]


@pytest.mark.parametrize(("visit", "button", "after", "said"), IN_PAGE_ACTIONS)
def test_an_action_done_in_place_leaves_the_focus_on_its_button(page, site, visit, button, after, said):
    """Without it the focus falls back to <body> and a keyboard user starts again from the top."""
    visit(page, site)
    wait_for_htmx(page)
    target = page.get_by_role("button", name=re.compile(f"^{button}")).first
    tab_to(page, target)
    button_id = target.get_attribute("id")
    assert button_id

    page.keyboard.press("Enter")

    expect(page.locator(f"#{button_id}")).to_have_text(re.compile(f"^{after}"))
    settled(page)
    expect(page.locator(":focus")).to_have_id(button_id)
    if said:
        expect(page.get_by_text(said)).to_be_visible()


# ---------- What screen readers are told ----------

WATCH_STATUS = """() => {
    window.statusChanges = [];
    window.swaps = 0;
    const announcer = document.getElementById('live-announcer');
    new MutationObserver(() => {
        if (announcer.textContent) window.statusChanges.push(announcer.textContent);
    })
        .observe(announcer, {childList: true, subtree: true, characterData: true});
    document.body.addEventListener('htmx:sseMessage', () => { window.swaps += 1 });
}"""


def assert_polite_status_outside_pushed_regions(page):
    status = page.locator("#live-announcer")
    # role=status is a polite, atomic live region: read out when it changes, without interrupting.
    expect(status).to_have_attribute("role", "status")
    # Outside every region that a push replaces whole, so only what it is told is read out.
    assert status.evaluate("el => !el.closest('[sse-swap]')")
    return status


LIVE_VIEWS = [pytest.param(presenter, id="presenter"), pytest.param(member_live, id="member-view")]


@pytest.mark.parametrize("view", LIVE_VIEWS)
def test_new_answers_are_announced_politely_and_in_a_batch(page, site, settings, view):
    settings.LIVE_POLL_SECONDS = 1
    view(page, site)
    status = assert_polite_status_outside_pushed_regions(page)
    page.evaluate(WATCH_STATUS)

    for name in ("Ruby", "Ravi"):
        site.live.add_guest(name).post_answer(
            site.live.current_question, f"{name} just arrived.", uuid.uuid4()
        )

    expect(page.get_by_text("Ravi just arrived.")).to_be_visible(timeout=POLL_WAIT)
    expect(status).to_have_text(re.compile(r"^[12] new answers?\.$"), timeout=POLL_WAIT)
    said = page.evaluate("() => window.statusChanges")
    assert len(said) <= 2 and all("new answer" in words for words in said), said


@pytest.mark.parametrize("view", LIVE_VIEWS)
def test_a_running_countdown_is_not_read_out_at_every_tick(page, site, settings, view):
    """The countdown ticks every second on screen; screen readers hear it at the start, at 1 minute,
    at 10 seconds and when time is up, never each second, however often the state arrives again."""
    settings.LIVE_POLL_SECONDS = 0.5
    site.live.start_timer(90, None)
    view(page, site)
    status = assert_polite_status_outside_pushed_regions(page)
    expect(status).to_have_text(re.compile(r"^Countdown: 1:[23][0-9] left\.$"))
    page.evaluate(WATCH_STATUS)

    page.wait_for_function("() => window.swaps >= 3", timeout=POLL_WAIT)

    assert page.evaluate("() => window.statusChanges") == []
    expect(page.locator(".timer__value").first).not_to_have_text(re.compile("^1:30$"))


# Records each change of content made inside a live region that was already there, with its words.
WATCH_REGIONS = """() => {
    window.readOut = [];
    const regions = '[role="status"], [aria-live="polite"]';
    new MutationObserver(records => {
        for (const record of records) {
            if (record.target.nodeType === 1 && record.target.matches(regions)) {
                const words = [...record.addedNodes].map(node => node.textContent).join('').trim();
                if (words) window.readOut.push(words.replace(/\\s+/g, ' '));
            }
        }
    }).observe(document.body, {childList: true, subtree: true});
}"""


def post_an_answer(page) -> None:
    page.get_by_label("Your answer", exact=True).fill("Saved where a screen reader hears it.")
    page.get_by_role("button", name="Post answer").click()


def rsvp_going(page) -> None:
    page.get_by_role("button", name="Going", exact=True).click()


def move_a_question_down(page) -> None:
    page.get_by_role("button", name="Move down").first.click()


@pytest.mark.parametrize(
    ("visit", "act", "said"),
    [
        pytest.param(member_live, post_an_answer, "Your answer is saved.", id="answer-saved"),
        pytest.param(member_on_scheduled_meeting, rsvp_going, "Saved.", id="rsvp-saved"),
        pytest.param(host_on_scheduled_meeting, move_a_question_down, "Question moved down.", id="moved"),
    ],
)
def test_a_status_message_that_comes_with_a_swapped_region_is_read_out(page, site, visit, act, said):
    """Screen readers read out what changes inside a live region they know; a region swapped in with its
    words already in it is often passed over in silence."""
    visit(page, site)
    wait_for_htmx(page)
    page.evaluate(WATCH_REGIONS)

    act(page)

    expect(page.get_by_text(said, exact=True)).to_be_visible()
    page.wait_for_function(
        "said => window.readOut.some(words => words.includes(said))", arg=said, timeout=3_000
    )


# ---------- Reduced motion and the dark colour scheme ----------

MOVING = """() => {
    const seconds = value => Math.max(...value.split(',').map(part => parseFloat(part) || 0));
    const moving = [];
    for (const el of document.querySelectorAll('*')) {
        for (const pseudo of [null, '::before', '::after']) {
            const style = getComputedStyle(el, pseudo);
            const animated = style.animationName !== 'none' && seconds(style.animationDuration) > 0;
            if (seconds(style.transitionDuration) > 0 || animated) {
                moving.push(`${el.tagName.toLowerCase()}.${[...el.classList].join('.')}${pseudo || ''}`);
            }
        }
    }
    return [...new Set(moving)];
}"""

MOTION_PAGES = [
    visit
    for visit in PAGES
    if visit.id
    in {"home-with-clubs", "guide", "club-as-host", "meeting-live-host", "presenter", "member-view-live"}
]


@pytest.mark.parametrize("visit", MOTION_PAGES)
def test_nothing_moves_when_reduced_motion_is_asked_for(page, site, visit):
    visit(page, site)
    moving = page.evaluate(MOVING)
    assert moving, "nothing on this page animates even without the preference: the check checks nothing"

    page.emulate_media(reduced_motion="reduce")

    assert page.evaluate(MOVING) == []
    assert page.evaluate("() => getComputedStyle(document.documentElement).scrollBehavior") == "auto"


@pytest.mark.parametrize("visit", MOTION_PAGES)
def test_the_dark_colour_scheme_gives_light_text_on_a_dark_page(page, site, visit):
    page.emulate_media(color_scheme="light")
    visit(page, site)
    assert relative_luminance(page, "body", "backgroundColor") > 0.8

    page.emulate_media(color_scheme="dark")
    finish_transitions(page)

    assert relative_luminance(page, "body", "backgroundColor") < 0.02
    assert relative_luminance(page, "body", "color") > 0.6
