"""Clubs: starting one, the club page, invite links, co-hosts, removing members and leaving."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from sessions.access import remember_guest
from sessions.models import Club, Meeting, Membership
from tests.axe import axe_violations

HTMX = {"HTTP_HX_REQUEST": "true"}
LOGIN = "/accounts/login/"
LAST_HOST = "A club always keeps at least one host."


def url(name: str, *args) -> str:
    return reverse(f"sessions:{name}", args=args)


def membership(club: Club, user: User) -> Membership:
    return Membership.objects.get(club=club, user=user)


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]] if response.context else []


@pytest.fixture
def guest_seat_client(meeting) -> Client:
    """An anonymous browser whose session holds a guest seat in the club's meeting."""
    participant = meeting.add_guest("Kathy")
    client = Client()
    request = RequestFactory().get("/")
    request.session = client.session
    remember_guest(request, participant)
    request.session.save()
    return client


@pytest.fixture
def other_club(outsider) -> Club:
    return Club.create(name="Night Owls", host=outsider)


def host_actions(club: Club, host: User, member: User) -> list[tuple[str, dict]]:
    milo = membership(club, member)
    return [
        (url("invite_reset", club.slug), {}),
        (url("member_role", club.slug, milo.pk), {"role": "host"}),
        (url("member_remove", club.slug, milo.pk), {}),
    ]


# ---------- Who may do what ----------


def test_anonymous_visitors_are_sent_to_log_in_for_every_club_view(client, club, host, member):
    gets = [url("club_create"), url("club", club.slug)]
    posts = [url("club_create"), url("club_leave", club.slug)] + [
        u for u, _ in host_actions(club, host, member)
    ]
    for target in gets:
        response = client.get(target)
        assert response.status_code == 302, target
        assert response.url == f"{LOGIN}?next={target}", target
    for target in posts:
        response = client.post(target, {"role": "host"})
        assert response.status_code == 302, target
        assert response.url.startswith(LOGIN), target
    assert Membership.objects.filter(club=club).count() == 2
    assert Club.objects.count() == 1


def test_a_guest_with_a_meeting_seat_is_an_outsider_to_the_club(guest_seat_client, club, host, member):
    response = guest_seat_client.get(url("club", club.slug))
    assert response.status_code == 302
    assert response.url.startswith(LOGIN)
    for target, data in host_actions(club, host, member):
        assert guest_seat_client.post(target, data).url.startswith(LOGIN)
    assert guest_seat_client.post(url("club_leave", club.slug)).url.startswith(LOGIN)
    assert Membership.objects.filter(club=club).count() == 2


@pytest.mark.parametrize("who", ["outsider_client", "staff_client"])
def test_outsiders_and_staff_get_404_for_everything_in_the_club(request, club, host, member, who):
    client = request.getfixturevalue(who)
    token = club.invite_token
    assert client.get(url("club", club.slug)).status_code == 404
    for target, data in host_actions(club, host, member):
        assert client.post(target, data).status_code == 404, target
    assert client.post(url("club_leave", club.slug)).status_code == 404
    club.refresh_from_db()
    assert club.invite_token == token
    assert membership(club, member).role == Membership.Role.MEMBER


def test_a_member_sees_the_club_page_but_gets_403_on_host_actions(member_client, club, host, member):
    assert member_client.get(url("club", club.slug)).status_code == 200
    token = club.invite_token
    for target, data in host_actions(club, host, member):
        assert member_client.post(target, data).status_code == 403, target
    hana = membership(club, host)
    assert member_client.post(url("member_role", club.slug, hana.pk), {"role": "member"}).status_code == 403
    club.refresh_from_db()
    assert club.invite_token == token
    assert membership(club, member).role == Membership.Role.MEMBER
    assert membership(club, host).role == Membership.Role.HOST


