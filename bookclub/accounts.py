"""Signing up. Logging in, out and the password pages are Django's own auth views with our templates."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from bookclub.http import safe_next
from bookclub.ratelimit import rate_limit


class SignupForm(UserCreationForm):
    email = forms.EmailField(
        label="Email",
        max_length=254,
        help_text="Only for resetting a forgotten password.",
        error_messages={"required": "Enter your email address."},
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        username, password1, password2 = (
            self.fields["username"],
            self.fields["password1"],
            self.fields["password2"],
        )
        username.label = "Username"
        username.help_text = (
            "Your club sees this name. Letters, digits and @ . + - _ only, up to 150 characters."
        )
        username.error_messages["required"] = "Choose a username."
        username.widget.attrs["autocomplete"] = "username"
        password1.label = "Password"
        password1.error_messages["required"] = "Choose a password."
        password2.label = "Password confirmation"
        password2.error_messages["required"] = "Type the password again."

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"])
        # Password reset finds accounts by email, so two accounts with one address would both get the link.
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                "An account with this email already exists. Log in, or reset your password.",
                code="unique",
            )
        return email


@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
@rate_limit("signup")
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next", ""))
    form = SignupForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    return render(request, "registration/signup.html", {"form": form, "next": next_url})
