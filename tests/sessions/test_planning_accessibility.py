# ruff: noqa: F811  (the fixture imported from the shared module is used as a parameter of that name)
"""Accessibility of the between-meetings pages (axe-core, WCAG 2.2 A/AA, light and dark; text at 200%),
and the ranked ballot by keyboard and by drag, with and without JavaScript.

Built on the site of tests/test_accessibility.py and its helpers, so the pages are judged the same way.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from sessions import notifications
from sessions.models import Ballot, BookVote, DatePoll, ReadingProgress
from tests.axe import axe_violations
from tests.test_accessibility import (
    ZOOM_CHECK,
    Site,
    expect,
    finish_transitions,
    heading,
    log_in,
    settled,
    site,  # noqa: F401  (the fixture)
    wait_for_htmx,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def a_vote(site: Site, *, state: str) -> BookVote:
    vote = BookVote.open(club=site.club, by=site.host, closes_at=timezone.now() + timedelta(days=5))
    vote.nominate(by=site.host, title="Klara and the Sun", author="Kazuo Ishiguro", reason="His newest.")
    vote.nominate(by=site.member, title="The Remains of the Day", author="Kazuo Ishiguro")
    vote.nominate(by=site.member, title="A Pale View of Hills", author="Kazuo Ishiguro")
    if state in ("voting", "closed"):
        vote.start_voting()
        books = list(vote.nominations.values_list("pk", flat=True))
        vote.cast(site.host, books)
        vote.cast(site.member, list(reversed(books[:2])))
    if state == "closed":
        vote.close()
    return vote


def vote_nominating_with_errors(page, site):
    vote = a_vote(site, state="nominating")
    log_in(page, site, site.host)
    page.goto(vote.get_absolute_url())
    page.get_by_label("Title").fill("Klara and the Sun")
    page.get_by_role("button", name="Nominate").click()
    expect(page.locator(".field__error").first).to_be_visible()


def vote_voting(page, site):
    vote = a_vote(site, state="voting")
    log_in(page, site, site.member)
    page.goto(vote.get_absolute_url())
    heading(page, vote.title)


def vote_closed(page, site):
    vote = a_vote(site, state="closed")
    log_in(page, site, site.host)
    page.goto(vote.get_absolute_url())
    expect(page.get_by_role("heading", name="Result")).to_be_visible()


def vote_form_with_errors(page, site):
    log_in(page, site, site.host)
    page.goto(reverse("sessions:vote_create", args=[site.club.slug]))
    page.get_by_role("button", name="Open the vote").click()
    expect(page.locator(".field__error").first).to_be_visible()


def a_poll(site: Site) -> DatePoll:
    start = timezone.now() + timedelta(days=9)
    poll = DatePoll.offer(club=site.club, by=site.host, starts=[start, start + timedelta(days=1)])
    first = poll.options.first()
    poll.answer(site.member, {first.pk: "yes"})
    return poll


def poll_form(page, site):
    log_in(page, site, site.host)
    page.goto(reverse("sessions:date_poll_create", args=[site.club.slug]))
    heading(page, "When can we meet?")


def poll_page(page, site):
    poll = a_poll(site)
    log_in(page, site, site.host)
    page.goto(poll.get_absolute_url())
    expect(page.get_by_role("link", name="Schedule the meeting at this date")).to_be_visible()


def reading_plan(page, site):
    log_in(page, site, site.host)
    page.goto(reverse("sessions:reading_plan", args=[site.scheduled.pk]))
    heading(page, "Reading plan")


def meeting_with_spoilers(page, site):
    site.scheduled.set_reading_plan(unit="chapter", target=10)
    first = site.scheduled.questions.order_by("position").first()
    first.reading_part = 20
    first.save()
    ReadingProgress.record(site.scheduled, site.member, 5)
    log_in(page, site, site.member)
    page.goto(site.scheduled.get_absolute_url())
    expect(page.get_by_text("Spoiler: beyond where you are").first).to_be_visible()


def calendar_page(page, site):
    log_in(page, site, site.member)
    page.goto(reverse("sessions:calendar"))
    heading(page, "Your club calendar")


def email_choices(page, site):
    log_in(page, site, site.member)
    page.goto(reverse("sessions:email_preferences"))
    heading(page, "Which emails you get")


def unsubscribe(page, site):
    page.goto(
        reverse("sessions:unsubscribe", args=[notifications.unsubscribe_token(site.member, "reminder")])
    )
    heading(page, "Unsubscribe")


def club_with_whats_next(page, site):
    a_vote(site, state="voting")
    a_poll(site)
    log_in(page, site, site.host)
    page.goto(site.club.get_absolute_url())
    expect(page.get_by_role("heading", name="What's next")).to_be_visible()


PAGES = [
    pytest.param(visit, id=visit.__name__.replace("_", "-"))
    for visit in (
        vote_nominating_with_errors,
        vote_voting,
        vote_closed,
        vote_form_with_errors,
        poll_form,
        poll_page,
        reading_plan,
        meeting_with_spoilers,
        calendar_page,
        email_choices,
        unsubscribe,
        club_with_whats_next,
    )
]


@pytest.mark.parametrize("visit", PAGES)
def test_every_between_meetings_page_passes_axe_in_light_and_dark(page, site, visit):
    page.emulate_media(color_scheme="light")
    visit(page, site)
    light = axe_violations(page)
    page.emulate_media(color_scheme="dark")
    finish_transitions(page)
    dark = axe_violations(page, colours_only=True)
    assert not (light or dark), f"light:\n{light}\n\ndark:\n{dark}"


@pytest.mark.parametrize("visit", PAGES)
def test_every_between_meetings_page_fits_with_text_at_200_percent(page, site, visit):
    page.set_viewport_size({"width": 1280, "height": 800})
    visit(page, site)
    problems = page.evaluate(ZOOM_CHECK)
    assert not problems, "\n".join(problems)


# ---------- The ballot: keyboard, drag, and no JavaScript ----------


def ranking_of(site: Site, vote: BookVote) -> list[str]:
    ballot = Ballot.objects.filter(vote=vote, user=site.member).first()
    titles = dict(vote.nominations.values_list("pk", "title"))
    return [titles[pk] for pk in (ballot.ranking if ballot else [])]


def test_a_member_ranks_books_by_keyboard_and_the_focus_stays_on_the_book(page, site):
    vote = a_vote(site, state="voting")
    Ballot.objects.filter(user=site.member).delete()
    log_in(page, site, site.member)
    page.goto(vote.get_absolute_url())
    wait_for_htmx(page)
    page.get_by_role("button", name="Rank next: A Pale View of Hills").focus()
    page.keyboard.press("Enter")
    settled(page)
    page.get_by_role("button", name="Rank next: Klara and the Sun").focus()
    page.keyboard.press("Enter")
    settled(page)
    page.get_by_role("button", name="Up: Klara and the Sun").focus()
    page.keyboard.press("Enter")
    settled(page)
    expect(page.locator("#ballot")).to_contain_text("Your ranking is saved.")
    assert ranking_of(site, vote) == ["Klara and the Sun", "A Pale View of Hills"]
    # "Up" is gone from the book now first: the focus stays on that book's row.
    focused = page.evaluate("() => document.activeElement.id")
    assert focused.endswith(str(vote.nominations.get(title="Klara and the Sun").pk)), focused


def test_a_member_drags_a_book_to_the_top(page, site):
    vote = a_vote(site, state="voting")
    books = list(vote.nominations.values_list("pk", flat=True))
    vote.cast(site.member, books)
    log_in(page, site, site.member)
    page.goto(vote.get_absolute_url())
    wait_for_htmx(page)
    items = page.locator("[data-ballot-ranked] > li")
    items.nth(2).drag_to(items.nth(0), target_position={"x": 10, "y": 2})
    expect(page.locator("#ballot")).to_contain_text("Your ranking is saved.")
    assert ranking_of(site, vote) == ["A Pale View of Hills", "Klara and the Sun", "The Remains of the Day"]


def test_the_ballot_works_without_javascript(browser, live_server, site):
    vote = a_vote(site, state="voting")
    Ballot.objects.filter(user=site.member).delete()
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        log_in(page, site, site.member)
        page.goto(vote.get_absolute_url())
        page.get_by_role("button", name="Rank next: The Remains of the Day").click()
        expect(page.locator(".messages")).to_contain_text("Your ranking is saved.")
        page.get_by_role("button", name="Rank next: Klara and the Sun").click()
        page.get_by_role("button", name="Up: Klara and the Sun").click()
        assert ranking_of(site, vote) == ["Klara and the Sun", "The Remains of the Day"]
    finally:
        context.close()
