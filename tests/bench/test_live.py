"""The live benchmark's client: the event-stream parser, the htmx-like page, and screens end to end."""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace

import aiohttp
from aiohttp import web

from bench.live import Board, Post, Screen, csrf_token_in, measure, summary
from bench.screen import HtmxPage, SseEvent, SseParser, trigger_events
from bench.servers import AsgiServer, Deployment, run_async

# ---------- The event-stream format ----------


def test_events_are_dispatched_at_blank_lines_with_their_data_lines_joined():
    parser = SseParser()
    events = parser.feed(b"event: answers\ndata: <li>one</li>\ndata: <li>two</li>\n\ndata: plain\n\n")
    assert events == [
        SseEvent("answers", "<li>one</li>\n<li>two</li>"),
        SseEvent("message", "plain"),
    ]


def test_an_event_split_anywhere_across_chunks_comes_out_whole():
    raw = b"event: meeting\r\nid: 7\r\ndata: 7\r\n\r\n: heartbeat\r\n\r\nevent: end\rdata: 8\r\r"
    whole = SseParser().feed(raw)
    for size in (1, 2, 3, 5):
        parser = SseParser()
        events = []
        for start in range(0, len(raw), size):
            events += parser.feed(raw[start : start + size])
        assert events == whole
    assert whole == [SseEvent("meeting", "7", "7"), SseEvent("end", "8", "7")]


def test_comments_and_events_without_data_dispatch_nothing_and_retry_and_id_are_kept():
    parser = SseParser()
    assert parser.feed("\ufeff: hello\n\nretry: 1500\nid: 41\nevent: lonely\n\n".encode()) == []
    assert parser.retry_ms == 1500
    assert parser.last_event_id == "41"
    # The name of an event without data does not leak into the next one.
    assert parser.feed(b"data:no space\n\n") == [SseEvent("message", "no space", "41")]


def test_trigger_specs_are_split_on_commas_outside_filters():
    assert trigger_events("sse:meeting, poll") == [("sse:meeting", ""), ("poll", "")]
    assert trigger_events("sse:meeting delay:1s, click[ctrlKey, shiftKey]") == [
        ("sse:meeting", "delay:1s"),
        ("click", ""),
    ]


# ---------- Pushed HTML (sse-swap) ----------

PUSHED_PAGE = """<!doctype html><html><head><title>Live</title></head><body>
<p id="status">0 answers</p>
<div hx-ext="sse" sse-connect="/meetings/1/events/" sse-close="end">
  <section id="stage" sse-swap="stage,question"><h2>Question 1</h2></section>
  <ul id="answers" sse-swap="answers" hx-swap="beforeend"><li>First</li></ul>
  <div id="presenter" sse-swap="presenter" hx-swap="outerHTML">old presenter</div>
</div>
<div id="outside" sse-swap="answers">outside the stream</div>
</body></html>"""


def pushed_page() -> HtmxPage:
    return HtmxPage(PUSHED_PAGE, "http://127.0.0.1:8000/meetings/1/present/")


def test_the_stream_is_the_sse_connect_url_resolved_against_the_page():
    page = pushed_page()
    assert page.stream_url == "http://127.0.0.1:8000/meetings/1/events/"
    assert page.close_event == "end"


def test_pushed_html_goes_into_each_region_that_names_the_event_with_its_out_of_band_parts():
    page = pushed_page()
    changed, fetches = page.handle_event(
        SseEvent("answers", '<li>Second</li><p id="status" hx-swap-oob="true">2 answers</p>')
    )
    assert changed and fetches == []
    assert [li.text for li in page.select("#answers li")] == ["First", "Second"]  # beforeend
    assert page.select("#status")[0].text == "2 answers"
    assert page.select("#status")[0].get("hx-swap-oob") is None
    assert page.select("#outside")[0].text == "outside the stream"  # not under sse-connect: untouched
    assert "Second" in page.text() and "outside the stream" in page.text()


def test_a_region_answers_to_every_event_it_names_and_innerhtml_is_the_default():
    page = pushed_page()
    page.handle_event(SseEvent("question", "<h2>Question 2</h2> and a tail"))
    stage = page.select("#stage")[0]
    assert stage.get("sse-swap") == "stage,question"
    assert stage.text_content() == "Question 2 and a tail"
    page.handle_event(SseEvent("stage", "<h2>Question 3</h2>"))
    assert page.select("#stage h2")[0].text == "Question 3"


def test_an_outer_html_region_is_replaced_and_the_new_one_gets_the_next_event():
    page = pushed_page()
    page.handle_event(
        SseEvent("presenter", '<div id="presenter" sse-swap="presenter" hx-swap="outerHTML">v2</div>')
    )
    page.handle_event(
        SseEvent("presenter", '<div id="presenter" sse-swap="presenter" hx-swap="outerHTML">v3</div>')
    )
    assert [element.text for element in page.select("#presenter")] == ["v3"]


def test_an_event_no_region_names_changes_nothing():
    page = pushed_page()
    before = page.html()
    assert page.handle_event(SseEvent("heartbeat", "12")) == (False, [])
    assert page.html() == before