def test_a_host_can_do_every_host_action(host_client, club, host, member):
    token = club.invite_token
    for target, data in host_actions(club, host, member):
        response = host_client.post(target, data)
        assert response.status_code == 302, target
        # A removal comes back to the next member's Remove button (tests/sessions/test_host_pages.py).
        assert response.url.split("#")[0] == club.get_absolute_url()
    club.refresh_from_db()
    assert club.invite_token != token
    assert not Membership.objects.filter(club=club, user=member).exists()


def test_club_actions_only_accept_post(host_client, club, host, member):
    for target, _ in host_actions(club, host, member):
        assert host_client.get(target).status_code == 405
    assert host_client.get(url("club_leave", club.slug)).status_code == 405


def test_a_host_cannot_touch_a_membership_of_another_club(host_client, club, other_club, outsider):
    theirs = membership(other_club, outsider)
    assert host_client.post(url("member_role", club.slug, theirs.pk), {"role": "member"}).status_code == 404
    assert host_client.post(url("member_remove", club.slug, theirs.pk)).status_code == 404
    assert Membership.objects.filter(pk=theirs.pk, role=Membership.Role.HOST).exists()


# ---------- Starting a club ----------


def test_the_new_club_form_has_its_labelled_fields_and_the_server_time_zone_preselected(
    client, outsider, settings
):
    settings.TIME_ZONE = "Europe/Lisbon"
    client.force_login(outsider)
    page = client.get(url("club_create")).content.decode()
    assert '<label for="id_name">Name</label>' in page
    assert '<label for="id_description">Description</label>' in page
    assert '<label for="id_time_zone">Time zone</label>' in page
    assert '<option value="Europe/Lisbon" selected>' in page
    assert "Create club</button>" in page


def test_creating_a_club_makes_the_creator_its_host_and_opens_its_page(outsider_client, outsider):
    response = outsider_client.post(
        url("club_create"),
        {"name": "  Night Owls ", "description": "Late readers.", "time_zone": "America/New_York"},
    )
    club = Club.objects.get(name="Night Owls")
    assert response.status_code == 302
    assert response.url == club.get_absolute_url()
    assert club.description == "Late readers."
    assert club.time_zone == "America/New_York"
    assert membership(club, outsider).role == Membership.Role.HOST
    page = outsider_client.get(response.url).content.decode()
    assert "Club created." in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"name": "   ", "description": "We read slowly.", "time_zone": "UTC"},
            "name",
            "Give your club a name.",
        ),
        ({"name": "x" * 121, "description": "We read slowly.", "time_zone": "UTC"}, "name", "at most 120"),
        (
            {"name": "Night Owls", "description": "We read slowly.", "time_zone": "Mars/Olympus"},
            "time_zone",
            "Choose a time zone from the list.",
        ),
    ],
)
def test_a_refused_club_keeps_what_was_typed_and_says_why_beside_the_field(
    outsider_client, data, field, message
):
    response = outsider_client.post(url("club_create"), data)
    assert response.status_code == 200
    page = response.content.decode()
    error = re.search(rf'<p class="field__error" id="id_{field}_error">(.*?)</p>', page, re.S)
    assert error and message in error.group(1)
    assert "\nWe read slowly.</textarea>" in page
    if data["name"].strip():
        assert f'value="{data["name"]}"' in page
    assert not Club.objects.exists()


# ---------- The club page ----------


