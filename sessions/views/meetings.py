"""Scheduling and preparing meetings: the meeting page, RSVPs, the calendar file and the question list.

Hosts edit the meeting's own copy of the questions here before the meeting and while it runs (the
presenter view reuses the "questions" partial of meeting_detail.html with `questions_context`).
Members answer questions ahead on the same page; those forms post to the live helper's answer view.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from bookclub.http import AuthenticatedHttpRequest, absolute_url, safe_next
from guides.models import Guide
from sessions import access, calendars
from sessions.forms.meetings import MeetingCreateForm, MeetingForm
from sessions.models import (
    Answer,
    Meeting,
    MeetingQuestion,
    Membership,
    ReadingProgress,
    Rsvp,
    is_beyond,
    reading_position_label,
)
from sessions.views import planning

DETAIL_TEMPLATE = "sessions/meetings/meeting_detail.html"
FORM_TEMPLATE = "sessions/meetings/meeting_form.html"
_web_url = URLValidator(schemes=["http", "https"])


# ---------- Scheduling ----------


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def meeting_create(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    club, _ = access.club_for_host(request, slug)
    if request.method == "POST" and request.POST.get("action") not in ("pick", "now"):
        form = MeetingCreateForm(request.POST, club=club)
        if form.is_valid():
            meeting = Meeting.schedule(club=club, by=request.user, **form.schedule_fields())
            messages.success(request, "Meeting scheduled. Members can now RSVP and answer questions ahead.")
            return redirect(meeting)
        guide = form.pool_guide
    else:
        # Showing the form, or the pool of the guide just chosen ("Show its questions" without
        # JavaScript, or htmx when the choice changes): nothing is checked yet, so nothing is refused.
        # A vote's winner ("Schedule a meeting on this book") and a date poll's best date arrive here
        # as ?guide=<id> and ?starts_at=<YYYY-MM-DDTHH:MM> to start the form with.
        source = request.POST if request.method == "POST" else request.GET
        form = MeetingCreateForm(initial=_typed(source, sent=request.method == "POST"), club=club)
        guide = _chosen_guide(form, source.get("guide", ""))
        if guide is not None:
            form.initial["guide"] = guide.pk
        if source.get("action") == "now":  # "Now" without JavaScript: the time filled in by the server
            form.initial["starts_at"] = timezone.now()
            form.fields["starts_at"].widget.attrs["autofocus"] = True
    context = {
        "form": form,
        "club": club,
        "meeting": None,
        "pool_guide": guide,
        "pool": form.pool_rows(guide, sent=request.POST if request.method == "POST" else None),
    }
    if request.htmx and request.method == "GET" and "guide" in request.GET:
        return render(request, FORM_TEMPLATE + "#pool", context)
    return render(request, FORM_TEMPLATE, context)


def _typed(data, *, sent: bool) -> dict:
    """What the host had typed into the form (or a link gave), as its starting values."""
    typed = {
        key: data.get(key)
        for key in ("kind", "own_title", "own_questions", "starts_at", "place", "answers_visible")
    }
    typed = {key: value for key, value in typed.items() if value}
    if sent and "starts_at" in data:  # a sent form: an unticked box is off
        typed["allow_guests"] = bool(data.get("allow_guests"))
        typed["show_names"] = bool(data.get("show_names"))
    return typed


def _chosen_guide(form: MeetingCreateForm, value: str) -> Guide | None:
    if not value.isdigit():
        return None
    return form.guides().filter(pk=value).first()


@require_http_methods(["GET", "POST"])
def meeting_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    meeting, _ = _meeting_for_host(request, pk)
    if meeting.is_ended:
        messages.error(request, "This meeting has ended, so it can no longer be edited.")
        return redirect(meeting)
    form = MeetingForm(
        request.POST if request.method == "POST" else None, instance=meeting, club=meeting.club
    )
    if form.is_valid():
        try:
            meeting.change_details(**form.cleaned_data)
        except ValidationError as error:  # it ended while the form was open
            messages.error(request, error.messages[0])
            return redirect(meeting)
        messages.success(request, "Meeting updated.")
        return redirect(meeting)
    return render(request, FORM_TEMPLATE, {"form": form, "club": meeting.club, "meeting": meeting})


# ---------- The meeting page ----------


@require_GET
def meeting_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    meeting, membership = _meeting_for_member(request, pk)
    return render(request, DETAIL_TEMPLATE, _detail_context(request, meeting, membership))


def _detail_context(
    request: AuthenticatedHttpRequest, meeting: Meeting, membership: Membership, **extra
) -> dict:
    context = {
        "meeting": meeting,
        "club": meeting.club,
        "guide": meeting.guide,
        "guide_url": meeting.guide_url,
        "is_host": membership.is_host,
        "place_url": _web_url_or_blank(meeting.place),
        "join_url": _join_url(request, meeting),
        **planning.reading_context(request, meeting),
        **_rsvp_context(request, meeting),
        **questions_context(request, meeting, is_host=membership.is_host),
    }
    context.update(extra)
    return context


def _join_url(request: HttpRequest, meeting: Meeting) -> str:
    """Shown from the start, not only on the presenter: hosts share it ahead, members open it on their
    phones (on SITE_URL, as the presenter's QR code has it)."""
    if meeting.is_ended:
        return ""
    return absolute_url(request, reverse("sessions:join_code", args=[meeting.join_code]))


def _web_url_or_blank(place: str) -> str:
    try:
        _web_url(place)
    except ValidationError:
        return ""
    return place


# ---------- RSVP ----------


@require_POST
@vary_on_headers("HX-Request")
def rsvp(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    meeting, membership = _meeting_for_member(request, pk)
    response = request.POST.get("response", "")
    try:
        saved = meeting.set_rsvp(request.user, response)
    except ValidationError as error:
        if request.htmx:
            context = {"meeting": meeting, **_rsvp_context(request, meeting, error=error.messages[0])}
            return render(request, DETAIL_TEMPLATE + "#rsvp", context, status=400)
        context = _detail_context(request, meeting, membership, rsvp_error=error.messages[0])
        return render(request, DETAIL_TEMPLATE, context, status=400)
    if request.htmx:
        context = {"meeting": meeting, **_rsvp_context(request, meeting, status="Saved.")}
        return render(request, DETAIL_TEMPLATE + "#rsvp", context)
    messages.success(request, f"Your RSVP is saved: {saved.get_response_display()}.")
    return redirect(meeting)


def _rsvp_context(request: HttpRequest, meeting: Meeting, *, error: str = "", status: str = "") -> dict:
    rsvps = list(meeting.rsvps.select_related("user").order_by("updated_at", "id"))
    counts = {value: 0 for value in Rsvp.Response.values}
    for item in rsvps:
        counts[item.response] += 1
    mine = next((item.response for item in rsvps if item.user_id == request.user.pk), "")
    return {
        "rsvp_choices": [
            {"value": value, "label": label, "count": counts[value], "chosen": value == mine}
            for value, label in Rsvp.Response.choices
        ],
        "my_rsvp": mine,
        "my_rsvp_label": Rsvp.Response(mine).label if mine else "",
        "going": [
            item.user.get_full_name() or item.user.get_username()
            for item in rsvps
            if item.response == Rsvp.Response.GOING
        ],
        "rsvp_error": error,
        "rsvp_status": status,
    }


# ---------- Calendar file ----------


@require_GET
def meeting_ics(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    meeting, _ = _meeting_for_member(request, pk)
    local_start = timezone.localtime(meeting.starts_at, meeting.club.tzinfo)
    filename = f"{slugify(meeting.title) or 'meeting'}-{local_start:%Y-%m-%d}.ics"
    response = HttpResponse(
        calendars.calendar(request, [meeting]), content_type="text/calendar; charset=utf-8"
    )
    response.headers["Content-Disposition"] = content_disposition_header(True, filename)
    return response


# ---------- Questions ----------


def questions_context(
    request: AuthenticatedHttpRequest,
    meeting: Meeting,
    *,
    is_host: bool,
    next_url: str = "",
    status: str = "",
    error: str = "",
    edit_error: dict | None = None,
    add_error: dict | None = None,
    focus: tuple[int, str] | None = None,
) -> dict:
    """What the "questions" partial needs: hosts see every question with its controls; members see the
    questions still in the meeting with forms to answer ahead while it is scheduled.

    `focus` (a question's id and the control the host used) says which control gets the focus back
    when htmx swaps the list in (an `autofocus` attribute, which htmx honours)."""
    questions_query = meeting.questions.all()
    if not is_host:
        questions_query = questions_query.filter(skipped=False)
    prepare = meeting.state == Meeting.State.SCHEDULED and meeting.cancelled_at is None
    if prepare:
        own_answers = Answer.objects.filter(participant__user=request.user).order_by("created_at", "id")
        questions_query = questions_query.prefetch_related(
            Prefetch("answers", queryset=own_answers, to_attr="my_answers")
        )
    questions = list(questions_query)
    # Before the meeting, questions about a part of the book past where the viewer has read are folded.
    position = None
    if prepare and any(question.reading_part is not None for question in questions):
        position = (
            ReadingProgress.objects.filter(meeting=meeting, user=request.user)
            .values_list("position", flat=True)
            .first()
        )
    number = 0
    for question in questions:
        if not question.skipped:
            number += 1
        question.number = None if question.skipped else number
        question.spoiler = prepare and is_beyond(question, position)
        question.part_label = reading_position_label(meeting.reading_unit, question.reading_part)
        # A fresh token per form: a double click then saves the answer once.
        question.client_token = uuid.uuid4()
    focus_id = _focus_id(meeting, questions, *focus) if focus else ""
    for question in questions:
        prefix = f"question-{question.pk}-"
        question.focus = focus_id.removeprefix(prefix) if focus_id.startswith(prefix) else ""
    return {
        "meeting": meeting,
        "questions": questions,
        "questions_shown": is_host or prepare,
        "can_edit_questions": is_host and not meeting.is_ended,
        "prepare": prepare,
        "questions_next": next_url or meeting.get_absolute_url(),
        "questions_status": status,
        "questions_error": error,
        "edit_error": edit_error or {},
        "add_error": add_error or {},
        "questions_focus": focus_id,
    }


# The control that takes the focus after a change, by preference: a question moved to the top has no
# "Move up" any more, so its "Move down" has it; the question on screen has no "Skip".
_FOCUS_ORDER = {"up": ("up", "down", "edit"), "down": ("down", "up", "edit"), "skip": ("skip", "edit")}


def _focus_id(meeting: Meeting, questions: list[MeetingQuestion], question_id: int, control: str) -> str:
    """The id of the control that gets the focus after a question change, as the list now stands."""
    if control == "add":
        return "new-question"
    index = next((i for i, question in enumerate(questions) if question.pk == question_id), None)
    if index is None:
        return "questions-heading"
    question = questions[index]
    shown = {
        "up": index > 0,
        "down": index < len(questions) - 1,
        "skip": question.skipped or not meeting.is_live or question.pk != meeting.current_question_id,
        "edit": True,
    }
    control = next(name for name in _FOCUS_ORDER.get(control, ("edit",)) if shown[name])
    return f"question-{question_id}-{control}"


@require_POST
@vary_on_headers("HX-Request")
def question_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    meeting, membership = _meeting_for_host(request, pk)
    text = request.POST.get("text", "")
    try:
        meeting.add_question(text)
    except ValidationError as error:
        return _questions_refused(request, meeting, membership, error, add_error={"text": text})
    return _questions_changed(request, meeting, "Question added at the end.", focus=(0, "add"))


@require_POST
@vary_on_headers("HX-Request")
def question_edit(request: AuthenticatedHttpRequest, pk: int, question_id: int) -> HttpResponse:
    meeting, membership = _meeting_for_host(request, pk)
    question = _question_of(meeting, question_id)
    text = request.POST.get("text", "")
    try:
        question.reword(text)
    except ValidationError as error:
        edit_error = {"question_id": question.pk, "text": text}
        return _questions_refused(request, meeting, membership, error, edit_error=edit_error)
    return _questions_changed(request, meeting, "Question reworded.", focus=(question.pk, "edit"))


@require_POST
@vary_on_headers("HX-Request")
def question_move(request: AuthenticatedHttpRequest, pk: int, question_id: int) -> HttpResponse:
    meeting, membership = _meeting_for_host(request, pk)
    question = _question_of(meeting, question_id)
    direction = request.POST.get("direction", "")
    if direction not in ("up", "down"):
        return HttpResponse("Move a question “up” or “down”.", status=400, content_type="text/plain")
    try:
        meeting.move_question(question, direction)
    except ValidationError as error:
        return _questions_refused(request, meeting, membership, error)
    return _questions_changed(
        request, meeting, f"Question moved {direction}.", focus=(question.pk, direction)
    )


@require_POST
@vary_on_headers("HX-Request")
def question_skip(request: AuthenticatedHttpRequest, pk: int, question_id: int) -> HttpResponse:
    meeting, membership = _meeting_for_host(request, pk)
    question = _question_of(meeting, question_id)
    # The forms say which state they want, so a double click skips once instead of undoing itself;
    # without a value the post toggles.
    wanted = request.POST.get("skipped", "")
    skipped = {"true": True, "false": False}.get(wanted, not question.skipped)
    try:
        question.set_skipped(skipped)
    except ValidationError as error:
        return _questions_refused(request, meeting, membership, error)
    status = "Question skipped." if skipped else "Question back in."
    return _questions_changed(request, meeting, status, focus=(question.pk, "skip"))


def _question_of(meeting: Meeting, question_id: int) -> MeetingQuestion:
    question = get_object_or_404(MeetingQuestion, meeting=meeting, pk=question_id)
    question.meeting = meeting
    return question


def _next_url(request: HttpRequest, meeting: Meeting) -> str:
    """Where a question change came from (the meeting page or the presenter view), if it is ours."""
    return safe_next(request, request.POST.get("next", "")) or meeting.get_absolute_url()


def _questions_changed(
    request: AuthenticatedHttpRequest, meeting: Meeting, status: str, *, focus: tuple[int, str]
) -> HttpResponse:
    next_url = _next_url(request, meeting)
    if request.htmx:
        context = questions_context(
            request, meeting, is_host=True, next_url=next_url, status=status, focus=focus
        )
        return render(request, DETAIL_TEMPLATE + "#questions", context)
    messages.success(request, status)
    if next_url == meeting.get_absolute_url():
        # Without JavaScript, a fragment naming the control: browsers focus it and scroll to it.
        questions = list(meeting.questions.only("pk", "skipped"))
        next_url += "#" + _focus_id(meeting, questions, *focus)
    return redirect(next_url)


def _questions_refused(
    request: AuthenticatedHttpRequest,
    meeting: Meeting,
    membership: Membership,
    error: ValidationError,
    **typed,
) -> HttpResponse:
    """Show why a question change was refused, keeping what the host typed beside the field."""
    message = error.messages[0]
    meeting.refresh_from_db(fields=["state", "current_question", "version"])
    if error.code == "ended":  # the fields are gone once the meeting ended: say so above the list
        typed = {}
    next_url = _next_url(request, meeting)
    if request.htmx:
        context = questions_context(
            request, meeting, is_host=True, next_url=next_url, **_placed(message, typed)
        )
        return render(request, DETAIL_TEMPLATE + "#questions", context, status=422)
    if not typed:  # nothing typed to keep: say why on the page the host came from
        messages.error(request, message)
        return redirect(next_url)
    context = _detail_context(request, meeting, membership)
    context.update(
        questions_context(request, meeting, is_host=True, next_url=next_url, **_placed(message, typed))
    )
    return render(request, DETAIL_TEMPLATE, context)


def _placed(message: str, typed: dict) -> dict:
    """Put the message beside the field it is about, or above the list when it is about the meeting."""
    for key in ("edit_error", "add_error"):
        if key in typed:
            return {key: {**typed[key], "message": message}}
    return {"error": message}


# ---------- Access ----------


def _refuse_guests(request: HttpRequest, pk: int) -> None:
    """A guest who joined this meeting by its code gets its member view and recap, not these pages."""
    if not request.user.is_authenticated and str(pk) in request.session.get(access.SESSION_KEY, {}):
        raise Http404("No such meeting.")


def _meeting_for_member(request: HttpRequest, pk: int) -> tuple[Meeting, Membership]:
    _refuse_guests(request, pk)
    return access.meeting_for_member(request, pk)


def _meeting_for_host(request: HttpRequest, pk: int) -> tuple[Meeting, Membership]:
    _refuse_guests(request, pk)
    return access.meeting_for_host(request, pk)
