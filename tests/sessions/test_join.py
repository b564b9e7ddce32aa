"""Joining a meeting by its code: as a club member, as a guest, and every way it can be refused."""

import pytest
from django.test import Client
from django.urls import reverse

from sessions.access import SESSION_KEY
from sessions.models import JOIN_CODE_ALPHABET, JOIN_CODE_LENGTH, Meeting, Participant

pytestmark = pytest.mark.django_db


def join_code_url(meeting: Meeting) -> str:
    return reverse("sessions:join_code", args=[meeting.join_code])


def live_url(meeting: Meeting) -> str:
    return reverse("sessions:live", args=[meeting.pk])


# ---------- The "Join code" page ----------


def test_the_join_page_asks_for_the_join_code(client):
    response = client.get(reverse("sessions:join"))
    assert response.status_code == 200
    page = response.content.decode()
    assert '<label for="id_code">Join code</label>' in page
    assert 'name="code"' in page


def test_the_join_pages_example_code_is_as_long_as_real_codes_and_in_their_letters(client, db):
    import re

    hint = re.search(r"for example ([A-Z0-9 ]+)\.", client.get(reverse("sessions:join")).content.decode())
    example = hint.group(1).replace(" ", "")
    assert len(example) == JOIN_CODE_LENGTH and set(example) <= set(JOIN_CODE_ALPHABET)


def test_a_join_code_is_found_whatever_its_case_and_spacing(client, live_meeting):
    typed = " ".join(live_meeting.join_code.lower()[:3]) + "  " + live_meeting.join_code.lower()[3:]
    response = client.post(reverse("sessions:join"), {"code": typed})
    assert response.status_code == 302
    assert response["Location"] == f"/join/{live_meeting.join_code}"


def test_a_pasted_join_link_works_as_a_code(client, live_meeting):
    response = client.post(
        reverse("sessions:join"), {"code": f"http://testserver/join/{live_meeting.join_code}"}
    )
    assert response["Location"] == f"/join/{live_meeting.join_code}"


def test_an_unknown_code_is_refused_beside_the_field_with_the_typed_code_kept(client, live_meeting):
    response = client.post(reverse("sessions:join"), {"code": "zz99 x"})
    assert response.status_code == 422
    page = response.content.decode()
    assert "No meeting has the code “zz99 x”" in page
    assert 'class="field__error"' in page
    assert 'value="zz99 x"' in page
    assert 'aria-invalid="true"' in page


def test_an_empty_code_is_refused_with_a_message(client):
    response = client.post(reverse("sessions:join"), {"code": "   "})
    assert response.status_code == 422
    assert "Enter the join code" in response.content.decode()


def test_the_join_page_also_takes_the_code_from_the_query_string(client, live_meeting):
    response = client.get(reverse("sessions:join"), {"code": live_meeting.join_code.lower()})
    assert response["Location"] == join_code_url(live_meeting)


# ---------- /join/CODE ----------


def test_an_unknown_code_in_the_address_is_a_404_page_with_a_way_back(client, db):
    response = client.get("/join/QQQQQQ")
    assert response.status_code == 404
    page = response.content.decode()
    assert "There is no meeting with the code “QQQQQQ”" in page
    assert f'href="{reverse("sessions:join")}"' in page


def test_the_code_in_the_address_ignores_case(client, live_meeting):
    response = client.get(f"/join/{live_meeting.join_code.lower()}")
    assert response.status_code == 200
    assert "Display name" in response.content.decode()


def test_anyone_with_the_code_gets_a_display_name_form_when_guests_are_allowed(client, live_meeting):
    response = client.get(join_code_url(live_meeting))
    page = response.content.decode()
    assert response.status_code == 200
    assert '<label for="id_display_name">Display name</label>' in page
    assert 'name="display_name"' in page
    assert '<button class="button" type="submit">Join</button>' in page


def test_a_guest_joins_with_a_display_name_and_keeps_the_seat_across_visits(client, live_meeting):
    response = client.post(join_code_url(live_meeting), {"display_name": "  Kathy   H  "})
    assert response.status_code == 302
    assert response["Location"] == live_url(live_meeting)
    guest = Participant.objects.get(meeting=live_meeting)
    assert guest.display_name == "Kathy H"
    assert guest.is_guest and guest.user is None
    assert client.session[SESSION_KEY] == {str(live_meeting.pk): guest.pk}

    # A refresh, a closed tab or the link opened again: the session still holds the seat.
    assert client.get(live_url(live_meeting)).status_code == 200
    again = client.get(join_code_url(live_meeting))
    assert again["Location"] == live_url(live_meeting)
    assert Participant.objects.filter(meeting=live_meeting).count() == 1


def test_a_guest_seat_survives_a_new_session_object_over_the_same_cookie(client, live_meeting):
    client.post(join_code_url(live_meeting), {"display_name": "Kathy"})
    cookie = client.cookies["sessionid"].value
    browser_after_restart = Client()
    browser_after_restart.cookies["sessionid"] = cookie
    assert browser_after_restart.get(live_url(live_meeting)).status_code == 200


