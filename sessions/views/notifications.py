"""Which emails a member gets, and the one-click unsubscribe link every email carries.

The unsubscribe link works without logging in: its signed token names the account, the address the
email went to and the kind of email, and does nothing once the account's address has changed. Mail apps
that support RFC 8058 POST to it directly ("List-Unsubscribe=One-Click"), without a CSRF token, so that
POST is exempt: the token is the proof, and all it can do is switch one kind of email off.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from bookclub.http import AuthenticatedHttpRequest
from sessions import notifications
from sessions.models import EmailPreferences

PREFERENCES_TEMPLATE = "sessions/email/preferences.html"
UNSUBSCRIBE_TEMPLATE = "sessions/email/unsubscribe.html"
KIND_WORDS = {"invitations": "meeting invitations", "reminders": "meeting reminders", "votes": "vote emails"}


class EmailPreferencesForm(forms.ModelForm):
    class Meta:
        model = EmailPreferences
        fields = ["invitations", "reminders", "votes"]
        labels = {
            "invitations": "Invitations when a meeting is scheduled",
            "reminders": "Reminders before each meeting",
            "votes": "When a vote opens, and its result",
        }


@login_required
@require_http_methods(["GET", "POST"])
def email_preferences(request: AuthenticatedHttpRequest) -> HttpResponse:
    preferences = EmailPreferences.of(request.user)
    form = EmailPreferencesForm(request.POST if request.method == "POST" else None, instance=preferences)
    if form.is_valid():
        form.save()
        messages.success(request, "Your email choices are saved.")
        return redirect("sessions:email_preferences")
    return render(request, PREFERENCES_TEMPLATE, {"form": form, "address": request.user.email})


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    found = notifications.read_unsubscribe_token(token)
    if found is None:
        return render(request, UNSUBSCRIBE_TEMPLATE, {"invalid": True}, status=404)
    user, preference = found
    context = {"token": token, "kind": KIND_WORDS[preference], "address": user.email}
    if request.method == "POST":
        notifications.unsubscribe(user, preference)
        return render(request, UNSUBSCRIBE_TEMPLATE, {**context, "done": True})
    return render(request, UNSUBSCRIBE_TEMPLATE, context)
