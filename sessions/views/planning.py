"""Between meetings: choosing the next book (nominations and a ranked vote), "When can we meet?" and the
reading plan.

Every view gets its vote, poll or meeting through `sessions.access`, so an outsider gets 404 and a
member asking for a host action 403. The rules (nomination limits, a book already read, ballots only
while voting) live on the models; these views report what the models refused, keeping what was typed.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from bookclub.http import AuthenticatedHttpRequest
from bookclub.ratelimit import hit, too_many_requests
from guides.models import Guide
from sessions import access
from sessions.forms.planning import BookVoteForm, DatePollForm, NominationForm, ProgressForm, ReadingPlanForm
from sessions.models import (
    BookVote,
    DateAnswer,
    DatePoll,
    Meeting,
    MeetingQuestion,
    Membership,
    Nomination,
    ReadingProgress,
    VoteError,
    reading_position_label,
)
from sessions.ranked import Rule, instant_runoff

VOTE_TEMPLATE = "sessions/planning/vote_detail.html"
VOTE_FORM_TEMPLATE = "sessions/planning/vote_form.html"
POLL_TEMPLATE = "sessions/planning/poll_detail.html"
POLL_FORM_TEMPLATE = "sessions/planning/poll_form.html"
READING_PLAN_TEMPLATE = "sessions/planning/reading_plan.html"

RULE_WORDS = {
    Rule.MAJORITY: "won a majority of the ballots still counting",
    Rule.LAST_STANDING: "was the last book standing",
    Rule.FEWEST_VOTES: "had the fewest votes",
    Rule.FIRST_PREFERENCES: "tied for fewest votes and had fewer first preferences",
    Rule.NOMINATION_ORDER: "tied for fewest votes and first preferences, and was nominated later",
}


# ---------- Opening a vote ----------


@require_http_methods(["GET", "POST"])
def vote_create(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    club, _ = access.club_for_host(request, slug)
    form = BookVoteForm(request.POST if request.method == "POST" else None, club=club)
    if form.is_valid():
        vote = BookVote.open(club=club, by=request.user, **form.cleaned_data)
        messages.success(
            request, "Vote opened. Members can nominate books now; start the voting when they have."
        )
        return redirect(vote)
    return render(request, VOTE_FORM_TEMPLATE, {"form": form, "club": club})


# ---------- The vote page ----------


@require_GET
def vote_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    vote, membership = access.vote_for_member(request, pk)
    vote.close_if_due()
    return render(request, VOTE_TEMPLATE, vote_context(request, vote, membership))


def vote_context(request: AuthenticatedHttpRequest, vote: BookVote, membership: Membership, **extra) -> dict:
    """Everything the vote page shows, in a fixed number of queries however many nominations and ballots."""
    nominations = list(vote.nominations.select_related("nominated_by", "guide__club"))
    by_id = {nomination.pk: nomination for nomination in nominations}
    ballots = list(vote.ballots.values_list("user_id", "ranking"))
    mine: list[int] = next((ranking for user_id, ranking in ballots if user_id == request.user.pk), [])
    ranked = [by_id[pk] for pk in mine if pk in by_id]
    unranked = [nomination for nomination in nominations if nomination.pk not in mine]
    context = {
        "vote": vote,
        "club": vote.club,
        "is_host": membership.is_host,
        "nominations": nominations,
        "my_nominations": sum(1 for n in nominations if n.nominated_by_id == request.user.pk),
        "ballot_count": sum(1 for _, ranking in ballots if ranking),
        "ranked": ranked,
        "unranked": unranked,
        "nomination_form": extra.pop("nomination_form", None) or NominationForm(club=vote.club),
        "tallies_shown": vote.is_closed or (vote.is_voting and vote.show_tallies_live),
        "count": None,
        "ballot_status": "",
        "ballot_error": "",
    }
    if context["tallies_shown"]:
        context["count"] = _count_for_page(vote, by_id, ballots)
    if vote.is_closed and vote.winner_id in by_id:
        context["winner"] = by_id[vote.winner_id]
        context["schedule_url"] = _schedule_url(vote, by_id[vote.winner_id])
    context.update(extra)
    return context


def _count_for_page(vote: BookVote, by_id: dict[int, Nomination], ballots: list) -> dict:
    """The count as rounds of (book, votes) rows, with the rule that decided each round in words."""
    if vote.is_closed and vote.result is not None:
        result = vote.result
    else:
        count = instant_runoff([r for _, r in ballots if r], list(by_id))
        result = {
            "winner": count.winner,
            "rule": count.deciding_rule,
            "rounds": [
                {
                    "number": r.number,
                    "tallies": {str(k): v for k, v in r.tallies.items()},
                    "exhausted": r.exhausted,
                    "eliminated": r.eliminated,
                    "rule": r.rule,
                    "tied": r.tied,
                }
                for r in count.rounds
            ],
        }
    rounds = []
    for raw in result["rounds"]:
        rows = sorted(
            ((by_id.get(int(pk)), votes) for pk, votes in raw["tallies"].items()),
            key=lambda row: -row[1],
        )
        out = by_id.get(raw["eliminated"]) if raw["eliminated"] else None
        rounds.append(
            {
                "number": raw["number"],
                "rows": [
                    {"nomination": n, "votes": v, "out": n is not None and n == out} for n, v in rows if n
                ],
                "exhausted": raw["exhausted"],
                "out": out,
                "rule": raw["rule"],
                "rule_words": RULE_WORDS.get(raw["rule"], ""),
                "tied": [by_id[pk] for pk in raw["tied"] if pk in by_id],
            }
        )
    winner = by_id.get(result["winner"]) if result["winner"] else None
    return {
        "rounds": rounds,
        "winner": winner,
        "final_rule_words": RULE_WORDS.get(rounds[-1]["rule"], "") if rounds else "",
        "tie_rule": result["rule"],
    }


def _schedule_url(vote: BookVote, winner: Nomination) -> str:
    guide = winner.guide or (
        Guide.objects.for_meetings_of(vote.club).filter(title__iexact=winner.title).order_by("pk").first()
    )
    if guide is None:
        return ""
    return reverse("sessions:meeting_create", args=[vote.club.slug]) + "?" + urlencode({"guide": guide.pk})


# ---------- Nominating ----------


@require_POST
def nominate(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    vote, membership = access.vote_for_member(request, pk)
    wait = hit(request, "nominate")
    if wait:
        return too_many_requests(request, wait)
    if not vote.is_nominating:  # the form is gone from the page: say why above it
        messages.error(request, "Nominations are closed for this vote.")
        return redirect(vote)
    form = NominationForm(request.POST, club=vote.club)
    if form.is_valid():
        data = form.cleaned_data
        try:
            nomination = vote.nominate(
                by=request.user,
                guide=data["guide"],
                title=data["title"],
                author=data["author"],
                reason=data["reason"],
            )
        except VoteError as error:
            form.add_error("guide" if data["guide"] else "title", error.messages[0])
        else:
            messages.success(request, f"“{nomination.title}” is nominated.")
            return redirect(vote.get_absolute_url() + "#nominations")
    context = vote_context(request, vote, membership, nomination_form=form)
    return render(request, VOTE_TEMPLATE, context, status=422)


@require_POST
def nomination_withdraw(request: AuthenticatedHttpRequest, pk: int, nomination_id: int) -> HttpResponse:
    vote, _ = access.vote_for_member(request, pk)
    nomination = get_object_or_404(Nomination, vote=vote, pk=nomination_id)
    nomination.vote = vote
    try:
        nomination.withdraw(request.user)
    except VoteError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, f"“{nomination.title}” is withdrawn.")
    return redirect(vote.get_absolute_url() + "#nominations")


# ---------- Host controls ----------


@require_POST
def vote_start(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    vote, _ = access.vote_for_host(request, pk)
    try:
        if vote.start_voting():
            messages.success(request, "Voting is open. Members can rank the books now.")
    except VoteError as error:
        messages.error(request, error.messages[0])
    return redirect(vote)


@require_POST
def vote_close(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    vote, _ = access.vote_for_host(request, pk)
    if vote.is_nominating:
        messages.error(request, "Start the voting before closing the vote.")
    elif vote.close():
        messages.success(request, "The vote is closed. Here is the count.")
    return redirect(vote.get_absolute_url() + "#result")


# ---------- Ranking the books ----------


@require_POST
@vary_on_headers("HX-Request")
def ballot(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Save the member's ranking. The form sends the ranking as it stands (`ranking`, best first) and,
    from a button, one change to make to it: "up:<id>", "down:<id>", "add:<id>", "remove:<id>"; a
    dragged list sends the new order with "save"."""
    vote, membership = access.vote_for_member(request, pk)
    wait = hit(request, "vote")
    if wait:
        return too_many_requests(request, wait)
    try:
        ranking = [int(value) for value in request.POST.getlist("ranking")]
        ranking = _apply(ranking, request.POST.get("action", "save"))
        vote.cast(request.user, ranking)
    except (ValueError, VoteError) as error:
        message = (
            error.messages[0] if isinstance(error, ValidationError) else "That ranking could not be read."
        )
        return _ballot_response(request, vote, membership, error=message, status=422)
    return _ballot_response(request, vote, membership, status_text="Your ranking is saved.")


