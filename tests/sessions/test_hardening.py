"""Small holes from the second security round: NUL bytes, huge ids, oversized posts echoed back, drafts
shown to staff without permission, and the production email backend. Run on PostgreSQL too (where a
NUL byte used to be a 500): DATABASE_URL=postgres://... pytest tests/sessions/test_hardening.py."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from guides.models import Guide
from sessions.models import Answer, MeetingQuestion
from tests.bookclub.test_settings import run_django

HUGE = "9" * 30


def post_answer(client, meeting, text: str):
    data = {"question": meeting.current_question_id, "text": text, "client_token": str(uuid.uuid4())}
    return client.post(reverse("sessions:answer_post", args=[meeting.pk]), data)


# NUL bytes


def test_a_nul_byte_in_a_join_code_is_a_404(client, db):
    assert client.get("/join/AB%00CDE").status_code == 404


def test_a_nul_byte_in_the_guide_search_is_dropped(client, guide):
    response = client.get("/guides/", {"q": "Never\x00"})
    assert response.status_code == 200
    assert guide.title in response.content.decode()


def test_a_nul_byte_in_an_answer_is_dropped_and_the_rest_kept(guest_client, live_meeting):
    assert post_answer(guest_client, live_meeting, "Hail\x00sham").status_code == 302
    assert Answer.objects.get().text == "Hailsham"


def test_a_nul_byte_in_an_edited_answer_is_dropped(guest_client, live_meeting):
    post_answer(guest_client, live_meeting, "Hailsham")
    answer = Answer.objects.get()
    url = reverse("sessions:answer_edit", args=[live_meeting.pk, answer.pk])
    guest_client.post(url, {"text": "Hail\x00sham, again"})
    answer.refresh_from_db()
    assert answer.text == "Hailsham, again"


def test_a_nul_byte_in_a_new_or_reworded_question_is_dropped(host_client, meeting):
    host_client.post(reverse("sessions:question_add", args=[meeting.pk]), {"text": "Why\x00 Norfolk?"})
    added = MeetingQuestion.objects.get(meeting=meeting, text__startswith="Why")
    assert added.text == "Why Norfolk?"
    url = reverse("sessions:question_edit", args=[meeting.pk, added.pk])
    host_client.post(url, {"text": "Why\x00 Norfolk, really?"})
    added.refresh_from_db()
    assert added.text == "Why Norfolk, really?"


def test_a_nul_byte_in_a_field_name_does_not_break_the_page(client, db):
    assert client.post("/join/", {"co\x00de": "x"}).status_code == 422


# Huge ids


@pytest.mark.parametrize("page", ["live", "recap", "events", "meeting", "present"])
def test_an_id_too_large_for_the_database_is_a_404(member_client, page):
    response = member_client.get(f"/meetings/{HUGE}/{page}/")
    assert response.status_code == 404


def test_the_longest_id_the_database_holds_still_resolves_to_a_404(member_client):
    assert member_client.get(f"/meetings/{'9' * 18}/recap/").status_code == 404


# Oversized posts


def test_a_post_larger_than_the_limit_is_refused_without_being_echoed(guest_client, live_meeting, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100_000
    response = post_answer(guest_client, live_meeting, "x" * 200_000)
    assert response.status_code == 400
    assert len(response.content) < 50_000
    assert not Answer.objects.exists()


def test_the_default_post_limit_refuses_a_9_mb_answer():
    result = run_django("print(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)", DEBUG="1")
    assert int(result.stdout) < 9 * 1024 * 1024


# Drafts and staff


def test_staff_without_permission_on_guides_do_not_see_drafts(client, db):
    draft = Guide.objects.create(title="Klara and the Sun", author="Kazuo Ishiguro", status="draft")
    helper = User.objects.create_user("sam", "sam@example.com", "sam-password", is_staff=True)
    client.force_login(helper)
    assert client.get(draft.get_absolute_url()).status_code == 404
    helper.user_permissions.add(Permission.objects.get(codename="view_guide"))
    client.force_login(User.objects.get(pk=helper.pk))
    assert client.get(draft.get_absolute_url()).status_code == 200


# Production start-up


def test_production_refuses_to_start_with_no_email_backend_chosen():
    result = run_django("print('started')", DEBUG="0", SECRET_KEY="x" * 50, EMAIL_BACKEND="")
    assert result.returncode != 0
    assert "EMAIL_BACKEND is not set" in result.stderr


def test_production_starts_with_the_console_backend_when_it_is_chosen_on_purpose():
    backend = "django.core.mail.backends.console.EmailBackend"
    result = run_django(
        "print(settings.EMAIL_BACKEND)", DEBUG="0", SECRET_KEY="x" * 50, EMAIL_BACKEND=backend
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == backend


def test_hsts_subdomains_and_preload_are_opt_in():
    code = "print(settings.SECURE_HSTS_INCLUDE_SUBDOMAINS, settings.SECURE_HSTS_PRELOAD)"
    base = {"DEBUG": "0", "SECRET_KEY": "x" * 50}
    assert run_django(code, **base).stdout.strip() == "False False"
    opted = run_django(code, **base, SECURE_HSTS_INCLUDE_SUBDOMAINS="1", SECURE_HSTS_PRELOAD="1")
    assert opted.stdout.strip() == "True True"


def test_every_response_carries_a_permissions_policy(client, db):
    policy = client.get("/").headers["Permissions-Policy"]
    assert "camera=()" in policy
    assert "geolocation=()" in policy
