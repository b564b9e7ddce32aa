"""Live updates pushed to real browsers by real uvicorn processes, with polling switched off.

Each test starts its own server processes (bench/servers.py) and drives two browser
contexts: the host on the presenter view and a guest on the member view.
"""

import http.cookiejar
import re
import time
import urllib.parse
import urllib.request
import uuid

import pytest

from bench.servers import AsgiServer, Deployment, postgres_answers, redis_answers

pytestmark = [pytest.mark.browser]

PUSH_DEADLINE_MS = 1000


def expect(*args, **kwargs):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(*args, **kwargs)


@pytest.fixture
def contexts(browser):
    opened = []

    def new_context():
        context = browser.new_context()
        context.set_default_timeout(10_000)
        opened.append(context)
        return context.new_page()

    yield new_context
    for context in opened:
        context.close()


def open_presenter(page, server: AsgiServer, meeting_pk: int):
    page.goto(server.url + "/accounts/login/")
    page.get_by_label("Username").fill("hana")
    page.get_by_label("Password").fill("hana-password-123")
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{server.url}/meetings/{meeting_pk}/present/")
    wait_for_stream(page)


def join_as_guest(page, server: AsgiServer, code: str, name: str = "Kathy"):
    page.goto(f"{server.url}/join/{code}")
    page.get_by_label("Display name").fill(name)
    page.get_by_role("button", name="Join").click()
    page.get_by_label("Your answer", exact=True).wait_for()
    wait_for_stream(page)


def wait_for_stream(page):
    page.locator("[data-live-state='open']").wait_for(timeout=10_000)


def post_answer(page, text: str):
    with page.expect_response(lambda response: "/answers/" in response.url):
        page.get_by_label("Your answer", exact=True).fill(text)
        page.get_by_role("button", name="Post answer").click()


def assert_pushed(locator, started: float) -> None:
    locator.wait_for(timeout=PUSH_DEADLINE_MS)
    assert time.monotonic() - started < PUSH_DEADLINE_MS / 1000 + 0.25


def run_meeting_across(
    host_server: AsgiServer, guest_server: AsgiServer, meeting_pk: int, code: str, contexts
):
    host, guest = contexts(), contexts()
    open_presenter(host, host_server, meeting_pk)
    join_as_guest(guest, guest_server, code)

    post_answer(guest, "Hailsham felt like a boarding school.")
    started = time.monotonic()
    assert_pushed(host.get_by_text("Hailsham felt like a boarding school."), started)

    host.get_by_role("button", name="Next question").click()
    started = time.monotonic()
    assert_pushed(guest.get_by_text("Question 2 of 3", exact=True), started)


def test_an_answer_and_the_next_question_are_pushed_within_a_second(contexts, tmp_path):
    deployment = Deployment.sqlite(tmp_path)
    meeting_pk, code = deployment.prepare_meeting()
    server = AsgiServer(deployment).start()
    try:
        run_meeting_across(server, server, meeting_pk, code, contexts)
    finally:
        server.stop()


@pytest.mark.skipif(not postgres_answers(), reason="needs PostgreSQL on 127.0.0.1:5432")
@pytest.mark.skipif(not redis_answers(), reason="needs Redis on 127.0.0.1:6379")
def test_updates_cross_from_one_server_process_to_another_through_redis(contexts):
    deployment = Deployment.postgres("redis")
    first = second = None
    try:
        meeting_pk, code = deployment.prepare_meeting()
        first, second = AsgiServer(deployment).start(), AsgiServer(deployment).start()
        run_meeting_across(first, second, meeting_pk, code, contexts)
    finally:
        for server in (first, second):
            if server is not None:
                server.stop()
        deployment.close()