def test_the_club_page_shows_the_club_its_members_with_roles_and_its_meetings(
    member_client, club, guide, host
):
    club.time_zone = "America/New_York"
    club.save()
    soon = Meeting.schedule(
        club=club, guide=guide, by=host, starts_at=datetime(2030, 1, 15, 18, 0, tzinfo=UTC)
    )
    done = Meeting.schedule(club=club, guide=guide, by=host, starts_at=timezone.now() - timedelta(days=3))
    done.start()
    done.end()
    page = member_client.get(url("club", club.slug)).content.decode()
    assert '<h1 id="club-name">Tuesday Readers</h1>' in page
    assert "We read on Tuesdays." in page
    members = page.split('id="members"')[1]
    assert re.search(r"hana\s*</span>\s*<span class=\"badge badge--ok\">Host</span>", members)
    assert re.search(
        r"milo <span class=\"members__you\">\(you\)</span>\s*</span>\s*<span class=\"badge\">Member</span>",
        members,
    )
    upcoming = page.split('id="upcoming-heading"')[1].split('id="past-heading"')[0]
    past = page.split('id="past-heading"')[1]
    assert f'href="{url("meeting", soon.pk)}">Never Let Me Go</a>' in upcoming
    assert "Tuesday 15 January 2030, 13:00" in upcoming  # 18:00 UTC in New York
    assert f'href="{url("meeting", done.pk)}"' in past
    assert f'href="{url("meeting", done.pk)}"' not in upcoming


def test_only_hosts_see_new_meeting_the_invite_link_and_member_controls(host_client, member_client, club):
    invite = f"http://testserver{url('invite', club.invite_token)}"
    host_page = host_client.get(url("club", club.slug)).content.decode()
    assert f'href="{url("meeting_create", club.slug)}"' in host_page
    assert '<label for="invite-link">Invite link</label>' in host_page
    assert re.search(rf'<input[^>]*id="invite-link" value="{re.escape(invite)}" readonly', host_page)
    assert 'data-copy="invite-link" hidden>Copy</button>' in host_page
    assert "Reset invite link</button>" in host_page
    assert "Make co-host" in host_page
    assert "Remove" in host_page
    assert "Leave club</button>" in host_page

    member_page = member_client.get(url("club", club.slug)).content.decode()
    assert url("meeting_create", club.slug) not in member_page
    assert club.invite_token not in member_page
    assert "Make co-host" not in member_page
    assert "Remove" not in member_page
    assert "Leave club</button>" in member_page


def test_the_club_page_runs_the_same_queries_for_2_or_40_members_and_1_or_20_meetings(
    client, club, guide, host, django_assert_num_queries
):
    Meeting.schedule(club=club, guide=guide, by=host, starts_at=timezone.now() + timedelta(days=1))
    client.force_login(host)
    # session, user, membership, upcoming, past, club guides, members, and (issue 12) the votes and
    # date polls
    with django_assert_num_queries(9):
        small = client.get(url("club", club.slug))
    assert small.content.decode().count("meeting-list__item") == 1

    for number in range(38):
        club.join(User.objects.create_user(f"reader{number}"))
    for days in range(19):
        meeting = Meeting.schedule(
            club=club, guide=guide, by=host, starts_at=timezone.now() + timedelta(days=days)
        )
        if days % 2:
            meeting.start()
            meeting.end()
    with django_assert_num_queries(9):
        large = client.get(url("club", club.slug))
    page = large.content.decode()
    assert page.count('class="members__item"') == 40
    assert page.count("meeting-list__item") == 20


# ---------- Invite links ----------


def test_opening_the_invite_link_asks_before_joining(outsider_client, club, outsider):
    response = outsider_client.get(url("invite", club.invite_token))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Join Tuesday Readers?" in page
    assert re.search(rf'<form method="post" action="{re.escape(url("invite", club.invite_token))}">', page)
    assert not Membership.objects.filter(club=club, user=outsider).exists()


def test_the_join_button_joins_the_club_and_opens_its_page(outsider_client, club, outsider):
    response = outsider_client.post(url("invite", club.invite_token), follow=True)
    assert response.redirect_chain == [(club.get_absolute_url(), 302)]
    assert membership(club, outsider).role == Membership.Role.MEMBER
    assert "You joined Tuesday Readers." in messages_of(response)


def test_opening_the_invite_link_twice_keeps_one_membership_and_its_role(host_client, club, host):
    response = host_client.get(url("invite", club.invite_token), follow=True)
    assert response.status_code == 200
    assert Membership.objects.filter(club=club, user=host).count() == 1
    assert membership(club, host).role == Membership.Role.HOST
    assert "You are already in Tuesday Readers." in messages_of(response)


