"""The member view of a live meeting and everything a participant posts to it: answers, edits, likes.

The page is rendered whole for its viewer (their own answers, their likes and the CSRF token in every
form, so it works as plain forms without JavaScript). After that, the question and everyone's answers
arrive pushed on the meeting's stream, rendered once for every phone (sessions/live_state.py); what is
the viewer's own (their answers, like states, drafts) is applied by static/js/live.js from this page
and from the responses to their own posts.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event

from bookclub import ratelimit
from bookclub.http import HtmxHttpRequest, redirect_to, safe_next
from sessions import access, live_state
from sessions.forms.live import AnswerEditForm, AnswerForm
from sessions.models import MAX_ANSWER_LENGTH, Answer, AnswerRefused, Like, MeetingQuestion

MEMBER_TEMPLATE = live_state.MEMBER_TEMPLATE


@dataclass
class AnswerFormState:
    """What a "Your answer" form shows: a fresh form, or the typed text back with the reason it was
    refused."""

    question_id: int | None
    text: str = ""
    token: uuid.UUID = field(default_factory=uuid.uuid4)
    error: str = ""
    next: str = ""
    saved: bool = False


@require_GET
@never_cache
def member_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    seat = access.seat_in_meeting(request, pk)
    if seat.meeting.is_ended:
        return redirect_to(request, reverse("sessions:recap", args=[pk]))
    return _render_member_page(request, seat)


@require_POST
@vary_on_headers("HX-Request")
def answer_post(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    seat = access.seat_in_meeting(request, pk)
    meeting, participant = seat.meeting, seat.participant
    form = AnswerForm(request.POST)
    form.is_valid()  # fields that did not parse are simply missing from cleaned_data
    posted = form.cleaned_data
    text = request.POST.get("text", "")
    state = AnswerFormState(
        question_id=posted.get("question"),
        # A refused text comes back to be fixed, but never more of it than a person could have meant.
        text=text[: MAX_ANSWER_LENGTH * 2],
        token=posted.get("client_token") or uuid.uuid4(),
        next=safe_next(request),
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
        answer = participant.post_answer(question, text, state.token)
    except AnswerRefused as refusal:
        state.error = str(refusal)
        return _refuse_answer(request, seat, state)
    # The answer is in the database by now: only from here on does the screen say it is saved.
    if request.htmx:
        fresh = AnswerFormState(question_id=question.pk, next=state.next, saved=True)
        response = render(request, MEMBER_TEMPLATE + "#posted", _member_context(request, seat, fresh))
        return trigger_client_event(response, "answerSaved", {"answer": answer.pk, "question": question.pk})
    messages.success(request, "Your answer is saved.")
    return redirect(state.next or reverse("sessions:live", args=[pk]))


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def answer_edit(request: HtmxHttpRequest, pk: int, answer_id: int) -> HttpResponse:
    seat = access.seat_in_meeting(request, pk)
    meeting = seat.meeting
    if meeting.is_ended:
        return redirect_to(request, reverse("sessions:recap", args=[pk]))
    if seat.participant.removed:
        return _render_removed(request, seat)
    answer = _own_answer(seat, answer_id)
    form = AnswerEditForm(request.POST or None, initial={"text": answer.text})
    error = ""
    status = 200
    if request.method == "POST" and (
        wait := ratelimit.hit(request, "edit", who=f"participant:{seat.participant.pk}")
    ):
        error, status = ratelimit.message(wait), 429
    elif request.method == "POST":
        try:
            seat.participant.edit_answer(answer, request.POST.get("text", ""))
        except AnswerRefused as refusal:
            error = str(refusal)
            status = 422
        else:
            target = safe_next(request) or reverse("sessions:live", args=[pk])
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
        "next": safe_next(request),
        "locked": meeting.is_live
        and meeting.current_question_id == answer.question_id
        and meeting.answers_closed,
    }
    template = "sessions/live/answer_edit.html"
    if status == 429 and wait:
        return ratelimit.retry_after(render(request, template, context, status=status), wait)
    if request.htmx and not request.htmx.history_restore_request:
        template += "#edit_form"
    return render(request, template, context, status=status)


@require_POST
@vary_on_headers("HX-Request")
def answer_delete(request: HtmxHttpRequest, pk: int, answer_id: int) -> HttpResponse:
    seat = access.seat_in_meeting(request, pk)
    answer = _own_answer(seat, answer_id)
    if wait := ratelimit.hit(request, "edit", who=f"participant:{seat.participant.pk}"):
        return ratelimit.retry_after(
            _after_own_change(request, seat, error=ratelimit.message(wait), status=429), wait
        )
    try:
        seat.participant.delete_answer(answer)
    except AnswerRefused as refusal:
        return _after_own_change(request, seat, error=str(refusal))
    return _after_own_change(request, seat, done="Your answer is deleted.")


@require_POST
@vary_on_headers("HX-Request")
def answer_like(request: HtmxHttpRequest, pk: int, answer_id: int) -> HttpResponse:
    seat = access.seat_in_meeting(request, pk)
    meeting = seat.meeting
    answers = Answer.objects.shown().select_related("question").filter(question__meeting=meeting)
    if not (seat.is_host or meeting.answers_shown_to_participants):
        answers = answers.filter(participant=seat.participant)  # nobody likes what they cannot see
    answer = get_object_or_404(answers, pk=answer_id)
    if wait := ratelimit.hit(request, "like", who=f"participant:{seat.participant.pk}"):
        return ratelimit.retry_after(
            _after_own_change(request, seat, error=ratelimit.message(wait), status=429), wait
        )
    try:
        liked = seat.participant.toggle_like(answer)
    except AnswerRefused as refusal:
        return _after_own_change(request, seat, error=str(refusal))
    if request.htmx:
        # The count reaches every screen with the push; this viewer's pressed state is theirs alone.
        return trigger_client_event(HttpResponse(), "liked", {"answer": answer.pk, "liked": liked})
    return _after_own_change(request, seat)


def _own_answer(seat: access.Seat, answer_id: int) -> Answer:
    return get_object_or_404(
        Answer.objects.shown().select_related("question"),
        pk=answer_id,
        question__meeting=seat.meeting,
        participant=seat.participant,
    )


def _after_own_change(
    request: HtmxHttpRequest, seat: access.Seat, *, error: str = "", done: str = "", status: int = 422
) -> HttpResponse:
    if request.htmx:
        context = _member_context(request, seat)
        context["notice"] = error
        return render(request, MEMBER_TEMPLATE + "#own_answers", context, status=status if error else 200)
    if error:
        messages.error(request, error)
    elif done:
        messages.success(request, done)
    return redirect(safe_next(request) or reverse("sessions:live", args=[seat.meeting.pk]))


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
    return render(request, MEMBER_TEMPLATE, _member_context(request, seat, state), status=status)


def _render_removed(request: HtmxHttpRequest, seat: access.Seat) -> HttpResponse:
    return render(request, "sessions/live/removed.html", {"meeting": seat.meeting})


def _member_context(
    request: HtmxHttpRequest, seat: access.Seat, state: AnswerFormState | None = None
) -> dict:
    """The member view for this viewer: what every phone shows (as pushed), plus their own parts."""
    meeting = live_state.load_meeting(seat.meeting.pk, notes=False)
    participant = seat.participant
    participant.meeting = meeting
    context = live_state.screen_context(meeting, people=False)
    # Looked up by the form's question, which may be none.
    questions: dict[int | None, MeetingQuestion] = {
        question.pk: question for question in meeting.questions.all()
    }
    own = list(Answer.objects.listed_for(participant))
    for answer in own:
        answer.likes_label = f"{answer.like_count} like{'s' if answer.like_count != 1 else ''}"
    if state is None:
        state = AnswerFormState(question_id=meeting.current_question_id)
    prepared = [
        (question, [answer for answer in own if answer.question_id == question.pk])
        for question in context["questions"]
    ]
    return context | {
        "participant": participant,
        "viewer_id": participant.pk,
        "is_host": seat.is_host,
        "sees_all": seat.is_host or meeting.answers_shown_to_participants,
        "show_names": seat.is_host or meeting.show_names,
        "liked": set(
            Like.objects.filter(
                participant=participant, answer__question_id=meeting.current_question_id
            ).values_list("answer_id", flat=True)
        ),
        "own_answers": own,
        "has_current_answer": any(answer.question_id == meeting.current_question_id for answer in own),
        "prepared": prepared,
        "answer_form": state,
        "form_question": questions.get(state.question_id),
        "form_question_number": next(
            (
                n
                for n, question in enumerate(context["questions"], start=1)
                if question.pk == state.question_id
            ),
            "",
        ),
    }