def test_out_of_band_styles_and_selectors_are_honoured():
    page = pushed_page()
    page.handle_event(
        SseEvent(
            "stage",
            # As in htmx, any style but outerHTML swaps the out-of-band element's content, not itself.
            '<h2>Q</h2><div hx-swap-oob="beforeend:#answers"><li>Third</li></div>'
            '<span id="status" hx-swap-oob="innerHTML">3 <b>answers</b></span>',
        )
    )
    assert [li.text for li in page.select("#answers li")] == ["First", "Third"]
    status = page.select("#status")[0]
    assert status.tag == "p" and status.text_content() == "3 answers"
    assert page.select("#stage")[0].text_content() == "Q"


def test_a_screen_reads_only_what_a_swap_put_in_the_page_and_an_out_of_band_part_with_no_target_is_not():
    page = pushed_page()
    page.take_inserted()
    page.handle_event(
        SseEvent(
            "stage",
            '<h2>Q2</h2><div hx-swap-oob="beforeend:#answers"><li>Arrived</li></div>'
            '<div hx-swap-oob="beforeend:#no-such-list"><li>Nowhere</li></div>'
            '<li id="answer-gone" hx-swap-oob="delete"></li>',
        )
    )
    inserted = page.take_inserted()
    assert "Arrived" in inserted and "Q2" in inserted
    assert "Nowhere" not in inserted and "Nowhere" not in page.text()
    assert page.take_inserted() == ""  # each swap's text is read once


# ---------- Fetched regions (hx-trigger="sse:…" and hx-get) ----------

FETCHING_PAGE = """<!doctype html><html><body>
<div sse-connect="/meetings/1/events/" hx-headers='{"X-CSRFToken": "tok"}'>
  <p id="live-status">Question 1.</p>
  <section id="member-question" hx-get="/meetings/1/live/?since=3" hx-trigger="sse:meeting, poll"
           hx-swap="outerHTML"><h2>Question 1</h2></section>
  <div id="answers-box" hx-target="this" hx-swap="beforeend">
    <ul id="answers" hx-get="answers/" hx-trigger="sse:meeting"><li>First</li></ul>
  </div>
</div></body></html>"""


def fetching_page() -> HtmxPage:
    return HtmxPage(FETCHING_PAGE, "http://127.0.0.1:8000/meetings/1/live/")


def test_an_event_makes_each_triggered_element_fetch_its_hx_get_as_htmx_would():
    page = fetching_page()
    changed, fetches = page.handle_event(SseEvent("meeting", "4", "4"))
    assert not changed
    assert [fetch.url for fetch in fetches] == [
        "http://127.0.0.1:8000/meetings/1/live/?since=3",
        "http://127.0.0.1:8000/meetings/1/live/answers/",
    ]
    question, answers = fetches
    assert question.headers == {
        "HX-Request": "true",
        "HX-Current-URL": "http://127.0.0.1:8000/meetings/1/live/",
        "HX-Target": "member-question",
        "HX-Trigger": "member-question",
        "X-CSRFToken": "tok",
    }
    # hx-target="this" inherited from the box: the box is the target (and its hx-swap the style).
    assert answers.headers["HX-Target"] == "answers-box"
    assert page.handle_event(SseEvent("other", "")) == (False, [])


def test_a_fetched_response_is_swapped_with_its_out_of_band_parts_and_204_swaps_nothing():
    page = fetching_page()
    _, (question, answers) = page.handle_event(SseEvent("meeting", "4"))
    applied = page.handle_response(
        question,
        200,
        {},
        '<section id="member-question" hx-get="/meetings/1/live/?since=4" hx-trigger="sse:meeting" '
        'hx-swap="outerHTML"><h2>Question 2</h2></section>'
        '<p id="live-status" hx-swap-oob="innerHTML">Question 2.</p>',
    )
    assert applied.changed and applied.error is None and applied.follow_ups == []
    assert page.select("#member-question h2")[0].text == "Question 2"
    assert page.select("#live-status")[0].text == "Question 2."
    assert page.handle_response(answers, 204, {}, "").changed is False
    assert "First" in page.text()
    # The replaced element's new hx-get is what the next event fetches.
    _, fetches = page.handle_event(SseEvent("meeting", "5"))
    assert fetches[0].url.endswith("?since=4")


def test_an_error_response_swaps_nothing_and_is_reported():
    page = fetching_page()
    _, (question, _) = page.handle_event(SseEvent("meeting", "4"))
    applied = page.handle_response(question, 500, {}, "<h1>Server Error</h1>")
    assert not applied.changed and applied.error.startswith("HTTP 500")
    assert "Server Error" not in page.text()