def test_screens_come_back_to_the_current_state_after_a_server_restart(contexts, tmp_path):
    deployment = Deployment.sqlite(tmp_path)
    meeting_pk, code = deployment.prepare_meeting()
    server = AsgiServer(deployment).start()
    try:
        host, guest = contexts(), contexts()
        open_presenter(host, server, meeting_pk)
        join_as_guest(guest, server, code)
        post_answer(guest, "Posted before the restart.")
        host.get_by_text("Posted before the restart.").wait_for(timeout=PUSH_DEADLINE_MS)
        guest.get_by_label("Your answer", exact=True).fill("Typed, not posted")

        server.stop()
        guest.get_by_text("Reconnecting…").wait_for(timeout=5_000)
        # The meeting moves on while the server is down: no event will ever say so.
        deployment.manage(
            "shell",
            "-v0",
            code=f"from sessions.models import Meeting; Meeting.objects.get(pk={meeting_pk}).step(1, None)",
        )
        server.start()

        guest.get_by_text("Question 2 of 3", exact=True).wait_for(timeout=10_000)
        host.get_by_text("Question 2 of 3", exact=True).wait_for(timeout=10_000)
        assert guest.get_by_text("Reconnecting…").is_hidden()
        # The draft stays with the question it was typed for; the new question gets a fresh box.
        assert guest.get_by_label("Your answer to question 1").input_value() == "Typed, not posted"
        assert guest.get_by_label("Your answer", exact=True).input_value() == ""
        host.get_by_role("button", name="Previous question").click()
        host.get_by_text("Posted before the restart.").wait_for(timeout=5_000)
    finally:
        server.stop()


# ---------- What people in the room see (issue: live meetings rebuilt around pushed state) ----------


@pytest.fixture
def live_server_process(tmp_path):
    deployment = Deployment.sqlite(tmp_path)
    meeting_pk, code = deployment.prepare_meeting()
    server = AsgiServer(deployment).start()
    yield server, deployment, meeting_pk, code
    server.stop()


class HttpGuest:
    """A guest on a phone with no browser: joins on the code's page and posts answers as its form does."""

    def __init__(self, server: AsgiServer, code: str, name: str) -> None:
        self.url = server.url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        page, _ = self._open(f"/join/{code}")
        _, self.live_path = self._open(f"/join/{code}", {"display_name": name}, page)

    def _open(self, path: str, fields: dict | None = None, page: str = "") -> tuple[str, str]:
        data = None
        if fields is not None:
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
            data = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **fields}).encode()
        request = urllib.request.Request(self.url + path, data, headers={"Referer": self.url + path})
        with self.opener.open(request, timeout=10) as response:
            return response.read().decode(), urllib.parse.urlparse(response.url).path

    def answer(self, text: str) -> None:
        page, _ = self._open(self.live_path)
        question = re.search(r'name="question" value="([0-9]+)"', page).group(1)
        action = re.search(r'action="(/meetings/[0-9]+/answers/)"', page).group(1)
        self._open(action, {"question": question, "text": text, "client_token": str(uuid.uuid4())}, page)


def post_as_guests(server: AsgiServer, code: str, texts: list[str], pause: float) -> None:
    """Answers from guests of their own, each joining and posting over HTTP, `pause` seconds apart."""
    guests = [HttpGuest(server, code, f"Reader {n}") for n in range(len(texts))]
    for guest, text in zip(guests, texts, strict=True):
        guest.answer(text)
        time.sleep(pause)


def test_a_burst_of_eight_answers_all_reach_the_presenter_and_a_phone(contexts, live_server_process):
    server, _deployment, meeting_pk, code = live_server_process
    host, guest = contexts(), contexts()
    open_presenter(host, server, meeting_pk)
    join_as_guest(guest, server, code)
    texts = [f"Burst answer number {n}" for n in range(8)]
    post_as_guests(server, code, texts, pause=0.3)
    for page in (host, guest):
        for text in texts:
            page.get_by_text(text, exact=True).wait_for(timeout=3_000)