def test_anonymous_visitors_land_on_sign_up_with_log_in_beside_it_and_come_back_to_join(client, club):
    invite = url("invite", club.invite_token)
    response = client.get(invite)
    assert response.url == f"/accounts/signup/?next={invite.replace('/', '%2F')}"
    signup_page = client.get(response.url).content.decode()
    assert "Sign up, or log in, to join Tuesday Readers." in signup_page
    assert f'name="next" value="{invite}"' in signup_page
    assert f'href="{LOGIN}?next={invite}"' in signup_page

    password = "quiet-harbour-lantern-42"
    response = client.post(
        "/accounts/signup/",
        {
            "username": "nora",
            "email": "nora@example.com",
            "password1": password,
            "password2": password,
            "next": invite,
        },
        follow=True,
    )
    assert response.redirect_chain == [(invite, 302)]
    assert "Join Tuesday Readers?" in response.content.decode()
    response = client.post(invite, follow=True)
    assert response.redirect_chain == [(club.get_absolute_url(), 302)]
    assert membership(club, User.objects.get(username="nora")).role == Membership.Role.MEMBER


def test_an_anonymous_post_to_the_invite_joins_nobody(client, club):
    response = client.post(url("invite", club.invite_token))
    assert response.status_code == 302
    assert Membership.objects.filter(club=club).count() == 2


def test_anonymous_visitors_log_in_from_the_invite_and_come_back_to_join(client, club, outsider):
    invite = url("invite", club.invite_token)
    response = client.post(
        f"{LOGIN}?next={invite}",
        {"username": "olive", "password": "olive-password", "next": invite},
        follow=True,
    )
    assert response.redirect_chain[-1] == (invite, 302)
    client.post(invite)
    assert Membership.objects.filter(club=club, user=outsider).exists()


def test_an_unknown_invite_token_is_a_clear_404(client, outsider_client, club):
    for browser in (client, outsider_client):
        response = browser.get(url("invite", "not-a-real-token"))
        assert response.status_code == 404
        assert "This invite link does not work" in response.content.decode()
    assert Membership.objects.filter(club=club).count() == 2


def test_resetting_the_invite_link_stops_the_old_one_and_the_new_one_works(
    host_client, outsider_client, club, outsider
):
    old = club.invite_token
    response = host_client.post(url("invite_reset", club.slug), follow=True)
    club.refresh_from_db()
    assert club.invite_token != old
    assert "Invite link reset. The old link no longer works." in messages_of(response)
    assert club.invite_token in response.content.decode()
    assert outsider_client.post(url("invite", old)).status_code == 404
    assert not Membership.objects.filter(club=club, user=outsider).exists()
    assert outsider_client.post(url("invite", club.invite_token)).status_code == 302
    assert Membership.objects.filter(club=club, user=outsider).exists()


def test_resetting_the_invite_link_with_htmx_returns_the_invite_region(host_client, club):
    old = club.invite_token
    response = host_client.post(url("invite_reset", club.slug), **HTMX)
    club.refresh_from_db()
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page
    assert page.lstrip().startswith('<section class="section invite" id="invite"')
    assert club.invite_token in page and old not in page
    assert 'id="messages" hx-swap-oob="innerHTML"' in page
    assert "Invite link reset." in page


# ---------- Co-hosts, removing and leaving ----------


def test_a_host_makes_a_member_co_host_and_then_can_step_down(host_client, club, host, member):
    milo = membership(club, member)
    response = host_client.post(url("member_role", club.slug, milo.pk), {"role": "host"}, follow=True)
    assert "milo is now a co-host." in messages_of(response)
    assert membership(club, member).role == Membership.Role.HOST

    hana = membership(club, host)
    response = host_client.post(url("member_role", club.slug, hana.pk), {"role": "member"}, follow=True)
    assert membership(club, host).role == Membership.Role.MEMBER
    assert "Reset invite link" not in response.content.decode()


