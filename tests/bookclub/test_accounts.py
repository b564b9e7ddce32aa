"""Accounts: signing up, logging in and out, changing and resetting a password, and the header links."""

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from guides.models import Guide

SIGNUP = "/accounts/signup/"
STRONG = "quiet-harbour-lantern-42"


def signup_data(**overrides) -> dict:
    data = {"username": "nora", "email": "nora@example.com", "password1": STRONG, "password2": STRONG}
    data.update(overrides)
    return data


def logged_in_user_id(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


@pytest.fixture
def olive(db) -> User:
    return User.objects.create_user("olive", "olive@example.com", "olive-password")


@pytest.fixture
def published_guide(db) -> Guide:
    return Guide.objects.create(
        title="Never Let Me Go", author="Kazuo Ishiguro", status=Guide.Status.PUBLISHED, summary="Clones."
    )


# ---------- Signing up ----------


def test_the_signup_page_has_the_four_labelled_fields_and_a_sign_up_button(client, db):
    response = client.get(SIGNUP)
    assert response.status_code == 200
    for field, label in [
        ("id_username", "Username"),
        ("id_email", "Email"),
        ("id_password1", "Password"),
        ("id_password2", "Password confirmation"),
    ]:
        assert f'<label for="{field}">{label}</label>' in response.content.decode()
    assert "Sign up</button>" in response.content.decode()


def test_signing_up_creates_the_account_logs_in_and_goes_home(client, db):
    response = client.post(SIGNUP, signup_data())
    assert response.status_code == 302
    assert response.url == reverse("home")
    user = User.objects.get(username="nora")
    assert user.email == "nora@example.com"
    assert user.check_password(STRONG)
    assert logged_in_user_id(client) == str(user.pk)
    assert "nora" in client.get(reverse("home")).content.decode()


def test_signing_up_follows_a_safe_next_but_not_another_site(client, db):
    response = client.post(SIGNUP, signup_data(next="/guides/"))
    assert response.url == "/guides/"
    other = Client()
    response = other.post(
        SIGNUP, signup_data(username="ada", email="ada@example.com", next="https://evil.example/")
    )
    assert response.url == reverse("home")


def test_the_signup_form_carries_next_from_the_query_string(client, db):
    response = client.get(SIGNUP, {"next": "/invite/abc/"})
    assert '<input type="hidden" name="next" value="/invite/abc/">' in response.content.decode()


def test_a_logged_in_user_visiting_signup_is_sent_home(client, olive):
    client.force_login(olive)
    response = client.get(SIGNUP)
    assert response.status_code == 302
    assert response.url == reverse("home")


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"username": ""}, "username", "Choose a username."),
        ({"username": "no spaces allowed"}, "username", "Enter a valid username."),
        ({"email": ""}, "email", "Enter your email address."),
        ({"password1": "", "password2": ""}, "password1", "Choose a password."),
        ({"email": "not-an-address"}, "email", "Enter a valid email address."),
        ({"password1": "password", "password2": "password"}, "password2", "This password is too common."),
        ({"password1": "48213957", "password2": "48213957"}, "password2", "entirely numeric"),
        ({"password1": "short", "password2": "short"}, "password2", "too short"),
        ({"password2": "something-else-entirely"}, "password2", "fields didn"),
    ],
)
# Django reports the password validators' complaints under the confirmation field.
def test_each_field_error_is_shown_beside_the_field_and_keeps_the_typed_values(
    client, db, overrides, field, message
):
    data = signup_data(**overrides)
    response = client.post(SIGNUP, data)
    assert response.status_code == 200
    page = response.content.decode()
    error = re.search(rf'<p class="field__error" id="id_{field}_error">(.*?)</p>', page, re.S)
    assert error, page
    assert message in error.group(1)
    if data["username"]:
        assert f'value="{data["username"]}"' in page
    if data["email"]:
        assert f'value="{data["email"]}"' in page
    assert not re.search(r'<input type="password"[^>]*value=', page)
    assert 'aria-invalid="true"' in page
    assert not User.objects.filter(username=data["username"] or "nora").exists()
    assert logged_in_user_id(client) is None


def test_a_taken_username_is_refused_whatever_its_case(client, olive):
    response = client.post(SIGNUP, signup_data(username="OLIVE"))
    assert "A user with that username already exists." in response.content.decode()
    assert User.objects.count() == 1


def test_an_email_already_in_use_is_refused_whatever_its_case(client, olive):
    response = client.post(SIGNUP, signup_data(email="Olive@Example.COM"))
    page = response.content.decode()
    assert "An account with this email already exists." in page
    assert 'value="nora"' in page
    assert 'value="Olive@Example.COM"' in page
    assert not User.objects.filter(username="nora").exists()


def test_a_password_too_like_the_username_is_refused(client, db):
    response = client.post(
        SIGNUP,
        signup_data(username="lanternharbour", password1="lanternharbour1", password2="lanternharbour1"),
    )
    assert "too similar to the username" in response.content.decode()


# ---------- Logging in and out ----------


def test_the_login_page_has_its_button_and_links_to_signup_and_password_reset(client, db):
    page = client.get(reverse("login"), {"next": "/invite/abc/"}).content.decode()
    assert "Log in</button>" in page
    assert f'href="{SIGNUP}?next=/invite/abc/"' in page
    assert f'href="{reverse("password_reset")}">Forgot your password?</a>' in page
    assert '<label for="id_username">Username</label>' in page
    assert '<label for="id_password">Password</label>' in page