def test_a_phone_offline_while_the_host_moves_on_catches_up_within_5_s_of_coming_back(
    contexts, live_server_process
):
    server, _deployment, meeting_pk, code = live_server_process
    host, guest = contexts(), contexts()
    open_presenter(host, server, meeting_pk)
    join_as_guest(guest, server, code)
    guest.context.set_offline(True)
    host.get_by_role("button", name="Next question").click()
    host.get_by_text("Question 2 of 3", exact=True).wait_for()
    time.sleep(2)
    assert guest.get_by_text("Question 1 of 3", exact=True).is_visible()
    guest.context.set_offline(False)
    started = time.monotonic()
    guest.get_by_text("Question 2 of 3", exact=True).wait_for(timeout=5_000)
    assert time.monotonic() - started < 5


def test_a_phone_whose_stream_request_fails_once_catches_up(contexts, live_server_process):
    server, deployment, meeting_pk, code = live_server_process
    host, guest = contexts(), contexts()
    open_presenter(host, server, meeting_pk)
    join_as_guest(guest, server, code)
    failed = []

    def fail_once(route):
        if failed:
            route.continue_()
        else:
            failed.append(route.request.url)
            route.abort()

    guest.route("**/events/**", fail_once)
    # The server goes away for a moment, the phone's first attempt to come back fails, and meanwhile
    # the host moves on.
    server.stop()
    deployment.manage(
        "shell",
        "-v0",
        code=f"from sessions.models import Meeting; Meeting.objects.get(pk={meeting_pk}).step(1, None)",
    )
    server.start()
    guest.get_by_text("Question 2 of 3", exact=True).wait_for(timeout=10_000)
    assert failed


def test_the_countdown_ticks_on_every_screen_without_any_other_change(contexts, live_server_process):
    server, _deployment, meeting_pk, code = live_server_process
    host, guest = contexts(), contexts()
    open_presenter(host, server, meeting_pk)
    join_as_guest(guest, server, code)
    host.get_by_role("button", name="1 min").click()
    for page in (host, guest):
        value = page.locator(".timer__value").first
        value.wait_for()
        first = value.inner_text()
        page.wait_for_function(
            "first => document.querySelector('.timer__value').textContent !== first", arg=first, timeout=3_000
        )
        assert value.inner_text() < first  # "0:58" after "0:59"
    guest.get_by_role("status").filter(has_text="Countdown: ").wait_for(state="attached")


def test_a_draft_is_filed_under_the_question_it_was_typed_for(contexts, live_server_process):
    server, _deployment, meeting_pk, code = live_server_process
    host, guest = contexts(), contexts()
    open_presenter(host, server, meeting_pk)
    join_as_guest(guest, server, code)
    guest.get_by_label("Your answer", exact=True).fill("About Hailsham, typed slowly")
    host.get_by_role("button", name="Next question").click()
    draft = guest.get_by_label("Your answer to question 1")
    draft.wait_for(timeout=5_000)
    assert draft.input_value() == "About Hailsham, typed slowly"
    assert guest.get_by_text("Draft for question 1").is_visible()
    assert guest.get_by_label("Your answer", exact=True).input_value() == ""
    guest.reload()  # a draft survives a reload too
    assert guest.get_by_label("Your answer to question 1").input_value() == "About Hailsham, typed slowly"

    guest.get_by_role("button", name="Post answer to question 1").click()
    guest.get_by_text("Your answer is saved.").wait_for()
    assert guest.get_by_label("Your answer to question 1").count() == 0
    expect(guest.get_by_text("About Hailsham, typed slowly")).to_be_hidden()  # filed under question 1
    host.get_by_role("button", name="Previous question").click()
    host.get_by_text("About Hailsham, typed slowly").wait_for(timeout=5_000)


def test_text_being_typed_when_the_meeting_ends_is_kept_to_copy(contexts, live_server_process):
    server, _deployment, meeting_pk, code = live_server_process
    host, guest = contexts(), contexts()
    open_presenter(host, server, meeting_pk)
    join_as_guest(guest, server, code)
    guest.get_by_label("Your answer", exact=True).fill("Half-written when the host ended")
    host.get_by_text("End meeting…").click()
    host.get_by_role("button", name="End meeting", exact=True).click()
    guest.wait_for_url("**/recap/", timeout=5_000)
    unsent = guest.get_by_label("Unsent answer to question 1: What did you think of Hailsham?")
    assert unsent.input_value() == "Half-written when the host ended"
    assert guest.get_by_role("button", name="Copy").is_visible()
    guest.reload()
    assert unsent.input_value() == "Half-written when the host ended"
    guest.get_by_role("button", name="Discard").click()
    assert unsent.count() == 0


