"""Hosting and answering a live meeting: the presenter screen, joining by code, the member view.

Screens follow the meeting by polling. Each live region asks every 2 seconds with the `meeting.version`
it shows (`?since=`); when nothing changed the answer is an empty 204 decided by one small query, so a
room full of phones costs little. Otherwise the view renders the region's partial of the page's own
template. All HTML comes from those partials, so the Server-Sent Events that replace polling can send
the same fragments.

Every form is a real `<form method="post">` that redirects after success; with htmx the same views answer
with the partials instead.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

import segno
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect, HttpResponseClientRefresh
from django_htmx.middleware import HtmxDetails

from bookclub import ratelimit, skeleton
from sessions import access, version_cache
from sessions.forms.live import AnswerEditForm, AnswerForm
from sessions.models import (
    Answer,
    AnswerRefused,
    ControlConflict,
    Meeting,
    MeetingQuestion,
    Membership,
    Participant,
)

CONFLICT_MESSAGE = (
    "The meeting moved on another screen, so your click changed nothing. This is where it is now."
)
TIMER_CHOICES = [(30, "30 s"), (60, "1 min"), (120, "2 min"), (300, "5 min")]
MAX_TIMER_SECONDS = 60 * 60
# While a countdown runs (and a little after, to show "Time is up") polls always get a fresh region, so
# the time left shown stays right without any JavaScript.
TIMER_GRACE = timedelta(seconds=5)

PRESENT_TEMPLATE = "sessions/live/present.html"
MEMBER_TEMPLATE = "sessions/live/member.html"


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


@dataclass
class AnswerFormState:
    """What the "Your answer" form shows: a fresh form, or the typed text back with the reason it was
    refused."""

    question_id: int | None
    text: str = ""
    token: uuid.UUID | str = field(default_factory=uuid.uuid4)  # str: a hole in a shared page
    error: str = ""
    next: str = ""
    saved: bool = False


# ---------- Hosting ----------


@require_POST
def meeting_start(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    meeting, _ = _host_meeting(request, pk)
    if meeting.is_ended:
        return _redirect(request, reverse("sessions:recap", args=[pk]))
    meeting.start()
    return _redirect(request, reverse("sessions:present", args=[pk]))


@require_GET
@never_cache
@vary_on_headers("HX-Request")
def present(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    if _unchanged_since(request, pk, hosts_only=True):
        return HttpResponse(status=204)
    meeting, _ = _host_meeting(request, pk)
    return _render_presenter(request, meeting)


@require_POST
@vary_on_headers("HX-Request")
def control(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    meeting, _ = _host_meeting(request, pk)
    if not meeting.is_live:
        return _render_presenter(request, meeting)
    action = request.POST.get("action", "")
    try:
        seen = int(request.POST.get("version", ""))
    except ValueError:
        return HttpResponseBadRequest("The control form had no version; reload the page.")
    try:
        if action == "next":
            meeting.step(1, seen)
        elif action == "previous":
            meeting.step(-1, seen)
        elif action == "goto":
            question = _question(meeting, request.POST.get("question", ""))
            if question is None:
                return HttpResponseBadRequest("No such question in this meeting.")
            try:
                meeting.go_to(question, seen)
            except ValidationError:
                return HttpResponseBadRequest("That question is not part of this meeting.")
        elif action in ("lock", "unlock"):
            meeting.set_locked(action == "lock", seen)
        elif action in ("reveal", "hide"):
            meeting.set_revealed(action == "reveal", seen)
        elif action == "timer_start":
            seconds = _timer_seconds(request.POST.get("seconds", ""), meeting)
            if seconds is None:
                return HttpResponseBadRequest(f"A timer runs from 1 to {MAX_TIMER_SECONDS} seconds.")
            meeting.start_timer(seconds, seen)
        elif action == "timer_stop":
            meeting.stop_timer(seen)
        elif action == "end":
            meeting.end(seen)
        else:
            return HttpResponseBadRequest("Unknown control.")
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
    answer.question.meeting = meeting  # so the version seen by the response is the one just written
    answer.set_hidden(not answer.hidden)
    if request.htmx:
        return _render_presenter(request, meeting)
    return redirect(_safe_next(request) or reverse("sessions:present", args=[pk]))


@require_POST
@vary_on_headers("HX-Request")
def participant_remove(request: HtmxHttpRequest, pk: int, participant_id: int) -> HttpResponse:
    meeting, _ = _host_meeting(request, pk)
    participant = get_object_or_404(meeting.participants, pk=participant_id)
    notice = ""
    if participant.user_id is not None and participant.user_id == request.user.pk:
        notice = "You can't remove yourself from a meeting you are hosting."
    else:
        participant.remove()
    if request.htmx:
        return _render_presenter(request, meeting, notice=notice)
    if notice:
        messages.error(request, notice)
    return redirect(_safe_next(request) or reverse("sessions:present", args=[pk]))


def _host_meeting(request: HttpRequest, pk: int) -> tuple[Meeting, Membership]:
    # A guest already knows this meeting exists, so host pages answer them 404 rather than a login page.
    if not request.user.is_authenticated and access.guest_participant_id(request, Meeting(pk=pk)):
        raise Http404("Only the club's hosts can do that.")
    return access.meeting_for_host(request, pk)


def _render_presenter(request: HtmxHttpRequest, meeting: Meeting, notice: str = "") -> HttpResponse:
    if meeting.state == Meeting.State.SCHEDULED:
        return _redirect(request, meeting.get_absolute_url())
    if meeting.is_ended:
        return _redirect(request, reverse("sessions:recap", args=[meeting.pk]))
    context = _presenter_context(meeting, notice)
    template = PRESENT_TEMPLATE
    if request.htmx and not request.htmx.history_restore_request:
        template += "#live"
        context["fragment"] = True
    else:
        join_url = request.build_absolute_uri(reverse("sessions:join_code", args=[meeting.join_code]))
        context.update(join_url=join_url, qr_svg=_qr_svg(join_url))
    return render(request, template, context)


def _presenter_context(meeting: Meeting, notice: str) -> dict:
    prefetch_related_objects([meeting], "questions")
    number, total = meeting.question_number()
    current = next((q for q in meeting.questions.all() if q.pk == meeting.current_question_id), None)
    answers = list(
        Answer.objects.filter(question_id=meeting.current_question_id)
        .select_related("participant")
        .with_like_counts()
        .order_by("created_at", "id")
    )
    participants = list(meeting.participants.filter(removed=False))
    shown = [answer for answer in answers if not answer.hidden]
    return {
        "meeting": meeting,
        "notice": notice,
        "number": number,
        "total": total,
        "current": current,
        "questions": meeting.active_questions(),
        "answers": shown,
        "hidden_answers": [answer for answer in answers if answer.hidden],
        "participants": participants,
        "is_first": number <= 1,
        "is_last": number >= total,
        "needs_reveal": meeting.answers_visible == Meeting.AnswersVisible.AFTER_REVEAL,
        "timer_choices": TIMER_CHOICES,
        "question_timer_label": (
            f"Start timer ({_duration(current.timer_seconds)})" if current and current.timer_seconds else ""
        ),
        **_timer_context(meeting),
    }


def _qr_svg(url: str) -> SafeString:
    svg = segno.make(url, error="m").svg_inline(
        scale=4, border=2, dark="#000", light="#fff", omitsize=True, svgclass="join-qr__code"
    )
    # The SVG is drawn by segno from our own URL (no user text); only the label is text, and it is escaped.
    label = escape(f"QR code for {url}")
    return mark_safe(svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1))


def _question(meeting: Meeting, raw_id: str) -> MeetingQuestion | None:
    if not raw_id.isdigit():
        return None
    return meeting.questions.filter(pk=int(raw_id)).first()


def _timer_seconds(raw: str, meeting: Meeting) -> int | None:
    if raw == "" and meeting.current_question and meeting.current_question.timer_seconds:
        return meeting.current_question.timer_seconds
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_TIMER_SECONDS:
        return None
    return int(raw)


def _timer_context(meeting: Meeting) -> dict:
    if meeting.timer_ends_at is None:
        return {"timer_running": False, "time_left": None, "time_left_display": ""}
    seconds = max(0, math.ceil((meeting.timer_ends_at - timezone.now()).total_seconds()))
    return {
        "timer_running": True,
        "time_left": seconds,
        "time_left_display": _duration(seconds),
    }


def _duration(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


# ---------- Answering ----------


@require_GET
@never_cache
@vary_on_headers("HX-Request")
def member_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    if _unchanged_since(request, pk, hosts_only=False):
        return HttpResponse(status=204)
    seat = access.seat_in_meeting(request, pk)
    meeting = seat.meeting
    if meeting.is_ended:
        return _redirect(request, reverse("sessions:recap", args=[pk]))
    if request.htmx and not request.htmx.history_restore_request:
        # The page around the polled region changes when the meeting starts or this person is removed
        # (the answer form appears or goes), so then the whole page reloads.
        if seat.participant.removed or request.GET.get("phase", meeting.state) != meeting.state:
            return HttpResponseClientRefresh()
        return render(request, MEMBER_TEMPLATE + "#poll", _member_context(request, seat))
    return _render_member_page(request, seat)


@require_POST
@vary_on_headers("HX-Request")
def answer_post(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    seat = access.seat_in_meeting(request, pk)
    meeting, participant = seat.meeting, seat.participant
    form = AnswerForm(request.POST)
    form.is_valid()  # fields that did not parse are simply missing from cleaned_data
    posted = form.cleaned_data
    state = AnswerFormState(
        question_id=posted.get("question"),
        text=request.POST.get("text", ""),
        token=posted.get("client_token") or uuid.uuid4(),
        next=request.POST.get("next", ""),
    )
    if wait := ratelimit.hit(request, "answer", who=f"participant:{participant.pk}"):
        state.error = ratelimit.message(wait)
        return ratelimit.retry_after(_refuse_answer(request, seat, state, status=429), wait)
    question = meeting.questions.filter(pk=state.question_id).first() if state.question_id else None
    try:
        if question is None:
            raise AnswerRefused("That question is not part of this meeting. Reload the page and try again.")
        if "client_token" not in posted:
            raise AnswerRefused("This form is out of date. Reload the page and try again.")
        participant.post_answer(question, state.text, state.token)
    except AnswerRefused as refusal:
        state.error = str(refusal)
        return _refuse_answer(request, seat, state)
    # The answer is in the database by now: only from here on does the screen say it is saved.
    if request.htmx:
        fresh = AnswerFormState(
            question_id=meeting.current_question_id if meeting.is_live else question.pk,
            next=state.next,
            saved=True,
        )
        return render(request, MEMBER_TEMPLATE + "#posted", _member_context(request, seat, fresh))
    messages.success(request, "Your answer is saved.")
    return redirect(_safe_next(request) or reverse("sessions:live", args=[pk]))


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def answer_edit(request: HtmxHttpRequest, pk: int, answer_id: int) -> HttpResponse:
    seat = access.seat_in_meeting(request, pk)
    meeting = seat.meeting
    if meeting.is_ended:
        return _redirect(request, reverse("sessions:recap", args=[pk]))
    if seat.participant.removed:
        return _render_removed(request, seat)
    answer = _own_answer(seat, answer_id)
    form = AnswerEditForm(request.POST or None, initial={"text": answer.text})
    error = ""
    status = 200
    if request.method == "POST":
        text = request.POST.get("text", "")
        try:
            seat.participant.edit_answer(answer, text)
        except AnswerRefused as refusal:
            error = str(refusal)
            status = 422
        else:
            target = _safe_next(request) or reverse("sessions:live", args=[pk])
            if request.htmx:
                return HttpResponseClientRedirect(target)
            messages.success(request, "Your answer is updated.")
            return redirect(target)
    context = {
        "meeting": meeting,
        "answer": answer,
        "form": form,
        "text": form["text"].value() or "",
        "error": error,
        "next": _safe_next(request),
        "locked": _locked_for(meeting, answer.question_id),
    }
    template = "sessions/live/answer_edit.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#edit_form"
    return render(request, template, context, status=status)


@require_POST
@vary_on_headers("HX-Request")
def answer_delete(request: HtmxHttpRequest, pk: int, answer_id: int) -> HttpResponse:
    seat = access.seat_in_meeting(request, pk)
    answer = _own_answer(seat, answer_id)
    try:
        seat.participant.delete_answer(answer)
    except AnswerRefused as refusal:
        return _after_answer_change(request, seat, error=str(refusal))
    return _after_answer_change(request, seat, done="Your answer is deleted.")


@require_POST
@vary_on_headers("HX-Request")
def answer_like(request: HtmxHttpRequest, pk: int, answer_id: int) -> HttpResponse:
    seat = access.seat_in_meeting(request, pk)
    meeting = seat.meeting
    answers = Answer.objects.shown().select_related("question").filter(question__meeting=meeting)
    if not (seat.is_host or meeting.answers_shown_to_participants):
        answers = answers.filter(participant=seat.participant)  # nobody likes what they cannot see
    answer = get_object_or_404(answers, pk=answer_id)
    try:
        seat.participant.toggle_like(answer)
    except AnswerRefused as refusal:
        return _after_answer_change(request, seat, error=str(refusal))
    return _after_answer_change(request, seat)


def _own_answer(seat: access.Seat, answer_id: int) -> Answer:
    return get_object_or_404(
        Answer.objects.shown().select_related("question"),
        pk=answer_id,
        question__meeting=seat.meeting,
        participant=seat.participant,
    )


def _after_answer_change(
    request: HtmxHttpRequest, seat: access.Seat, *, error: str = "", done: str = ""
) -> HttpResponse:
    if request.htmx:
        context = _member_context(request, seat)
        context["notice"] = error
        return render(request, MEMBER_TEMPLATE + "#poll", context, status=422 if error else 200)
    if error:
        messages.error(request, error)
    elif done:
        messages.success(request, done)
    return redirect(_safe_next(request) or reverse("sessions:live", args=[seat.meeting.pk]))


def _refuse_answer(
    request: HtmxHttpRequest, seat: access.Seat, state: AnswerFormState, status: int = 422
) -> HttpResponse:
    if request.htmx:
        context = _member_context(request, seat, state)
        return render(request, MEMBER_TEMPLATE + "#answer_form", context, status=status)
    if seat.meeting.is_ended:
        messages.error(request, state.error)
        return redirect("sessions:recap", seat.meeting.pk)
    return _render_member_page(request, seat, state, status=status)


def _render_member_page(
    request: HtmxHttpRequest, seat: access.Seat, state: AnswerFormState | None = None, status: int = 200
) -> HttpResponse:
    if seat.participant.removed:
        return _render_removed(request, seat)
    if state is None and _page_is_shared(request, seat):
        return HttpResponse(_shared_member_page(request, seat))
    return render(request, MEMBER_TEMPLATE, _member_context(request, seat, state), status=status)


def _page_is_shared(request: HttpRequest, seat: access.Seat) -> bool:
    """Whether this screen is the member view everyone else in the meeting gets, but for the holes of
    `_shared_member_page`: a participant's screen of a live meeting that shows everyone's answers, with
    no countdown running (it changes every second) and nothing else of the request's own on the page."""
    meeting = seat.meeting
    return (
        meeting.is_live
        and not seat.is_host
        and meeting.answers_shown_to_participants
        and meeting.timer_ends_at is None
        and skeleton.shareable(request)
    )


