"""Everyone's answers are rendered once per meeting version and shared by every screen
(sessions/version_cache.py): each viewer must still get their own CSRF token, like states and own
answers, and every change must show at once."""

import re
import uuid

import pytest
from django.test import Client

from bookclub import skeleton
from sessions import version_cache
from sessions.models import Answer, Meeting
from tests.sessions.test_live import control, fresh, hidden_value, join_as_guest, page_text, post_answer, url

CSRF_IN_LIKE_FORMS = re.compile(
    r'action="/meetings/\d+/answers/\d+/like/"[^>]*>\s*<input type="hidden" name="csrfmiddlewaretoken" '
    r'value="([^"]+)"'
)


def like_state(page: str, answer: Answer) -> str:
    match = re.search(rf'id="like-{answer.pk}"\s+aria-pressed="(true|false)"', page)
    assert match, f"no like button for answer {answer.pk}"
    return match.group(1)


@pytest.fixture
def room(live_meeting):
    """Three guests in the live meeting, each with an answer to the current question."""
    seats = {name: join_as_guest(live_meeting, name) for name in ("Ruth", "Tommy", "Kathy")}
    for name, (client, _) in seats.items():
        post_answer(client, live_meeting, f"{name} remembers Hailsham")
    return seats


def test_every_viewer_gets_the_list_rendered_once_with_their_own_csrf_token(room, live_meeting):
    ruth, tommy = room["Ruth"][0], room["Tommy"][0]
    ruth.get(url("live", live_meeting))  # renders the list and caches it

    page = page_text(tommy.get(url("live", live_meeting)))
    tokens = CSRF_IN_LIKE_FORMS.findall(page)
    assert len(tokens) == 2  # Ruth's and Kathy's answers; Tommy's own has no like button

    # Each token in Tommy's like forms passes the CSRF check for Tommy's own session.
    checked = Client(enforce_csrf_checks=True)
    checked.cookies = tommy.cookies
    kathys = Answer.objects.get(text="Kathy remembers Hailsham")
    response = checked.post(url("answer_like", live_meeting, kathys.pk), {"csrfmiddlewaretoken": tokens[-1]})
    assert response.status_code == 302
    assert kathys.likes.get().participant == room["Tommy"][1]


def test_like_buttons_show_each_viewers_own_likes(room, live_meeting):
    ruth, tommy, kathy = (room[name][0] for name in ("Ruth", "Tommy", "Kathy"))
    kathys = Answer.objects.get(text="Kathy remembers Hailsham")
    ruth.post(url("answer_like", live_meeting, kathys.pk))

    assert like_state(page_text(ruth.get(url("live", live_meeting))), kathys) == "true"
    tommys_page = page_text(tommy.get(url("live", live_meeting)))
    assert like_state(tommys_page, kathys) == "false"
    assert "1 like<" in tommys_page
    assert "1 like<" in page_text(kathy.get(url("live", live_meeting)))  # on her own answer


def test_each_viewer_sees_their_own_answers_apart_with_their_buttons(room, live_meeting):
    tommy = room["Tommy"][0]
    page = page_text(tommy.get(url("live", live_meeting)))
    own, others = page.split('id="others-heading"')
    tommys = Answer.objects.get(text="Tommy remembers Hailsham")
    assert "Tommy remembers Hailsham" in own and "Tommy remembers Hailsham" not in others
    assert f'id="edit-{tommys.pk}"' in own and f'id="like-{tommys.pk}"' not in page
    assert "Ruth remembers Hailsham" in others and "Kathy remembers Hailsham" in others


def test_every_change_shows_on_the_next_page_load(room, live_meeting, host_client):
    ruth, tommy = room["Ruth"][0], room["Tommy"][0]
    live = url("live", live_meeting)
    tommy.get(live)
    ruths = Answer.objects.get(text="Ruth remembers Hailsham")

    ruth.post(url("answer_edit", live_meeting, ruths.pk), {"text": "Ruth has second thoughts"})
    page = page_text(tommy.get(live))
    assert "Ruth has second thoughts" in page and "Ruth remembers Hailsham" not in page

    host_client.post(url("answer_hide", live_meeting, ruths.pk))
    assert "Ruth has second thoughts" not in page_text(tommy.get(live))

    post_answer(room["Kathy"][0], live_meeting, "Kathy adds a second thought")
    assert "Kathy adds a second thought" in page_text(tommy.get(live))


def test_the_host_sees_names_that_an_anonymous_meeting_hides_from_members(room, live_meeting, host_client):
    Meeting.objects.filter(pk=live_meeting.pk).update(show_names=False)
    fresh(live_meeting).touch()
    tommy = room["Tommy"][0]
    members_page = page_text(tommy.get(url("live", live_meeting)))
    hosts_page = page_text(host_client.get(url("live", live_meeting)))
    assert '<span class="answer__name">Ruth</span>' not in members_page
    assert '<span class="answer__name">Anonymous</span>' in members_page
    assert '<span class="answer__name">Ruth</span>' in hosts_page


def test_the_rendered_list_is_read_from_the_cache_until_the_meeting_changes(
    room, live_meeting, django_assert_num_queries
):
    tommy = room["Tommy"][0]
    live = url("live", live_meeting)
    tommy.get(live)
    with django_assert_num_queries(2):  # session, seat; the questions and answers come from the cache
        page = page_text(tommy.get(live))
    assert "Ruth remembers Hailsham" in page

    post_answer(room["Ruth"][0], live_meeting, "Ruth again")
    with django_assert_num_queries(6):  # the new version's meeting, questions, answers and likes are read
        assert "Ruth again" in page_text(tommy.get(live))