def test_logging_in_with_the_right_password_goes_home(client, olive):
    response = client.post(reverse("login"), {"username": "olive", "password": "olive-password"})
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert logged_in_user_id(client) == str(olive.pk)


def test_a_wrong_password_is_refused_and_keeps_the_username(client, olive):
    response = client.post(reverse("login"), {"username": "olive", "password": "wrong-password"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Please enter a correct username and password." in page
    assert 'value="olive"' in page
    assert "wrong-password" not in page
    assert logged_in_user_id(client) is None


def test_logging_out_is_a_post_that_goes_home(client, olive):
    client.force_login(olive)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert logged_in_user_id(client) is None


def test_logging_out_by_get_is_not_allowed(client, olive):
    client.force_login(olive)
    response = client.get(reverse("logout"))
    assert response.status_code == 405
    assert logged_in_user_id(client) == str(olive.pk)


# ---------- Changing and resetting a password ----------


def test_changing_the_password_needs_a_login(client, db):
    response = client.get(reverse("password_change"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_changing_the_password_keeps_the_user_logged_in_and_the_new_one_works(client, olive):
    client.force_login(olive)
    page = client.get(reverse("password_change")).content.decode()
    assert '<label for="id_old_password">' in page
    response = client.post(
        reverse("password_change"),
        {"old_password": "olive-password", "new_password1": STRONG, "new_password2": STRONG},
    )
    assert response.status_code == 302
    assert response.url == reverse("password_change_done")
    assert "Password changed" in client.get(response.url).content.decode()
    olive.refresh_from_db()
    assert olive.check_password(STRONG)
    assert logged_in_user_id(client) == str(olive.pk)


def test_a_wrong_old_password_is_refused_beside_its_field(client, olive):
    client.force_login(olive)
    response = client.post(
        reverse("password_change"),
        {"old_password": "nope", "new_password1": STRONG, "new_password2": STRONG},
    )
    assert 'id="id_old_password_error"' in response.content.decode()
    olive.refresh_from_db()
    assert olive.check_password("olive-password")


def test_a_password_reset_email_carries_a_link_that_sets_a_new_password(client, olive, mailoutbox):
    response = client.post(reverse("password_reset"), {"email": "OLIVE@example.com"})
    assert response.status_code == 302
    assert response.url == reverse("password_reset_done")
    assert "Check your email" in client.get(response.url).content.decode()

    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["olive@example.com"]
    assert email.subject == "Reset your Bookclub password"
    assert "olive" in email.body
    link = re.search(r"https?://testserver(/accounts/reset/\S+/)", email.body).group(1)

    response = client.get(link)  # Django swaps the token for a session key and redirects
    assert response.status_code == 302
    set_password_url = response.url
    page = client.get(set_password_url).content.decode()
    assert "Choose a new password" in page
    response = client.post(set_password_url, {"new_password1": STRONG, "new_password2": STRONG})
    assert response.status_code == 302
    assert response.url == reverse("password_reset_complete")
    assert "Your new password is set" in client.get(response.url).content.decode()

    # Through the login page: django-axes refuses authenticate() calls that come without a request.
    assert Client().post(reverse("login"), {"username": "olive", "password": STRONG}).status_code == 302
    assert "This link no longer works" in client.get(link, follow=True).content.decode()


def test_a_password_reset_for_an_unknown_email_sends_nothing_but_looks_the_same(client, db, mailoutbox):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert response.url == reverse("password_reset_done")
    assert mailoutbox == []


# ---------- The header ----------


@pytest.mark.parametrize("page", ["home", "guide_list", "guide_detail"])
def test_anonymous_visitors_see_sign_up_and_log_in_in_the_header(client, published_guide, page):
    url = {
        "home": reverse("home"),
        "guide_list": reverse("guides:list"),
        "guide_detail": published_guide.get_absolute_url(),
    }[page]
    response = client.get(url)
    assert response.status_code == 200
    header = response.content.decode().split("</header>")[0]
    assert f'<a href="{SIGNUP}' in header
    assert ">Sign up</a>" in header
    assert f'<a href="{reverse("login")}' in header
    assert ">Log in</a>" in header
    assert "Log out" not in header


def test_the_header_log_in_link_comes_back_to_the_page(client, published_guide):
    header = client.get(reverse("guides:list")).content.decode().split("</header>")[0]
    assert f'href="{reverse("login")}?next=/guides/"' in header


def test_logged_in_users_see_their_name_clubs_change_password_and_a_log_out_form(
    client, olive, published_guide
):
    client.force_login(olive)
    for url in [reverse("home"), reverse("guides:list"), published_guide.get_absolute_url()]:
        header = client.get(url).content.decode().split("</header>")[0]
        assert "olive" in header
        assert ">Your clubs</a>" in header
        assert f'href="{reverse("password_change")}"' in header
        assert re.search(
            rf'<form[^>]*method="post" action="{reverse("logout")}">\s*'
            r'<input type="hidden" name="csrfmiddlewaretoken"',
            header,
        )
        assert "Log out</button>" in header
        assert ">Sign up</a>" not in header
