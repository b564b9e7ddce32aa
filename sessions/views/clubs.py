"""Clubs: starting one, its page, the invite link and the members' roles.

Every view gets its club through `sessions.access`, so an outsider learns nothing (404) and a member
asking for a host action gets 403. The rules (a club always keeps a host, joining twice is harmless) live
on the models; these views only report what the models refused.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, OuterRef, Q, Subquery
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from bookclub.http import AuthenticatedHttpRequest, HtmxHttpRequest
from sessions import access
from sessions.forms.clubs import ClubForm
from sessions.models import Club, ClubError, Meeting, Membership

DETAIL_TEMPLATE = "sessions/clubs/club_detail.html"
FORM_TEMPLATE = "sessions/clubs/club_form.html"
INVALID_INVITE_TEMPLATE = "sessions/clubs/invite_invalid.html"
INVITE_TEMPLATE = "sessions/clubs/invite_confirm.html"


def your_clubs(user) -> list[Membership]:
    """The user's memberships for the home page, each with its club, member count and next meeting."""
    if not user.is_authenticated:
        return []
    member_count = (
        Membership.objects.filter(club=OuterRef("club"))
        .order_by()
        .values("club")
        .annotate(count=Count("pk"))
        .values("count")
    )
    next_meeting = Meeting.objects.filter(club=OuterRef("club")).upcoming().values("starts_at")[:1]
    return list(
        Membership.objects.filter(user=user)
        .select_related("club")
        .annotate(member_count=Subquery(member_count), next_meeting_at=Subquery(next_meeting))
        .order_by("club__name", "club__pk")
    )


# ---------- Starting a club ----------


@login_required
@require_http_methods(["GET", "POST"])
def club_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ClubForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        club = Club.create(host=request.user, **form.cleaned_data)
        messages.success(request, "Club created. Share the invite link below to bring your members in.")
        return redirect(club)
    return render(request, FORM_TEMPLATE, {"form": form})


# ---------- The club page ----------