def _shared_member_page(request: HttpRequest, seat: access.Seat) -> SafeString:
    """The member view from the page every viewer of this meeting version shares (see
    sessions/version_cache.py), with this viewer's answers, tokens and name filled in."""
    meeting, participant = seat.meeting, seat.participant
    shared = version_cache.shared_answers(meeting, show_names=meeting.show_names)
    own = [answer for answer in shared if answer.participant_id == participant.pk]
    others = [answer for answer in shared if answer.participant_id != participant.pk]
    holes = ["client_token", *(["own_answer_items"] if own else []), *(["other_answers"] if others else [])]

    def context(markers: Mapping[str, SafeString]) -> dict:
        # The answer lists and the CSRF token become their markers; the client token is a form field.
        state = AnswerFormState(question_id=meeting.current_question_id, token=markers["client_token"])
        return _member_context(request, seat) | {"answer_form": state}

    # The page's shape differs with whether the viewer has answers, and whether others have.
    variant = f"own{len(own) > 0:d}others{len(others) > 0:d}"
    page = version_cache.member_page(
        request, meeting, variant, lambda: skeleton.render(request, MEMBER_TEMPLATE, context, holes)
    )
    values = skeleton.viewer_values(request)
    return page.fill(
        {
            **values,
            "client_token": str(uuid.uuid4()),
            "own_answer_items": version_cache.fill_own(own, csrf_token=values[skeleton.CSRF_TOKEN]),
            "other_answers": version_cache.fill(
                others, csrf_token=values[skeleton.CSRF_TOKEN], viewer=participant.pk
            ),
        }
    )