def test_making_a_co_host_with_htmx_returns_the_member_list(host_client, club, member):
    milo = membership(club, member)
    response = host_client.post(url("member_role", club.slug, milo.pk), {"role": "host"}, **HTMX)
    page = response.content.decode()
    assert response.status_code == 200
    assert page.lstrip().startswith('<section class="section members" id="members"')
    assert page.count('<span class="badge badge--ok">Host</span>') == 2
    assert "milo is now a co-host." in page.split('hx-swap-oob="innerHTML"')[1]


def test_a_host_stepping_down_with_htmx_reloads_the_page_without_host_controls(
    host_client, club, host, member
):
    membership(club, member).set_role(Membership.Role.HOST)
    hana = membership(club, host)
    response = host_client.post(url("member_role", club.slug, hana.pk), {"role": "member"}, **HTMX)
    assert response.status_code == 200
    assert response["HX-Redirect"] == club.get_absolute_url()
    assert membership(club, host).role == Membership.Role.MEMBER


def test_an_unknown_role_is_refused(host_client, club, member):
    milo = membership(club, member)
    response = host_client.post(url("member_role", club.slug, milo.pk), {"role": "owner"})
    assert response.status_code == 400
    assert membership(club, member).role == Membership.Role.MEMBER


def test_the_last_host_cannot_step_down(host_client, club, host):
    hana = membership(club, host)
    response = host_client.post(url("member_role", club.slug, hana.pk), {"role": "member"}, follow=True)
    assert any(LAST_HOST in message for message in messages_of(response))
    assert membership(club, host).role == Membership.Role.HOST


def test_the_last_host_stepping_down_with_htmx_gets_422_and_the_reason(host_client, club, host):
    hana = membership(club, host)
    response = host_client.post(url("member_role", club.slug, hana.pk), {"role": "member"}, **HTMX)
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="members"' in page
    assert LAST_HOST in page
    assert membership(club, host).role == Membership.Role.HOST


def test_the_last_host_cannot_leave(host_client, club, host):
    response = host_client.post(url("club_leave", club.slug), follow=True)
    assert response.redirect_chain == [(club.get_absolute_url(), 302)]
    assert any(LAST_HOST in message for message in messages_of(response))
    assert membership(club, host).role == Membership.Role.HOST


def test_a_removed_member_no_longer_sees_the_club(host_client, member_client, club, member):
    milo = membership(club, member)
    response = host_client.post(url("member_remove", club.slug, milo.pk), follow=True)
    assert "Removed milo from the club." in messages_of(response)
    assert not Membership.objects.filter(club=club, user=member).exists()
    assert member_client.get(url("club", club.slug)).status_code == 404


def test_removing_with_htmx_returns_the_member_list_without_them(host_client, club, member):
    milo = membership(club, member)
    response = host_client.post(url("member_remove", club.slug, milo.pk), **HTMX)
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="members"' in page
    assert "milo" not in page.split("hx-swap-oob")[0]


def test_a_host_cannot_remove_themselves_while_the_last_host(host_client, club, host):
    hana = membership(club, host)
    response = host_client.post(url("member_remove", club.slug, hana.pk), follow=True)
    assert any(LAST_HOST in message for message in messages_of(response))
    assert Membership.objects.filter(pk=hana.pk).exists()


def test_a_member_leaves_and_then_gets_404_on_the_club(member_client, club, member):
    response = member_client.post(url("club_leave", club.slug), follow=True)
    assert response.redirect_chain == [(reverse("home"), 302)]
    assert "You left Tuesday Readers." in messages_of(response)
    assert not Membership.objects.filter(club=club, user=member).exists()
    assert member_client.get(url("club", club.slug)).status_code == 404


