"""Who may see what: every club and meeting view gets its objects through these functions.

The rules, checked on the server for each object:
- Anonymous visitors are sent to log in for club and meeting pages (the join flow is open to them).
- A logged-in user outside the club gets 404 for the club, its meetings and recaps: nothing tells them
  the club exists. Staff are no exception; they work in the admin.
- A guest (someone who joined one meeting by its code, identity kept in their session) sees only that
  meeting's member view and recap.
- A club's own guides go with the club: members read them, hosts write them, outsiders get 404.
- Members see their clubs and meetings; hosts also get the controls (a member asking for a host page
  gets 403, since they already know the club exists).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest

from guides.models import Guide
from sessions.models import BookVote, Club, DatePoll, Meeting, Membership, Participant

SESSION_KEY = "bookclub_participants"


class LoginRequired(Exception):
    """Raised where an anonymous visitor must log in first; `login_redirect` turns it into a response."""


def login_redirect(request: HttpRequest):
    return redirect_to_login(request.get_full_path())


def club_for_member(request: HttpRequest, slug: str) -> tuple[Club, Membership]:
    if not request.user.is_authenticated:
        raise LoginRequired
    membership = Membership.objects.select_related("club").filter(club__slug=slug, user=request.user).first()
    if membership is None:
        raise Http404("No such club.")
    return membership.club, membership


def club_for_host(request: HttpRequest, slug: str) -> tuple[Club, Membership]:
    club, membership = club_for_member(request, slug)
    if not membership.is_host:
        raise PermissionDenied("Only the club's hosts can do that.")
    return club, membership


def club_guide_for_member(request: HttpRequest, slug: str, pk: int) -> tuple[Guide, Membership]:
    """A guide that club `slug` owns, for one of its members (the club rides along as `guide.club`)."""
    club, membership = club_for_member(request, slug)
    guide = Guide.objects.filter(club=club, pk=pk).first()
    if guide is None:
        raise Http404("No such guide.")
    guide.club = club
    return guide, membership


def club_guide_for_host(request: HttpRequest, slug: str, pk: int) -> tuple[Guide, Membership]:
    guide, membership = club_guide_for_member(request, slug, pk)
    if not membership.is_host:
        raise PermissionDenied("Only the club's hosts can do that.")
    return guide, membership


def meeting_for_member(request: HttpRequest, pk: int) -> tuple[Meeting, Membership]:
    if not request.user.is_authenticated:
        raise LoginRequired
    meeting = Meeting.objects.select_related("club", "guide", "current_question").filter(pk=pk).first()
    if meeting is None:
        raise Http404("No such meeting.")
    membership = Membership.objects.filter(club_id=meeting.club_id, user=request.user).first()
    if membership is None:
        raise Http404("No such meeting.")
    return meeting, membership


def meeting_for_host(request: HttpRequest, pk: int) -> tuple[Meeting, Membership]:
    meeting, membership = meeting_for_member(request, pk)
    if not membership.is_host:
        raise PermissionDenied("Only the club's hosts can do that.")
    return meeting, membership


@dataclass
class Seat:
    """The viewer's place in a meeting: their participant row and, for club members, their membership."""

    meeting: Meeting
    participant: Participant
    membership: Membership | None

    @property
    def is_host(self) -> bool:
        return self.membership is not None and self.membership.is_host


def guest_participant_id(request: HttpRequest, meeting: Meeting) -> int | None:
    return request.session.get(SESSION_KEY, {}).get(str(meeting.pk))


def remember_guest(request: HttpRequest, participant: Participant) -> None:
    seats = dict(request.session.get(SESSION_KEY, {}))
    seats[str(participant.meeting_id)] = participant.pk
    request.session[SESSION_KEY] = seats


def seat_in_meeting(request: HttpRequest, pk: int, *, create: bool = True) -> Seat:
    """The viewer's seat in meeting `pk`: as a club member (their participant is made on first entry)
    or as a guest remembered in their session. Anyone else: log in (anonymous) or 404."""
    return _seat(request.user, request.session, pk, create=create)