def _render_removed(request: HtmxHttpRequest, seat: access.Seat) -> HttpResponse:
    return render(request, "sessions/live/removed.html", {"meeting": seat.meeting})


def _member_context(request: HttpRequest, seat: access.Seat, state: AnswerFormState | None = None) -> dict:
    meeting, participant = seat.meeting, seat.participant
    ordered_questions = version_cache.questions(meeting)
    number, total = meeting.question_number(ordered_questions)
    questions = {question.pk: question for question in ordered_questions}
    sees_all = seat.is_host or meeting.answers_shown_to_participants
    show_names = seat.is_host or meeting.show_names
    # One token for the whole page: each masking of it draws 32 characters from the system's randomness.
    csrf_token = get_token(request)
    others = SafeString()
    own_items = SafeString()
    answer_count = 0
    prepared = []
    own: list = []
    if meeting.is_live and sees_all:
        # Everyone's answers, this viewer's own and their likes among them, come from the cache.
        shared = version_cache.shared_answers(meeting, show_names=show_names)
        own_shared = [answer for answer in shared if answer.participant_id == participant.pk]
        shown_to_others = [answer for answer in shared if answer.participant_id != participant.pk]
        own_items = version_cache.fill_own(own_shared, csrf_token=csrf_token)
        others = version_cache.fill(shown_to_others, csrf_token=csrf_token, viewer=participant.pk)
        answer_count = len(shared)
    elif meeting.is_live:
        own = list(Answer.objects.listed_for(participant).filter(question_id=meeting.current_question_id))
        answer_count = len(own)
    else:
        own = list(Answer.objects.listed_for(participant))
        prepared = [
            (question, [answer for answer in own if answer.question_id == question.pk])
            for question in ordered_questions
            if not question.skipped
        ]
    version_cache.answer_urls(meeting, own)
    if state is None:
        state = AnswerFormState(question_id=meeting.current_question_id)
    locked = meeting.is_live and meeting.answers_locked
    context = {
        "meeting": meeting,
        "participant": participant,
        "is_host": seat.is_host,
        "number": number,
        "total": total,
        "current": questions.get(meeting.current_question_id),
        "form_question": questions.get(state.question_id),
        "own_answers": own,
        "other_answers": others,
        "answer_count": answer_count,
        "prepared": prepared,
        "sees_all": sees_all,
        "show_names": show_names,
        "locked": locked,
        "answer_form": state,
        "csrf_token": csrf_token,
        **_timer_context(meeting),
    }
    if meeting.is_live and not sees_all and own:
        own_items = render_to_string(f"{MEMBER_TEMPLATE}#own_answer_items", context, request=request)
    context["own_answer_items"] = own_items
    return context