def test_a_display_name_taken_in_the_meeting_is_refused_with_the_typed_name_kept(client, live_meeting):
    live_meeting.add_guest("Kathy")
    response = client.post(join_code_url(live_meeting), {"display_name": "KATHY"})
    assert response.status_code == 422
    page = response.content.decode()
    assert "Someone in this meeting is already called “KATHY”" in page
    assert 'value="KATHY"' in page
    assert 'aria-invalid="true"' in page
    assert SESSION_KEY not in client.session


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "Enter a display name."), ("   ", "Enter a display name."), ("x" * 41, "at most 40 characters")],
)
def test_empty_and_overlong_display_names_are_refused(client, live_meeting, name, message):
    response = client.post(join_code_url(live_meeting), {"display_name": name})
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not live_meeting.participants.exists()


def test_a_guest_may_join_before_the_meeting_starts(client, meeting):
    response = client.post(join_code_url(meeting), {"display_name": "Early Bird"})
    assert response["Location"] == live_url(meeting)
    page = client.get(live_url(meeting)).content.decode()
    assert "The meeting hasn't started yet" in page


def test_a_members_only_meeting_asks_guests_to_log_in(client, live_meeting):
    Meeting.objects.filter(pk=live_meeting.pk).update(allow_guests=False)
    response = client.get(join_code_url(live_meeting))
    page = response.content.decode()
    assert response.status_code == 200
    assert "This meeting is for club members only." in page
    assert f'href="/accounts/login/?next=/join/{live_meeting.join_code}">Log in</a>' in page
    assert 'name="display_name"' not in page

    refused = client.post(join_code_url(live_meeting), {"display_name": "Kathy"})
    assert refused.status_code == 403
    assert not live_meeting.participants.exists()


def test_a_logged_in_member_enters_as_themselves(member_client, member, live_meeting):
    response = member_client.get(join_code_url(live_meeting))
    assert response.status_code == 302
    assert response["Location"] == live_url(live_meeting)
    participant = Participant.objects.get(meeting=live_meeting)
    assert participant.user == member
    assert participant.role == Participant.Role.MEMBER
    assert participant.display_name == "milo"


def test_a_host_enters_as_a_host_even_in_a_members_only_meeting(host_client, host, live_meeting):
    Meeting.objects.filter(pk=live_meeting.pk).update(allow_guests=False)
    response = host_client.get(join_code_url(live_meeting))
    assert response["Location"] == live_url(live_meeting)
    assert Participant.objects.get(meeting=live_meeting, user=host).role == Participant.Role.HOST


def test_a_member_posting_the_guest_form_still_enters_as_themselves(member_client, member, live_meeting):
    member_client.post(join_code_url(live_meeting), {"display_name": "Somebody Else"})
    assert list(live_meeting.participants.values_list("user", "display_name")) == [(member.pk, "milo")]


def test_an_outsider_may_join_as_a_guest_and_then_sees_only_the_member_view(outsider_client, live_meeting):
    response = outsider_client.post(join_code_url(live_meeting), {"display_name": "Olive"})
    assert response["Location"] == live_url(live_meeting)
    guest = Participant.objects.get(meeting=live_meeting)
    assert guest.is_guest and guest.user is None
    assert outsider_client.get(live_url(live_meeting)).status_code == 200
    assert outsider_client.get(reverse("sessions:present", args=[live_meeting.pk])).status_code == 404
    assert outsider_client.get(reverse("sessions:meeting", args=[live_meeting.pk])).status_code == 404


def test_an_outsider_cannot_join_a_members_only_meeting(outsider_client, live_meeting):
    Meeting.objects.filter(pk=live_meeting.pk).update(allow_guests=False)
    page = outsider_client.get(join_code_url(live_meeting)).content.decode()
    assert "This meeting is for club members only." in page
    assert "You are logged in as olive" in page


def test_an_ended_meeting_says_so_and_offers_the_recap_to_those_who_were_in_it(client, live_meeting):
    client.post(join_code_url(live_meeting), {"display_name": "Kathy"})
    live_meeting.end()
    response = client.get(join_code_url(live_meeting))
    page = response.content.decode()
    assert response.status_code == 200
    assert "This meeting has ended." in page
    assert reverse("sessions:recap", args=[live_meeting.pk]) in page


def test_an_ended_meeting_offers_strangers_no_recap_and_no_seat(client, live_meeting):
    live_meeting.end()
    response = client.post(join_code_url(live_meeting), {"display_name": "Late"})
    page = response.content.decode()
    assert "This meeting has ended." in page
    assert reverse("sessions:recap", args=[live_meeting.pk]) not in page
    assert not live_meeting.participants.exists()


def test_the_shared_guest_fixture_joins_through_the_page(guest_client, live_meeting):
    assert guest_client.get(live_url(live_meeting)).status_code == 200
