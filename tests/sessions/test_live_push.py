"""Live updates pushed to real browsers by real uvicorn processes, with polling switched off.

Each test starts its own server processes (bench/servers.py) and drives two browser
contexts: the host on the presenter view and a guest on the member view.
"""

import time

import pytest

from bench.servers import AsgiServer, Deployment, postgres_answers, redis_answers

pytestmark = [pytest.mark.browser]

PUSH_DEADLINE_MS = 1000


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