def _seat(user, session, pk: int, *, create: bool) -> Seat:
    # `_one` rather than `.first()`: these match one row at most, and ordering them would only cost time.
    seats = Participant.objects.filter(meeting_id=pk).select_related(
        "meeting__club", "meeting__guide", "meeting__current_question"
    )
    if user.is_authenticated:
        membership = _one(Membership.objects.filter(club__meetings=pk, user=user))
        if membership is not None:
            participant = _one(seats.filter(user=user))
            if participant is None:
                if not create:
                    raise Http404("Not in this meeting.")
                meeting = Meeting.objects.select_related("club", "guide", "current_question").get(pk=pk)
                role = Participant.Role.HOST if membership.is_host else Participant.Role.MEMBER
                participant = meeting.participant_for_user(user, role)
                return Seat(meeting, participant, membership)
            return Seat(participant.meeting, participant, membership)
    participant_id = session.get(SESSION_KEY, {}).get(str(pk))
    participant = _one(seats.filter(pk=participant_id)) if participant_id else None
    if participant is not None:
        return Seat(participant.meeting, participant, None)
    if not user.is_authenticated:
        raise LoginRequired
    raise Http404("No such meeting.")


STREAM_AUDIENCES = ("members", "presenter", "screen")


def stream_seat(user, session, pk: int, audience: str) -> tuple[str, int | None]:
    """Who may hold meeting `pk`'s live stream for `audience`, exactly as they may open its page: the
    presenter and the audience screen are the club's hosts'; the members' stream is for anyone with a
    seat (see `seat_in_meeting`). Returns the audience and the participant whose removal ends the
    stream (None for a host's screens)."""
    if audience not in STREAM_AUDIENCES:
        raise Http404("No such stream.")
    if audience != "members":
        if not user.is_authenticated:
            raise LoginRequired
        if not Membership.objects.filter(club__meetings=pk, user=user, role=Membership.Role.HOST).exists():
            raise Http404("Only the club's hosts can do that.")
        return audience, None
    return audience, _seat(user, session, pk, create=False).participant.pk


_M = TypeVar("_M", bound=Model)


def _one(queryset: QuerySet[_M]) -> _M | None:
    try:
        return queryset.get()
    except ObjectDoesNotExist:  # the parent of every model's DoesNotExist
        return None


# ---------- Between meetings (issue 12): a club's votes and date polls ----------


def vote_for_member(request: HttpRequest, pk: int) -> tuple[BookVote, Membership]:
    """A book vote of one of the viewer's clubs; anyone else gets 404 (anonymous: log in)."""
    if not request.user.is_authenticated:
        raise LoginRequired
    vote = BookVote.objects.select_related("club").filter(pk=pk).first()
    if vote is None:
        raise Http404("No such vote.")
    membership = Membership.objects.filter(club_id=vote.club_id, user=request.user).first()
    if membership is None:
        raise Http404("No such vote.")
    membership.club = vote.club
    return vote, membership


def vote_for_host(request: HttpRequest, pk: int) -> tuple[BookVote, Membership]:
    vote, membership = vote_for_member(request, pk)
    if not membership.is_host:
        raise PermissionDenied("Only the club's hosts can do that.")
    return vote, membership


def poll_for_member(request: HttpRequest, pk: int) -> tuple[DatePoll, Membership]:
    if not request.user.is_authenticated:
        raise LoginRequired
    poll = DatePoll.objects.select_related("club").filter(pk=pk).first()
    if poll is None:
        raise Http404("No such poll.")
    membership = Membership.objects.filter(club_id=poll.club_id, user=request.user).first()
    if membership is None:
        raise Http404("No such poll.")
    membership.club = poll.club
    return poll, membership


def poll_for_host(request: HttpRequest, pk: int) -> tuple[DatePoll, Membership]:
    poll, membership = poll_for_member(request, pk)
    if not membership.is_host:
        raise PermissionDenied("Only the club's hosts can do that.")
    return poll, membership
