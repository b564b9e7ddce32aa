"""The Content-Security-Policy in a real browser: no page breaks it, and htmx still works under it.

Chromium fires a `securitypolicyviolation` event for everything the policy blocks (inline scripts, style
attributes, eval, foreign hosts); a script installed before any page script reports each one to the test.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from guides.exchange import import_guide
from guides.models import Guide
from sessions.models import Club, Meeting
from tests.conftest import DEMO_GUIDE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-Reading-list-42"
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error("CSP violation: " + JSON.stringify({
    page: location.pathname, directive: event.violatedDirective, blocked: event.blockedURI,
    source: event.sourceFile, line: event.lineNumber, sample: event.sample,
  }));
});
"""


def expect(*args, **kwargs):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(*args, **kwargs)


@dataclass
class Scene:
    host: User
    staff: User
    club: Club
    guide: Guide
    scheduled: Meeting
    live: Meeting
    ended: Meeting


@pytest.fixture
def scene(db) -> Scene:
    import_guide(DEMO_GUIDE.read_bytes())
    guide = Guide.objects.get(title="Never Let Me Go")
    host = User.objects.create_user("hana", "hana@example.com", PASSWORD)
    staff = User.objects.create_user("edith", "edith@example.com", PASSWORD, is_staff=True, is_superuser=True)
    club = Club.create(name="Tuesday Readers", description="We read on Tuesdays.", host=host)
    later = timezone.now() + timedelta(days=7)
    scheduled = Meeting.schedule(club=club, guide=guide, by=host, starts_at=later, place="The Crown")
    live = Meeting.schedule(club=club, guide=guide, by=host, starts_at=later + timedelta(days=7))
    live.start()
    live.add_guest("Ruth").post_answer(live.current_question, "Hailsham felt like a school.", uuid.uuid4())
    ended = Meeting.schedule(club=club, guide=guide, by=host, starts_at=later + timedelta(days=14))
    ended.start()
    ended.add_guest("Tommy").post_answer(ended.current_question, "The gallery broke my heart.", uuid.uuid4())
    ended.end()
    return Scene(host, staff, club, guide, scheduled, Meeting.objects.get(pk=live.pk), ended)


@pytest.fixture
def open_page(browser, live_server) -> Iterator[Callable]:
    """Opens a page in a fresh browser context (its own cookies), optionally logged in as `user`. Every
    CSP violation on any page of any context lands in the returned function's `violations` list."""
    contexts = []
    violations: list[str] = []

    def open_as(user: User | None = None):
        context = browser.new_context(base_url=live_server.url)
        contexts.append(context)
        context.add_init_script(REPORT_VIOLATIONS)
        if user is not None:
            client = Client()
            client.force_login(user)
            context.add_cookies(
                [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
            )
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.on(
            "console",
            lambda message: (
                violations.append(message.text)
                if "CSP violation" in message.text or "Content Security Policy" in message.text
                else None
            ),
        )
        return page

    open_as.violations = violations
    yield open_as
    for context in contexts:
        context.close()


def visit(page, path: str, *, htmx: bool = True) -> None:
    page.goto(path)
    assert page.url.endswith(path), f"{path} led to {page.url}"
    page.wait_for_load_state("load")
    if htmx:
        wait_for_htmx(page)


def wait_for_htmx(page) -> None:
    page.wait_for_function("() => window.htmx !== undefined && document.readyState === 'complete'")
    page.evaluate("() => { window.sameDocument = true }")


def still_the_same_document(page) -> bool:
    return page.evaluate("() => window.sameDocument === true")


def test_the_detector_sees_what_the_policy_blocks(open_page, scene):
    """A control: inline script and a style attribute are refused and reported, so silence means
    something in the tests below."""
    page = open_page()
    visit(page, "/")
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.ranInline = true";
          document.body.append(script);
          document.body.insertAdjacentHTML("beforeend", '<p style="color: red">styled</p>');
        }"""
    )
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.ranInline === undefined")
    assert any("script-src" in text for text in open_page.violations), open_page.violations
    assert any("style-src" in text for text in open_page.violations), open_page.violations


def test_public_pages_and_a_guest_in_a_meeting_break_no_policy_and_htmx_still_works(open_page, scene):
    page = open_page()
    for path in ("/", "/accounts/signup/", "/accounts/login/", reverse("sessions:join")):
        visit(page, path)

    # The live search: typing updates the results in place.
    visit(page, "/guides/")
    page.get_by_label("Search guides").press_sequentially("zzz", delay=20)
    expect(page.locator("#guide-count")).to_have_text("No guides match “zzz”.")
    page.get_by_label("Search guides").fill("")
    page.get_by_label("Search guides").press_sequentially("ishiguro", delay=20)
    expect(page.locator("#guide-count")).to_have_text("1 guide")
    assert still_the_same_document(page)

    # The guide page, with its JSON-LD data block (not a script the policy should block).
    visit(page, scene.guide.get_absolute_url())
    assert page.locator('script[type="application/ld+json"]').count() == 1

    # Join as a guest and post an answer: htmx posts it and swaps the form in place.
    visit(page, reverse("sessions:join_code", args=[scene.live.join_code]))
    page.get_by_label("Display name").fill("Kathy")
    page.get_by_role("button", name="Join", exact=True).click()
    page.wait_for_url(f"**{reverse('sessions:live', args=[scene.live.pk])}")
    wait_for_htmx(page)
    page.get_by_label("Your answer", exact=True).fill("Hailsham was a kind of cage.")
    page.get_by_role("button", name="Post answer").click()
    expect(page.get_by_text("Your answer is saved.")).to_be_visible()
    expect(page.locator("#member-answers")).to_contain_text("Hailsham was a kind of cage.")
    assert still_the_same_document(page)

    assert not open_page.violations, "\n".join(open_page.violations)


def test_the_host_pages_break_no_policy(open_page, scene):
    page = open_page(scene.host)
    for path in (
        reverse("sessions:club", args=[scene.club.slug]),
        reverse("sessions:meeting_create", args=[scene.club.slug]),
        reverse("sessions:meeting", args=[scene.scheduled.pk]),
        reverse("sessions:live", args=[scene.live.pk]),
        reverse("sessions:recap", args=[scene.ended.pk]),
        reverse("sessions:present", args=[scene.live.pk]),
    ):
        visit(page, path)
    # The presenter's controls work through htmx and its QR code is drawn without style attributes.
    assert page.locator(".join-qr svg").count() == 1
    assert page.locator(".join-qr [style]").count() == 0
    page.get_by_role("button", name="Next question").click()
    expect(page.locator(".stage__number")).to_have_text(re.compile(r"^Question 2 of"))
    assert still_the_same_document(page)

    assert not open_page.violations, "\n".join(open_page.violations)


def test_the_admin_pages_break_no_policy(open_page, scene):
    page = open_page(scene.staff)
    visit(page, "/admin/", htmx=False)
    visit(page, reverse("admin:guides_guide_changelist"), htmx=False)
    visit(page, reverse("admin:guides_guide_import"), htmx=False)
    visit(page, reverse("admin:guides_guide_unverified"), htmx=False)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Claims to review")
    visit(page, reverse("admin:guides_guide_change", args=[scene.guide.pk]), htmx=False)
    # The inlines' script adds a row from its hidden template.
    rows = page.locator("#questions-group tr.form-row:not(.empty-form)")
    before = rows.count()
    page.locator("#questions-group .add-row a").click()
    expect(rows).to_have_count(before + 1)

    assert not open_page.violations, "\n".join(open_page.violations)