def test_a_co_host_can_leave_once_another_host_remains(club, host, member, member_client):
    membership(club, member).set_role(Membership.Role.HOST)
    response = member_client.post(url("club_leave", club.slug))
    assert response.url == reverse("home")
    assert list(club.memberships.values_list("user__username", flat=True)) == ["hana"]


# ---------- Home: your clubs ----------


def test_home_lists_your_clubs_with_role_and_next_meeting(host_client, club, guide, host):
    club.time_zone = "Europe/Paris"
    club.save()
    Meeting.schedule(club=club, guide=guide, by=host, starts_at=datetime(2030, 3, 5, 18, 30, tzinfo=UTC))
    page = host_client.get(reverse("home")).content.decode()
    section = page.split('id="your-clubs"')[1].split("</section>")[0]
    assert f'<a href="{club.get_absolute_url()}">Tuesday Readers</a>' in section
    assert "Host" in section
    assert "2 members" in section
    assert "Tue 5 Mar, 19:30" in section  # in the club's time zone
    assert f'href="{url("club_create")}">New club</a>' in section


def test_home_invites_a_user_without_clubs_to_start_one(outsider_client):
    section = outsider_client.get(reverse("home")).content.decode().split('id="your-clubs"')[1]
    assert "You are not in a club yet." in section
    assert f'href="{url("club_create")}">New club</a>' in section


def test_anonymous_visitors_have_no_your_clubs_section(client, club):
    assert 'id="your-clubs"' not in client.get(reverse("home")).content.decode()


def test_home_runs_the_same_queries_for_one_or_many_clubs(client, outsider, guide, django_assert_num_queries):
    client.force_login(outsider)
    Club.create(name="Club 0", host=outsider)
    with django_assert_num_queries(4):
        client.get(reverse("home"))
    for number in range(1, 8):
        club = Club.create(name=f"Club {number}", host=outsider)
        Meeting.schedule(
            club=club, guide=guide, by=outsider, starts_at=timezone.now() + timedelta(days=number)
        )
    with django_assert_num_queries(4):
        page = client.get(reverse("home")).content.decode()
    assert page.count("Next meeting:") == 7


# ---------- In a real browser ----------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_host_copies_the_link_and_manages_members_in_the_browser(page):

    hana = User.objects.create_user("hana", "hana@example.com", "hana-password")
    milo = User.objects.create_user("milo", "milo@example.com", "milo-password")
    club = Club.create(name="Tuesday Readers", host=hana)
    club.join(milo)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])

    page.goto(f"{LOGIN}?next={club.get_absolute_url()}")
    page.get_by_label("Username").fill("hana")
    page.get_by_label("Password").fill("hana-password")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**{club.get_absolute_url()}")
    violations = axe_violations(page)
    assert not violations, violations

    page.get_by_role("button", name="Copy").click()
    page.get_by_text("Copied.").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == page.get_by_label("Invite link").input_value()

    page.get_by_role("button", name=re.compile(r"^Make co-host.*milo")).click()
    page.locator("#messages").get_by_text("milo is now a co-host.").wait_for()
    assert membership(club, milo).role == Membership.Role.HOST

    old = page.get_by_label("Invite link").input_value()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Reset invite link").click()
    page.locator("#messages").get_by_text("Invite link reset.").wait_for()
    assert page.get_by_label("Invite link").input_value() != old
    page.get_by_role("button", name="Copy").wait_for(state="visible")

    page.once("dialog", lambda dialog: dialog.dismiss())  # a cancelled confirmation sends nothing
    page.get_by_role("button", name=re.compile(r"^Remove.*milo")).click()
    page.wait_for_timeout(300)
    assert Membership.objects.filter(club=club, user=milo).exists()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=re.compile(r"^Remove.*milo")).click()
    page.locator("#messages").get_by_text("Removed milo from the club.").wait_for()
    assert not Membership.objects.filter(club=club, user=milo).exists()