def _locked_for(meeting: Meeting, question_id: int) -> bool:
    return meeting.is_live and meeting.answers_locked and meeting.current_question_id == question_id


# ---------- Shared ----------


def _unchanged_since(request: HttpRequest, pk: int, *, hosts_only: bool) -> bool:
    """Whether a poll that saw version `since` may get "nothing changed": one query checks both that the
    viewer may see the meeting and that its version is still the one they have."""
    since = request.GET.get("since", "")
    if not since.isdigit() or len(since) > 18:
        return False
    allowed = []
    if request.user.is_authenticated:
        memberships = Membership.objects.filter(club_id=OuterRef("club_id"), user=request.user)
        if hosts_only:
            memberships = memberships.filter(role=Membership.Role.HOST)
        allowed.append(Exists(memberships))
    guest_id = access.guest_participant_id(request, Meeting(pk=pk))
    if guest_id and not hosts_only:
        allowed.append(
            Exists(Participant.objects.filter(pk=guest_id, meeting_id=OuterRef("pk"), removed=False))
        )
    if not allowed:
        return False
    may_see = allowed[0] if len(allowed) == 1 else Q(allowed[0]) | Q(allowed[1])
    timer_settled = Q(timer_ends_at__isnull=True) | Q(timer_ends_at__lt=timezone.now() - TIMER_GRACE)
    return Meeting.objects.filter(may_see, timer_settled, pk=pk, version=int(since)).exists()


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def _redirect(request: HtmxHttpRequest, url: str) -> HttpResponse:
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)
