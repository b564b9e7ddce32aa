"""Hosting a live meeting: the presenter (the host's controls, on a laptop or as a remote on a phone)
and the audience screen (for the TV or projector: the question, how to join, the answers; no controls).

Both pages are rendered whole per request; after that every change reaches them pushed on the meeting's
stream (sessions/live_state.py renders the regions once for every screen). Every control is a plain
form post that redirects back; with htmx the same views answer with the presenter's live region, so the
host's own click shows at once even before its push arrives.
"""

from __future__ import annotations

from collections.abc import Callable

import segno
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from bookclub.http import HtmxHttpRequest, absolute_url, redirect_to, safe_next
from sessions import access, live_state
from sessions.models import Answer, ControlConflict, Meeting, MeetingQuestion, Membership

CONFLICT_MESSAGE = (
    "The meeting moved on another screen, so your click changed nothing. This is where it is now."
)
MAX_TIMER_SECONDS = 60 * 60
PRESENT_TEMPLATE = live_state.PRESENT_TEMPLATE
SCREEN_TEMPLATE = live_state.SCREEN_TEMPLATE


class BadControl(Exception):
    """A control form that makes no sense (a bad question, timer or answer): 400 with the reason."""


@require_POST
def meeting_start(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    meeting, _ = _host_meeting(request, pk)
    if meeting.is_ended:
        return redirect_to(request, reverse("sessions:recap", args=[pk]))
    meeting.start()
    return redirect_to(request, reverse("sessions:present", args=[pk]))


@require_GET
@never_cache
@vary_on_headers("HX-Request")
def present(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    meeting, _ = _host_meeting(request, pk)
    return _render_presenter(request, meeting)


@require_GET
@never_cache
def screen(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    meeting, _ = _host_meeting(request, pk)
    if meeting.state == Meeting.State.SCHEDULED:
        return redirect(meeting)
    if meeting.is_ended:
        return redirect("sessions:recap", pk)
    meeting = live_state.load_meeting(pk)
    context = live_state.screen_context(meeting) | _join_context(request, meeting)
    return render(request, SCREEN_TEMPLATE, context)


# ---------- Controls ----------


def _question(meeting: Meeting, data: QueryDict) -> MeetingQuestion:
    raw = data.get("question", "")
    question = meeting.questions.filter(pk=int(raw)).first() if raw.isdigit() and len(raw) < 12 else None
    if question is None:
        raise BadControl("No such question in this meeting.")
    return question


def _timer_seconds(meeting: Meeting, data: QueryDict) -> int:
    raw = data.get("seconds", "")
    if raw == "" and meeting.current_question and meeting.current_question.timer_seconds:
        return meeting.current_question.timer_seconds
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_TIMER_SECONDS:
        raise BadControl(f"A timer runs from 1 to {MAX_TIMER_SECONDS} seconds.")
    return int(raw)


def _answer(meeting: Meeting, data: QueryDict) -> Answer:
    raw = data.get("answer", "")
    answer = (
        Answer.objects.filter(pk=int(raw), question__meeting=meeting).first()
        if raw.isdigit() and len(raw) < 12
        else None
    )
    if answer is None:
        raise BadControl("No such answer in this meeting.")
    return answer


# Each control: what it does to the meeting, given the posted form and the control version it saw.
CONTROLS: dict[str, Callable[[Meeting, QueryDict, int], None]] = {
    "next": lambda meeting, data, seen: meeting.step(1, seen),
    "previous": lambda meeting, data, seen: meeting.step(-1, seen),
    "goto": lambda meeting, data, seen: meeting.go_to(_question(meeting, data), seen),
    "lock": lambda meeting, data, seen: meeting.set_locked(True, seen),
    "unlock": lambda meeting, data, seen: meeting.set_locked(False, seen),
    "reveal": lambda meeting, data, seen: meeting.set_revealed(True, seen),
    "hide": lambda meeting, data, seen: meeting.set_revealed(False, seen),
    "timer_start": lambda meeting, data, seen: meeting.start_timer(_timer_seconds(meeting, data), seen),
    "timer_stop": lambda meeting, data, seen: meeting.stop_timer(seen),
    "close_at_zero": lambda meeting, data, seen: meeting.set_close_at_time_up(data.get("on") == "1", seen),
    "spotlight": lambda meeting, data, seen: meeting.set_spotlight(_answer(meeting, data), seen),
    "spotlight_clear": lambda meeting, data, seen: meeting.set_spotlight(None, seen),
    "sort_likes": lambda meeting, data, seen: meeting.set_sort_by_likes(True, seen),
    "sort_time": lambda meeting, data, seen: meeting.set_sort_by_likes(False, seen),
    "end": lambda meeting, data, seen: meeting.end(seen),
}


@require_POST
@vary_on_headers("HX-Request")
def control(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    meeting, _ = _host_meeting(request, pk)
    if not meeting.is_live:
        return _render_presenter(request, meeting)
    apply = CONTROLS.get(request.POST.get("action", ""))
    if apply is None:
        return HttpResponseBadRequest("Unknown control.")
    seen = request.POST.get("version", "")
    if not seen.isdigit() or len(seen) > 12:
        return HttpResponseBadRequest("The control form had no version; reload the page.")
    try:
        apply(meeting, request.POST, int(seen))
    except (BadControl, ValidationError) as refusal:
        message = refusal.messages[0] if isinstance(refusal, ValidationError) else str(refusal)
        return HttpResponseBadRequest(message)
    except ControlConflict:
        # Not an error: the other screen won, and this one shows where the meeting is now.
        if request.htmx:
            return _render_presenter(request, meeting, notice=CONFLICT_MESSAGE)
        messages.warning(request, CONFLICT_MESSAGE)
        return redirect("sessions:present", pk)
    if request.htmx:
        return _render_presenter(request, meeting)
    return redirect("sessions:present", pk)


@require_POST
@vary_on_headers("HX-Request")
def answer_hide(request: HtmxHttpRequest, pk: int, answer_id: int) -> HttpResponse:
    meeting, _ = _host_meeting(request, pk)
    answer = get_object_or_404(
        Answer.objects.select_related("question"), pk=answer_id, question__meeting=meeting
    )
    answer.question.meeting = meeting
    answer.set_hidden(not answer.hidden)
    return _after_moderation(request, meeting)


@require_POST
@vary_on_headers("HX-Request")
def participant_remove(request: HtmxHttpRequest, pk: int, participant_id: int) -> HttpResponse:
    meeting, _ = _host_meeting(request, pk)
    participant = get_object_or_404(meeting.participants, pk=participant_id)
    if participant.user_id is not None and participant.user_id == request.user.pk:
        return _after_moderation(
            request, meeting, error="You can't remove yourself from a meeting you are hosting."
        )
    participant.meeting = meeting
    participant.remove()
    return _after_moderation(
        request, meeting, done=f"{participant.display_name} was removed. “Let back in” undoes it."
    )


@require_POST
@vary_on_headers("HX-Request")
def participant_readmit(request: HtmxHttpRequest, pk: int, participant_id: int) -> HttpResponse:
    meeting, _ = _host_meeting(request, pk)
    participant = get_object_or_404(meeting.participants, pk=participant_id, removed=True)
    participant.meeting = meeting
    participant.let_back_in()
    return _after_moderation(request, meeting, done=f"{participant.display_name} is back in.")


def _after_moderation(
    request: HtmxHttpRequest, meeting: Meeting, *, error: str = "", done: str = ""
) -> HttpResponse:
    if request.htmx:
        return _render_presenter(request, meeting, notice=error, done=done)
    if error:
        messages.error(request, error)
    elif done:
        messages.success(request, done)
    return redirect(safe_next(request) or reverse("sessions:present", args=[meeting.pk]))


# ---------- Rendering ----------


def _host_meeting(request: HttpRequest, pk: int) -> tuple[Meeting, Membership]:
    # A guest already knows this meeting exists, so host pages answer them 404 rather than a login page.
    if not request.user.is_authenticated and access.guest_participant_id(request, Meeting(pk=pk)):
        raise Http404("Only the club's hosts can do that.")
    return access.meeting_for_host(request, pk)


def _render_presenter(
    request: HtmxHttpRequest, meeting: Meeting, notice: str = "", done: str = ""
) -> HttpResponse:
    if meeting.state == Meeting.State.SCHEDULED:
        return redirect_to(request, meeting.get_absolute_url())
    if meeting.is_ended:
        return redirect_to(request, reverse("sessions:recap", args=[meeting.pk]))
    meeting = live_state.load_meeting(meeting.pk)
    context = live_state.screen_context(meeting) | {"notice": notice, "done": done}
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, PRESENT_TEMPLATE + "#live", context)
    context |= _join_context(request, meeting)
    return render(request, PRESENT_TEMPLATE, context)


def _join_context(request: HttpRequest, meeting: Meeting) -> dict:
    join_url = absolute_url(request, reverse("sessions:join_code", args=[meeting.join_code]))
    return {"join_url": join_url, "qr_svg": _qr_svg(join_url)}


def _qr_svg(url: str) -> SafeString:
    svg = segno.make(url, error="m").svg_inline(
        scale=4, border=2, dark="#000", light="#fff", omitsize=True, svgclass="join-qr__code"
    )
    # The SVG is drawn by segno from our own URL (no user text); only the label is text, and it is escaped.
    label = escape(f"QR code for {url}")
    return mark_safe(svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1))