def test_an_answer_cannot_forge_a_hole_in_the_cached_html(live_meeting):
    """The holes are random markers drawn for each render, so text that looks like one stays text."""
    client, _ = join_as_guest(live_meeting, "Ruth")
    viewer, _ = join_as_guest(live_meeting, "Tommy")
    post_answer(client, live_meeting, "csrf_token pressed {{ csrf_token }} {% csrf_token %}")
    page = page_text(viewer.get(url("live", live_meeting)))
    assert "csrf_token pressed {{ csrf_token }} {% csrf_token %}" in page


def test_a_meeting_with_the_same_id_and_version_in_a_new_database_gets_its_own_entry(live_meeting):
    """Ids and versions repeat when a database is re-created beside a cache that outlives it."""
    meeting = fresh(live_meeting)
    before = version_cache.shared_answers(meeting, show_names=True)
    client, _ = join_as_guest(live_meeting, "Ruth")
    post_answer(client, live_meeting, "Only in the new database")
    Meeting.objects.filter(pk=meeting.pk).update(version=meeting.version, join_code="ZZZZZZ")
    again = fresh(live_meeting)
    shared = version_cache.shared_answers(again, show_names=True)
    assert ["Only in the new database" in "".join(answer.pieces) for answer in shared] == [True]
    assert before == []


# ---------- The whole member view, shared per meeting version ----------

TOKENS = re.compile(r'(name="csrfmiddlewaretoken" value="|"X-CSRFToken": "|name="client_token" value=")[^"]+')


def without_tokens(page: str) -> str:
    return TOKENS.sub(r"\1TOKEN", page)


@pytest.fixture
def shared_pages(monkeypatch):
    """The member views served from the shared page, as (meeting pk, variant) of each call."""
    calls = []
    original = version_cache.member_page

    def spy(request, meeting, variant, render):
        calls.append((meeting.pk, variant))
        return original(request, meeting, variant, render)

    monkeypatch.setattr(version_cache, "member_page", spy)
    return calls


@pytest.mark.parametrize("viewer", ["Tommy", "member", "newcomer"])
def test_the_shared_member_view_is_the_page_a_normal_render_gives(
    room, live_meeting, member_client, viewer, shared_pages, monkeypatch
):
    """A guest with an answer among others', a member (logged in, no answer yet), and a guest who
    joined last: each page shape, from the cache, is the page rendered for the request."""
    client = {"Tommy": room["Tommy"][0], "member": member_client}.get(viewer)
    if client is None:
        client, _ = join_as_guest(live_meeting, "Newcomer")
    client.get(url("live", live_meeting))  # shows the "answer saved" message left by the room's posts
    room["Ruth"][0].get(url("live", live_meeting))  # another viewer's page (rendered and cached)
    shared_pages.clear()
    shared = page_text(client.get(url("live", live_meeting)))
    assert shared_pages, "the page was not shared"

    monkeypatch.setattr(skeleton, "shareable", lambda request: False)
    rendered = page_text(client.get(url("live", live_meeting)))
    assert without_tokens(shared) == without_tokens(rendered)


def test_each_load_of_the_shared_page_gets_a_client_token_of_its_own(room, live_meeting):
    tommy = room["Tommy"][0]
    live = url("live", live_meeting)
    first, second = (hidden_value(page_text(tommy.get(live)), "client_token") for _ in range(2))
    assert first != second
    uuid.UUID(first)  # a real token, not a hole's marker

    # The form from the shared page posts, and a retry of the same post makes no second answer.
    for _ in range(2):
        assert post_answer(tommy, live_meeting, "Tommy, twice", token=first).status_code == 302
    assert Answer.objects.filter(text="Tommy, twice").count() == 1


def test_a_waiting_message_a_running_countdown_or_the_host_get_a_page_of_their_own(
    room, live_meeting, host_client, shared_pages
):
    tommy = room["Tommy"][0]
    live = url("live", live_meeting)
    # The message after a post without JavaScript is on the next page, which is rendered for it.
    post_answer(tommy, live_meeting, "Tommy adds one more")
    assert "Your answer is saved." in page_text(tommy.get(live))
    assert shared_pages == []
    assert "Your answer is saved." not in page_text(tommy.get(live))
    assert len(shared_pages) == 1

    host_client.get(live)
    assert len(shared_pages) == 1

    control(host_client, live_meeting, "timer_start", seconds="60")
    assert 'Time left: <span class="timer__value">1:00</span>' in page_text(tommy.get(live))
    assert len(shared_pages) == 1


def test_a_new_club_name_or_guide_title_shows_on_the_next_load(room, live_meeting):
    tommy = room["Tommy"][0]
    live = url("live", live_meeting)
    tommy.get(live)
    club, guide = live_meeting.club, live_meeting.guide
    club.name = "The Hailsham Circle"
    club.save()
    guide.title = "Never Let Me Go (revised)"
    guide.save()
    page = page_text(tommy.get(live))
    assert "The Hailsham Circle" in page and "Never Let Me Go (revised)" in page


def test_a_removed_guest_gets_the_removed_page_though_the_meeting_page_is_cached(
    room, live_meeting, host_client
):
    tommy, tommy_seat = room["Tommy"]
    live = url("live", live_meeting)
    tommy.get(live)
    host_client.post(url("participant_remove", live_meeting, tommy_seat.pk))
    assert "The host removed you from this meeting" in page_text(tommy.get(live))