def _apply(ranking: list[int], action: str) -> list[int]:
    verb, _, target = action.partition(":")
    if verb == "save":
        return ranking
    pk = int(target)
    if verb == "add" and pk not in ranking:
        return [*ranking, pk]
    if verb == "remove":
        return [item for item in ranking if item != pk]
    if verb in ("up", "down") and pk in ranking:
        index = ranking.index(pk)
        other = index - 1 if verb == "up" else index + 1
        if 0 <= other < len(ranking):
            ranking[index], ranking[other] = ranking[other], ranking[index]
        return ranking
    if verb in ("add", "up", "down"):
        return ranking
    raise ValueError(action)


def _ballot_response(
    request: AuthenticatedHttpRequest,
    vote: BookVote,
    membership: Membership,
    *,
    error: str = "",
    status_text: str = "",
    status: int = 200,
) -> HttpResponse:
    if request.htmx:
        context = vote_context(request, vote, membership, ballot_error=error, ballot_status=status_text)
        return render(request, VOTE_TEMPLATE + "#ballot", context, status=status)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, status_text)
    return redirect(vote.get_absolute_url() + "#ballot")


# ---------- When can we meet? ----------


@require_http_methods(["GET", "POST"])
def poll_create(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    club, _ = access.club_for_host(request, slug)
    form = DatePollForm(request.POST if request.method == "POST" else None, club=club)
    if form.is_valid():
        poll = DatePoll.offer(
            club=club, by=request.user, starts=form.cleaned_data["starts"], title=form.cleaned_data["title"]
        )
        messages.success(request, "Poll sent round. Members can say which dates suit them.")
        return redirect(poll)
    return render(request, POLL_FORM_TEMPLATE, {"form": form, "club": club})


@require_GET
def poll_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    poll, membership = access.poll_for_member(request, pk)
    return render(request, POLL_TEMPLATE, _poll_context(request, poll, membership))


def _poll_context(request: AuthenticatedHttpRequest, poll: DatePoll, membership: Membership, **extra) -> dict:
    options = poll.ranked_options()
    mine = dict(
        DateAnswer.objects.filter(option__poll=poll, user=request.user).values_list("option_id", "answer")
    )
    by_time = sorted(options, key=lambda option: option.starts_at)
    for option in by_time:
        option.mine = extra.get("typed", {}).get(option.pk, mine.get(option.pk, ""))
    best = options[0] if options and options[0].yes + options[0].maybe > 0 else None
    respondents = DateAnswer.objects.filter(option__poll=poll).aggregate(people=Count("user", distinct=True))[
        "people"
    ]
    schedule_url = ""
    if best is not None and membership.is_host:
        local = timezone.localtime(best.starts_at, poll.club.tzinfo)
        schedule_url = (
            reverse("sessions:meeting_create", args=[poll.club.slug])
            + "?"
            + urlencode({"starts_at": f"{local:%Y-%m-%dT%H:%M}"})
        )
    return {
        "poll": poll,
        "club": poll.club,
        "is_host": membership.is_host,
        "options": by_time,
        "best": best,
        "respondents": respondents,
        "choices": DateAnswer.Choice.choices,
        "schedule_url": schedule_url,
        "poll_error": extra.get("error", ""),
    }


@require_POST
def poll_answer(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    poll, membership = access.poll_for_member(request, pk)
    answers: dict[int, str] = {}
    for key, value in request.POST.items():
        # A QueryDict's value is the key's last str, or [] for a key with none: skipped with the empty.
        if key.startswith("option_") and value and isinstance(value, str):
            try:
                answers[int(key.removeprefix("option_"))] = value
            except ValueError:
                continue
    try:
        poll.answer(request.user, answers)
    except ValidationError as error:
        context = _poll_context(request, poll, membership, error=error.messages[0], typed=answers)
        return render(request, POLL_TEMPLATE, context, status=422)
    messages.success(request, "Your answers are saved.")
    return redirect(poll)


@require_POST
def poll_close(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    poll, _ = access.poll_for_host(request, pk)
    DatePoll.objects.filter(pk=poll.pk).update(closed=True)
    messages.success(request, "The poll is closed.")
    return redirect(poll)


# ---------- The reading plan ----------


def meeting_for_member(request: HttpRequest, pk: int) -> tuple[Meeting, Membership]:
    """As on the meeting page: a guest who joined by the code gets the member view, not these pages."""
    if not request.user.is_authenticated and str(pk) in request.session.get(access.SESSION_KEY, {}):
        raise Http404("No such meeting.")
    return access.meeting_for_member(request, pk)


def meeting_for_host(request: HttpRequest, pk: int) -> tuple[Meeting, Membership]:
    meeting, membership = meeting_for_member(request, pk)
    if not membership.is_host:
        raise PermissionDenied("Only the club's hosts can do that.")
    return meeting, membership


@require_http_methods(["GET", "POST"])
def reading_plan(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A host sets what to read by the meeting and tags each question with the part of the book it is
    about, in one form."""
    meeting, _ = meeting_for_host(request, pk)
    if meeting.is_ended:
        messages.error(request, "This meeting has ended, so its reading plan can no longer change.")
        return redirect(meeting)
    questions = list(meeting.questions.all())
    posted = request.POST if request.method == "POST" else None
    form = ReadingPlanForm(posted, initial={"unit": meeting.reading_unit, "target": meeting.reading_target})
    parts, part_errors = _question_parts(posted, questions)
    if posted is not None and form.is_valid() and not part_errors:
        try:
            meeting.set_reading_plan(unit=form.cleaned_data["unit"], target=form.cleaned_data["target"])
        except ValidationError as error:
            messages.error(request, error.messages[0])
            return redirect(meeting)
        changed = [q for q in questions if q.reading_part != parts[q.pk]]
        for question in changed:
            question.reading_part = parts[question.pk]
        if changed:
            MeetingQuestion.objects.bulk_update(changed, ["reading_part"])
            meeting.touch()
        messages.success(request, "Reading plan saved.")
        return redirect(meeting.get_absolute_url() + "#reading")
    for question in questions:
        question.part_value = (
            request.POST.get(f"part_{question.pk}", "")
            if posted is not None
            else ("" if question.reading_part is None else str(question.reading_part))
        )
        question.part_error = part_errors.get(question.pk, "")
    context = {"meeting": meeting, "club": meeting.club, "form": form, "questions": questions}
    return render(request, READING_PLAN_TEMPLATE, context, status=422 if posted is not None else 200)


def _question_parts(posted, questions) -> tuple[dict[int, int | None], dict[int, str]]:
    parts: dict[int, int | None] = {}
    errors: dict[int, str] = {}
    for question in questions:
        if posted is None:
            parts[question.pk] = question.reading_part
            continue
        raw = posted.get(f"part_{question.pk}", "").strip()
        if not raw:
            parts[question.pk] = None
        elif raw.isdigit() and int(raw) >= 1:
            parts[question.pk] = int(raw)
        else:
            errors[question.pk] = "Enter a whole number from 1, or leave it empty."
    return parts, errors


@require_POST
def reading_progress(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    meeting, _ = meeting_for_member(request, pk)
    form = ProgressForm(request.POST)
    if form.is_valid():
        try:
            ReadingProgress.record(meeting, request.user, form.cleaned_data["position"])
        except ValidationError as error:
            messages.error(request, error.messages[0])
        else:
            where = reading_position_label(meeting.reading_unit, form.cleaned_data["position"])
            messages.success(request, f"Saved: you have read up to {where}.")
    else:
        # An ErrorList item is its message: ErrorList.__getitem__ unwraps a ValidationError, which the
        # stubs (typing the item as the list holds it) do not know.
        messages.error(request, form.errors["position"][0])  # type: ignore[arg-type]
    return redirect(meeting.get_absolute_url() + "#reading")


@require_POST
def meeting_cancel(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    meeting, _ = meeting_for_host(request, pk)
    try:
        if meeting.cancel():
            messages.success(request, "Meeting cancelled. Members are emailed and calendars updated.")
    except ValidationError as error:
        messages.error(request, error.messages[0])
    return redirect(meeting)


def reading_context(request: AuthenticatedHttpRequest, meeting: Meeting) -> dict:
    """The meeting page's reading section: the target, how many reached it, the viewer's progress."""
    mine = (
        ReadingProgress.objects.filter(meeting=meeting, user=request.user)
        .values_list("position", flat=True)
        .first()
    )
    reached, total = meeting.reading_target_reached()
    return {
        "reading_label": meeting.reading_target_label,
        "reading_unit_label": meeting.get_reading_unit_display().lower(),
        "reading_reached": reached,
        "reading_total": total,
        "my_position": mine,
        "my_position_label": reading_position_label(meeting.reading_unit, mine),
    }
