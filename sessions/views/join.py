"""Joining a live meeting: by code (typed, or in the link and QR code the presenter shows), as a club
member or, when the meeting allows it, as a guest known by a display name kept in their session."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from bookclub import ratelimit
from bookclub.http import HtmxHttpRequest
from sessions import access
from sessions.forms.live import GuestJoinForm, JoinCodeForm, normalize_join_code
from sessions.models import JoinRefused, Meeting, Membership, Participant

# Every code anyone tries counts, on every path (the form, ?code= and /join/<code>), against the
# address's limit; a wrong one counts against everyone's too (see README, "Join codes"). Once either is
# over, every code is refused, right or wrong, so the refusal tells no codes apart.
GLOBAL = "everyone"


def _code_limit_wait(request: HtmxHttpRequest) -> int | None:
    """Refuse once the tries are used up, before this code is even looked up: a right code found after
    the last allowed guess could itself be a guess."""
    return ratelimit.exceeded(request, "join", used_up=True) or ratelimit.exceeded(
        request, "join_global", who=GLOBAL, used_up=True
    )


def _count_wrong_code(request: HtmxHttpRequest) -> int | None:
    wait_everyone = ratelimit.hit(request, "join_global", who=GLOBAL)
    return ratelimit.hit(request, "join") or wait_everyone


@require_http_methods(["GET", "POST"])
def join(request: HtmxHttpRequest) -> HttpResponse:
    data = request.POST if request.method == "POST" else (request.GET if "code" in request.GET else None)
    if data is not None:
        # A code tried: right or wrong, it counts for this address.
        wait = ratelimit.hit(request, "join") or ratelimit.exceeded(
            request, "join_global", who=GLOBAL, used_up=True
        )
    else:
        wait = _code_limit_wait(request)
    if wait:
        return ratelimit.too_many_requests(request, wait)
    form = JoinCodeForm(data)
    if form.is_bound and form.is_valid():
        return redirect("sessions:join_code", form.cleaned_data["code"])
    if form.is_bound and form.has_error("code", "unknown"):
        ratelimit.hit(request, "join_global", who=GLOBAL)
    return render(request, "sessions/live/join.html", {"form": form}, status=422 if form.is_bound else 200)


@require_http_methods(["GET", "POST"])
def join_code(request: HtmxHttpRequest, code: str) -> HttpResponse:
    template = "sessions/live/join_code.html"
    if wait := _code_limit_wait(request):
        return ratelimit.too_many_requests(request, wait)
    meeting = (
        Meeting.objects.select_related("club", "guide").filter(join_code=normalize_join_code(code)).first()
    )
    if meeting is None:
        # Opening a link with a wrong code is a guess too: it counts like a posted one.
        if wait := _count_wrong_code(request):
            return ratelimit.too_many_requests(request, wait)
        return render(request, template, {"page": "unknown", "code": code}, status=404)
    if request.method == "POST" and (wait := ratelimit.hit(request, "join")):
        return ratelimit.too_many_requests(request, wait)
    membership = None
    if request.user.is_authenticated:
        membership = Membership.objects.filter(club_id=meeting.club_id, user=request.user).first()
    guest_id = access.guest_participant_id(request, meeting)
    guest = meeting.participants.filter(pk=guest_id).first() if guest_id else None
    context: dict = {"meeting": meeting}
    if meeting.is_ended:
        context.update(page="ended", was_in_it=membership is not None or guest is not None)
        return render(request, template, context)
    if membership is not None and request.user.is_authenticated:
        role = Participant.Role.HOST if membership.is_host else Participant.Role.MEMBER
        meeting.participant_for_user(request.user, role)
        return redirect("sessions:live", meeting.pk)
    if guest is not None:
        return redirect("sessions:live", meeting.pk)
    if not meeting.allow_guests:
        context.update(page="members_only")
        return render(request, template, context, status=403 if request.method == "POST" else 200)
    form = GuestJoinForm(request.POST or None)
    status = 200
    if form.is_bound and form.is_valid():
        # Guests need only the code, so one address could otherwise fill a meeting with them.
        who = f"meeting:{meeting.pk}:{ratelimit.client_ip(request)}"
        if wait := ratelimit.hit(request, "guest", who=who):
            return ratelimit.too_many_requests(request, wait)
        try:
            participant = meeting.add_guest(form.cleaned_data["display_name"])
        except JoinRefused as refusal:
            form.add_error("display_name", str(refusal))
            status = 422
        else:
            access.remember_guest(request, participant)
            return redirect("sessions:live", meeting.pk)
    context.update(page="guest", form=form)
    return render(request, template, context, status=status)