@require_GET
def club_detail(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    club, membership = access.club_for_member(request, slug)
    return render(request, DETAIL_TEMPLATE, _detail_context(request, club, membership))


def _detail_context(request: HttpRequest, club: Club, membership: Membership) -> dict:
    return {
        "club": club,
        "membership": membership,
        "is_host": membership.is_host,
        "upcoming": list(club.meetings.upcoming().select_related("guide")),
        "past": list(club.meetings.past().select_related("guide")),
        "club_guides": list(club.guides.order_by("title", "pk").only("pk", "title", "author", "club_id")),
        # What's next (issue 12): the votes still open or closed in the last month, and open date polls.
        "votes": list(
            club.book_votes.filter(
                Q(closed_at__isnull=True) | Q(closed_at__gte=timezone.now() - timedelta(days=30))
            )
            .select_related("winner")
            .order_by("-created_at", "-pk")[:5]
        ),
        "date_polls": list(club.date_polls.filter(closed=False).order_by("-created_at", "-pk")[:5]),
        **_members_context(club, membership),
        **_invite_context(request, club, membership),
    }


def _members_context(club: Club, membership: Membership) -> dict:
    # Ordered here rather than by Membership.Meta: "role" descending would put members before hosts.
    members = list(club.memberships.select_related("user").order_by("role", "joined_at", "pk"))
    return {"club": club, "membership": membership, "is_host": membership.is_host, "members": members}


def _invite_context(request: HttpRequest, club: Club, membership: Membership) -> dict:
    if not membership.is_host:
        return {"invite_url": ""}
    path = reverse("sessions:invite", args=[club.invite_token])
    return {"club": club, "is_host": True, "invite_url": request.build_absolute_uri(path)}


# ---------- Host actions ----------


@require_POST
@vary_on_headers("HX-Request")
def invite_reset(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    club, membership = access.club_for_host(request, slug)
    club.reset_invite_token()
    messages.success(request, "Invite link reset. The old link no longer works.")
    if request.htmx:
        return render(request, DETAIL_TEMPLATE + "#invite", _invite_context(request, club, membership))
    return redirect(club)


@require_POST
@vary_on_headers("HX-Request")
def member_role(request: HtmxHttpRequest, slug: str, membership_id: int) -> HttpResponse:
    club, membership = access.club_for_host(request, slug)
    target = _member_of(club, membership_id)
    role = request.POST.get("role", "")
    if role not in Membership.Role.values:
        return HttpResponseBadRequest("Choose host or member.")
    try:
        target.set_role(role)
    except ClubError as error:
        messages.error(request, str(error))
        return _after_member_change(request, club, membership, failed=True)
    name = target.user.get_username()
    if target.pk == membership.pk:
        messages.success(request, "You are now a member of this club; its hosts keep the controls.")
        # Their page still shows host controls they no longer have: load it afresh.
        return _client_redirect(request, club.get_absolute_url())
    if role == Membership.Role.HOST:
        messages.success(request, f"{name} is now a co-host.")
    else:
        messages.success(request, f"{name} is now a member.")
    return _after_member_change(request, club, membership)


@require_POST
@vary_on_headers("HX-Request")
def member_remove(request: HtmxHttpRequest, slug: str, membership_id: int) -> HttpResponse:
    club, membership = access.club_for_host(request, slug)
    target = _member_of(club, membership_id)
    # Both taken first: once deleted, the row has no pk.
    removing_self, place = target.pk == membership.pk, _place_in_list(target)
    try:
        target.end()
    except ClubError as error:
        messages.error(request, str(error))
        return _after_member_change(request, club, membership, failed=True)
    if removing_self:
        messages.success(request, f"You left {club.name}.")
        return _client_redirect(request, reverse("home"))
    messages.success(request, f"Removed {target.user.get_username()} from the club.")
    return _after_member_change(request, club, membership, removed_from=place)


def _member_of(club: Club, membership_id: int) -> Membership:
    return get_object_or_404(Membership.objects.select_related("user"), club=club, pk=membership_id)


def _after_member_change(
    request: HtmxHttpRequest,
    club: Club,
    membership: Membership,
    *,
    failed: bool = False,
    removed_from: tuple | None = None,
) -> HttpResponse:
    if request.htmx:
        context = _members_context(club, membership)
        if removed_from is not None:
            _focus_after_removal(context["members"], membership, removed_from)
        return render(request, DETAIL_TEMPLATE + "#members", context, status=422 if failed else 200)
    if removed_from is not None:  # without JavaScript a fragment names the control: browsers focus it
        members = _members_context(club, membership)["members"]
        focus = _focus_after_removal(members, membership, removed_from)
        return redirect(f"{club.get_absolute_url()}#{focus}")
    return redirect(club)


def _place_in_list(member: Membership) -> tuple:
    """Where a member stands in the member list (as _members_context orders it)."""
    return (member.role, member.joined_at, member.pk)


def _focus_after_removal(members: list[Membership], membership: Membership, removed_from: tuple) -> str:
    """Give the focus that the removed member's Remove button had to the next member's (the previous
    one's at the end of the list); the host's own row has no Remove, so there it is the role button."""
    after = [member for member in members if _place_in_list(member) > removed_from]
    neighbour = after[0] if after else members[-1]
    neighbour.focus = "role" if neighbour.pk == membership.pk else "remove"
    return f"member-{neighbour.pk}-{neighbour.focus}"


def _client_redirect(request: HtmxHttpRequest, url: str) -> HttpResponse:
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


# ---------- Leaving and joining ----------


@require_POST
@vary_on_headers("HX-Request")
def club_leave(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    club, membership = access.club_for_member(request, slug)
    try:
        membership.end()
    except ClubError as error:
        messages.error(request, str(error))
        return _client_redirect(request, club.get_absolute_url())
    messages.success(request, f"You left {club.name}.")
    return _client_redirect(request, reverse("home"))


@require_http_methods(["GET", "POST"])
def invite_accept(request: HtmxHttpRequest, token: str) -> HttpResponse:
    """Opening the link asks; only the button (a POST) joins, so a link prefetched by a mail client or
    opened by mistake changes nothing."""
    club = Club.objects.filter(invite_token=token).first()
    if club is None:
        # Checked before asking anyone to log in: signing up for a dead link would waste their time.
        return render(request, INVALID_INVITE_TEMPLATE, status=404)
    if not request.user.is_authenticated:
        if request.method == "POST":
            raise access.LoginRequired
        # Most people with an invite have no account yet: Sign up, with Log in beside it.
        messages.info(request, f"Sign up, or log in, to join {club.name}.")
        return redirect(f"{reverse('signup')}?{urlencode({'next': request.path})}")
    if club.membership_of(request.user) is not None:
        messages.info(request, f"You are already in {club.name}.")
        return redirect(club)
    if request.method == "GET":
        return render(request, INVITE_TEMPLATE, {"club": club})
    club.join(request.user)
    messages.success(request, f"You joined {club.name}.")
    return redirect(club)