def test_an_event_during_a_request_queues_one_more_which_is_dropped_if_the_element_was_replaced():
    page = fetching_page()
    _, (question, answers) = page.handle_event(SseEvent("meeting", "4"))
    # Two more events while both requests are out: each element queues one request (the last).
    assert page.handle_event(SseEvent("meeting", "5")) == (False, [])
    assert page.handle_event(SseEvent("meeting", "6")) == (False, [])
    # The question region is replaced by its response (outerHTML): htmx drops its queued request.
    replaced = page.handle_response(
        question, 200, {}, '<section id="member-question" hx-get="/x" hx-trigger="sse:meeting">Q2</section>'
    )
    assert replaced.follow_ups == []
    # The list stays in the page (its box gets the response appended): its queued request goes out now.
    kept = page.handle_response(answers, 200, {}, "<p>Second</p>")
    assert len(kept.follow_ups) == 1 and kept.follow_ups[0].url.endswith("/answers/")
    assert "Second" in page.text()


def test_hx_retarget_and_hx_reswap_from_the_server_win():
    page = fetching_page()
    _, (question, _) = page.handle_event(SseEvent("meeting", "4"))
    page.handle_response(question, 200, {"hx-retarget": "#live-status", "hx-reswap": "innerHTML"}, "Moved.")
    assert page.select("#live-status")[0].text == "Moved."
    assert page.select("#member-question h2")[0].text == "Question 1"


def test_the_csrf_token_comes_from_the_form_else_hx_headers_else_the_cookie():
    form = '<form><input type="hidden" name="csrfmiddlewaretoken" value="from-form"></form>'
    assert csrf_token_in(f"<html><body>{form}</body></html>", {}) == "from-form"
    headers = """<html><body hx-headers='{"X-CSRFToken": "from-headers"}'><p>x</p></body></html>"""
    assert csrf_token_in(headers, {}) == "from-headers"
    assert csrf_token_in("<html><body><p>x</p></body></html>", {"csrftoken": "from-cookie"}) == "from-cookie"


def test_latency_summaries_are_in_milliseconds():
    assert summary([0.1, 0.2, 0.3]) == {"p50_ms": 200.0, "p95_ms": 300.0, "max_ms": 300.0, "pairs": 3}
    assert summary([])["p95_ms"] is None


# ---------- Screens end to end ----------


def test_screens_see_pushed_answers_over_a_real_stream():
    """A tiny server that pushes HTML regions the way the rebuilt live meeting does: each screen
    counts an answer when its text is on the page, and not before."""

    async def go():
        streams: list[web.StreamResponse] = []
        finished = asyncio.Event()

        async def page(request):
            assert request.headers["Cookie"].startswith("sessionid=")
            return web.Response(
                text='<html><body><div sse-connect="/events/"><ul id="answers" sse-swap="answers">'
                "</ul></div></body></html>",
                content_type="text/html",
            )

        async def events(request):
            response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
            await response.prepare(request)
            await response.write(b"retry: 500\n\n")
            streams.append(response)
            await finished.wait()
            return response

        app = web.Application()
        app.router.add_get("/live/", page)
        app.router.add_get("/events/", events)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]

        board = Board()
        async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session:
            screens = [
                Screen("member", f"http://127.0.0.1:{port}", "/live/", {"sessionid": f"s{n}"}, board)
                for n in range(3)
            ]
            for screen in screens:
                await screen.load(session)
            tasks = [asyncio.create_task(screen.run()) for screen in screens]
            await asyncio.wait_for(asyncio.gather(*(screen.opened.wait() for screen in screens)), 5)
            while len(streams) < 3:
                await asyncio.sleep(0.01)
            items = ""
            for number in range(3):
                post = Post(number, f"Answer number {number}", time.monotonic())
                board.sent.append(post)
                items += f"<li>{post.text}</li>"
                # The last stream hears of the second answer only with the third one.
                for index, stream in enumerate(streams):
                    if number == 1 and index == 2:
                        continue
                    await stream.write(f"event: answers\ndata: {items}\n\n".encode())
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.2)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        finished.set()
        await runner.cleanup()
        return screens

    screens = run_async(go())
    assert [sorted(screen.delivered) for screen in screens] == [[0, 1, 2]] * 3
    assert all(0 <= latency < 1 for screen in screens for latency in screen.delivered.values())
    late = screens[2].delivered
    assert late[1] > late[2] + 0.04  # seen only with the third answer, 50 ms after it was sent
    assert all(screen.errors == [] for screen in screens)


def test_a_small_run_against_the_app_delivers_every_answer_to_every_screen(tmp_path):
    """The app as it is: every change pushed as HTML to every screen; the bench must see every answer."""
    deployment = Deployment.sqlite(tmp_path)
    meeting_pk, _ = deployment.prepare_meeting()
    server = AsgiServer(deployment, log_to_file=True).start()
    try:
        args = SimpleNamespace(posts=3, rate=1.0, posters=2, timeout=20.0, idle=0.5)
        result = run_async(measure([server], meeting_pk, 3, args))
    finally:
        server.stop()
    assert result["missed_deliveries"] == 0, result
    assert result["errors"] == 0, result
    assert result["pairs"] == 3 * 5  # 3 answers on 3 member screens, the presenter and the audience screen
    assert result["presenter_latency"]["pairs"] == 3
    assert result["requests_per_change"] == 0  # pushed: no screen asks the server anything after a change
    assert result["server_cpu_ms_per_change"] > 0