@pytest.mark.parametrize(("width", "height"), [(1280, 720), (1920, 1080), (3840, 2160)])
def test_the_audience_screen_shows_no_control_and_its_newest_answers_fit(
    browser, live_server_process, width, height
):
    server, _deployment, meeting_pk, code = live_server_process
    context = browser.new_context(viewport={"width": width, "height": height})
    try:
        screen = context.new_page()
        open_presenter(screen, server, meeting_pk)
        with context.expect_page() as opened:
            screen.get_by_role("link", name="Open audience screen").click()
        screen = opened.value
        screen.locator("[data-live-state='open']").wait_for()
        texts = [f"Answer {n} from the room, with a few words more to fill a card" for n in range(14)]
        post_as_guests(server, code, texts, pause=0.05)
        newest = screen.get_by_text(texts[-1], exact=True)
        newest.wait_for(timeout=3_000)
        # Nothing to click on the room's screen but "Full screen", and no site header.
        buttons = screen.get_by_role("button").all_inner_texts()
        assert buttons == ["Full screen"]
        assert screen.locator("form, .site-header").count() == 0
        box = newest.bounding_box()
        assert box and box["y"] + box["height"] <= height and box["x"] + box["width"] <= width
        assert screen.evaluate("() => document.documentElement.scrollHeight <= innerHeight + 1")
        code_box = screen.locator(".audience__code").bounding_box()
        assert code_box["height"] >= height * 0.04  # readable across a room
        assert screen.locator(".audience__qr svg").bounding_box()["width"] >= min(width, height) * 0.2
    finally:
        context.close()


def test_the_host_steps_with_the_keyboard_and_spotlights_an_answer_on_the_audience_screen(
    contexts, live_server_process
):
    server, _deployment, meeting_pk, code = live_server_process
    host, guest, room = contexts(), contexts(), contexts()
    open_presenter(host, server, meeting_pk)
    open_presenter(room, server, meeting_pk)
    room.goto(f"{server.url}/meetings/{meeting_pk}/screen/")
    join_as_guest(guest, server, code)
    post_answer(guest, "Worth a spotlight")
    host.get_by_text("Worth a spotlight").wait_for()
    host.get_by_role("button", name="Spotlight answer 1").click()
    room.locator(".audience__spotlight").get_by_text("Worth a spotlight").wait_for(timeout=5_000)

    host.locator("body").press("ArrowRight")
    for page in (host, guest, room):
        page.get_by_text("Question 2 of 3", exact=True).wait_for(timeout=5_000)
    assert room.locator(".audience__spotlight").count() == 0  # a new question clears the spotlight
    host.locator("body").press("l")
    host.get_by_role("button", name="Unlock answers").wait_for(timeout=5_000)
    host.locator("body").press("?")
    assert host.get_by_role("dialog", name="Keyboard shortcuts").is_visible()


def test_a_pushed_control_submitted_before_htmx_wires_it_up_works_as_a_plain_form(
    contexts, live_server_process
):
    """htmx wires pushed content up a moment after the swap; a press in that moment posts the form
    natively, which must carry the CSRF token that pushed HTML (the same for every screen) leaves out."""
    server, _deployment, meeting_pk, code = live_server_process
    host, guest = contexts(), contexts()
    open_presenter(host, server, meeting_pk)
    join_as_guest(guest, server, code)
    post_answer(guest, "Pushed with its forms")  # the first answer: the presenter's region comes whole
    host.get_by_text("Pushed with its forms").wait_for(timeout=5_000)
    with host.expect_navigation():
        host.evaluate("() => document.getElementById('control-next').form.submit()")  # no htmx at all
    assert host.get_by_text("Question 2 of 3", exact=True).is_visible()
    assert "Forbidden" not in host.content()
